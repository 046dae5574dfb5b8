#' Posterior draws for the Bayesian ecosystem (rstantools, loo, bayesplot)
#'
#' Methods for the generics of \pkg{rstantools}, so that a `bbb_fit` answers
#' the same calls as an \pkg{rstanarm} or \pkg{brms} fit. Every draws matrix
#' has one row per posterior draw and one column per observation (row of
#' `newdata`), as in \pkg{rstanarm}; a draw here is an independent draw of
#' all the weights from the variational posterior, so there are no chains
#' and no autocorrelation (the relative efficiency `r_eff` of \pkg{loo} is
#' 1).
#'
#' * `posterior_predict()`: draws of the response itself (the mean function
#'   plus the likelihood's noise): numbers for gaussian and poisson fits,
#'   0/1 for binomial fits, class indices `1..K` for multinomial fits.
#' * `posterior_epred()`: draws of the mean of the response (the mean,
#'   probability or rate); for a multinomial fit an `ndraws x n x K` array of
#'   class probabilities.
#' * `posterior_linpred()`: draws of the linear predictor (for a gaussian fit
#'   on the scale of `y`, whatever `standardize` did: its link is the
#'   identity); `transform = TRUE` gives `posterior_epred()`.
#' * `log_lik()`: the pointwise log-likelihood
#'   \eqn{\log p(y_i | w_s)} of each draw \eqn{s} and observation \eqn{i},
#'   the input of [loo::loo()] and [loo::waic()]. For a gaussian fit it is a
#'   density on the original scale of `y`, as in [bbb_evaluate()].
#' * `predictive_interval()`: central intervals of `posterior_predict()`
#'   draws, one row per observation (not for multinomial fits, whose
#'   response has no order).
#' * `loo()`: [loo::loo()] of `log_lik()` with `r_eff = 1`.
#'
#' These packages stay optional: the methods are registered when the
#' package of the generic is loaded. Call them as `rstantools::log_lik(fit)`
#' or after `library(rstantools)` (\pkg{rstanarm} and \pkg{brms} re-export
#' the same generics).
#'
#' PSIS-LOO treats the draws as draws from the posterior. The variational
#' posterior of Bayes by Backprop is narrower than the true one, so the
#' Pareto \eqn{k} diagnostics are often high; they say how far to trust the
#' estimate, and [bbb_cv()] gives an exact K-fold alternative.
#'
#' @param object,x A `bbb_fit`.
#' @param newdata Predictors, as for [predict.bbb_fit()]; `NULL` (default)
#'   for the training data kept in the fit. For `log_lik()` and `loo()`,
#'   `newdata` must also hold the response (a fit made by the formula
#'   method), unless `y` is given.
#' @param y For `log_lik()` and `loo()`: the observed response of the rows
#'   of `newdata` (coded as the response of the fit), if `newdata` does not
#'   hold it.
#' @param ndraws Number of posterior draws (rows of the result).
#' @param seed As for [predict.bbb_fit()]: by default the seed stored in the
#'   fit, so that a call gives the same draws every time and the methods
#'   share their weight draws (draw `s` of `log_lik()` and of
#'   `posterior_epred()` come from the same weights, as the draws of an
#'   MCMC fit do); a number draws another set; `NULL` draws from R's random
#'   number stream.
#' @param transform For `posterior_linpred()`: `TRUE` returns draws of the
#'   mean of the response, as `posterior_epred()` does.
#' @param prob Probability of the central interval.
#' @param ... Not used.
#' @return See the list above.
#' @name bbb-rstantools
#' @seealso [as_draws_df.bbb_fit()] for draws of the weights,
#'   [tidy.bbb_fit()] for the tidiers of \pkg{broom}.
#' @examples
#' set.seed(1)
#' fit <- bbb_fit(mpg ~ wt + hp, data = mtcars, hidden = 8, epochs = 300,
#'                verbose = FALSE)
#' @examplesIf requireNamespace("rstantools", quietly = TRUE)
#' yrep <- rstantools::posterior_predict(fit, ndraws = 200)
#' dim(yrep)   # 200 draws x 32 cars
#' head(rstantools::predictive_interval(fit, prob = 0.8))
#' ll <- rstantools::log_lik(fit, ndraws = 500)
#' @examplesIf requireNamespace("loo", quietly = TRUE)
#' # compare the network with a Bayesian linear model, by PSIS-LOO
#' fit0 <- bbb_fit(mpg ~ wt + hp, data = mtcars, hidden = integer(0),
#'                 epochs = 300, verbose = FALSE)
#' loo::loo_compare(loo::loo(fit), loo::loo(fit0))
#' @examplesIf requireNamespace("bayesplot", quietly = TRUE) && exists("yrep")
#' bayesplot::ppc_dens_overlay(mtcars$mpg, yrep[1:50, ])
NULL

#' @rdname bbb-rstantools
#' @exportS3Method rstantools::posterior_predict
posterior_predict.bbb_fit <- function(object, newdata = NULL, ndraws = 1000L,
                                      seed = object$seed, ...) {
  check_no_dots(..., fn = "posterior_predict()")
  x <- model_inputs(object, newdata)
  d <- seeded_draws(object, x, ndraws, "response", seed,
                    then = function(d) draw_response(object, d))
  colnames(d) <- rownames(x)
  d
}

#' @rdname bbb-rstantools
#' @exportS3Method rstantools::posterior_epred
posterior_epred.bbb_fit <- function(object, newdata = NULL, ndraws = 1000L,
                                    seed = object$seed, ...) {
  check_no_dots(..., fn = "posterior_epred()")
  x <- model_inputs(object, newdata)
  name_draws(drop_k(seeded_draws(object, x, ndraws, "response", seed),
                    object), object, x)
}

#' @rdname bbb-rstantools
#' @exportS3Method rstantools::posterior_linpred
posterior_linpred.bbb_fit <- function(object, transform = FALSE,
                                      newdata = NULL, ndraws = 1000L,
                                      seed = object$seed, ...) {
  check_no_dots(..., fn = "posterior_linpred()")
  check_flag(transform, "transform")
  if (transform) {
    return(posterior_epred.bbb_fit(object, newdata, ndraws, seed))
  }
  x <- model_inputs(object, newdata)
  eta <- drop_k(seeded_draws(object, x, ndraws, "link", seed), object)
  # the gaussian link is the identity: eta on the scale of y
  if (object$family == "gaussian") {
    eta <- eta * object$y_scale + object$y_center
  }
  name_draws(eta, object, x)
}

#' @rdname bbb-rstantools
#' @exportS3Method rstantools::log_lik
log_lik.bbb_fit <- function(object, newdata = NULL, y = NULL,
                            ndraws = 1000L, seed = object$seed, ...) {
  check_no_dots(..., fn = "log_lik()")
  obs <- observed_rows(object, newdata, y)
  eta <- seeded_draws(object, obs$x, ndraws, "link", seed)
  ll <- log_lik_draws(object, eta, obs$y, scaled = FALSE)
  if (!all(is.finite(ll))) {
    abort("The log-likelihood is non-finite for some draws and rows; ",
          "is a count or class impossible under the fit?")
  }
  colnames(ll) <- rownames(obs$x)
  ll
}

#' @rdname bbb-rstantools
#' @exportS3Method rstantools::predictive_interval
predictive_interval.bbb_fit <- function(object, prob = 0.9, newdata = NULL,
                                        ndraws = 1000L, seed = object$seed,
                                        ...) {
  check_no_dots(..., fn = "predictive_interval()")
  check_number(prob, "prob", lower = 0, upper = 1, open = TRUE)
  if (object$family == "multinomial") {
    abort("`predictive_interval()` needs an ordered response; a ",
          "multinomial fit has classes: use `posterior_epred()`.")
  }
  draws <- posterior_predict.bbb_fit(object, newdata, ndraws, seed)
  probs <- c((1 - prob) / 2, (1 + prob) / 2)
  q <- t(draw_quantiles(draws, probs, object$family != "gaussian"))
  dimnames(q) <- list(colnames(draws), paste0(100 * probs, "%"))
  q
}

#' @rdname bbb-rstantools
#' @exportS3Method loo::loo
loo.bbb_fit <- function(x, newdata = NULL, y = NULL, ndraws = 1000L,
                        seed = x$seed, ...) {
  ll <- log_lik.bbb_fit(x, newdata = newdata, y = y, ndraws = ndraws,
                        seed = seed)
  loo::loo(ll, r_eff = rep(1, ncol(ll)), ...)
}

# Draws from the engine (ndraws x n x K) with R's random numbers set by
# `seed` as predict() sets them: the same seed and ndraws give the same
# weight draws in every method, on the link or the response scale. `then`
# runs within the seeded stream (the response noise of
# posterior_predict()).
seeded_draws <- function(object, x, ndraws, scale, seed, then = NULL) {
  ndraws <- check_count(ndraws, "ndraws")
  seed <- check_seed(seed)
  with_draw_seed(seed, {
    d <- engine_draws(object, x, ndraws, scale, new_seed())
    if (is.null(then)) d else then(d)
  })
}

# Names the observations (and classes) of a draws matrix or array.
name_draws <- function(d, object, x) {
  if (length(dim(d)) == 3L) {
    dimnames(d) <- list(NULL, rownames(x), object$levels)
  } else {
    colnames(d) <- rownames(x)
  }
  d
}

# The design and the engine-coded response (standardized for a gaussian
# fit) of the rows a log-likelihood is taken at: the training rows kept in
# the fit, or newdata with y given or read from newdata by the fit's
# formula.
observed_rows <- function(object, newdata, y) {
  if (is.null(newdata)) {
    if (!is.null(y)) abort("Give `y` together with `newdata`.")
    if (is.null(object$data)) {
      abort("`newdata` is needed: the fit was made with `keep_data = FALSE`.")
    }
    return(list(x = model_inputs(object), y = object$data$y))
  }
  x <- model_inputs(object, newdata)
  if (is.null(y)) y <- formula_response(object, newdata)
  if (is.matrix(y) || is.data.frame(y)) {
    abort("`y` must be a vector or a factor, not a matrix or data frame.")
  }
  if (NROW(y) != nrow(x)) {
    abort(sprintf("`newdata` has %d rows but `y` has %d elements; they must ",
                  nrow(x), NROW(y)), "match.")
  }
  y <- encode_response(y, object$family, object$levels)$y
  if (object$family == "gaussian") {
    y <- (y - object$y_center) / object$y_scale
  }
  list(x = x, y = y)
}

# The response of newdata by the left side of the fit's formula.
formula_response <- function(object, newdata) {
  f <- object$call$formula
  lhs <- if (is.call(f) && identical(f[[1L]], as.name("~")) &&
               length(f) == 3L) f[[2L]]
  if (is.null(lhs) || !is.data.frame(newdata)) {
    abort("Give the observed response as `y`: it cannot be read from ",
          "`newdata` (only from a data frame, for a fit made by the ",
          "formula method).")
  }
  vars <- setdiff(all.vars(lhs), names(newdata))
  if (length(vars)) {
    abort(sprintf(paste0("`newdata` lacks the response column(s) %s; add ",
                         "them or give `y`."),
                  paste0("'", vars, "'", collapse = ", ")))
  }
  y <- eval(lhs, newdata, environment(stats::as.formula(f)))
  if (is.character(y)) y <- factor(y, levels = object$levels)
  y
}
