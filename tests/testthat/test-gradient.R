# Every analytic gradient of the engine against finite differences.

grid <- expand.grid(
  family = c("gaussian", "binomial", "multinomial", "poisson"),
  prior = c("mixture", "gaussian", "empirical Bayes"),
  activation = c("relu", "tanh", "sigmoid"),
  depth = 0:2, stringsAsFactors = FALSE
)
grid <- grid[grid$depth > 0 | grid$activation == "relu", ]

for (r in seq_len(nrow(grid))) {
  g <- grid[r, ]
  label <- sprintf("%s / %s prior / %s / %d hidden layer(s)", g$family,
                   g$prior, g$activation, g$depth)
  test_that(paste("gradient matches finite differences:", label), {
    set.seed(100 + r)
    x <- matrix(stats::rnorm(24), 8, 3)
    y <- family_response(g$family, x)
    prior <- switch(g$prior, mixture = prior_mixture(),
                    gaussian = prior_gaussian(0.8),
                    prior_gaussian())
    fit <- bbb_fit(x, y, hidden = rep(3L, g$depth), family = g$family,
                   activation = g$activation, prior = prior, epochs = 1,
                   batch_size = 8, verbose = FALSE)
    fit <- randomize_params(fit)
    expect_lt(fd_max_rel_error(fit, x, y), 1e-6)
  })
}

test_that("gradient matches finite differences on wide layers", {
  # Widths of 16 and more sum the bias gradients sixteen columns at once
  # (plus the columns left over), 40 rows pad the batch to 48, and 3 or 4
  # inputs make the first product a thin one (k <= 4) while 5 make it tiles
  # (tanh in the deeper case: relu's kinks, met by many units, would spoil
  # the finite differences).
  for (case in list(list(p = 3, hidden = 37, family = "binomial",
                         activation = "relu"),
                    list(p = 4, hidden = c(17, 16), family = "gaussian",
                         activation = "tanh"),
                    list(p = 5, hidden = 16, family = "multinomial",
                         activation = "relu"))) {
    set.seed(31)
    x <- matrix(stats::rnorm(40 * case$p), 40, case$p)
    y <- family_response(case$family, x)
    fit <- bbb_fit(x, y, hidden = case$hidden, family = case$family,
                   activation = case$activation, epochs = 1,
                   batch_size = 40, verbose = FALSE)
    fit <- randomize_params(fit)
    expect_lt(fd_max_rel_error(fit, x, y), 1e-6,
              label = paste(case$family, paste(case$hidden, collapse = "-")))
  }
})

test_that("local reparameterisation gradient matches finite differences", {
  for (family in c("gaussian", "binomial", "multinomial", "poisson")) {
    for (depth in 0:2) {
      set.seed(7 + depth)
      x <- matrix(stats::rnorm(24), 8, 3)
      y <- family_response(family, x)
      fit <- bbb_fit(x, y, hidden = rep(3L, depth), family = family,
                     activation = "tanh", prior = prior_gaussian(),
                     estimator = "local", epochs = 1, batch_size = 8,
                     verbose = FALSE)
      fit <- randomize_params(fit)
      expect_lt(fd_max_rel_error(fit, x, y), 1e-6, label = paste(family,
                                                                  depth))
    }
  }
})

test_that("empirical Bayes gradients match finite differences", {
  # The objective is profiled: its prior scales are re-optimised at every
  # evaluation, so the finite differences see them move with mu and rho.
  for (groups in c("network", "layer", "unit")) {
    for (est in c("weight", "local")) {
      set.seed(21)
      x <- matrix(stats::rnorm(24), 8, 3)
      y <- family_response("gaussian", x)
      fit <- bbb_fit(x, y, hidden = c(3, 2), estimator = est,
                     prior = prior_gaussian(groups = groups, shape = 2,
                                            guess = 0.7),
                     epochs = 1, batch_size = 8, verbose = FALSE)
      fit <- randomize_params(fit)
      expect_lt(fd_max_rel_error(fit, x, y), 1e-6,
                label = paste(groups, est))
    }
  }
})

test_that("heteroscedastic gradients match finite differences", {
  for (prior in list(prior_gaussian(), prior_mixture())) {
    set.seed(22)
    x <- matrix(stats::rnorm(24), 8, 3)
    y <- family_response("gaussian", x)
    fit <- bbb_fit(x, y, hidden = 3, heteroscedastic = TRUE, prior = prior,
                   epochs = 1, batch_size = 8, verbose = FALSE)
    fit <- randomize_params(fit)
    expect_lt(fd_max_rel_error(fit, x, y), 1e-6, label = format(prior))
  }
})

test_that("the gradient is stable for extreme rho", {
  set.seed(3)
  x <- matrix(stats::rnorm(20), 10, 2)
  y <- stats::rnorm(10)
  fit <- bbb_fit(x, y, hidden = 2, epochs = 1, verbose = FALSE)
  for (rho in c(-710, -100, -40, -20, 15)) {
    f <- fit
    f$params <- lapply(f$params, function(p) {
      p$w_rho[] <- rho
      p$b_rho[] <- rho
      p
    })
    g <- bbb_gradient(f, x, y)
    expect_true(is.finite(g$value))
    expect_true(all(is.finite(unlist(g$gradient))))
    # As rho -> -Inf, d/drho of -log sigma tends to -sigmoid/sigma -> -1,
    # also where sigma itself underflows to 0 (rho -710).
    if (rho <= -40) {
      expect_equal(unname(g$gradient[[1]]$w_rho[1]), -1, tolerance = 1e-6)
    }
  }
})

test_that("bbb_gradient reports the KL term and data term separately", {
  set.seed(5)
  x <- matrix(stats::rnorm(20), 10, 2)
  y <- stats::rnorm(10)
  fit <- bbb_fit(x, y, hidden = 2, prior = prior_gaussian(1), epochs = 1,
                 verbose = FALSE)
  g <- bbb_gradient(fit, x, y)
  expect_equal(g$value, g$nll + g$kl)
  # The closed-form KL of N(mu, sigma^2) to N(0, 1), summed.
  mu <- unlist(lapply(fit$params, function(p) c(p$w_mu, p$b_mu)))
  s <- log1p(exp(unlist(lapply(fit$params, function(p) c(p$w_rho,
                                                          p$b_rho)))))
  expect_equal(g$kl, sum(-log(s) + (s^2 + mu^2) / 2 - 0.5))
})
