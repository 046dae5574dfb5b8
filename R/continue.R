#' Continue training a fit
#'
#' Runs more epochs from where `object` stopped, with the same settings,
#' preprocessing and optimiser state, on the training data kept in the fit
#' (or on `x` and `y` if given). To refit from scratch with changed
#' arguments, use [stats::update()] instead (`update(fit, hidden = 64)`).
#'
#' @param object A `bbb_fit`.
#' @param epochs Number of further epochs, or `NULL` (the default) to train
#'   until the ELBO stops improving, by the last two phases of training to
#'   convergence (everything learned at the fit's `lr`, then at a tenth of
#'   it; see the section in [bbb_fit()]), for at most the default cap of
#'   [bbb_fit()]'s `max_epochs` (enough epochs for 200,000 optimiser
#'   steps; a smaller `max_epochs` given to [bbb_fit()] is not kept). If
#'   that cap stops training while the ELBO still improves, a warning says
#'   so.
#' @param x,y New training data on the original scale (optional), with the
#'   predictors of the fit. If the fit keeps its training data
#'   (`keep_data = TRUE`), it keeps these instead, so that [fitted()],
#'   [residuals()] and [nobs()] refer to the data last trained on.
#' @param lr Learning rate for these epochs and any later `bbb_continue()`
#'   (optional; by default the fit's). A smaller rate for the last epochs
#'   is a simple schedule.
#' @param verbose Show a progress bar.
#' @return The `bbb_fit`, trained further; its trace continues the old one.
#'   The seed of its predictions (see [predict.bbb_fit()]) stays as it was.
#' @examples
#' set.seed(3)
#' x <- matrix(rnorm(100))
#' fit <- bbb_fit(x, 2 * x[, 1] + rnorm(100), hidden = 4, epochs = 20,
#'                verbose = FALSE)
#' fit <- bbb_continue(fit, epochs = 20, verbose = FALSE)
#' fit$converged  # NA: a given number of epochs
#' fit <- bbb_continue(fit, epochs = 10, lr = 0.001, verbose = FALSE)
#' nrow(fit$trace)
#' @export
bbb_continue <- function(object, epochs = NULL, x = NULL, y = NULL,
                         lr = NULL, verbose = interactive()) {
  check_fit(object, "object")
  if (!is.null(epochs)) epochs <- check_count(epochs, "epochs")
  check_flag(verbose, "verbose")
  if (!is.null(lr)) {
    check_number(lr, "lr", lower = 0, open = TRUE)
    object$control$lr <- lr
  }
  if (is.null(x) != is.null(y)) abort("Give both `x` and `y`, or neither.")
  if (is.null(x)) {
    data <- object$data
    if (is.null(data)) {
      abort("The fit was made with `keep_data = FALSE`; give `x` and `y`.")
    }
  } else {
    resp <- encode_response(y, object$family, object$levels)
    yy <- resp$y
    if (object$family == "gaussian") {
      yy <- (yy - object$y_center) / object$y_scale
    }
    data <- list(x = new_design(object$prep, x, "x", scaled = FALSE),
                 y = yy)
    if (nrow(data$x) != length(yy)) {
      abort("`x` and `y` must have the same number of rows.")
    }
    if (object$control$batch_size > length(yy)) {
      abort("`x` has fewer rows than the fit's batch size.")
    }
    if (!is.null(object$data)) object$data <- data
  }
  object$n_train <- length(data$y)
  train_fit(object, data, epochs, verbose)
}
