#' An ensemble of independently initialised Bayesian neural networks
#'
#' Fits `members` networks by [bbb_fit()] on the same data, each from its
#' own random initialisation and with its own random minibatches and
#' weight draws. Its predictions pool the members' posterior draws in equal
#' shares: draws from the equal mixture of the members' variational
#' posteriors. A single mean-field fit finds one mode of the posterior and
#' is too sure of itself away from the data; the mixture covers several
#' modes and is better calibrated (Lakshminarayanan, Pritzel and Blundell
#' 2017; Wilson and Izmailov 2020). It costs `members` fits, which run as
#' futures, in parallel under a parallel plan of \pkg{future}; see
#' [bbb_cv()] for the plans, a cluster, and why the result does not
#' depend on the plan.
#'
#' `predict()` takes the arguments of [predict.bbb_fit()]; `nsamples` is
#' the total number of draws, split as evenly as possible between the
#' members. [bbb_evaluate()] scores an ensemble as it scores a fit (the
#' log predictive density is that of the mixture). The methods of
#' \pkg{rstantools} ([bbb-rstantools]) pool the members' draws the same
#' way; `ndraws` is their total.
#'
#' @param x A formula, or predictors, as for [bbb_fit()].
#' @param ... Further arguments of [bbb_fit()] (`data` or `y`, `hidden`,
#'   `epochs`, ...); `verbose` defaults to `FALSE`.
#' @param members Number of fits.
#' @return An object of class `bbb_ensemble`: a list with `fits` (the
#'   `members` fits), `seed` (the default seed of its predictions, drawn
#'   from R's random numbers after the fits, as [bbb_fit()] does) and
#'   `call`.
#' @references Lakshminarayanan B, Pritzel A, Blundell C (2017). Simple and
#'   scalable predictive uncertainty estimation using deep ensembles.
#'   NeurIPS. arXiv:1612.01474.
#'
#'   Wilson AG, Izmailov P (2020). Bayesian deep learning and a
#'   probabilistic perspective of generalization. NeurIPS.
#'   arXiv:2002.08791.
#' @examples
#' set.seed(1)
#' x <- matrix(runif(60, -1, 1))
#' y <- sin(3 * x[, 1]) + rnorm(60, sd = 0.1)
#' ens <- bbb_ensemble(x, y = y, hidden = 16, epochs = 100, members = 3)
#' ens
#' grid <- matrix(seq(-2, 2, length.out = 5))
#' predict(ens, grid, interval = "credible")
#' @export
bbb_ensemble <- function(x, ..., members = 5L) {
  if (missing(x)) abort("`x` is missing: give a formula or predictors.")
  members <- check_count(members, "members", max = 10000)
  args <- fit_args(x, list(...))
  fits <- run_tasks(rep(list(args), members), run_fit, "Member")
  # the seed of its predictions, as a fit keeps one (see predict.bbb_fit())
  structure(list(fits = fits, seed = new_seed(), call = match.call()),
            class = "bbb_ensemble")
}

#' @export
print.bbb_ensemble <- function(x, digits = 4, ...) {
  f <- x$fits[[1L]]
  cat(sprintf("Ensemble of %d Bayesian neural networks (%s)\n",
              length(x$fits), f$family))
  cat("  architecture:", paste(f$width, collapse = " -> "), "\n")
  elbo <- vapply(x$fits, function(m) {
    tr <- m$trace
    if (nrow(tr)) tr$elbo[nrow(tr)] else NA_real_
  }, 0)
  cat("  final ELBO of the members:",
      paste(format(elbo, digits = digits), collapse = ", "), "\n")
  if (f$family == "gaussian") {
    cat("  noise sd of the members:",
        paste(format(vapply(x$fits, sigma.bbb_fit, 0), digits = digits),
              collapse = ", "), "\n")
  }
  invisible(x)
}

#' @rdname bbb_ensemble
#' @param object A `bbb_ensemble`.
#' @param newdata,type,interval,level,nsamples,seed As for
#'   [predict.bbb_fit()] (`type = "prob"` without an interval); the default
#'   `seed` is the ensemble's.
#' @export
predict.bbb_ensemble <- function(object, newdata, type = "response",
                                 interval = "none", level = 0.95,
                                 nsamples = NULL, seed = object$seed, ...) {
  check_choice(type, predict_types, "type")
  check_choice(interval, c("none", "credible", "prediction"), "interval")
  check_number(level, "level", lower = 0, upper = 1, open = TRUE)
  check_no_dots(..., fn = "predict()")
  first <- object$fits[[1L]]
  check_predict_type(first, type, interval)
  if (type == "prob" && interval != "none") {
    abort("`interval` must be \"none\" for `type = \"prob\"` of an ",
          "ensemble; `type = \"samples\"` gives the draws.")
  }
  nsamples <- check_nsamples(nsamples, first, type)
  if (missing(newdata)) newdata <- NULL
  gaussian_link <- type == "link" && first$family != "gaussian"
  scale <- if (gaussian_link) "link" else "response"
  need_y <- type == "predictive" || interval == "prediction"
  pool <- pooled_draws(object, newdata, nsamples, scale, need_y, seed)
  mu <- pool$mu
  multi <- first$family == "multinomial"
  if (type == "samples") return(mu)
  if (type == "predictive") return(pool$y)
  lev <- class_levels(first)
  if (type == "class") {
    return(factor(lev[class_index(first, mu)], levels = lev))
  }
  if (type == "prob") {
    p <- if (multi) apply(mu, c(2L, 3L), mean) else colMeans(mu)
    if (!multi) p <- cbind(1 - p, p)
    dimnames(p) <- list(dimnames(mu)[[2L]], lev)
    return(p)
  }
  fit <- if (multi) apply(mu, c(2L, 3L), mean) else colMeans(mu)
  if (interval == "none") return(fit)
  probs <- c((1 - level) / 2, (1 + level) / 2)
  discrete <- interval == "prediction" && first$family != "gaussian"
  src <- if (interval == "prediction") pool$y else mu
  if (multi) {
    q <- array(draw_quantiles(matrix(src, dim(src)[1L]), probs),
               c(2L, dim(src)[2L], dim(src)[3L]))
    return(array(c(fit, q[1L, , ], q[2L, , ]), c(dim(fit), 3L),
                 list(dimnames(mu)[[2L]], first$levels,
                      c("fit", "lwr", "upr"))))
  }
  q <- draw_quantiles(src, probs, discrete)
  cbind(fit = fit, lwr = q[1L, ], upr = q[2L, ])
}

# Draws split between the members: `nsamples` in all, as even as possible
# (at least one a member).
member_counts <- function(m, nsamples) {
  pmax(1L, nsamples %/% m + (seq_len(m) <= nsamples %% m))
}

# The members' draws of the mean function (scale "response") or the
# linear predictor ("link"), stacked along the draws: an nsamples x n
# matrix, or an nsamples x n x K array for a multinomial fit; with
# `need_y`, also draws of the response, each member's from its own draws
# and noise. R's random numbers are set by `seed` as in predict().
pooled_draws <- function(object, newdata, nsamples, scale, need_y = FALSE,
                         seed = object$seed) {
  seed <- check_seed(seed)
  counts <- member_counts(length(object$fits), nsamples)
  parts <- with_draw_seed(seed, lapply(seq_along(object$fits), function(i) {
    m <- object$fits[[i]]
    x <- model_inputs(m, newdata)
    d <- engine_draws(m, x, counts[i], scale, new_seed())
    list(mu = drop_k(d, m), y = if (need_y) draw_response(m, d),
         rows = rownames(x))
  }))
  first <- object$fits[[1L]]
  mu <- stack_draws(lapply(parts, `[[`, "mu"))
  rows <- parts[[1L]]$rows
  if (first$family == "multinomial") {
    dimnames(mu) <- list(NULL, rows, first$levels)
  } else {
    colnames(mu) <- rows
  }
  y <- if (need_y) stack_draws(lapply(parts, `[[`, "y"))
  if (!is.null(y)) colnames(y) <- rows
  list(mu = mu, y = y)
}

# Binds matrices by rows, or 3-d arrays along their first dimension.
stack_draws <- function(parts) {
  if (length(dim(parts[[1L]])) == 2L) return(do.call(rbind, parts))
  d <- dim(parts[[1L]])
  total <- sum(vapply(parts, function(p) dim(p)[1L], 0L))
  out <- array(0, c(total, d[2L], d[3L]))
  at <- 0L
  for (p in parts) {
    out[at + seq_len(dim(p)[1L]), , ] <- p
    at <- at + dim(p)[1L]
  }
  out
}

# bbb_evaluate() of an ensemble: the metrics of bbb_evaluate() from the
# pooled draws (the log density is log mean_s p(y | w_s) over the draws of
# all members, that of the mixture).
evaluate_ensemble <- function(object, newdata, y, nsamples, coverage,
                              seed = object$seed) {
  if (missing(newdata)) abort("`newdata` is missing: give the held-out rows.")
  if (missing(y)) {
    abort("`y` is missing: give the observed response of the rows of ",
          "`newdata`.")
  }
  first <- object$fits[[1L]]
  nsamples <- check_nsamples(nsamples, first)
  seed <- check_seed(seed)
  check_coverage(coverage)
  family <- first$family
  x <- new_design(first$prep, newdata, scaled = FALSE)
  if (NROW(y) != nrow(x)) {
    abort(sprintf("`newdata` has %d rows but `y` has %d elements; they must ",
                  nrow(x), NROW(y)), "match.")
  }
  yy <- encode_response(y, family, first$levels)$y
  counts <- member_counts(length(object$fits), nsamples)
  parts <- with_draw_seed(seed, lapply(seq_along(object$fits), function(i) {
    m <- object$fits[[i]]
    eta <- engine_draws(m, scale_inputs(x, m$prep), counts[i],
                        seed = new_seed())
    y_eng <- if (family == "gaussian") (yy - m$y_center) / m$y_scale else yy
    d <- inverse_link(m, eta)
    list(lp = log_lik_draws(m, eta, y_eng, scaled = FALSE),
         mu = drop_k(d, m),
         y = if (family == "gaussian") draw_response(m, d))
  }))
  lp <- do.call(rbind, lapply(parts, `[[`, "lp"))
  mx <- apply(lp, 2L, max)
  lpd <- mx + log(colMeans(exp(lp - rep(mx, each = nrow(lp)))))
  ydraw <- if (family == "gaussian") do.call(rbind, lapply(parts, `[[`, "y"))
  out <- score_draws(family, yy, lpd, stack_draws(lapply(parts, `[[`, "mu")),
                     ydraw, coverage) / nrow(x)
  if ("rmse" %in% names(out)) out["rmse"] <- sqrt(out["rmse"])
  structure(data.frame(n = nrow(x), as.list(out), check.names = FALSE),
            class = c("bbb_evaluation", "data.frame"), family = family,
            nsamples = sum(counts))
}

#' @rdname bbb-rstantools
#' @exportS3Method rstantools::posterior_predict
posterior_predict.bbb_ensemble <- function(object, newdata = NULL,
                                           ndraws = 1000L,
                                           seed = object$seed, ...) {
  check_no_dots(..., fn = "posterior_predict()")
  ndraws <- check_count(ndraws, "ndraws")
  pooled_draws(object, newdata, ndraws, "response", need_y = TRUE,
               seed = seed)$y
}

#' @rdname bbb-rstantools
#' @exportS3Method rstantools::posterior_epred
posterior_epred.bbb_ensemble <- function(object, newdata = NULL,
                                         ndraws = 1000L, seed = object$seed,
                                         ...) {
  check_no_dots(..., fn = "posterior_epred()")
  ndraws <- check_count(ndraws, "ndraws")
  pooled_draws(object, newdata, ndraws, "response", seed = seed)$mu
}

#' @rdname bbb-rstantools
#' @exportS3Method rstantools::log_lik
log_lik.bbb_ensemble <- function(object, newdata = NULL, y = NULL,
                                 ndraws = 1000L, seed = object$seed, ...) {
  check_no_dots(..., fn = "log_lik()")
  ndraws <- check_count(ndraws, "ndraws")
  seed <- check_seed(seed)
  counts <- member_counts(length(object$fits), ndraws)
  with_draw_seed(seed, do.call(rbind, lapply(seq_along(object$fits),
                                             function(i) {
    log_lik.bbb_fit(object$fits[[i]], newdata = newdata, y = y,
                    ndraws = counts[i], seed = NULL)
  })))
}

#' @rdname bbb-rstantools
#' @exportS3Method loo::loo
loo.bbb_ensemble <- function(x, newdata = NULL, y = NULL, ndraws = 1000L,
                             seed = x$seed, ...) {
  ll <- log_lik.bbb_ensemble(x, newdata = newdata, y = y, ndraws = ndraws,
                             seed = seed)
  loo::loo(ll, r_eff = rep(1, ncol(ll)), ...)
}
