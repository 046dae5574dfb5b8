# set.seed() reproduces fits and predictions; saving keeps them.

test_that("the same seed gives the same fit and predictions", {
  x <- matrix(stats::rnorm(300), 100, 3)
  y <- x[, 1] + stats::rnorm(100)
  fit_once <- function() {
    set.seed(1)
    fit <- bbb_fit(x, y, hidden = c(8, 4), epochs = 30, verbose = FALSE)
    list(fit = fit, pred = predict(fit, x, type = "samples", nsamples = 20))
  }
  a <- fit_once()
  b <- fit_once()
  expect_identical(a$fit$params, b$fit$params)
  expect_identical(a$fit$trace, b$fit$trace)
  expect_identical(a$pred, b$pred)
  set.seed(2)
  c <- bbb_fit(x, y, hidden = c(8, 4), epochs = 30, verbose = FALSE)
  expect_false(identical(a$fit$params, c$params))
})

test_that("results do not depend on the number of threads", {
  set.seed(3)
  x <- matrix(stats::rnorm(2000), 200, 10)
  y <- x[, 1] + stats::rnorm(200)
  fits <- lapply(1:2, function(th) {
    set.seed(4)
    bbb_fit(x, y, hidden = c(300, 40), epochs = 3, threads = th,
            verbose = FALSE)
  })
  expect_identical(fits[[1]]$params, fits[[2]]$params)
})

test_that("saveRDS round trip predicts identically", {
  set.seed(5)
  fit <- bbb_fit(Species ~ ., data = iris, hidden = 4, epochs = 10,
                 verbose = FALSE)
  path <- tempfile(fileext = ".rds")
  saveRDS(fit, path)
  back <- readRDS(path)
  set.seed(6)
  p1 <- predict(fit, iris, type = "samples", nsamples = 10)
  set.seed(6)
  p2 <- predict(back, iris, type = "samples", nsamples = 10)
  expect_identical(p1, p2)
  set.seed(7)
  u1 <- update(fit, epochs = 3, verbose = FALSE)
  set.seed(7)
  u2 <- update(back, epochs = 3, verbose = FALSE)
  expect_identical(u1$params, u2$params)
})

test_that("update() continues training where the fit stopped", {
  set.seed(8)
  x <- matrix(stats::rnorm(100), 50, 2)
  y <- x[, 1] + stats::rnorm(50, sd = 0.1)
  set.seed(9)
  whole <- bbb_fit(x, y, hidden = 3, epochs = 20, batch_size = 10,
                   verbose = FALSE)
  set.seed(9)
  half <- bbb_fit(x, y, hidden = 3, epochs = 10, batch_size = 10,
                  verbose = FALSE)
  more <- update(half, epochs = 10, verbose = FALSE)
  expect_equal(nrow(more$trace), 20)
  expect_equal(more$trace$epoch, 1:20)
  expect_equal(more$opt_state$t, whole$opt_state$t)
  # New data on the original scale can be given too.
  more2 <- update(half, epochs = 2, x = x[1:30, ], y = y[1:30],
                  verbose = FALSE)
  expect_equal(nrow(more2$trace), 12)
})
