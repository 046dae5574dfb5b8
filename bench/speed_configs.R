# The three configurations of the speed comparison (README.md; the models
# of torch_reference.py), shared by bbb_run.R and profile.R, which source
# this file from their own folder.

# Sizes, model and the bbb_fit() call's unit and epochs of a configuration.
speed_spec <- function(config) {
  switch(config,
    a = list(n = 100, p = 3, hidden = 32, family = "binomial",
             batch = 100, samples = 2, epochs = 20000, unit = "step"),
    b = list(n = 10000, p = 8, hidden = 50, family = "gaussian",
             batch = 32, samples = 1, epochs = 50, unit = "epoch"),
    c = list(n = 60000, p = 784, hidden = c(400, 400),
             family = "multinomial", batch = 128, samples = 1, epochs = 3,
             unit = "epoch"),
    stop("unknown configuration '", config, "': use a, b or c"))
}

# Random data of the configuration's size (fine for timing). x is made a
# matrix in place: no second copy.
speed_x <- function(spec) {
  x <- stats::rnorm(spec$n * spec$p)
  dim(x) <- c(spec$n, spec$p)
  x
}

speed_y <- function(spec) {
  switch(spec$family,
    binomial = stats::rbinom(spec$n, 1, 0.6),
    gaussian = stats::rnorm(spec$n),
    multinomial = factor(sample(0:9, spec$n, TRUE)))
}

speed_fit <- function(spec, x, y, epochs, precision, threads) {
  bbb::bbb_fit(x, y, hidden = spec$hidden, family = spec$family,
               prior = bbb::prior_mixture(), batch_size = spec$batch,
               n_samples = spec$samples, epochs = epochs, lr = 1e-3,
               rho_init = -5, standardize = FALSE, keep_data = FALSE,
               precision = precision, threads = threads, verbose = FALSE)
}
