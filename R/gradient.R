#' The variational objective and its analytic gradient
#'
#' Evaluates, at the fit's current parameters and the given noise `eps`,
#' \deqn{f(\mu, \rho) = k (\log q(w | \mu, \rho) - \log P(w)) -
#'   \log p(D | w), \quad w = \mu + \log(1 + e^\rho) \epsilon,}{f(mu, rho)
#'   = k (log q(w | mu, rho) - log P(w)) - log p(D | w),
#'   w = mu + log(1 + exp(rho)) eps,}
#' on the data `x`, `y` with KL weight \eqn{k} (`kl_weight`), and its
#' gradient with respect to every \eqn{\mu} and \eqn{\rho}, as computed by
#' the C engine (no automatic differentiation, no finite differences). With
#' [prior_gaussian()] the KL term \eqn{\log q - \log P}{log q - log P} is
#' replaced by its closed form, as in training. Because `eps` is held fixed,
#' `f` is a deterministic function of the parameters, so the gradient can be
#' checked by finite differences: see `vignette("gradients", package =
#' "bbb")`.
#'
#' Data are preprocessed as in training (standardized inputs and, for a
#' gaussian fit, response), so `f` is the objective the optimiser sees:
#' a training step on a minibatch \eqn{D_i} of \eqn{B} rows with KL weight
#' \eqn{k_i} (see [bbb_fit()]) and the noise of that step moves the
#' parameters along the gradient of `f` on that minibatch with
#' `kl_weight` \eqn{k_i}, divided by \eqn{B} (averaged over the step's
#' `n_samples` draws); the package's tests check exactly this against the
#' engine's steps.
#'
#' @param fit A `bbb_fit`.
#' @param x,y Data on the original scale, as for [bbb_fit()].
#' @param eps The noise: for the weight estimator a list shaped like
#'   `fit$params`, each element a list with a matrix `w` and a vector `b`;
#'   for the local estimator a list with one `nrow(x) x n_l` matrix per
#'   layer. `NULL` draws standard normals.
#' @param kl_weight The weight \eqn{k} of the KL term, a number in
#'   \[0, 1\]: 1 for the whole data, \eqn{k_i} for a minibatch.
#' @return A list: `value` (f), `nll` (\eqn{-\log p(D | w)}{-log p(D | w)}),
#'   `kl` (the KL term), `gradient` (shaped like `fit$params`, with `w_mu`,
#'   `w_rho`, `b_mu`, `b_rho`), `tau` (derivative in the log noise sd of a
#'   gaussian fit on the standardized scale) and `eps` (the noise used).
#' @examples
#' set.seed(1)
#' x <- matrix(rnorm(20), 10)
#' y <- rnorm(10)
#' fit <- bbb_fit(x, y, hidden = 3, epochs = 1, verbose = FALSE)
#' g <- bbb_gradient(fit, x, y)
#' g$value
#' g$gradient$hidden1$w_rho
#' @export
bbb_gradient <- function(fit, x, y, eps = NULL, kl_weight = 1) {
  check_fit(fit)
  check_number(kl_weight, "kl_weight", lower = 0, upper = 1)
  xs <- new_design(fit$prep, x, "x")
  yy <- encode_response(y, fit$family, fit$levels)$y
  if (length(yy) != nrow(xs)) {
    abort("`x` and `y` must have the same number of rows.")
  }
  if (fit$family == "gaussian") yy <- (yy - fit$y_center) / fit$y_scale
  if (is.null(eps)) eps <- draw_eps(fit, nrow(xs))
  noise <- flatten_eps(fit, eps, nrow(xs))
  res <- .Call(C_bbb_objective, net_spec(fit), get_theta(fit), xs, yy,
               noise, as.double(kl_weight))
  g <- unpack_theta(res$gradient, fit$width, fit$unit_names)
  grad <- lapply(g, function(p) p)
  list(value = res$value, nll = res$nll, kl = res$kl, gradient = grad,
       tau = res$gradient[length(res$gradient)], eps = eps)
}

draw_eps <- function(fit, n) {
  if (fit$estimator == "local") {
    return(lapply(fit$width[-1L], function(k) matrix(stats::rnorm(n * k), n)))
  }
  lapply(fit$params, function(p) {
    list(w = matrix(stats::rnorm(length(p$w_mu)), nrow(p$w_mu)),
         b = stats::rnorm(length(p$b_mu)))
  })
}

flatten_eps <- function(fit, eps, n) {
  bad <- function() {
    abort("`eps` must be shaped like `fit$params` (see ?bbb_gradient).")
  }
  if (!is.list(eps) || length(eps) != length(fit$params)) bad()
  if (fit$estimator == "local") {
    ok <- all(vapply(seq_along(eps), function(l) {
      is.numeric(eps[[l]]) && identical(dim(eps[[l]]),
                                        c(n, fit$width[l + 1L]))
    }, NA))
    if (!ok) bad()
    noise <- as.double(unlist(eps))
    if (!all(is.finite(noise))) abort("`eps` must be finite.")
    return(noise)
  }
  ok <- all(vapply(seq_along(eps), function(l) {
    e <- eps[[l]]
    p <- fit$params[[l]]
    is.list(e) && is.numeric(e$w) && is.numeric(e$b) &&
      length(e$w) == length(p$w_mu) && length(e$b) == length(p$b_mu)
  }, NA))
  if (!ok) bad()
  noise <- as.double(unlist(lapply(eps, function(e) c(e$w, e$b))))
  if (!all(is.finite(noise))) abort("`eps` must be finite.")
  noise
}

# The noise that training step t (counted over the fit, from 1), sample s
# (from 0) draws, for an engine state `rng_state` as bbb_train takes it
# (NULL: seeded from R's RNG as bbb_train seeds it, so that set.seed(k)
# before each of them gives the noise of that run): eps in the layout of
# draw_eps() for the weight estimator, or the local estimator's zeta, a
# list of rows x n_l matrices. For the tests of what training applies.
train_noise <- function(fit, t, s, rows, rng_state = NULL) {
  res <- .Call(C_bbb_train_noise, net_spec(fit), rng_state, as.double(t),
               as.integer(s), as.integer(rows))
  if (fit$estimator == "local") {
    widths <- fit$width[-1L]
    ends <- cumsum(rows * widths)
    return(lapply(seq_along(widths), function(l) {
      matrix(res$zeta[(ends[l] - rows * widths[l]) + seq_len(rows *
                                                                widths[l])],
             rows, widths[l])
    }))
  }
  theta <- c(res$eps, 0 * res$eps, 0)
  lapply(unpack_theta(theta, fit$width), function(p) {
    list(w = p$w_mu, b = unname(p$b_mu))
  })
}
