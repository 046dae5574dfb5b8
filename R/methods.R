#' Methods for Bayesian neural network fits
#'
#' `print()` and `summary()` describe the network, the prior (with the
#' learned prior sds under empirical Bayes), the noise sd, the number of
#' epochs and whether training converged, and the last epoch's ELBO;
#' `coef()` returns posterior means (or standard deviations)
#' of every weight, named as in \pkg{nnet} (`"x1->h3"`, `"b->h3"`);
#' `as.matrix()` returns draws of all weights; `sigma()` the noise sd of a
#' gaussian fit (`NA` for a heteroscedastic one, whose noise sd varies by
#' row); `fitted()` and `residuals()` use the training data kept in
#' the fit; `nobs()` is the number of rows it was trained on (without the
#' rows held out by `validation`); `plot()` shows the ELBO, the data term
#' and the KL term by epoch. To refit with changes use [stats::update()]
#' (`update(fit, . ~ . - x1)`, `update(fit, hidden = 64)`); to train a fit
#' further, [bbb_continue()].
#'
#' @section Scales of the coefficients:
#' The network is trained on standardized inputs (each column of the design
#' centred and divided by its sd, see `standardize` in [bbb_fit()]) and,
#' for the gaussian family, a standardized response. With
#' `scale = "standardized"`, `coef()` and `as.matrix()` give the
#' parameters as they are trained: on those scales. With
#' `scale = "original"` (the default) they give the same network written
#' for the inputs and the response as the user gave them, exactly: the
#' first layer's weights divided by the input sds, its biases moved by the
#' input means (\eqn{b' = b - \sum_j (c_j / s_j) W_{j\cdot}}{b' = b -
#' sum_j (c_j / s_j) W[j, ]}), and, for the gaussian family, the output
#' layer's weights and bias multiplied by the sd of y and the mean of y
#' added to its bias. So for `hidden = integer(0)` (a Bayesian generalised
#' linear model) `coef()` is on the scale of [stats::glm()]'s coefficients
#' (`"x1->y"` for `x1`, `"b->y"` for the intercept; for a factor response,
#' the output unit is named after the second level's indicator, as in
#' `glm()`). Hidden units are on the same scale either way. `type = "sd"`
#' gives the exact posterior sd of each reparameterised coefficient under
#' the mean-field posterior (a biases' sd includes that of the first
#' layer's weights it absorbs); the coefficients are then no longer
#' independent, and `as.matrix()` draws them jointly. Pruned parameters
#' (see [prune()]) are zero on the standardized scale.
#'
#' @section Random draws:
#' `fitted()`, `residuals()` and `as.matrix()` draw from the posterior as
#' [predict.bbb_fit()] does: by default from the seed stored in the fit, so
#' that they give the same numbers every time; `seed` draws another set and
#' `seed = NULL` draws from R's random number stream.
#'
#' @param x,object A `bbb_fit`.
#' @param type For `coef()`: `"mean"` (posterior means) or `"sd"` (posterior
#'   standard deviations).
#' @param scale For `coef()` and `as.matrix()`: `"original"` (the scales of
#'   the data as given) or `"standardized"` (the scales the network is
#'   trained on). See the section above.
#' @param nsamples Number of posterior draws; for `fitted()` and
#'   `residuals()`, `NULL` gives the default of [predict.bbb_fit()].
#' @param seed `NULL` or a whole number; see the section above.
#' @param digits Significant digits to print.
#' @param ... Not used, or passed on to [graphics::plot()].
#' @name bbb_fit-methods
#' @examples
#' set.seed(2)
#' fit <- bbb_fit(mpg ~ wt + hp, data = mtcars, hidden = 4, verbose = FALSE)
#' summary(fit)
#' head(coef(fit))
#' sigma(fit)
#' dim(as.matrix(fit, nsamples = 10))
#' plot(fit)
#'
#' # a Bayesian linear model: coefficients on the scale of lm()'s
#' lin <- bbb_fit(mpg ~ wt + hp, data = mtcars, hidden = integer(0),
#'                prior = prior_gaussian(10), verbose = FALSE)
#' ols <- coef(lm(mpg ~ wt + hp, data = mtcars))
#' rbind(bbb = coef(lin), lm = ols[c(2, 3, 1)])
#'
#' # refit with changes
#' smaller <- update(fit, . ~ . - hp)
#' coef(smaller)[1:2]
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
  if (isTRUE(x$prior$eb)) {
    s <- prior_scales(x)
    shown <- if (length(s) <= 6L) {
      paste(names(s), format(s, digits = 3), collapse = ", ")
    } else {
      sprintf("%d groups, from %s to %s", length(s),
              format(min(s), digits = 3), format(max(s), digits = 3))
    }
    cat("  prior sds:   ", shown, "\n")
  }
  cat("  estimator:   ", x$estimator, "\n")
  if (is_hetero(x)) {
    cat("  noise sd:     learned per row (heteroscedastic: output log_sd)\n")
  } else if (x$family == "gaussian") {
    cat("  noise sd:    ", format(sigma(x), digits = digits),
        if (isTRUE(x$learn_noise)) "(learned)" else "(fixed)", "\n")
  }
  tr <- x$trace
  if (nrow(tr)) {
    last <- tr[nrow(tr), ]
    cat(sprintf("  epochs: %d%s, final ELBO %s (data term %s, KL %s)\n",
                nrow(tr),
                if (isTRUE(x$converged)) " (converged)" else
                  if (identical(x$converged, FALSE)) " (not converged)" else
                    "",
                format(last$elbo, digits = digits),
                format(-last$nll, digits = digits),
                format(last$kl, digits = digits)))
  }
  invisible(x)
}

#' @rdname bbb_fit-methods
#' @export
summary.bbb_fit <- function(object, ...) {
  # of the parameters as trained (standardized scale); pruned parameters
  # (see prune()) have sd 0 and signal-to-noise 0
  sds <- unname(coef(object, "sd", scale = "standardized"))
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
  cat("\nPosterior sd of the weights (standardized scale):\n")
  print(signif(x$sd_quantiles, digits))
  cat("\nSignal-to-noise |mu| / sd:\n")
  print(signif(x$snr_quantiles, digits))
  cat("\nLast epochs:\n")
  print(x$trace, digits = digits, row.names = FALSE)
  invisible(x)
}

#' @rdname bbb_fit-methods
#' @export
coef.bbb_fit <- function(object, type = "mean", scale = "original", ...) {
  check_choice(type, c("mean", "sd"), "type")
  check_choice(scale, c("original", "standardized"), "scale")
  check_no_dots(..., fn = "coef()")
  theta <- get_theta(object)
  n_par <- n_params(object$width)
  mu <- theta[seq_len(n_par)]
  # a pruned parameter (mask 0, see prune()) has no posterior variance
  sd <- softplus(theta[n_par + seq_len(n_par)]) * param_mask(object)
  out <- if (scale == "standardized") {
    if (type == "mean") mu else sd
  } else if (type == "mean") {
    drop(to_original(object, matrix(mu, 1L)))
  } else {
    original_sd(object, sd)
  }
  stats::setNames(out, coef_names(object))
}

# nnet-style names of the flat layout: "x1->h1", ..., "b->h1", ...
coef_names <- function(fit) {
  un <- fit$unit_names %||% unit_names(fit$prep$names, fit$hidden,
                                       rep("y", n_outputs(fit)))
  unlist(lapply(seq_len(length(fit$width) - 1L), function(l) {
    rn <- un[[l]]
    cn <- un[[l + 1L]]
    c(paste0(rep(rn, times = length(cn)), "->", rep(cn, each = length(rn))),
      paste0("b->", cn))
  }), use.names = FALSE)
}

# Offsets (0-based) of W_l and b_l in the flat layout (see src/bbb.h).
layer_offsets <- function(width) {
  n_in <- utils::head(width, -1L)
  n_out <- width[-1L]
  size <- (n_in + 1) * n_out
  w <- c(0, cumsum(size))[seq_along(n_out)]
  list(w = w, b = w + n_in * n_out, n_in = n_in, n_out = n_out)
}

# Parameters in the flat layout, one draw per row of D, rewritten for the
# inputs (and a gaussian response) on their original scales: the same
# network, exactly. First layer: W' = W / s (row j by s_j), b' = b -
# (c / s)' W; output layer (gaussian): W' = y_s W, b' = y_s b + y_c.
to_original <- function(fit, D) {
  off <- layer_offsets(fit$width)
  cs <- fit$prep$center / fit$prep$scale
  n0 <- off$n_in[1L]
  for (k in seq_len(off$n_out[1L])) {
    wk <- off$w[1L] + (k - 1L) * n0 + seq_len(n0)
    bk <- off$b[1L] + k
    D[, bk] <- D[, bk] - D[, wk, drop = FALSE] %*% cs
    D[, wk] <- D[, wk, drop = FALSE] / rep(fit$prep$scale, each = nrow(D))
  }
  if (fit$family == "gaussian") {
    # the mean (output 1); a heteroscedastic fit's log sd (output 2) moves
    # by log(y_scale)
    mean_out <- output_params(fit, 1L)
    D[, mean_out] <- D[, mean_out] * fit$y_scale
    b <- output_params(fit, 1L, bias = TRUE)
    D[, b] <- D[, b] + fit$y_center
    if (is_hetero(fit)) {
      b2 <- output_params(fit, 2L, bias = TRUE)
      D[, b2] <- D[, b2] + log(fit$y_scale)
    }
  }
  D
}

# Positions (1-based) of the weights and bias of output unit `unit` in the
# flat layout (or of its bias only).
output_params <- function(fit, unit, bias = FALSE) {
  off <- layer_offsets(fit$width)
  L <- length(off$w)
  n_in <- off$n_in[L]
  b <- off$b[L] + unit
  if (bias) return(b)
  c(off$w[L] + (unit - 1L) * n_in + seq_len(n_in), b)
}

# The posterior sd of each coefficient of to_original() under the
# mean-field posterior (independent parameters with sds `sd`): a first-layer
# bias absorbs the variance of its unit's weights times (c_j / s_j)^2.
original_sd <- function(fit, sd) {
  off <- layer_offsets(fit$width)
  v <- sd^2
  cs2 <- (fit$prep$center / fit$prep$scale)^2
  n0 <- off$n_in[1L]
  for (k in seq_len(off$n_out[1L])) {
    wk <- off$w[1L] + (k - 1L) * n0 + seq_len(n0)
    bk <- off$b[1L] + k
    v[bk] <- v[bk] + sum(cs2 * v[wk])
    v[wk] <- v[wk] / fit$prep$scale^2
  }
  if (fit$family == "gaussian") {
    mean_out <- output_params(fit, 1L)
    v[mean_out] <- v[mean_out] * fit$y_scale^2
  }
  sqrt(v)
}

#' @rdname bbb_fit-methods
#' @export
as.matrix.bbb_fit <- function(x, nsamples = 1000L, seed = x$seed,
                              scale = "original", ...) {
  check_count(nsamples, "nsamples")
  seed <- check_seed(seed)
  check_choice(scale, c("original", "standardized"), "scale")
  check_no_dots(..., fn = "as.matrix()")
  mu <- coef(x, "mean", scale = "standardized")
  sd <- coef(x, "sd", scale = "standardized")
  draws <- with_draw_seed(seed, matrix(stats::rnorm(nsamples * length(mu)),
                                       nsamples))
  draws <- draws * rep(sd, each = nsamples) + rep(mu, each = nsamples)
  draws[, param_mask(x) == 0] <- 0  # pruned parameters are exactly zero
  if (scale == "original") draws <- to_original(x, draws)
  colnames(draws) <- names(mu)
  draws
}

#' @rdname bbb_fit-methods
#' @export
sigma.bbb_fit <- function(object, ...) {
  # a heteroscedastic fit has a noise sd per row (predict() draws them)
  if (object$family != "gaussian" || is_hetero(object)) return(NA_real_)
  noise_sd(object)
}

#' @rdname bbb_fit-methods
#' @export
fitted.bbb_fit <- function(object, nsamples = NULL, seed = object$seed,
                           ...) {
  check_no_dots(..., fn = "fitted()")
  check_kept_data(object, "fitted")
  predict(object, type = "response", nsamples = nsamples, seed = seed)
}

#' @rdname bbb_fit-methods
#' @export
residuals.bbb_fit <- function(object, nsamples = NULL, seed = object$seed,
                              ...) {
  check_no_dots(..., fn = "residuals()")
  check_kept_data(object, "residuals")
  mu <- fitted(object, nsamples = nsamples, seed = seed)
  y <- object$data$y
  if (object$family == "gaussian") y <- y * object$y_scale + object$y_center
  if (object$family == "multinomial") {
    y <- outer(y, seq_len(ncol(mu)) - 1, "==") + 0
  }
  y - mu
}

check_kept_data <- function(object, fn) {
  if (is.null(object$data)) {
    abort(sprintf(paste0("The fit was made with `keep_data = FALSE`, so %s() ",
                         "has no data; use predict() on the data instead."),
                  fn))
  }
}

# The rows the likelihood was summed over: those of the training data, not
# those held out by `validation`; also length(fitted()).
#' @rdname bbb_fit-methods
#' @export
nobs.bbb_fit <- function(object, ...) object$n_train %||% object$n_obs

#' @rdname bbb_fit-methods
#' @export
formula.bbb_fit <- function(x, ...) {
  if (is.null(x$formula)) {
    abort("The fit was made from `x` and `y`, not from a formula; change ",
          "`x` with update(fit, x = ...).")
  }
  x$formula
}

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

# A method's match.call() names the method (bbb_fit.formula); update()
# must call the generic, the exported function.
generic_call <- function(call) {
  call[[1L]] <- as.name("bbb_fit")
  call
}
