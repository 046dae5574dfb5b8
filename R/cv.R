#' K-fold cross-validation of a Bayesian neural network
#'
#' Splits the rows into `folds` parts, fits [bbb_fit()] on all parts but
#' one and scores the held-out part with [bbb_evaluate()], for each part in
#' turn. The fits run as futures of the \pkg{future} package, so they run
#' in parallel under a parallel plan (see below) and one after the other
#' otherwise.
#'
#' @section Parallel runs and random numbers:
#' The folds are drawn from R's random numbers, and each fit gets its own
#' L'Ecuyer-CMRG random number stream, made from one draw of R's random
#' numbers in the calling session. So `set.seed()` before the call fixes
#' the folds and every fit, and the result is the same under any plan of
#' \pkg{future}: `future::plan("sequential")` (the default),
#' `future::plan("multisession", workers = 2)` (background R sessions on
#' this machine), or a cluster. Without \pkg{future} installed, or with
#' `options(bbb.future = FALSE)`, the fits run one after the other in the
#' session, on the same streams and with the same result.
#'
#' On a Slurm (or SGE, PBS, LSF) cluster, \pkg{future.batchtools} runs each
#' fit as a job of the scheduler:
#' ```
#' library(future.batchtools)
#' plan(batchtools_slurm, template = "slurm.tmpl",
#'      resources = list(ncpus = 1, walltime = 3600, memory = 2048))
#' cv <- bbb_cv(y ~ ., data = train, folds = 10, hidden = 64)
#' ```
#' (`slurm.tmpl` is the job script template of \pkg{batchtools}; bbb must
#' be installed where the jobs run). Each fit uses `threads` threads (1 by
#' default); with `threads = 2` ask the scheduler for 2 cpus a job.
#'
#' @param x A formula (with `data`), or a numeric matrix or data frame of
#'   predictors (with `y`).
#' @param y The response, when `x` is not a formula.
#' @param data A data frame, when `x` is a formula. Rows with missing
#'   values in the variables of the formula are dropped first.
#' @param folds The number of folds (at least 2, at most the number of
#'   rows), or a vector with the fold of each row (values `1..K`).
#'   Random folds are stratified by class for binomial and multinomial
#'   responses (each class spread evenly over the folds).
#' @param ... Arguments of [bbb_fit()] (`hidden`, `epochs`, `family`,
#'   `prior`, ...); `verbose` defaults to `FALSE`.
#' @param nsamples,coverage As for [bbb_evaluate()].
#' @param keep_fits Keep the fits in the result (they hold their training
#'   data unless `keep_data = FALSE` is passed on).
#' @return An object of class `bbb_cv`: a list with `folds` (a data frame
#'   with one row per fold: `fold`, then the columns of [bbb_evaluate()]),
#'   `overall` (the metrics of all held-out rows together: means over rows
#'   weighted by fold size, the RMSE pooled as the root of the mean squared
#'   error), `fold_id` (the fold of each row) and, with `keep_fits = TRUE`,
#'   `fits`.
#' @seealso [bbb_ensemble()], which runs its fits the same way.
#' @examples
#' set.seed(1)
#' cv <- bbb_cv(mpg ~ wt + hp, data = mtcars, folds = 4, hidden = 8,
#'              epochs = 100)
#' cv
#' cv$folds
#' @examplesIf requireNamespace("future", quietly = TRUE)
#' # the same folds and fits, two at a time in background R sessions
#' \donttest{
#' old <- future::plan("multisession", workers = 2)
#' set.seed(1)
#' cv2 <- bbb_cv(mpg ~ wt + hp, data = mtcars, folds = 4, hidden = 8,
#'               epochs = 100)
#' all.equal(cv$folds, cv2$folds)
#' future::plan(old)
#' }
#' @export
bbb_cv <- function(x, y = NULL, data = NULL, folds = 5L, ...,
                   nsamples = 1000L, coverage = c(0.5, 0.9, 0.95),
                   keep_fits = FALSE) {
  if (missing(x)) abort("`x` is missing: give a formula or predictors.")
  check_count(nsamples, "nsamples")
  check_flag(keep_fits, "keep_fits")
  dots <- list(...)
  if (inherits(x, "formula")) {
    if (!is.null(y)) abort("Give `data` with a formula, not `y`.")
    if (!is.data.frame(data)) {
      abort("`data` must be a data frame when `x` is a formula, not ",
            describe(data), ".")
    }
    mf <- stats::model.frame(x, data)
    if (!is.null(attr(mf, "na.action"))) data <- data[-attr(mf, "na.action"), ]
    response <- stats::model.response(mf)
    if (is.null(response)) abort("`x` must have a response on its left side.")
    n <- nrow(data)
  } else {
    if (is.null(y)) abort("`y` is missing: give the response.")
    if (!is.null(data)) abort("`data` is for a formula `x`; give `y` instead.")
    if (!is.matrix(x) && !is.data.frame(x)) {
      abort("`x` must be a formula, a numeric matrix or a data frame, not ",
            describe(x), ".")
    }
    n <- nrow(x)
    if (NROW(y) != n) {
      abort(sprintf("`x` has %d rows but `y` has %d elements; they must ",
                    n, NROW(y)), "match.")
    }
    response <- y
  }
  fold_id <- make_folds(folds, n, response)
  k <- max(fold_id)
  tasks <- lapply(seq_len(k), function(j) {
    test <- which(fold_id == j)
    list(args = fold_args(x, y, data, dots, -test), test = test,
         newdata = if (inherits(x, "formula")) data[test, , drop = FALSE]
                   else x[test, , drop = FALSE],
         y_test = if (is.factor(response)) response[test]
                  else unname(response[test]),
         nsamples = nsamples, coverage = coverage, keep_fit = keep_fits)
  })
  results <- run_tasks(tasks, cv_task, "Fold")
  per_fold <- do.call(rbind, lapply(seq_len(k), function(j) {
    ev <- results[[j]]$evaluation
    cbind(fold = j, as.data.frame(unclass(ev)))
  }))
  ev1 <- results[[1L]]$evaluation
  out <- list(folds = per_fold, overall = pool_folds(per_fold),
              fold_id = fold_id, family = attr(ev1, "family"),
              nsamples = nsamples, call = match.call())
  if (keep_fits) out$fits <- lapply(results, `[[`, "fit")
  structure(out, class = "bbb_cv")
}

# One fold: fit on the training rows, score the held-out ones. Runs in a
# future (see run_tasks()).
cv_task <- function(task) {
  fit <- run_fit(task$args)
  ev <- bbb_evaluate(fit, task$newdata, task$y_test,
                     nsamples = task$nsamples, coverage = task$coverage)
  list(evaluation = ev, fit = if (task$keep_fit) fit)
}

fold_args <- function(x, y, data, dots, rows) {
  if (inherits(x, "formula")) {
    args <- fit_args(x, dots)
    args$data <- data[rows, , drop = FALSE]
  } else {
    args <- fit_args(x[rows, , drop = FALSE], dots)
    args$y <- if (is.factor(y)) y[rows] else unname(y[rows])
  }
  args
}

# Fold ids: given, or random and balanced (stratified by class for a
# factor, logical or 0/1 response).
make_folds <- function(folds, n, response) {
  if (length(folds) == 1L) {
    k <- check_count(folds, "folds", min = 2, max = n)
    classes <- is.factor(response) || is.logical(response) ||
      (is.numeric(response) && all(response %in% c(0, 1)))
    o <- if (classes) order(as.integer(factor(response)), stats::runif(n))
         else sample.int(n)
    id <- integer(n)
    id[o] <- rep_len(seq_len(k), n)
    return(id)
  }
  ok <- is.numeric(folds) && length(folds) == n && !anyNA(folds) &&
    all(folds == round(folds)) && all(folds >= 1)
  if (!ok) {
    abort(sprintf(paste0("`folds` must be a number of folds or a vector of ",
                         "%d fold ids (whole numbers from 1), not %s."), n,
                  describe(folds)))
  }
  k <- max(folds)
  if (k < 2L || !all(seq_len(k) %in% folds)) {
    abort("`folds` must use every fold id from 1 to its largest, at ",
          "least 2 folds.")
  }
  as.integer(folds)
}

# The metrics of all held-out rows: means weighted by the number of rows
# (the rmse through its square).
pool_folds <- function(per_fold) {
  w <- per_fold$n / sum(per_fold$n)
  cols <- setdiff(names(per_fold), c("fold", "n"))
  vals <- lapply(cols, function(cl) {
    v <- per_fold[[cl]]
    if (cl == "rmse") sqrt(sum(w * v^2)) else sum(w * v)
  })
  data.frame(n = sum(per_fold$n), stats::setNames(vals, cols),
             check.names = FALSE)
}

#' @export
print.bbb_cv <- function(x, digits = 4, ...) {
  cat(sprintf("%d-fold cross-validation (%s, %d posterior draws)\n",
              nrow(x$folds), x$family %||% "?", x$nsamples))
  cat("Held-out rows together:\n")
  print(x$overall, digits = digits, row.names = FALSE)
  cat("By fold:\n")
  print(x$folds, digits = digits, row.names = FALSE)
  invisible(x)
}
