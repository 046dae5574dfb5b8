#' Held-out performance of a Bayesian neural network
#'
#' Scores a fit on data it has not seen, from `nsamples` draws of the
#' weights, with the metrics of the Bayesian deep learning benchmarks
#' (Hernandez-Lobato and Adams 2015; Gal and Ghahramani 2016).
#'
#' * `log_lik`: the mean test log predictive density per observation,
#'   \eqn{\frac{1}{n}\sum_i \log \frac{1}{S}\sum_s p(y_i | w_s)}{(1/n)
#'   sum_i log((1/S) sum_s p(y_i | w_s))}, the log
#'   of the Monte Carlo predictive density taken by log-sum-exp over the
#'   draws. For a gaussian fit it is a density on the original scale of
#'   `y` (whatever `standardize` did), so it can be compared with published
#'   figures; for the other families it is the log probability of the
#'   observed class or count.
#' * `rmse` (gaussian and poisson): root mean squared error of the
#'   posterior predictive mean.
#' * `accuracy` and `brier` (binomial and multinomial): the share of rows
#'   whose most probable class (by the posterior mean probabilities, as in
#'   `predict(type = "class")`) is the observed one, and the Brier score.
#'   For the binomial family the Brier score is the mean of
#'   \eqn{(p_i - y_i)^2}, with \eqn{p_i} the probability of the second
#'   class; for the multinomial the mean over rows of
#'   \eqn{\sum_k (p_{ik} - [y_i = k])^2}.
#' * `coverage_50`, ... (gaussian): the share of rows whose `y` falls in the
#'   central prediction interval of that level, from the quantiles of the
#'   predictive draws as in `predict(interval = "prediction")`. A calibrated
#'   model covers about 50%, 90% and 95%.
#'
#' The rows are scored in blocks of at most \eqn{2^{21}} numbers of draws
#' (`nsamples` times the rows times the classes), to bound the memory used;
#' every block sees the same draws of the weights, so the result does not
#' depend on the blocking. The draws are those of [predict.bbb_fit()]: by
#' default from the seed stored in the fit, so that the same call gives the
#' same numbers; `seed` picks another set, `seed = NULL` draws from R's
#' random number stream.
#'
#' @param fit A `bbb_fit`, or a [bbb_ensemble()] (scored by its pooled
#'   draws).
#' @param newdata Predictors of the held-out rows: a matrix or data frame
#'   as for [predict.bbb_fit()].
#' @param y The observed response of those rows, coded as the response of
#'   the fit (numbers, 0/1, logical or factor).
#' @param nsamples Number of posterior draws of the weights; `NULL` for
#'   the default of [predict.bbb_fit()].
#' @param seed `NULL` or a whole number: see above.
#' @param coverage Levels of the central prediction intervals whose
#'   empirical coverage is reported (gaussian fits).
#' @return A one-row data frame of class `bbb_evaluation` with columns `n`
#'   (the number of rows), `log_lik` and, by family, `rmse`, `coverage_*`,
#'   `accuracy` and `brier`.
#' @references Hernandez-Lobato JM, Adams RP (2015). Probabilistic
#'   backpropagation for scalable learning of Bayesian neural networks.
#'   ICML. arXiv:1502.05336.
#'
#'   Gal Y, Ghahramani Z (2016). Dropout as a Bayesian approximation:
#'   representing model uncertainty in deep learning. ICML.
#'   arXiv:1506.02142.
#' @examples
#' set.seed(1)
#' x <- matrix(runif(300, -1, 1))
#' y <- sin(3 * x[, 1]) + rnorm(300, sd = 0.1)
#' train <- 1:200
#' fit <- bbb_fit(x[train, , drop = FALSE], y[train], hidden = 16,
#'                verbose = FALSE)
#' bbb_evaluate(fit, x[-train, , drop = FALSE], y[-train], nsamples = 200)
#'
#' fit2 <- bbb_fit(Species ~ ., data = iris[-(1:10 * 15), ], hidden = 8,
#'                 verbose = FALSE)
#' bbb_evaluate(fit2, iris[1:10 * 15, ], iris$Species[1:10 * 15])
#' @export
bbb_evaluate <- function(fit, newdata, y, nsamples = NULL,
                         coverage = c(0.5, 0.9, 0.95), seed = fit$seed) {
  if (inherits(fit, "bbb_ensemble")) {
    return(evaluate_ensemble(fit, newdata, y, nsamples, coverage, seed))
  }
  check_fit(fit)
  if (missing(newdata)) abort("`newdata` is missing: give the held-out rows.")
  if (missing(y)) {
    abort("`y` is missing: give the observed response of the rows of ",
          "`newdata`.")
  }
  nsamples <- check_nsamples(nsamples, fit)
  seed <- check_seed(seed)
  check_coverage(coverage)
  x <- new_design(fit$prep, newdata)
  if (is.matrix(y) || is.data.frame(y)) {
    abort("`y` must be a vector or a factor, not a matrix or data frame.")
  }
  n <- nrow(x)
  if (NROW(y) != n) {
    abort(sprintf("`newdata` has %d rows but `y` has %d elements; they must ",
                  n, NROW(y)), "match.")
  }
  yy <- encode_response(y, fit$family, fit$levels)$y
  k <- n_outputs(fit)
  block <- max(1L, floor(2^21 / (as.double(nsamples) * k)))
  sums <- with_draw_seed(seed, {
    eng_seed <- new_seed()
    parts <- lapply(split(seq_len(n), (seq_len(n) - 1L) %/% block),
                    function(i) {
      score_rows(fit, x[i, , drop = FALSE], yy[i], nsamples, coverage,
                 eng_seed)
    })
    Reduce(`+`, parts)
  })
  out <- data.frame(n = n, as.list(sums / n), check.names = FALSE)
  if ("rmse" %in% names(out)) out$rmse <- sqrt(out$rmse)
  structure(out, class = c("bbb_evaluation", "data.frame"),
            family = fit$family, nsamples = nsamples)
}

# Sums over the rows of one block of the per-row metrics (the squared error
# in place of rmse), from one set of posterior draws. y is in the engine's
# coding; a gaussian y is put on the engine's standardized scale for the
# log density, whose Jacobian log_pred_density() adds (scaled = FALSE).
score_rows <- function(fit, x, y, nsamples, coverage, seed) {
  eta <- engine_draws(fit, x, nsamples, seed = seed)
  family <- fit$family
  y_eng <- if (family == "gaussian") (y - fit$y_center) / fit$y_scale else y
  resp <- inverse_link(fit, eta)
  score_draws(family, y, log_pred_density(fit, eta, y_eng, scaled = FALSE),
              drop_k(resp, fit),
              if (family == "gaussian") draw_response(fit, resp), coverage)
}

# The metrics of bbb_evaluate(), summed over rows, from the rows' log
# predictive densities `lpd`, draws of the mean `mu` (draws x rows, or
# draws x rows x classes) and, for a gaussian fit, draws of the response
# `ydraw` (draws x rows); y in the engine's coding (numbers, 0/1, class
# codes from 0).
score_draws <- function(family, y, lpd, mu, ydraw, coverage) {
  out <- c(log_lik = sum(lpd))
  if (family %in% c("gaussian", "poisson")) {
    out["rmse"] <- sum((y - colMeans(mu))^2)
  }
  if (family == "gaussian") {
    probs <- c((1 - coverage) / 2, (1 + coverage) / 2)
    q <- col_quantiles(ydraw, probs)
    m <- length(coverage)
    inside <- vapply(seq_len(m), function(j) {
      sum(y >= q[j, ] & y <= q[m + j, ])
    }, 0)
    names(inside) <- paste0("coverage_", format_level(coverage))
    out <- c(out, inside)
  }
  if (family == "binomial") {
    p <- colMeans(mu)
    out["accuracy"] <- sum((p > 0.5) == (y == 1))
    out["brier"] <- sum((p - y)^2)
  }
  if (family == "multinomial") {
    p <- matrix(colMeans(matrix(mu, dim(mu)[1L])), dim(mu)[2L])
    onehot <- outer(y, seq_len(ncol(p)) - 1, "==") + 0
    out["accuracy"] <- sum(max.col(p, ties.method = "first") == y + 1)
    out["brier"] <- sum((p - onehot)^2)
  }
  out
}

# 0.95 -> "95", 0.5 -> "50", 0.999 -> "99.9".
format_level <- function(p) format(100 * p, trim = TRUE, drop0trailing = TRUE)

check_fit <- function(fit, arg = "fit") {
  if (!inherits(fit, "bbb_fit")) {
    abort(sprintf("`%s` must be a fit made by bbb_fit(), not %s.", arg,
                  describe(fit)))
  }
  invisible(fit)
}

#' @export
print.bbb_evaluation <- function(x, digits = 4, ...) {
  cat(sprintf("Held-out performance (%s, %s posterior draws)\n",
              attr(x, "family") %||% "?", attr(x, "nsamples") %||% "?"))
  df <- x
  attr(df, "family") <- attr(df, "nsamples") <- NULL
  class(df) <- "data.frame"
  print(df, digits = digits, row.names = FALSE)
  invisible(x)
}
