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
  # Wide batches (128 x 200 values) are gathered by all threads.
  x <- matrix(stats::rnorm(60000), 300, 200)
  y <- x[, 1] + stats::rnorm(300)
  fits <- lapply(1:2, function(th) {
    set.seed(4)
    bbb_fit(x, y, hidden = 8, epochs = 2, threads = th, verbose = FALSE)
  })
  expect_identical(fits[[1]]$params, fits[[2]]$params)
  expect_identical(fits[[1]]$trace, fits[[2]]$trace)
  # Large products (128 x 200 x 300 and more) are shared by the threads,
  # column block by column block, in both precisions and both estimators.
  x <- matrix(stats::rnorm(60000), 300, 200)
  y <- x[, 1] + stats::rnorm(300)
  for (precision in c("double", "single")) for (estimator in c("weight", "local")) {
    fits <- lapply(1:2, function(th) {
      set.seed(6)
      bbb_fit(x, y, hidden = c(300, 100), epochs = 2, threads = th,
              precision = precision, estimator = estimator,
              prior = if (estimator == "local") prior_gaussian() else
                prior_mixture(), verbose = FALSE)
    })
    expect_identical(fits[[1]]$params, fits[[2]]$params)
    expect_identical(fits[[1]]$trace, fits[[2]]$trace)
  }
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
  u1 <- bbb_continue(fit, epochs = 3, verbose = FALSE)
  set.seed(7)
  u2 <- bbb_continue(back, epochs = 3, verbose = FALSE)
  expect_identical(u1$params, u2$params)
})

test_that("bbb_continue() continues training where the fit stopped", {
  set.seed(8)
  x <- matrix(stats::rnorm(100), 50, 2)
  y <- x[, 1] + stats::rnorm(50, sd = 0.1)
  set.seed(9)
  whole <- bbb_fit(x, y, hidden = 3, epochs = 20, batch_size = 10,
                   verbose = FALSE)
  set.seed(9)
  half <- bbb_fit(x, y, hidden = 3, epochs = 10, batch_size = 10,
                  verbose = FALSE)
  more <- bbb_continue(half, epochs = 10, verbose = FALSE)
  expect_equal(nrow(more$trace), 20)
  expect_equal(more$trace$epoch, 1:20)
  expect_equal(more$opt_state$t, whole$opt_state$t)
  # New data on the original scale can be given too.
  more2 <- bbb_continue(half, epochs = 2, x = x[1:30, ], y = y[1:30],
                        verbose = FALSE)
  expect_equal(nrow(more2$trace), 12)
  # A new learning rate is used and kept: Adam moves each parameter by
  # about lr a step, so 1e-12 leaves the means where they were.
  slow <- bbb_continue(half, epochs = 1, lr = 1e-12, verbose = FALSE)
  expect_equal(slow$control$lr, 1e-12)
  moved <- function(f) max(abs(unlist(coef(f)) - unlist(coef(half))))
  expect_lt(moved(slow), 1e-10)
  expect_gt(moved(bbb_continue(half, epochs = 1, verbose = FALSE)), 1e-4)
})

test_that("splitting the epochs into engine calls does not change a fit", {
  # bbb_fit() sizes its calls into the engine by timing; the result must not
  # depend on that, to the last bit: every state that crosses a call (sigma
  # above all) must be computed as it is within a call. A network wide
  # enough for the vector loops of the parameter passes, in every variant
  # of those passes.
  set.seed(9)
  x <- matrix(stats::rnorm(1300), 100, 13)
  y <- x[, 1] + stats::rnorm(100)
  variants <- list(
    list(precision = "double"),
    list(precision = "double", n_samples = 2L),
    list(precision = "double", prior = prior_gaussian(), estimator = "local"),
    list(precision = "single"),
    list(precision = "single", prior = prior_gaussian(), n_samples = 2L)
  )
  for (v in variants) {
    fit <- do.call(bbb_fit, c(list(x, y, hidden = 50, epochs = 1,
                                   batch_size = 32, verbose = FALSE), v))
    spec <- bbb:::net_spec(fit)
    ctrl <- bbb:::engine_control(fit)
    theta <- bbb:::get_theta(fit)
    zero <- 0 * theta
    run <- function(th, m, v, t, epochs, state) {
      ctrl$epochs <- as.integer(epochs)
      .Call(bbb:::C_bbb_train, spec, th, m, v, t, fit$data$x, fit$data$y,
            ctrl, state)
    }
    set.seed(10)
    once <- run(theta, zero, zero, 0, 30, NULL)
    set.seed(10)
    a <- run(theta, zero, zero, 0, 1, NULL)
    for (epochs in c(rep(1, 25), 4)) a <- run(a$theta, a$m, a$v, a$t,
                                              epochs, a$rng_state)
    label <- paste(names(v), vapply(v, format, ""), collapse = ", ")
    expect_identical(a$theta, once$theta, label = label)
    expect_identical(a$m, once$m, label = label)
    expect_identical(a$rng_state, once$rng_state, label = label)
  }
})

test_that("training leaves the BLAS thread count as it was", {
  # The engine makes OpenBLAS single-threaded while it runs its own
  # threads, and must put the count back, also after an error.
  get <- function() .Call(bbb:::C_bbb_blas_threads)
  skip_if(get() == 0L, "the BLAS is not OpenBLAS")
  before <- get()
  set.seed(1)
  x <- matrix(stats::rnorm(200), 100, 2)
  fit <- bbb_fit(x, x[, 1], hidden = 3, epochs = 2, verbose = FALSE)
  expect_equal(get(), before)
  expect_error(bbb_fit(x, x[, 1], family = "poisson", lr = 1e6, epochs = 50,
                       verbose = FALSE))
  expect_equal(get(), before)
  # Prediction too.
  invisible(predict(fit, x, nsamples = 20))
  expect_equal(get(), before)
})

test_that("predictions do not depend on the number of threads", {
  set.seed(12)
  x <- matrix(stats::rnorm(600), 300, 2)
  fit <- bbb_fit(x, x[, 1]^2, hidden = 8, epochs = 5, verbose = FALSE)
  draws <- lapply(1:2, function(th) {
    fit$control$threads <- th
    set.seed(13)
    predict(fit, x, type = "samples", nsamples = 200, seed = NULL)
  })
  expect_identical(draws[[1]], draws[[2]])
  # the `threads` argument of predict(), with the fit's seed
  means <- lapply(1:2, function(th) {
    predict(fit, x, interval = "prediction", nsamples = 300, threads = th)
  })
  expect_identical(means[[1]], means[[2]])
})
