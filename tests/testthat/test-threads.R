# The engine's threads: results do not depend on the number of threads,
# whether each step runs on the threads asked for (BBB_THREADS_FIXED=1)
# or on a count that follows the load (the default: one thread for steps
# under a millisecond, trials of the other count), and the team of threads
# survives a fork.

with_fixed_threads <- function(code) {
  old <- Sys.getenv("BBB_THREADS_FIXED", NA)
  Sys.setenv(BBB_THREADS_FIXED = "1")
  on.exit(if (is.na(old)) Sys.unsetenv("BBB_THREADS_FIXED") else
    Sys.setenv(BBB_THREADS_FIXED = old))
  code
}

fit_threads <- function(x, y, threads, ...) {
  set.seed(9)
  bbb_fit(x, y, threads = threads, verbose = FALSE, ...)
}

test_that("fits on 1, 2 and 3 fixed threads are identical", {
  set.seed(8)
  x <- matrix(stats::rnorm(40000), 400, 100)
  y <- x[, 1] - x[, 2] + stats::rnorm(400)
  cases <- list(
    list(hidden = c(200, 60), epochs = 2),
    list(hidden = c(200, 60), epochs = 2, precision = "single"),
    list(hidden = 150, epochs = 2, prior = prior_gaussian(),
         estimator = "local"),
    list(hidden = 150, epochs = 2, n_samples = 2L, batch_size = 400)
  )
  for (case in cases) {
    fits <- with_fixed_threads(lapply(1:3, function(th) {
      do.call(fit_threads, c(list(x, y, th), case))
    }))
    expect_identical(fits[[2]]$params, fits[[1]]$params)
    expect_identical(fits[[3]]$params, fits[[1]]$params)
    expect_identical(fits[[2]]$trace, fits[[1]]$trace)
  }
})

test_that("a count that follows the load gives the fixed count's fit", {
  set.seed(10)
  x <- matrix(stats::rnorm(60000), 600, 100)
  y <- x[, 1] + stats::rnorm(600)
  fixed <- with_fixed_threads(fit_threads(x, y, 2L, hidden = c(300, 100),
                                          epochs = 3))
  free <- fit_threads(x, y, 2L, hidden = c(300, 100), epochs = 3)
  expect_identical(free$params, fixed$params)
})

test_that("the threads work in a forked child", {
  skip_on_os("windows")
  set.seed(11)
  x <- matrix(stats::rnorm(20000), 200, 100)
  y <- x[, 1] + stats::rnorm(200)
  parent <- with_fixed_threads(fit_threads(x, y, 2L, hidden = 100,
                                           epochs = 2))
  # the parent's workers are running; the child has none of them
  job <- parallel::mcparallel(
    with_fixed_threads(fit_threads(x, y, 2L, hidden = 100, epochs = 2)))
  child <- parallel::mccollect(job)[[1]]
  expect_identical(child$params, parent$params)
})
