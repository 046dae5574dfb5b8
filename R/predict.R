#' Predictions and posterior draws from a Bayesian neural network
#'
#' Draws `nsamples` weight vectors from the variational posterior and
#' evaluates the network on `newdata` for each. The mean of these draws is
#' the posterior predictive mean; their quantiles give a credible interval
#' for the mean function (model, or epistemic, uncertainty). Adding the
#' likelihood's own noise to each draw gives draws of the response whose
#' quantiles form a prediction interval (epistemic plus aleatoric).
#'
#' @param object A `bbb_fit`.
#' @param newdata A matrix or data frame with the predictors of the fit
#'   (data frames are matched by column name). If missing, the training
#'   data kept in the fit.
#' @param type `"response"`: posterior mean on the response scale (the mean,
#'   probability or rate); `"link"`: posterior mean of the linear predictor;
#'   `"class"`: the most probable class (binomial, multinomial);
#'   `"samples"`: draws of the mean function, an `nsamples x n` matrix (an
#'   `nsamples x n x K` array of class probabilities for the multinomial);
#'   `"predictive"`: draws of the response itself, an `nsamples x n`
#'   matrix (class indices for the multinomial).
#' @param interval `"none"`, `"credible"` (for the mean function) or
#'   `"prediction"` (for a new observation). With an interval, `"response"`
#'   and `"link"` return a matrix with columns `fit`, `lwr`, `upr` (for the
#'   multinomial, an `n x K x 3` array).
#' @param level Probability of the central interval.
#' @param nsamples Number of posterior draws.
#' @param ... Not used.
#' @return See `type` and `interval`.
#' @examples
#' set.seed(1)
#' x <- matrix(runif(100, -1, 1))
#' y <- x[, 1]^2 + rnorm(100, sd = 0.1)
#' fit <- bbb_fit(x, y, hidden = 8, epochs = 50, verbose = FALSE)
#' predict(fit, matrix(c(-0.5, 0, 0.5)), interval = "prediction")
#' dim(predict(fit, matrix(c(-0.5, 0, 0.5)), type = "samples",
#'             nsamples = 100))
#' @export
predict.bbb_fit <- function(object, newdata, type = "response",
                            interval = "none", level = 0.95,
                            nsamples = 500L, ...) {
  check_choice(type, c("response", "link", "class", "samples", "predictive"),
               "type")
  check_choice(interval, c("none", "credible", "prediction"), "interval")
  check_number(level, "level", lower = 0, upper = 1, open = TRUE)
  check_count(nsamples, "nsamples")
  check_no_dots(..., fn = "predict()")
  check_predict_type(object, type, interval)
  x <- model_inputs(object, newdata)
  multi <- object$family == "multinomial"
  scale <- if (type == "link") "link" else "response"
  mu <- drop_k(engine_draws(object, x, nsamples, scale), object)
  if (multi) dimnames(mu) <- list(NULL, rownames(x), object$levels)
  if (type == "class") return(predict_class(object, mu))
  if (type == "samples") return(mu)
  if (type == "predictive" || interval == "prediction") {
    ydraw <- draw_response(object, mu)
    if (type == "predictive") return(ydraw)
  }
  fit <- if (multi) apply(mu, c(2L, 3L), mean) else colMeans(mu)
  if (multi) colnames(fit) <- object$levels
  if (interval == "none") return(name_rows(fit, x))
  probs <- c((1 - level) / 2, (1 + level) / 2)
  src <- if (interval == "prediction") ydraw else mu
  if (multi) {
    q <- array(col_quantiles(matrix(src, dim(src)[1L]), probs),
               c(2L, dim(src)[2L], dim(src)[3L]))
    out <- array(c(fit, q[1L, , ], q[2L, , ]), c(dim(fit), 3L),
                 list(NULL, object$levels, c("fit", "lwr", "upr")))
    return(out)
  }
  q <- col_quantiles(src, probs)
  name_rows(cbind(fit = fit, lwr = q[1L, ], upr = q[2L, ]), x)
}

name_rows <- function(v, x) {
  if (is.matrix(v)) rownames(v) <- rownames(x) else names(v) <- rownames(x)
  v
}

# The engine's (standardized) inputs for newdata, or the kept training data.
model_inputs <- function(object, newdata) {
  if (missing(newdata) || is.null(newdata)) {
    if (is.null(object$data)) {
      abort("`newdata` is needed: the fit was made with `keep_data = FALSE`.")
    }
    return(scale_inputs(object$data$x, object$prep))
  }
  new_design(object$prep, newdata)
}

# Draws of the linear predictor (scale "link") or of the mean on the
# response scale ("response"): an nsim x n x K array, computed in C. A
# non-finite value is an error there.
engine_draws <- function(fit, x, nsim, scale = "link") {
  link <- if (scale == "response") response_link(fit)
  .Call(C_bbb_predict, net_spec(fit), get_theta(fit), x, as.integer(nsim),
        fit$control$threads, link)
}

# How the engine maps eta to the mean (see bbb_link in src/predict.h).
response_link <- function(fit) {
  kind <- switch(fit$family, gaussian = 1L, binomial = 2L, poisson = 3L,
                 multinomial = 4L)
  list(kind = kind, shift = as.double(fit$y_center),
       scale = as.double(fit$y_scale))
}

drop_k <- function(draws, fit) {
  if (fit$family == "multinomial") draws else matrix(draws, dim(draws)[1L])
}

# Draws of the mean function on the response scale, from draws of eta.
mean_function <- function(fit, eta) {
  mu <- switch(fit$family,
    gaussian = matrix(eta, dim(eta)[1L]) * fit$y_scale + fit$y_center,
    binomial = stats::plogis(matrix(eta, dim(eta)[1L])),
    poisson = exp(matrix(eta, dim(eta)[1L])),
    multinomial = softmax3(eta)
  )
  if (!all(is.finite(mu))) {
    abort("The predicted mean is non-finite (overflow) for some rows; ",
          "are they far outside the training range?")
  }
  mu
}

softmax3 <- function(eta) {
  mx <- apply(eta, c(1L, 2L), max)
  e <- exp(eta - as.vector(mx))
  e / as.vector(apply(e, c(1L, 2L), sum))
}

# Draws of the response: the mean function plus the likelihood's noise.
draw_response <- function(fit, mu) {
  ns <- length(mu)
  switch(fit$family,
    gaussian = mu + stats::rnorm(ns, 0, noise_sd(fit)),
    binomial = matrix(stats::rbinom(ns, 1L, mu), nrow(mu)),
    poisson = matrix(stats::rpois(ns, mu), nrow(mu)),
    multinomial = {
      d <- dim(mu)
      cum <- aperm(apply(mu, c(1L, 2L), cumsum), c(2L, 3L, 1L))
      u <- stats::runif(d[1L] * d[2L])
      matrix(1L + rowSums(matrix(u, ncol = d[3L], nrow = d[1L] * d[2L]) >
                            matrix(cum, ncol = d[3L])), d[1L], d[2L])
    }
  )
}

# The most probable class, from draws of the class probabilities.
predict_class <- function(fit, mu) {
  lev <- fit$levels %||% c("0", "1")
  if (fit$family == "binomial") {
    idx <- 1L + (colMeans(mu) > 0.5)
  } else {
    idx <- max.col(apply(mu, c(2L, 3L), mean), ties.method = "first")
  }
  factor(lev[idx], levels = lev)
}

# Noise sd of a gaussian fit on the scale of y.
noise_sd <- function(fit) exp(fit$tau) * fit$y_scale

# Column quantiles (type 7) of a draws matrix, one row per probability.
col_quantiles <- function(x, probs) {
  .Call(C_bbb_col_quantiles, x, as.double(probs))
}

# log p(y_i | data) = log mean_s p(y_i | eta_s), by log-sum-exp over draws,
# for the engine's coding of y (standardized for a gaussian fit).
log_pred_density <- function(fit, eta, y, scaled = TRUE) {
  lp <- log_density_draws(fit, eta, y, scaled)
  ns <- nrow(lp)
  mx <- apply(lp, 2L, max)
  mx + log(colMeans(exp(lp - rep(mx, each = ns))))
}

# log p(y_i | eta_s) for every draw s (rows) and observation i (columns),
# y in the engine's coding. For a gaussian fit, `scaled = FALSE` gives the
# density of y on its original scale (the Jacobian of the standardization).
log_density_draws <- function(fit, eta, y, scaled = TRUE) {
  ns <- dim(eta)[1L]
  n <- dim(eta)[2L]
  yy <- rep(y, each = ns)
  lp <- switch(fit$family,
    gaussian = stats::dnorm(yy, eta, exp(fit$tau), log = TRUE),
    binomial = yy * eta - softplus(eta),
    poisson = stats::dpois(yy, exp(eta), log = TRUE),
    multinomial = {
      flat <- matrix(eta, ns * n)
      mx <- apply(flat, 1L, max)
      flat[cbind(seq_len(ns * n), yy + 1L)] - mx -
        log(rowSums(exp(flat - mx)))
    }
  )
  lp <- matrix(lp, ns, n)
  if (!scaled && fit$family == "gaussian") lp <- lp - log(fit$y_scale)
  lp
}
