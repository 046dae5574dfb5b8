# Cost of the pass over the parameters, per parameter and step, by network
# size: fits with one row per minibatch, where the matrix products are tiny
# and the fused pass (prior gradient, two Adam updates, new sigma, next
# weight draw) is nearly all of a step.
#
#   Rscript bench/pass_cost.R            # 784-32-32, 784-100-100, 784-400-400
#   BBB_THREADS=2 Rscript bench/pass_cost.R
#
# Prints nanoseconds per parameter and step (wall and process CPU). A cost
# that does not grow when the parameters outgrow the caches means the pass
# is bound by arithmetic, not memory.
suppressPackageStartupMessages(library(bbb))
threads <- as.integer(Sys.getenv("BBB_THREADS", "1"))
set.seed(42)
n <- 1000L
x <- matrix(stats::rnorm(n * 784), n, 784)
y <- factor(sample(0:9, n, TRUE))
for (hidden in list(c(32L, 32L), c(100L, 100L), c(400L, 400L))) {
  widths <- c(784L, hidden, 10L)
  P <- sum((widths[-length(widths)] + 1) * widths[-1])
  fit_epochs <- function(epochs) {
    bbb_fit(x, y, hidden = hidden, family = "multinomial", batch_size = 1L,
            epochs = epochs, lr = 1e-3, rho_init = -5, standardize = FALSE,
            keep_data = FALSE, precision = "single", threads = threads,
            verbose = FALSE)
  }
  invisible(fit_epochs(1L))
  t <- system.time(fit_epochs(2L))
  steps <- 2 * n
  cat(sprintf("%-9s %7d parameters: %.2f ns/parameter/step (CPU %.2f)\n",
              paste(hidden, collapse = "-"), P,
              1e9 * t[["elapsed"]] / (steps * P),
              1e9 * (t[["user.self"]] + t[["sys.self"]]) / (steps * P)))
}
