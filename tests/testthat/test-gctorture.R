# Under gctorture(TRUE) R collects garbage at every allocation, so an object
# that the C code forgot to PROTECT is freed (and its memory reused) at the
# next allocation: the result then differs from a normal run, or R crashes.
#
# The .Call invocations that bbb's own R code makes for a tiny fit, its
# prediction and bbb_gradient() are recorded (on copies of the package's
# functions whose `.Call` keeps its arguments), then each is replayed twice
# with the same seed, normally and under torture, and the results must be
# identical. Torture is on only around the replayed calls: every allocation
# then costs a full collection, and the R code around them (bbb_fit(),
# predict()) would take minutes.

# Runs each function of the list `phases` on `shadow`, which holds copies of
# bbb's functions whose .Call records each call; returns the calls (phase,
# name, symbol, args).
record_calls <- function(phases) {
  ns <- asNamespace("bbb")
  calls <- list()
  phase <- ""
  shadow <- new.env(parent = ns)
  for (nm in ls(ns, all.names = TRUE)) {
    f <- get(nm, envir = ns)
    if (is.function(f) && !is.primitive(f) &&
        identical(environment(f), ns)) {
      environment(f) <- shadow
      assign(nm, f, envir = shadow)
    }
  }
  shadow$.Call <- function(.NAME, ...) {
    args <- list(...)
    calls[[length(calls) + 1L]] <<- list(
      phase = phase, name = if (is.character(.NAME)) .NAME else .NAME$name,
      symbol = .NAME, args = args)
    base::.Call(.NAME, ...)
  }
  for (phase in names(phases)) phases[[phase]](shadow)
  calls
}

replay <- function(call) {
  do.call(.Call, c(list(call$symbol), call$args), quote = TRUE)
}

torture <- function(expr) {
  gctorture(TRUE)
  on.exit(gctorture(FALSE))
  expr
}

# Allocations of many sizes filled with junk: memory that a call freed by
# mistake but still returned (or put inside its result) is reused and
# overwritten, so the comparison with a normal run sees it.
churn <- function() {
  junk <- lapply(rep(c(1:64, 100, 1000, 10000), 3), function(n) {
    rep(-123.25, n)
  })
  invisible(length(junk))
}

test_that("the .Call entry points keep their objects protected", {
  skip_on_cran()
  set.seed(42)
  x <- matrix(rnorm(40), 20)
  y <- x[, 1] - x[, 2] + rnorm(20, sd = 0.1)
  cls <- factor(rep(c("a", "b", "c"), length.out = 20))
  calls <- record_calls(list(
    gaussian = function(shadow) {
      fit <- shadow$bbb_fit.default(x, y, hidden = 2L, epochs = 2L,
                                    verbose = FALSE)
      shadow$predict.bbb_fit(fit, x, interval = "credible",
                             nsamples = 10L)
      shadow$bbb_gradient(fit, x, y)
    },
    multinomial_local = function(shadow) {
      fit <- shadow$bbb_fit.default(x, cls, hidden = 2L, epochs = 2L,
                                    prior = prior_gaussian(),
                                    estimator = "local",
                                    activation = "tanh", verbose = FALSE)
      shadow$predict.bbb_fit(fit, x, type = "samples", nsamples = 10L)
      shadow$bbb_gradient(fit, x, cls)
    },
    rnorm = function(shadow) shadow$engine_rnorm(50L)
  ))
  routines <- vapply(calls, `[[`, "", "name")
  expect_true(all(c("bbb_train", "bbb_predict", "bbb_objective",
                    "bbb_col_quantiles", "bbb_rnorm") %in% routines))
  # Each phase's distinct calls once: a routine with the same argument
  # types (train is called once per chunk of epochs; the first call has no
  # engine RNG state yet, the later ones carry it).
  key <- vapply(calls, function(cl) {
    paste(cl$phase, cl$name, paste(vapply(cl$args, typeof, ""),
                                   collapse = ","))
  }, "")
  for (call in calls[!duplicated(key)]) {
    set.seed(1)
    normal <- replay(call)
    set.seed(1)
    tortured <- torture(replay(call))
    churn()
    expect_identical(tortured, normal, label = call$name)
  }
})
