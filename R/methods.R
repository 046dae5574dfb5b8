#' Methods for Bayesian neural network fits
#'
#' `print()` and `summary()` describe the network, the prior and the last
#' epoch's ELBO; `coef()` returns posterior means (or standard deviations)
#' of every weight, named as in \pkg{nnet} (`"x1->h3"`, `"b->h3"`);
#' `as.matrix()` returns draws of all weights; `sigma()` the noise sd of a
#' gaussian fit; `fitted()` and `residuals()` use the training data kept in
#' the fit; `plot()` shows the ELBO, the data term and the KL term by epoch.
#'
#' @param x,object A `bbb_fit`.
#' @param type For `coef()`: `"mean"` (posterior means) or `"sd"` (posterior
#'   standard deviations).
#' @param nsamples Number of posterior draws.
#' @param digits Significant digits to print.
#' @param ... Not used, or passed on to [graphics::plot()].
#' @name bbb_fit-methods
#' @examples
#' set.seed(2)
#' fit <- bbb_fit(mpg ~ wt + hp, data = mtcars, hidden = 4, epochs = 200,
#'                verbose = FALSE)
#' summary(fit)
#' head(coef(fit))
#' sigma(fit)
#' dim(as.matrix(fit, nsamples = 10))
#' plot(fit)
NULL

#' @rdname bbb_fit-methods
#' @export
print.bbb_fit <- function(x, digits = 4, ...) {
  cat("Bayesian neural network (Bayes by Backprop)\n")
  cat("  architecture:", paste(x$width, collapse = " -> "),
      sprintf("(%s, %d weights)\n",
              if (length(x$hidden)) x$activation else "no hidden layer",
              n_params(x$width)))
  cat("  family:      ", x$family, "\n")
  cat("  prior:       ", format(x$prior), "\n")
  cat("  estimator:   ", x$estimator, "\n")
  if (x$family == "gaussian") {
    cat("  noise sd:    ", format(sigma(x), digits = digits),
        if (isTRUE(x$learn_noise)) "(learned)" else "(fixed)", "\n")
  }
  tr <- x$trace
  if (nrow(tr)) {
    last <- tr[nrow(tr), ]
    cat(sprintf("  epochs: %d, final ELBO %s (data term %s, KL %s)\n",
                nrow(tr), format(last$elbo, digits = digits),
                format(-last$nll, digits = digits),
                format(last$kl, digits = digits)))
  }
  invisible(x)
}

#' @rdname bbb_fit-methods
#' @export
summary.bbb_fit <- function(object, ...) {
  # pruned parameters (see prune()) have sd 0 and signal-to-noise 0
  sds <- unname(coef(object, "sd"))
  ratio <- unname(snr(object))
  structure(list(
    fit = object,
    trace = utils::tail(object$trace, 5L),
    sd_quantiles = stats::quantile(sds, c(0, 0.25, 0.5, 0.75, 1)),
    snr_quantiles = stats::quantile(ratio, c(0, 0.25, 0.5, 0.75, 1)),
    n_pruned = sum(param_mask(object) == 0), n_params = length(sds),
    n_obs = object$n_obs, n_train = object$n_train,
    control = object$control
  ), class = "summary.bbb_fit")
}

#' @rdname bbb_fit-methods
#' @export
print.summary.bbb_fit <- function(x, digits = 4, ...) {
  print(x$fit, digits = digits)
  ctl <- x$control
  cat(sprintf(paste0("  training: %d of %d rows, batch %d, %d sample(s) ",
                     "per step, %s optimizer (lr %g), KL weighting %s\n"),
              x$n_train, x$n_obs, ctl$batch_size, ctl$n_samples,
              ctl$optimizer, ctl$lr, ctl$kl_weighting))
  cat("\nPosterior sd of the weights:\n")
  print(signif(x$sd_quantiles, digits))
  cat("\nSignal-to-noise |mu| / sd:\n")
  print(signif(x$snr_quantiles, digits))
  cat("\nLast epochs:\n")
  print(x$trace, digits = digits, row.names = FALSE)
  invisible(x)
}

#' @rdname bbb_fit-methods
#' @export
coef.bbb_fit <- function(object, type = "mean", ...) {
  check_choice(type, c("mean", "sd"), "type")
  out <- unlist(lapply(object$params, function(p) {
    w <- if (type == "mean") p$w_mu else softplus(p$w_rho)
    b <- if (type == "mean") p$b_mu else softplus(p$b_rho)
    rn <- rownames(w)
    cn <- colnames(w)
    names_w <- paste0(rep(rn, times = length(cn)), "->",
                      rep(cn, each = length(rn)))
    stats::setNames(c(w, b), c(names_w, paste0("b->", cn)))
  }), use.names = TRUE) |> unname_layers()
  # a pruned parameter (mask 0, see prune()) has no posterior variance
  if (type == "sd" && !is.null(object$mask)) out <- out * object$mask
  out
}

unname_layers <- function(v) {
  names(v) <- sub("^[^.]*[.](.*->)", "\\1", names(v))
  names(v) <- sub("^(hidden[0-9]+|output)[.]", "", names(v))
  v
}

#' @rdname bbb_fit-methods
#' @export
as.matrix.bbb_fit <- function(x, nsamples = 1000L, ...) {
  check_count(nsamples, "nsamples")
  mu <- coef(x, "mean")
  sd <- coef(x, "sd")
  draws <- matrix(stats::rnorm(nsamples * length(mu)), nsamples) *
    rep(sd, each = nsamples) + rep(mu, each = nsamples)
  colnames(draws) <- names(mu)
  draws[, param_mask(x) == 0] <- 0  # pruned parameters are exactly zero
  draws
}

#' @rdname bbb_fit-methods
#' @export
sigma.bbb_fit <- function(object, ...) {
  if (object$family != "gaussian") return(NA_real_)
  noise_sd(object)
}

#' @rdname bbb_fit-methods
#' @export
fitted.bbb_fit <- function(object, nsamples = 500L, ...) {
  predict(object, type = "response", nsamples = nsamples)
}

#' @rdname bbb_fit-methods
#' @export
residuals.bbb_fit <- function(object, nsamples = 500L, ...) {
  if (is.null(object$data)) {
    abort("The fit was made with `keep_data = FALSE`; use predict() on ",
          "the data instead.")
  }
  mu <- fitted(object, nsamples = nsamples)
  y <- object$data$y
  if (object$family == "gaussian") y <- y * object$y_scale + object$y_center
  if (object$family == "multinomial") {
    y <- outer(y, seq_len(ncol(mu)) - 1, "==") + 0
  }
  y - mu
}

#' @rdname bbb_fit-methods
#' @export
nobs.bbb_fit <- function(object, ...) object$n_obs

#' @rdname bbb_fit-methods
#' @export
plot.bbb_fit <- function(x, ...) {
  tr <- x$trace
  if (!nrow(tr)) abort("The fit has no training epochs to plot.")
  old <- graphics::par(mfrow = c(1L, 3L))
  on.exit(graphics::par(old))
  graphics::plot(tr$epoch, tr$elbo, type = "l", xlab = "epoch",
                 ylab = "ELBO", main = "ELBO", ...)
  graphics::plot(tr$epoch, -tr$nll, type = "l", xlab = "epoch",
                 ylab = "log-likelihood", main = "Data term", ...)
  graphics::plot(tr$epoch, tr$kl, type = "l", xlab = "epoch",
                 ylab = "KL", main = "KL term", ...)
  invisible(x)
}

#' Continue training a fit
#'
#' Runs more epochs from where `object` stopped, with the same settings,
#' preprocessing and optimiser state, on the training data kept in the fit
#' (or on `x` and `y` if given).
#'
#' @param object A `bbb_fit`.
#' @param epochs Number of further epochs.
#' @param x,y New training data on the original scale (optional).
#' @param lr Learning rate for these epochs and any later `update()`
#'   (optional; by default the fit's). A smaller rate for the last epochs
#'   is a simple schedule.
#' @param verbose Show a progress bar.
#' @param ... Not used.
#' @return The updated `bbb_fit`; its trace continues the old one.
#' @examples
#' set.seed(3)
#' x <- matrix(rnorm(100))
#' fit <- bbb_fit(x, 2 * x[, 1] + rnorm(100), hidden = 4, epochs = 20,
#'                verbose = FALSE)
#' fit <- update(fit, epochs = 20, verbose = FALSE)
#' fit <- update(fit, epochs = 10, lr = 0.001, verbose = FALSE)
#' nrow(fit$trace)
#' @export
update.bbb_fit <- function(object, epochs = 100L, x = NULL, y = NULL,
                           lr = NULL, verbose = interactive(), ...) {
  check_no_dots(..., fn = "update()")
  check_count(epochs, "epochs")
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
  }
  object$n_train <- length(data$y)
  train_fit(object, data, as.integer(epochs), verbose)
}
