# bbb_evaluate(): every metric against a direct computation from the draws
# that predict() returns under the same seed.

test_that("gaussian metrics match a computation by hand", {
  set.seed(1)
  x <- matrix(stats::runif(80, -1, 1), 40, 2)
  y <- 5 + 10 * (x[, 1] - x[, 2]^2) + stats::rnorm(40)
  fit <- bbb_fit(x[1:30, ], y[1:30], hidden = 4, epochs = 30,
                 verbose = FALSE)
  xt <- x[31:40, ]
  yt <- y[31:40]
  set.seed(2)
  ev <- bbb_evaluate(fit, xt, yt, nsamples = 200)
  set.seed(2)
  mu <- predict(fit, xt, type = "samples", nsamples = 200)
  set.seed(2)
  yd <- predict(fit, xt, type = "predictive", nsamples = 200)

  s <- sigma(fit)
  ll <- vapply(seq_along(yt), function(i) {
    log(mean(stats::dnorm(yt[i], mu[, i], s)))
  }, 0)
  expect_s3_class(ev, "data.frame")
  expect_equal(nrow(ev), 1L)
  expect_equal(names(ev), c("n", "log_lik", "rmse", "coverage_50",
                            "coverage_90", "coverage_95"))
  expect_equal(ev$n, 10)
  expect_equal(ev$log_lik, mean(ll), tolerance = 1e-10)
  expect_equal(ev$rmse, sqrt(mean((yt - colMeans(mu))^2)),
               tolerance = 1e-12)
  for (level in c(0.5, 0.9, 0.95)) {
    q <- apply(yd, 2, stats::quantile, c((1 - level) / 2, (1 + level) / 2))
    cov <- mean(yt >= q[1, ] & yt <= q[2, ])
    expect_equal(ev[[paste0("coverage_", 100 * level)]], cov)
  }
})

test_that("the gaussian log density is on the original scale of y", {
  set.seed(3)
  x <- matrix(stats::rnorm(60), 30, 2)
  y <- x[, 1] + stats::rnorm(30, sd = 0.5)
  fit <- bbb_fit(x, y, hidden = 3, epochs = 10, verbose = FALSE)
  # the same fit, told that y was measured in units 100 times smaller
  big <- fit
  big$y_center <- 100 * fit$y_center
  big$y_scale <- 100 * fit$y_scale
  set.seed(4)
  e1 <- bbb_evaluate(fit, x, y, nsamples = 50)
  set.seed(4)
  e2 <- bbb_evaluate(big, x, 100 * y, nsamples = 50)
  expect_equal(e2$log_lik, e1$log_lik - log(100), tolerance = 1e-10)
  expect_equal(e2$rmse, 100 * e1$rmse, tolerance = 1e-10)
  expect_equal(e2$coverage_95, e1$coverage_95)
})

test_that("binomial metrics match a computation by hand", {
  set.seed(5)
  x <- matrix(stats::rnorm(100), 50, 2)
  y <- factor(ifelse(x[, 1] + stats::rnorm(50) > 0, "yes", "no"))
  fit <- bbb_fit(x[1:35, ], y[1:35], hidden = 3, epochs = 20,
                 verbose = FALSE)
  xt <- x[36:50, ]
  yt <- y[36:50]
  set.seed(6)
  ev <- bbb_evaluate(fit, xt, yt, nsamples = 100)
  set.seed(6)
  p <- predict(fit, xt, type = "samples", nsamples = 100)
  y01 <- as.numeric(yt == "yes")
  lik <- t(t(p) * y01 + t(1 - p) * (1 - y01))
  pm <- colMeans(p)
  expect_equal(names(ev), c("n", "log_lik", "accuracy", "brier"))
  expect_equal(ev$log_lik, mean(log(colMeans(lik))), tolerance = 1e-10)
  expect_equal(ev$accuracy, mean((pm > 0.5) == (y01 == 1)))
  expect_equal(ev$brier, mean((pm - y01)^2), tolerance = 1e-12)
  set.seed(6)
  cls <- predict(fit, xt, type = "class", nsamples = 100)
  expect_equal(ev$accuracy, mean(cls == yt))
})

test_that("multinomial metrics match a computation by hand", {
  set.seed(7)
  test <- seq(5, 150, by = 10)
  fit <- bbb_fit(Species ~ ., data = iris[-test, ], hidden = 4, epochs = 20,
                 verbose = FALSE)
  set.seed(8)
  ev <- bbb_evaluate(fit, iris[test, ], iris$Species[test], nsamples = 100)
  set.seed(8)
  p <- predict(fit, iris[test, ], type = "samples", nsamples = 100)
  k <- as.integer(iris$Species[test])
  lik <- vapply(seq_along(k), function(i) mean(p[, i, k[i]]), 0)
  pm <- apply(p, c(2, 3), mean)
  onehot <- outer(k, 1:3, "==") + 0
  expect_equal(ev$log_lik, mean(log(lik)), tolerance = 1e-10)
  expect_equal(ev$accuracy, mean(max.col(pm, "first") == k))
  expect_equal(ev$brier, mean(rowSums((pm - onehot)^2)), tolerance = 1e-12)
})

test_that("poisson metrics match a computation by hand", {
  set.seed(9)
  x <- matrix(stats::rnorm(80), 40, 2)
  y <- stats::rpois(40, exp(0.5 * x[, 1]))
  fit <- bbb_fit(x[1:30, ], y[1:30], hidden = 3, epochs = 20,
                 family = "poisson", verbose = FALSE)
  set.seed(10)
  ev <- bbb_evaluate(fit, x[31:40, ], y[31:40], nsamples = 100)
  set.seed(10)
  lam <- predict(fit, x[31:40, ], type = "samples", nsamples = 100)
  yt <- y[31:40]
  lik <- vapply(seq_along(yt), function(i) {
    mean(stats::dpois(yt[i], lam[, i]))
  }, 0)
  expect_equal(names(ev), c("n", "log_lik", "rmse"))
  expect_equal(ev$log_lik, mean(log(lik)), tolerance = 1e-10)
  expect_equal(ev$rmse, sqrt(mean((yt - colMeans(lam))^2)),
               tolerance = 1e-12)
})

test_that("large problems are scored in blocks with the same draws", {
  set.seed(11)
  n <- 4300  # 4300 rows x 1000 draws is beyond one block of 2^21
  x <- matrix(stats::rnorm(n))
  y <- x[, 1] + stats::rnorm(n, sd = 0.5)
  fit <- bbb_fit(x[1:200, , drop = FALSE], y[1:200], hidden = 2,
                 epochs = 20, verbose = FALSE)
  ev <- bbb_evaluate(fit, x, y, nsamples = 1000)
  ev1 <- bbb_evaluate(fit, x[1:2000, , drop = FALSE], y[1:2000],
                      nsamples = 1000)
  ev2 <- bbb_evaluate(fit, x[2001:n, , drop = FALSE], y[2001:n],
                      nsamples = 1000)
  expect_equal(ev$n, n)
  # every block sees the same weight draws (those of the fit's seed), so
  # the blocks do not change the weight-only metrics at all
  expect_equal(ev$log_lik, (2000 * ev1$log_lik + 2300 * ev2$log_lik) / n,
               tolerance = 1e-12)
  expect_equal(ev$rmse^2, (2000 * ev1$rmse^2 + 2300 * ev2$rmse^2) / n,
               tolerance = 1e-12)
  expect_true(all(is.finite(unlist(ev))))
  # and the same call gives the same numbers; another seed others
  expect_identical(bbb_evaluate(fit, x[1:50, , drop = FALSE], y[1:50],
                                nsamples = 100),
                   bbb_evaluate(fit, x[1:50, , drop = FALSE], y[1:50],
                                nsamples = 100))
  expect_false(identical(bbb_evaluate(fit, x[1:50, , drop = FALSE], y[1:50],
                                      nsamples = 100),
                         bbb_evaluate(fit, x[1:50, , drop = FALSE], y[1:50],
                                      nsamples = 100, seed = 5)))
})

test_that("other coverage levels and the print method work", {
  set.seed(12)
  x <- matrix(stats::rnorm(40), 20, 2)
  y <- x[, 1] + stats::rnorm(20)
  fit <- bbb_fit(x, y, hidden = 2, epochs = 5, verbose = FALSE)
  ev <- bbb_evaluate(fit, x, y, nsamples = 20, coverage = c(0.8, 0.999))
  expect_equal(names(ev)[4:5], c("coverage_80", "coverage_99.9"))
  expect_output(print(ev), "Held-out performance \\(gaussian, 20 posterior")
})

test_that("bbb_evaluate() rejects bad input with clear messages", {
  set.seed(13)
  x <- matrix(stats::rnorm(40), 20, 2)
  y <- x[, 1] + stats::rnorm(20)
  fit <- bbb_fit(x, y, hidden = 2, epochs = 5, verbose = FALSE)
  expect_error(bbb_evaluate(list(), x, y), "made by bbb_fit")
  expect_error(bbb_evaluate(fit, x), "`y` is missing")
  expect_error(bbb_evaluate(fit, x, y[-1]), "20 rows but `y` has 19")
  expect_error(bbb_evaluate(fit, x, factor(y > 0)), "numeric `y`")
  expect_error(bbb_evaluate(fit, x, y, nsamples = 0), "nsamples")
  expect_error(bbb_evaluate(fit, x, y, coverage = 1), "coverage")
  expect_error(bbb_evaluate(fit, x[, 1, drop = FALSE], y), "2 column")
})
