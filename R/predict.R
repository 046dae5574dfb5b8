#' Predictions and posterior draws from a Bayesian neural network
#'
#' Draws `nsamples` weight vectors from the variational posterior and
#' evaluates the network on `newdata` for each. The mean of these draws is
#' the posterior predictive mean; their quantiles give a credible interval
#' for the mean function (model, or epistemic, uncertainty). Adding the
#' likelihood's own noise to each draw gives draws of the response whose
#' quantiles form a prediction interval (epistemic plus aleatoric).
#'
#' @section What is random, and how to reproduce it:
#' Every summary is a Monte Carlo estimate from `nsamples` draws of the
#' weights (and, for prediction intervals and `type = "predictive"`, of the
#' response noise). By default these draws are fixed: they come from the
#' engine's generator seeded by `object$seed`, a number drawn from R's
#' random number generator when the fit was made (so `set.seed()` before
#' [bbb_fit()] fixes it too). Two calls with the same `seed` and `nsamples`
#' give the same numbers, whatever `threads`, and a row gets the same
#' answer whether it is predicted alone or with others (all rows share the
#' same weight draws). `seed = <number>` draws another set of the same
#' kind; `seed = NULL` draws from R's random number stream (as
#' [stats::simulate()] does), so that `set.seed()` before `predict()`
#' controls them. A given seed leaves R's own random number stream as it
#' was.
#'
#' The default number of draws makes two calls with *different* seeds
#' agree closely too: for a network of up to 500 parameters it is 10,000,
#' for larger ones \eqn{5 \cdot 10^6}{5e6} divided by the number of
#' parameters but at least 1000, so that a default call costs at most
#' about \eqn{5 \cdot 10^6}{5e6} multiply-adds per row (`threads` shares
#' them out; a smaller `nsamples` trades stability for speed). How far
#' summaries of default fits then move between seeds is measured by
#' `bench/predict_stability.R` in the sources (see `bench/README.md`): on
#' the Boston housing data, the posterior means of two seeds stay within
#' 1% of `sd(medv)` on every row, and on the package's seed question the
#' most probable class changes on well under 1% of new rows.
#'
#' The weight draws come in antithetic pairs: the second of a pair is
#' \eqn{\mu - \sigma\epsilon}{mu - sigma eps} for the first's
#' \eqn{\mu + \sigma\epsilon}{mu + sigma eps}. Each draw is a draw from the
#' posterior, but the two of a pair are not independent: the part of a
#' prediction that changes sign with \eqn{\epsilon}{eps} cancels within a
#' pair, which roughly halves how far summaries move between seeds. Code
#' that needs independent draws (a bootstrap of the draws, say) should use
#' one draw of each pair, `s[c(TRUE, FALSE), ]`. Summaries are
#' computed in blocks of rows, so the memory of a call does not grow with
#' `nsamples` times
#' `nrow(newdata)` (about 60 MB at most for Boston); only `type =
#' "samples"` and `"predictive"` return all draws, and their default is
#' 1000.
#'
#' @param object A `bbb_fit`.
#' @param newdata A matrix or data frame with the predictors of the fit
#'   (data frames are matched by column name). If missing, the training
#'   data kept in the fit.
#' @param type What to return; see the table in *Value*.
#'   `"response"`: the posterior mean on the response scale (the mean of y,
#'   the probability of the second class for the binomial family, the rate
#'   for the poisson, the class probabilities for the multinomial);
#'   `"link"`: the posterior mean of the linear predictor (for the gaussian
#'   family, whose link is the identity, the same as `"response"`);
#'   `"class"`: the most probable class (binomial, multinomial);
#'   `"prob"`: the class probabilities, an `n x K` matrix with the levels as
#'   column names (binomial, with its two levels, and multinomial);
#'   `"samples"`: draws of the mean function, an `nsamples x n` matrix (an
#'   `nsamples x n x K` array of class probabilities for the multinomial);
#'   `"predictive"`: draws of the response itself, an `nsamples x n`
#'   matrix: numbers (gaussian), counts (poisson), 0/1 for the second class
#'   (binomial), class indices `1..K` (multinomial).
#' @param interval `"none"`, `"credible"` (for the mean function, with
#'   types `"response"`, `"link"` and `"prob"`) or `"prediction"` (for a new
#'   observation, with type `"response"`; not for the multinomial family,
#'   whose response is unordered). The bounds of a prediction interval of a
#'   binomial or poisson response are whole numbers (quantiles of the
#'   predictive draws taken as in `quantile(type = 1)`).
#' @param level Probability of the central interval.
#' @param nsamples Number of posterior draws; `NULL` for the default
#'   described in the section above.
#' @param seed `NULL`, or a whole number that fixes the draws; by default
#'   the seed stored in the fit. See the section above.
#' @param threads Threads for the draws (by default those of the fit). The
#'   numbers do not depend on it.
#' @param na.action What to do with rows of `newdata` that have missing
#'   values (`NA`, `NaN`) in the variables the fit uses: [stats::na.pass()]
#'   (the default, as in [stats::predict.lm()]) predicts `NA` for them in
#'   place, [stats::na.omit()] leaves them out, [stats::na.exclude()]
#'   leaves them out of the computation but pads the result with `NA` in
#'   their place, [stats::na.fail()] makes them an error. Infinite values
#'   are always an error.
#' @param ... Not used.
#' @return By `type` and `interval` (`n` rows of `newdata`, `K` classes;
#'   rows of a matrix or the first dimension of an array are the rows of
#'   `newdata`, named by its row names):
#'
#'   | type | `"none"` | `"credible"` | `"prediction"` |
#'   |---|---|---|---|
#'   | response | vector (1) | matrix (2) | matrix (2), not multinomial |
#'   | link | vector (1) | matrix (2) | error |
#'   | prob | `n x K` matrix | `n x K x 3` array | error |
#'   | class | factor | error | error |
#'   | samples | `nsamples x n` (3) | error | error |
#'   | predictive | `nsamples x n` | error | error |
#'
#'   (1) an `n x K` matrix for the multinomial family. (2) `n x 3`, with
#'   columns `fit`, `lwr` and `upr`; for the multinomial an `n x K x 3`
#'   array. (3) `nsamples x n x K` for the multinomial. `"class"` and
#'   `"prob"` need a binomial or multinomial fit. A row of `newdata` with
#'   missing values gives `NA` (see `na.action`).
#' @examples
#' set.seed(1)
#' x <- matrix(runif(100, -1, 1))
#' y <- x[, 1]^2 + rnorm(100, sd = 0.1)
#' fit <- bbb_fit(x, y, hidden = 8, verbose = FALSE)
#' predict(fit, matrix(c(-0.5, 0, 0.5)), interval = "prediction")
#' # the same numbers again; another seed gives other draws
#' predict(fit, matrix(c(-0.5, 0, 0.5)))
#' predict(fit, matrix(c(-0.5, 0, 0.5)), seed = 2)
#' dim(predict(fit, matrix(c(-0.5, 0, 0.5)), type = "samples",
#'             nsamples = 100))
#' # a missing value gives NA in its place
#' predict(fit, matrix(c(-0.5, NA, 0.5)))
#'
#' fit2 <- bbb_fit(Species ~ ., data = iris, hidden = 4, verbose = FALSE)
#' head(predict(fit2, iris, type = "prob", nsamples = 1000))
#' @export
predict.bbb_fit <- function(object, newdata, type = "response",
                            interval = "none", level = 0.95, nsamples = NULL,
                            seed = object$seed,
                            threads = object$control$threads,
                            na.action = stats::na.pass, ...) {
  check_fit(object, "object")
  check_choice(type, predict_types, "type")
  check_choice(interval, c("none", "credible", "prediction"), "interval")
  check_number(level, "level", lower = 0, upper = 1, open = TRUE)
  check_no_dots(..., fn = "predict()")
  check_predict_type(object, type, interval)
  nsamples <- check_nsamples(nsamples, object, type)
  seed <- check_seed(seed)
  threads <- check_count(threads, "threads", max = 1024)
  inputs <- predict_inputs(object, newdata, na.action)
  out <- if (nrow(inputs$x)) {
    with_draw_seed(seed, predict_rows(object, inputs$x, type, interval,
                                      level, nsamples, threads))
  } else {
    NULL
  }
  place_rows(out, object, inputs, type, interval, nsamples)
}

predict_types <- c("response", "link", "class", "prob", "samples",
                   "predictive")

# The summary or draws of predict() for the rows of the engine's inputs x
# (standardized, finite), without row names. The engine's seed is drawn
# once, so that every block of rows sees the same weight draws.
predict_rows <- function(fit, x, type, interval, level, nsamples, threads) {
  eng_seed <- new_seed()
  multi <- fit$family == "multinomial"
  if (type %in% c("samples", "predictive")) {
    mu <- engine_draws(fit, x, nsamples, "response", eng_seed, threads)
    if (type == "predictive") return(draw_response(fit, mu))
    if (!multi) return(drop_k(mu, fit))
    dimnames(mu) <- list(NULL, NULL, fit$levels)
    return(mu)
  }
  k <- n_outputs(fit)
  probs <- c((1 - level) / 2, (1 + level) / 2)
  parts <- lapply(row_blocks(nrow(x), nsamples * k), function(i) {
    summarise_draws(fit, x[i, , drop = FALSE], type, interval, probs,
                    nsamples, eng_seed, threads)
  })
  bind_blocks(parts)
}

# One block of rows: the draws on the scale `type` asks for, and their
# mean, class or interval, as a list of pieces bound by bind_blocks().
summarise_draws <- function(fit, x, type, interval, probs, nsamples, seed,
                            threads) {
  gaussian <- fit$family == "gaussian"
  scale <- if (type == "link" && !gaussian) "link" else "response"
  d <- engine_draws(fit, x, nsamples, scale, seed, threads)
  if (type == "class") return(list(class = class_index(fit, d)))
  ns <- dim(d)[1L]
  n <- dim(d)[2L]
  ydraw <- if (interval == "prediction") draw_response(fit, d)
  # the draws summarised, as an ns x (n k) matrix: the mean (of each
  # class), or the class probabilities (the dims are set in place, not
  # copied: a block's draws are the memory of a call)
  if (is_hetero(fit)) d <- d[, , 1L]
  dim(d) <- c(ns, length(d) / ns)
  if (type == "prob" && fit$family == "binomial") d <- cbind(1 - d, d)
  k <- ncol(d) / n
  fit_mean <- matrix(colMeans(d), n, k)
  if (interval == "none") return(list(fit = fit_mean))
  discrete <- interval == "prediction" && fit$family != "gaussian"
  q <- draw_quantiles(if (is.null(ydraw)) d else ydraw, probs, discrete)
  list(fit = fit_mean, lwr = matrix(q[1L, ], n, k),
       upr = matrix(q[2L, ], n, k))
}

# Blocks of row indices with at most 2^21 numbers of draws each (16 MB),
# and at least 64 rows, so that the weight draws (redone for each block)
# stay a small part of the work.
row_blocks <- function(n, per_row) {
  size <- max(64L, floor(2^21 / per_row))
  split(seq_len(n), (seq_len(n) - 1L) %/% size)
}

bind_blocks <- function(parts) {
  out <- lapply(stats::setNames(nm = names(parts[[1L]])), function(nm) {
    pieces <- lapply(parts, `[[`, nm)
    if (is.matrix(pieces[[1L]])) do.call(rbind, pieces) else
      unlist(pieces, use.names = FALSE)
  })
  out
}

# Shapes the result of predict_rows() as the user gets it: NA rows for
# rows with missing values (na.pass, na.exclude), row names, level names.
place_rows <- function(out, fit, inputs, type, interval, nsamples) {
  n <- inputs$n_rows
  ok <- inputs$complete
  k <- if (fit$family == "multinomial") n_outputs(fit) else 1L
  lev <- class_levels(fit)
  if (type %in% c("samples", "predictive")) {
    multi <- type == "samples" && fit$family == "multinomial"
    full <- array(NA_real_, if (multi) c(nsamples, n, k) else c(nsamples, n))
    if (!is.null(out)) {
      if (multi) full[, ok, ] <- out else full[, ok] <- out
    }
    if (type == "predictive" && fit$family != "gaussian") {
      storage.mode(full) <- "integer"
    }
    dimnames(full) <- if (multi) {
      list(NULL, inputs$names, fit$levels)
    } else {
      list(NULL, inputs$names)
    }
    return(full)
  }
  if (type == "class") {
    idx <- rep(NA_integer_, n)
    if (!is.null(out)) idx[ok] <- out$class
    cls <- factor(lev[idx], levels = lev)
    names(cls) <- inputs$names
    return(cls)
  }
  pieces <- c("fit", if (interval != "none") c("lwr", "upr"))
  kk <- if (type == "prob") length(lev) else k
  vals <- lapply(stats::setNames(nm = pieces), function(nm) {
    m <- matrix(NA_real_, n, kk)
    if (!is.null(out)) m[ok, ] <- out[[nm]]
    m
  })
  by_class <- type == "prob" || fit$family == "multinomial"
  if (by_class) {
    cols <- if (type == "prob") lev else fit$levels
    if (interval == "none") {
      return(matrix(vals$fit, n, kk, dimnames = list(inputs$names, cols)))
    }
    return(array(unlist(vals, use.names = FALSE), c(n, kk, 3L),
                 list(inputs$names, cols, pieces)))
  }
  if (interval == "none") {
    return(stats::setNames(vals$fit[, 1L], inputs$names))
  }
  matrix(unlist(vals, use.names = FALSE), n, 3L,
         dimnames = list(inputs$names, pieces))
}

# The engine's inputs for predict(): the standardized rows of newdata (or
# of the kept training data) that have no missing values, which rows these
# are among the n_rows the result has, and the result's row names.
predict_inputs <- function(object, newdata, na.action) {
  if (missing(newdata) || is.null(newdata)) {
    x <- model_inputs(object)
    return(list(x = x, complete = rep(TRUE, nrow(x)), n_rows = nrow(x),
                names = NULL))
  }
  if (!is.function(na.action)) {
    abort("`na.action` must be a function such as na.pass or na.omit, not ",
          describe(na.action), ".")
  }
  new_design_na(object$prep, newdata, na.action)
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

# ---- building blocks ---------------------------------------------------
# These are the internal contracts that predict(), fitted(), bbb_evaluate()
# and the ecosystem methods (rstantools, posterior) build on.

# Draws from the engine: an nsim x n x K array (K = 1 but for the
# multinomial) for the standardized inputs x (n x p, finite, as made by
# new_design() or model_inputs()).
# - scale "link": the linear predictor eta as the engine computes it (for
#   a gaussian fit on the standardized scale of y: (y - y_center) /
#   y_scale);
# - scale "response": the mean on the response scale (mean of y, the
#   probability of the second class, the rate, the class probabilities);
#   for a heteroscedastic gaussian fit (K = 2) the mean of y and the noise
#   sd, both on the scale of y.
# Draw s is one weight vector w_s of the posterior for all rows. seed:
# NULL seeds the engine's generator from R's RNG; a whole number seeds it
# directly, and the same seed and nsim give the same weight draws whatever
# x and threads. A non-finite value is an error (a bbb_error).
engine_draws <- function(fit, x, nsim, scale = "link", seed = NULL,
                         threads = fit$control$threads) {
  link <- if (scale == "response") response_link(fit)
  out <- .Call(C_bbb_predict, net_spec(fit), get_theta(fit), x,
               as.integer(nsim), as.integer(threads), link,
               if (!is.null(seed)) as.double(seed))
  check_draws(out)
}

# The mean on the response scale of draws of eta (an array as returned by
# engine_draws(scale = "link")), by the engine's inverse link.
inverse_link <- function(fit, eta) {
  check_draws(.Call(C_bbb_inverse_link, eta, n_outputs(fit),
                    response_link(fit)))
}

check_draws <- function(d) {
  if (isTRUE(attr(d, "nonfinite"))) {
    abort("The network's output is non-finite (overflow) for some rows; ",
          "are they far outside the training range?")
  }
  d
}

# How the engine maps eta to the mean (see bbb_link in src/predict.h).
response_link <- function(fit) {
  kind <- switch(fit$family, gaussian = 1L, binomial = 2L, poisson = 3L,
                 multinomial = 4L)
  if (is_hetero(fit)) kind <- 5L
  list(kind = kind, shift = as.double(fit$y_center),
       scale = as.double(fit$y_scale))
}

n_outputs <- function(fit) as.integer(fit$width[length(fit$width)])

is_hetero <- function(fit) isTRUE(fit$heteroscedastic)

# The draws of the mean as an nsim x n matrix (the first output of a
# heteroscedastic fit), or the draws as they are for the multinomial.
drop_k <- function(draws, fit) {
  if (fit$family == "multinomial") return(draws)
  if (is_hetero(fit) && length(dim(draws)) == 3L) {
    return(matrix(draws[, , 1L], dim(draws)[1L]))
  }
  matrix(draws, dim(draws)[1L])
}

# Draws of the response from response-scale draws `d` as engine_draws()
# returns them (an nsim x n x K array; an nsim x n matrix will do when K
# is 1), with R's random number generator: an nsim x n matrix of numbers
# (gaussian), counts (poisson), 0/1 (binomial: 1 for the second class) or
# class indices 1..K (multinomial).
draw_response <- function(fit, d) {
  ns <- dim(d)[1L]
  n <- dim(d)[2L]
  if (fit$family == "multinomial") {
    k <- dim(d)[3L]
    cum <- aperm(apply(d, c(1L, 2L), cumsum), c(2L, 3L, 1L))
    u <- stats::runif(ns * n)
    return(matrix(1L + rowSums(matrix(u, ncol = k, nrow = ns * n) >
                                 matrix(cum, ncol = k)), ns, n))
  }
  m <- ns * n
  y <- if (is_hetero(fit)) {
    d[, , 1L] + stats::rnorm(m) * d[, , 2L]
  } else {
    switch(fit$family,
      gaussian = d + stats::rnorm(m, 0, noise_sd(fit)),
      binomial = stats::rbinom(m, 1L, d),
      poisson = stats::rpois(m, d)
    )
  }
  dim(y) <- c(ns, n)
  y
}

# The index of the most probable class (by the posterior mean
# probabilities) of each row, from response-scale draws.
class_index <- function(fit, d) {
  if (fit$family == "binomial") return(1L + (colMeans(drop_k(d, fit)) > 0.5))
  p <- matrix(colMeans(matrix(d, dim(d)[1L])), dim(d)[2L])
  max.col(p, ties.method = "first")
}

# The class labels: the levels of a factor response, otherwise "0" and "1".
class_levels <- function(fit) fit$levels %||% c("0", "1")

# Noise sd of a gaussian fit on the scale of y.
noise_sd <- function(fit) exp(fit$tau) * fit$y_scale

# Column quantiles (type 7) of a draws matrix, one row per probability.
col_quantiles <- function(x, probs) {
  .Call(C_bbb_col_quantiles, x, as.double(probs))
}

# Column quantiles as quantile(type = 7), or, for draws of a discrete
# response (whole numbers), as quantile(type = 1): the inverse of the
# empirical distribution function, an order statistic, so a whole number.
# The order statistic is picked by asking type 7 for its exact position
# (with the fuzz of quantile.default) and rounding away the rounding error.
draw_quantiles <- function(x, probs, discrete = FALSE) {
  if (!is.double(x)) storage.mode(x) <- "double"
  if (!discrete) return(col_quantiles(x, probs))
  ns <- nrow(x)
  np <- ns * probs
  j <- floor(np + 4 * .Machine$double.eps)
  o <- pmin(pmax(j + (np > j), 1), ns)
  round(col_quantiles(x, if (ns > 1) (o - 1) / (ns - 1) else 0 * o))
}

# log p(y_i | data) = log mean_s p(y_i | eta_s), by log-sum-exp over draws,
# for the engine's coding of y (standardized for a gaussian fit), from draws
# of eta (engine_draws(scale = "link")). scaled = FALSE gives the density
# of a gaussian y on its original scale.
log_pred_density <- function(fit, eta, y, scaled = TRUE) {
  lp <- log_lik_draws(fit, eta, y)
  ns <- nrow(lp)
  mx <- apply(lp, 2L, max)
  lpd <- mx + log(colMeans(exp(lp - rep(mx, each = ns))))
  if (!scaled && fit$family == "gaussian") lpd <- lpd - log(fit$y_scale)
  lpd
}

# log p(y_i | eta_s): an nsim x n matrix (a draw per row), from draws of eta
# (engine_draws(scale = "link")) and y in the engine's coding (0/1, class
# codes 0..K-1; for a gaussian fit standardized: (y - y_center) / y_scale).
# scaled = FALSE gives the log density of a gaussian y on its original
# scale (log_lik() of the ecosystem methods).
log_lik_draws <- function(fit, eta, y, scaled = TRUE) {
  ns <- dim(eta)[1L]
  n <- dim(eta)[2L]
  yy <- rep(y, each = ns)
  lp <- switch(fit$family,
    gaussian = if (is_hetero(fit)) {
      stats::dnorm(yy, eta[, , 1L], exp(eta[, , 2L]), log = TRUE)
    } else {
      stats::dnorm(yy, eta, exp(fit$tau), log = TRUE)
    },
    binomial = yy * eta - softplus(eta),
    poisson = yy * eta - exp(eta) - lgamma(yy + 1),
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

# ---- seeds --------------------------------------------------------------

# A seed for the engine (or for a fit to keep), from R's RNG.
new_seed <- function() sample.int(.Machine$integer.max, 1L)

# Evaluates `code` with R's RNG set by `seed` (NULL: as it is), restoring
# the user's random number stream (and generator kinds) afterwards. The
# kinds are fixed, so the draws do not depend on RNGkind().
with_draw_seed <- function(seed, code) {
  if (is.null(seed)) return(code)
  env <- globalenv()
  had <- exists(".Random.seed", envir = env, inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = env, inherits = FALSE)
  on.exit({
    if (had) {
      assign(".Random.seed", old, envir = env)
    } else if (exists(".Random.seed", envir = env, inherits = FALSE)) {
      rm(".Random.seed", envir = env)
    }
  })
  set.seed(seed, kind = "Mersenne-Twister", normal.kind = "Inversion",
           sample.kind = "Rejection")
  code
}

# The default number of draws: for summaries 10000, or 5e6 / (number of
# parameters) for networks of more than 500 parameters, at least 1000;
# for draws returned as such ("samples", "predictive", as.matrix()) 1000.
# (bench/predict_stability.R measures what these give.)
default_nsamples <- function(fit, draws = FALSE) {
  if (draws) return(1000L)
  as.integer(min(10000, max(1000, floor(5e6 / n_params(fit$width)))))
}
