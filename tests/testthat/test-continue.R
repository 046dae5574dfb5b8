# bbb_continue() (training further) and the progress line.

test_that("bbb_continue() trains on new data and keeps it", {
  set.seed(40)
  x <- matrix(stats::rnorm(120), 60, 2)
  y <- x[, 1] + stats::rnorm(60, sd = 0.2)
  fit <- bbb_fit(x, y, hidden = 3, epochs = 4, batch_size = 20,
                 verbose = FALSE)
  more <- bbb_continue(fit, epochs = 2, x = x[1:40, ], y = y[1:40],
                       verbose = FALSE)
  expect_equal(more$trace$epoch, 1:6)
  expect_equal(nobs(more), 40L)
  expect_length(fitted(more, nsamples = 10), 40L)
  # the seed of predictions stays with the fit
  expect_identical(more$seed, fit$seed)
  # a fit without its data keeps none
  bare <- bbb_fit(x, y, hidden = 3, epochs = 2, keep_data = FALSE,
                  verbose = FALSE)
  expect_error(bbb_continue(bare, epochs = 1, verbose = FALSE), "keep_data",
               class = "bbb_error")
  again <- bbb_continue(bare, epochs = 1, x = x, y = y, verbose = FALSE)
  expect_null(again$data)
  expect_error(bbb_continue(fit, epochs = 1, x = x), "both",
               class = "bbb_error")
})

test_that("update() is stats::update(): it refits, it does not continue", {
  set.seed(41)
  x <- matrix(stats::rnorm(120), 60, 2)
  y <- x[, 1] + stats::rnorm(60, sd = 0.2)
  fit <- bbb_fit(x, y, hidden = 3, epochs = 4, verbose = FALSE)
  refit <- update(fit, epochs = 2)
  expect_equal(refit$trace$epoch, 1:2)
  expect_identical(refit$call$epochs, 2)
})

test_that("the progress line fits in 80 columns", {
  # wide numbers: a five-digit epoch count and an ELBO in e-notation
  old <- options(cli.progress_show_after = 0, cli.dynamic = FALSE,
                 cli.width = 80)
  on.exit(options(old), add = TRUE)
  x <- matrix(c(1, 2, 3, 4), 2, 2)
  y <- c(-1e9, 1e9)
  lines <- utils::capture.output(
    fit <- bbb_fit(x, y, hidden = 2, epochs = 12000, standardize = FALSE,
                   noise_sd = 1, verbose = TRUE),
    type = "message")
  lines <- lines[nzchar(lines)]
  expect_gt(length(lines), 0)
  expect_true(all(grepl("12000/12000|/12000", lines)))
  expect_true(any(grepl("ELBO -[0-9.]+e\\+", lines)))
  expect_true(all(nchar(lines) <= 80), label = paste(lines, collapse = "\n"))
})
