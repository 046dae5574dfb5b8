# Shapes and meaning of predict() outputs.

test_that("predict returns the documented shapes", {
  set.seed(1)
  x <- matrix(stats::rnorm(60), 30, 2)
  y <- x[, 1] + stats::rnorm(30)
  fit <- bbb_fit(x, y, hidden = 4, epochs = 5, verbose = FALSE)
  expect_length(predict(fit, x), 30)
  expect_equal(dim(predict(fit, x, type = "samples", nsamples = 7)),
               c(7L, 30L))
  expect_equal(dim(predict(fit, x, type = "predictive", nsamples = 7)),
               c(7L, 30L))
  ci <- predict(fit, x, interval = "credible")
  expect_equal(colnames(ci), c("fit", "lwr", "upr"))
  expect_true(all(ci[, "lwr"] <= ci[, "fit"] & ci[, "fit"] <= ci[, "upr"]))
  expect_length(fitted(fit), 30)
  expect_length(residuals(fit), 30)

  fm <- bbb_fit(Species ~ ., data = iris, hidden = 4, epochs = 5,
                verbose = FALSE)
  s <- predict(fm, iris[1:5, ], type = "samples", nsamples = 9)
  expect_equal(dim(s), c(9L, 5L, 3L))
  expect_equal(unname(apply(s, c(1, 2), sum)), matrix(1, 9, 5),
               tolerance = 1e-12)
  expect_equal(dimnames(s)[[3]], levels(iris$Species))
  expect_s3_class(predict(fm, iris[1:5, ], type = "class"), "factor")
  ci <- predict(fm, iris[1:5, ], interval = "credible")
  expect_equal(dim(ci), c(5L, 3L, 3L))
  pd <- predict(fm, iris[1:5, ], type = "predictive", nsamples = 4)
  expect_true(all(pd %in% 1:3))
})

test_that("posterior means agree with the mean of the draws", {
  set.seed(2)
  x <- matrix(stats::rnorm(40), 20, 2)
  y <- stats::rbinom(20, 1, 0.5)
  fit <- bbb_fit(x, y, hidden = 3, epochs = 5, verbose = FALSE)
  set.seed(3)
  m <- predict(fit, x, nsamples = 50)
  set.seed(3)
  s <- predict(fit, x, type = "samples", nsamples = 50)
  expect_equal(unname(m), colMeans(s))
})

test_that("column quantiles agree with stats::quantile", {
  set.seed(4)
  m <- matrix(stats::rnorm(1000), 100, 10)
  q <- bbb:::col_quantiles(m, c(0.025, 0.5, 0.975))
  ref <- apply(m, 2, stats::quantile, c(0.025, 0.5, 0.975), names = FALSE)
  expect_equal(q, ref)
})

test_that("predictive draws follow the likelihood", {
  set.seed(5)
  x <- matrix(stats::rnorm(200), 100, 2)
  y <- 3 + stats::rnorm(100, sd = 2)
  fit <- bbb_fit(x, y, hidden = integer(0), noise_sd = 2, epochs = 100,
                 verbose = FALSE)
  d <- predict(fit, x[1:2, ], type = "predictive", nsamples = 4000)
  expect_equal(stats::sd(d[, 1]), 2, tolerance = 0.1)
})
