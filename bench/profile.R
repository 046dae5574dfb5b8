# One long bbb_fit() of a configuration of the speed comparison (the
# models of bbb_run.R), single precision, for a profiler:
#
#   perf record -F 4999 Rscript bench/profile.R a 200000   # steps of (a)
#   perf record -F 999 Rscript bench/profile.R c 3 2       # 3 epochs of (c),
#                                                          # 2 threads
#   perf report --no-children --sort symbol -g none
#
# Arguments: the configuration (a, b or c), the number of epochs (an epoch
# of (a) is one step) and optionally the threads (default 1). Prints the
# time per epoch. The data are made before the fit, and their share of the
# profile (R's rnorm, qnorm and unif_rand) is not the engine's.
args <- commandArgs(trailingOnly = TRUE)
config <- args[1]
epochs <- as.integer(args[2])
threads <- if (length(args) > 2) as.integer(args[3]) else 1L
suppressPackageStartupMessages(library(bbb))
set.seed(42)
spec <- switch(config,
  a = list(n = 100, p = 3, hidden = 32, family = "binomial", batch = 100,
           samples = 2),
  b = list(n = 10000, p = 8, hidden = 50, family = "gaussian", batch = 32,
           samples = 1),
  c = list(n = 60000, p = 784, hidden = c(400, 400), family = "multinomial",
           batch = 128, samples = 1))
x <- rnorm(spec$n * spec$p)
dim(x) <- c(spec$n, spec$p)
y <- switch(spec$family,
  binomial = rbinom(spec$n, 1, 0.6),
  gaussian = rnorm(spec$n),
  multinomial = factor(sample(0:9, spec$n, TRUE)))
took <- system.time(
  bbb_fit(x, y, hidden = spec$hidden, family = spec$family,
          prior = prior_mixture(), batch_size = spec$batch,
          n_samples = spec$samples, epochs = epochs, lr = 1e-3,
          rho_init = -5, standardize = FALSE, keep_data = FALSE,
          precision = "single", threads = threads, verbose = FALSE)
)[["elapsed"]]
cat(sprintf("%s: %d epoch(s), %.4g s an epoch\n", config, epochs,
            took / epochs))
