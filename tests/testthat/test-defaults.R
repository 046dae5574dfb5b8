# Fits with the defaults: what bbb_fit(y ~ ., data) does with nothing else
# given. Fixed seeds; the tolerances fail if the feature breaks (the noise
# sd is off by more than 15%, the mean misses the function, a network
# collapses onto its prior).

simulated <- function(n, sd = 0.3) {
  x1 <- stats::runif(n, -2, 2)
  x2 <- stats::runif(n, -2, 2)
  f <- sin(2 * x1) + 0.5 * x2^2
  data.frame(x1 = x1, x2 = x2, f = f, y = f + stats::rnorm(n, sd = sd))
}

test_that("the default fit learns the noise sd and the mean function", {
  set.seed(1)
  train <- simulated(600)
  test <- simulated(2000)
  fit <- bbb_fit(y ~ x1 + x2, data = train, verbose = FALSE)
  expect_true(isTRUE(fit$converged))
  # the true noise sd is 0.3
  expect_lt(abs(sigma(fit) / 0.3 - 1), 0.15)
  # the posterior mean is close to the true function: its error is a
  # fraction of the noise, and far below that of a linear model
  mean_fn <- predict(fit, test)
  err <- sqrt(mean((mean_fn - test$f)^2))
  expect_lt(err, 0.12)
  lm_err <- sqrt(mean((stats::predict(stats::lm(y ~ x1 + x2, train), test) -
                         test$f)^2))
  expect_lt(err, lm_err / 4)
  # calibrated prediction intervals on new data
  ev <- bbb_evaluate(fit, test, test$y, coverage = c(0.5, 0.95))
  expect_gt(ev$coverage_95, 0.92)
  expect_lt(ev$coverage_95, 0.98)
  expect_gt(ev$coverage_50, 0.44)
  expect_lt(ev$coverage_50, 0.56)
})

test_that("a small data set with a short last minibatch is fitted", {
  # 133 rows: minibatches of 128 and 5; the short one's KL share is its
  # rows' (with 1/M it pulled the fit flat: RMSE 45, near sd(accel) 48)
  set.seed(1)
  d <- MASS::mcycle
  fit <- bbb_fit(accel ~ times, data = d, verbose = FALSE)
  rmse <- sqrt(mean((d$accel - predict(fit, d))^2))
  lm_rmse <- sqrt(mean(stats::residuals(stats::lm(accel ~ times, d))^2))
  expect_lt(rmse, 0.75 * lm_rmse)
})

test_that("a default classifier does not collapse onto its prior", {
  set.seed(11)
  x <- matrix(stats::rnorm(2000), 400, 5)
  y <- factor(1 + (x[, 1] > 0) + (x[, 2] > 0.5))
  set.seed(12)
  fit <- bbb_fit(x, y, hidden = c(16, 16), verbose = FALSE)
  expect_gt(mean(predict(fit, x, type = "class") == y), 0.9)
  # the held-out log loss beats the multinomial regression's
  set.seed(13)
  xt <- matrix(stats::rnorm(5000), 1000, 5)
  yt <- factor(1 + (xt[, 1] > 0) + (xt[, 2] > 0.5))
  ev <- bbb_evaluate(fit, xt, yt)
  mn <- nnet::multinom(y ~ ., data = data.frame(x, y = y), trace = FALSE)
  p <- stats::predict(mn, data.frame(xt), type = "probs")
  expect_lt(-ev$log_lik, -mean(log(p[cbind(seq_along(yt), as.integer(yt))])))
})

test_that("training to convergence is reproducible and warns at its cap", {
  set.seed(2)
  d <- simulated(200)
  fits <- lapply(1:2, function(i) {
    set.seed(3)
    bbb_fit(y ~ x1 + x2, data = d, hidden = 8, verbose = FALSE)
  })
  expect_identical(fits[[1]]$params, fits[[2]]$params)
  expect_identical(fits[[1]]$trace, fits[[2]]$trace)
  set.seed(3)
  expect_warning(short <- bbb_fit(y ~ x1 + x2, data = d, hidden = 8,
                                  max_epochs = 30, verbose = FALSE),
                 "still improving.*bbb_continue")
  expect_false(short$converged)
  expect_equal(nrow(short$trace), 30)
})
