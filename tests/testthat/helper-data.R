# Data generators shared by the tests.

# The regression curve of Blundell et al. (2015), section 5.2.
curve_data <- function(n, lo = 0, hi = 0.5) {
  x <- stats::runif(n, lo, hi)
  e <- stats::rnorm(n, 0, 0.02)
  y <- x + 0.3 * sin(2 * pi * (x + e)) + 0.3 * sin(4 * pi * (x + e)) + e
  data.frame(x = x, y = y)
}

# A response of each family for inputs x (n x p).
family_response <- function(family, x, k = 3L) {
  n <- nrow(x)
  lin <- x[, 1] - 0.5 * x[, ncol(x)]
  switch(family,
    gaussian = lin + stats::rnorm(n, sd = 0.3),
    binomial = as.numeric(lin + stats::rnorm(n, sd = 0.3) > 0),
    poisson = stats::rpois(n, exp(0.5 * lin)),
    multinomial = factor(1L + (seq_len(n) %% k), levels = seq_len(k))
  )
}

# Replaces every mu and rho of a fit by random values, so that gradient
# checks visit both branches of softplus and weights far from zero.
randomize_params <- function(fit) {
  fit$params <- lapply(fit$params, function(p) {
    p$w_mu[] <- stats::rnorm(length(p$w_mu), 0, 0.7)
    p$b_mu[] <- stats::rnorm(length(p$b_mu), 0, 0.3)
    p$w_rho[] <- stats::runif(length(p$w_rho), -4, 1)
    p$b_rho[] <- stats::runif(length(p$b_rho), -4, 1)
    p
  })
  fit
}
