# Training: the seed question, classification, regression uncertainty.

test_that("the seed question's setup trains without NaN", {
  set.seed(2021)
  x <- matrix(stats::rnorm(300), 100, 3)
  y <- stats::rbinom(100, 1, 0.6)
  fit <- bbb_fit(x, y, hidden = 32, n_samples = 2, batch_size = 100,
                 epochs = 500, verbose = FALSE)
  expect_equal(fit$family, "binomial")
  expect_equal(nrow(fit$trace), 500)
  expect_true(all(is.finite(as.matrix(fit$trace))))
  expect_true(all(is.finite(unlist(fit$params))))
  # The ELBO improves on its start.
  expect_gt(mean(utils::tail(fit$trace$elbo, 50)),
            mean(utils::head(fit$trace$elbo, 5)))
  p <- predict(fit, x)
  expect_true(all(p > 0 & p < 1))
})

test_that("a learnable classification problem reaches high accuracy", {
  set.seed(3)
  make <- function(n) {
    x <- matrix(stats::runif(2 * n, -1, 1), n, 2)
    y <- factor(ifelse(rowSums(x^2) < 0.5, "in", "out"))
    data.frame(x1 = x[, 1], x2 = x[, 2], y = y)
  }
  train <- make(600)
  test <- make(400)
  fit <- bbb_fit(y ~ x1 + x2, data = train, hidden = 32, verbose = FALSE)
  acc <- mean(predict(fit, test, type = "class") == test$y)
  expect_gt(acc, 0.93)
})

test_that("three classes: multinomial accuracy on iris", {
  set.seed(4)
  idx <- sample(150, 100)
  fit <- bbb_fit(Species ~ ., data = iris[idx, ], hidden = 16,
                 verbose = FALSE)
  acc <- mean(predict(fit, iris[-idx, ], type = "class") ==
                iris$Species[-idx])
  expect_gt(acc, 0.9)
  pr <- predict(fit, iris[-idx, ])
  expect_equal(dim(pr), c(50L, 3L))
  expect_equal(unname(rowSums(pr)), rep(1, 50), tolerance = 1e-12)
})

test_that("prediction intervals cover and widen outside the data", {
  set.seed(42)
  train <- curve_data(300)
  test <- curve_data(1000)
  fit <- bbb_fit(y ~ x, data = train, hidden = c(32, 32), verbose = FALSE)
  p <- predict(fit, test, interval = "prediction", nsamples = 1000)
  coverage <- mean(test$y >= p[, "lwr"] & test$y <= p[, "upr"])
  expect_gt(coverage, 0.9)
  expect_lt(coverage, 0.99)
  sd_at <- function(x) {
    stats::sd(predict(fit, data.frame(x = x), type = "samples")[, 1])
  }
  expect_gt(sd_at(1.0), 4 * sd_at(0.25))
  # Credible intervals (mean function) are narrower than prediction ones.
  cr <- predict(fit, test[1:50, ], interval = "credible", nsamples = 1000)
  expect_true(all(cr[, "upr"] - cr[, "lwr"] < p[1:50, "upr"] -
                    p[1:50, "lwr"]))
})

test_that("poisson regression recovers a log-linear rate", {
  set.seed(6)
  x <- matrix(stats::runif(800, -1, 1), 400, 2)
  y <- stats::rpois(400, exp(1 + x[, 1] - x[, 2]))
  fit <- bbb_fit(x, y, family = "poisson", hidden = integer(0),
                 verbose = FALSE)
  expect_equal(fit$family, "poisson")
  rate <- predict(fit, x)
  expect_gt(stats::cor(rate, exp(1 + x[, 1] - x[, 2])), 0.97)
})

test_that("all optimizers, weightings and estimators train", {
  set.seed(8)
  x <- matrix(stats::rnorm(400), 200, 2)
  y <- x[, 1] - x[, 2] + stats::rnorm(200, sd = 0.2)
  settings <- list(
    list(optimizer = "sgd", lr = 0.01),
    list(kl_weighting = "blundell"),
    list(prior = prior_gaussian(), estimator = "local"),
    list(activation = "tanh", n_samples = 3L),
    list(noise_sd = 0.2)
  )
  for (s in settings) {
    fit <- do.call(bbb_fit, c(list(x, y, hidden = 8, epochs = 200,
                                   batch_size = 32, verbose = FALSE), s))
    r <- y - predict(fit, x)
    expect_lt(sqrt(mean(r^2)), 0.5)
  }
  expect_equal(sigma(fit), 0.2)
})

test_that("a held-out validation fraction is reported per epoch", {
  set.seed(9)
  x <- matrix(stats::rnorm(200), 100, 2)
  y <- x[, 1] + stats::rnorm(100, sd = 0.1)
  fit <- bbb_fit(x, y, hidden = 4, epochs = 20, validation = 0.2,
                 verbose = FALSE)
  expect_equal(fit$n_train, 80)
  expect_true(all(is.finite(fit$trace$val_nlpd)))
  expect_lt(utils::tail(fit$trace$val_nlpd, 1), fit$trace$val_nlpd[1])
})

test_that("a diverging fit stops with an error, or restores", {
  set.seed(10)
  x <- matrix(stats::rnorm(200), 100, 2)
  y <- stats::rpois(100, 5)
  expect_error(
    bbb_fit(x, y, family = "poisson", lr = 1e6, epochs = 50,
            verbose = FALSE),
    "non-finite in epoch"
  )
  for (precision in c("double", "single")) {
    set.seed(11)
    expect_warning(
      fit <- bbb_fit(x, y, family = "poisson", lr = 1e6, epochs = 50,
                     precision = precision, on_nonfinite = "restore",
                     verbose = FALSE),
      "non-finite"
    )
    expect_true(all(is.finite(unlist(fit$params))))
    # It is the fit as it was after the last finite epoch.
    done <- nrow(fit$trace)
    if (done > 0) {
      set.seed(11)
      before <- bbb_fit(x, y, family = "poisson", lr = 1e6, epochs = done,
                        precision = precision, verbose = FALSE)
      expect_identical(before$params, fit$params, label = precision)
    }
    # Its predictions are finite, or refused with a clear error.
    p <- tryCatch(predict(fit, x), error = function(e) e)
    if (inherits(p, "error")) {
      expect_match(conditionMessage(p), "non-finite")
    } else {
      expect_true(all(is.finite(p)))
    }
  }
})

test_that("single precision trains to the same fit as double", {
  set.seed(11)
  x <- matrix(stats::rnorm(2000), 400, 5)
  y <- factor(1 + (x[, 1] > 0) + (x[, 2] > 0.5))
  fits <- lapply(c("double", "single"), function(p) {
    set.seed(12)
    bbb_fit(x, y, hidden = c(16, 16), epochs = 30, precision = p,
            verbose = FALSE)
  })
  expect_equal(fits[[2]]$control$precision, "single")
  # Same draws (both engines draw their noise in float), float rounding
  # only: the first epochs agree closely (later the paths drift apart, as
  # any two rounding paths of SGD do).
  expect_equal(fits[[1]]$trace$nll[1:3], fits[[2]]$trace$nll[1:3],
               tolerance = 1e-4)
  acc <- vapply(fits, function(f) mean(predict(f, x, type = "class") == y),
                0)
  # both learn the classes (chance is 0.33-0.5), to within rounding
  expect_gt(min(acc), 0.8)
  expect_lt(abs(acc[1] - acc[2]), 0.03)
})

test_that("single precision gathers large minibatches from a row copy", {
  set.seed(13)
  # 257 columns and batches of 125 rows: the gather's blocks of 4 x 4 and
  # the rows and columns beyond them
  x <- matrix(stats::rnorm(4096 * 257, 3, 2), 4096, 257)
  y <- x[, 1] - x[, 2] + stats::rnorm(4096)
  # The copy: (x - center) / scale in float, row by row.
  center <- colMeans(x)
  scale <- apply(x, 2, stats::sd)
  rows <- .Call(bbb:::C_bbb_design_rows, x, center, scale)
  back <- matrix(readBin(rows, "double", size = 4, n = length(x)),
                 nrow(x), byrow = TRUE)
  # each value is the double (x - center) * (1 / scale) rounded to float
  as_float <- function(v) {
    readBin(writeBin(as.vector(v), raw(), size = 4), "double", size = 4,
            n = length(v))
  }
  expect_identical(back, matrix(as_float(sweep(sweep(x, 2, center), 2,
                                               1 / scale, "*")), nrow(x)))
  expect_error(.Call(bbb:::C_bbb_design_rows, x, center, -scale),
               "positive")
  # A fit that gathers from the copy is the fit that gathers from x, on
  # one thread or two.
  fit_with <- function(copy, threads) {
    old <- options(bbb.row_copy = copy)
    on.exit(options(old))
    set.seed(14)
    bbb_fit(x, y, hidden = 8, epochs = 2, batch_size = 125,
            precision = "single", threads = threads, verbose = FALSE)
  }
  ref <- fit_with(FALSE, 1L)
  expect_false(is.null(bbb:::design_rows(ref, x)))
  for (threads in 1:2) {
    fit <- fit_with(TRUE, threads)
    expect_identical(fit$params, ref$params)
    expect_identical(fit$trace, ref$trace)
  }
})
