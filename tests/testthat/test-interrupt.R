# What a user sees on Ctrl-C during a long fit: SIGINT is sent to a child R
# process in the middle of bbb_fit(). R turns SIGINT into an "interrupt"
# condition at the next R_CheckUserInterrupt() (the C engine checks after
# every minibatch); bbb's epoch loop catches it and returns the fit so far
# with a warning "Interrupted: ...". This holds in an R session (callr's
# r_session, like an interactive R: the session goes on afterwards) and in
# a non-interactive script (callr's r_bg, like Rscript: the script goes on;
# an interrupt that nobody catches would end it with "Execution halted").

# The problem is large enough (an epoch takes ~0.2 s, one engine call one
# or a few epochs) that nearly all the time is spent inside the C engine:
# an interrupt that lands in train_fit()'s R code between two engine calls
# (bookkeeping, validation, the progress bar) is not caught there and ends
# bbb_fit() without a fit, which on small problems happens to ~10% of
# interrupts (and most of them with `validation`).
#
# Runs in the child: announces the start of the fit through `flag`, fits
# for far longer than the test waits, and reports when bbb_fit() returned.
long_fit <- function(flag) {
  suppressPackageStartupMessages(library(bbb))
  set.seed(1)
  n <- 20000L
  x <- matrix(stats::rnorm(n * 10L), n)
  y <- sin(x[, 1]) + x[, 2] * x[, 3] + stats::rnorm(n, sd = 0.1)
  warn <- character()
  file.create(flag)
  fit <- withCallingHandlers(
    bbb_fit(x, y, hidden = c(64L, 64L), epochs = 100000L, verbose = FALSE),
    warning = function(w) {
      warn <<- c(warn, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  t_end <- as.numeric(Sys.time())
  assign("interrupted_fit", fit, envir = globalenv())
  list(t_end = t_end, warnings = warn, epochs = nrow(fit$trace),
       pred = predict(fit, x[1:5, ], interval = "credible"))
}

environment(long_fit) <- globalenv()

# How long the fit runs before the interrupt: long enough that an epoch has
# finished even where the engine is slow (under the sanitizers on a slow
# CPU the fit's set-up and first epoch took more than a second).
fit_running_for <- 3

wait_for_file <- function(path, seconds) {
  deadline <- Sys.time() + seconds
  while (!file.exists(path) && Sys.time() < deadline) Sys.sleep(0.05)
  file.exists(path)
}

expect_interrupted_fit <- function(res, t_signal) {
  expect_lt(res$t_end - t_signal, 1)
  expect_true(any(grepl("^Interrupted", res$warnings)),
              label = paste(res$warnings, collapse = "; "))
  expect_gt(res$epochs, 0)
  expect_true(all(is.finite(res$pred)))
}

test_that("an interrupted fit returns in an R session, which goes on", {
  skip_on_os("windows")
  skip_on_cran()
  skip_if_not_installed("callr")
  flag <- tempfile("bbb-fit-started-")
  rs <- callr::r_session$new(
    options = callr::r_session_options(libpath = .libPaths()))
  on.exit(rs$kill(), add = TRUE)
  rs$call(long_fit, list(flag))
  expect_true(wait_for_file(flag, 60))
  Sys.sleep(fit_running_for)
  t_signal <- as.numeric(Sys.time())
  rs$interrupt()
  state <- rs$poll_process(30000)
  expect_identical(state, "ready")
  if (state != "ready") return(invisible())
  msg <- rs$read()
  if (!is.null(msg$error)) {
    fail(paste("the interrupt escaped bbb_fit():",
               conditionMessage(msg$error)))
    return(invisible())
  }
  expect_interrupted_fit(msg$result, t_signal)
  # The session is usable and still has the fit.
  after <- rs$run(function() {
    p <- predict(interrupted_fit, matrix(0, 2, 10))
    list(finite = all(is.finite(p)), two = 1 + 1)
  })
  expect_identical(after, list(finite = TRUE, two = 2))
})

test_that("an interrupted fit returns in a non-interactive script", {
  skip_on_os("windows")
  skip_on_cran()
  skip_if_not_installed("callr")
  flag <- tempfile("bbb-fit-started-")
  p <- callr::r_bg(function(flag, long_fit) {
    res <- long_fit(flag)
    res$after <- 1 + 1
    res
  }, list(flag, long_fit), libpath = .libPaths())
  on.exit(p$kill(), add = TRUE)
  expect_true(wait_for_file(flag, 60))
  Sys.sleep(fit_running_for)
  t_signal <- as.numeric(Sys.time())
  p$interrupt()
  p$wait(30000)
  expect_false(p$is_alive())
  expect_identical(p$get_exit_status(), 0L)
  res <- tryCatch(p$get_result(), error = function(e) e)
  expect_false(inherits(res, "error"))
  if (inherits(res, "error")) return(invisible())
  expect_interrupted_fit(res, t_signal)
  expect_identical(res$after, 2)
})
