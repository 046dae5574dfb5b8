#' Signal-to-noise ratio of the weights, and pruning by it
#'
#' `snr()` returns the signal-to-noise ratio \eqn{|\mu| / \sigma} of the
#' posterior of every weight and bias. `prune()` removes the parameters
#' with the lowest ratio, as in section 5.1 and Table 2 of Blundell et al.
#' (2015): a weight whose posterior straddles zero carries little
#' information, and setting it to zero changes the predictions little.
#'
#' A pruned parameter is exactly zero with no posterior variance: `prune()`
#' sets its mean to 0 and records it in `fit$mask` (a 0/1 vector in the
#' order of [coef()], 0 for pruned), which the engine honours everywhere:
#' pruned parameters are not sampled by [predict()], they drop out of the KL
#' term, and [bbb_continue()] keeps them at zero while it trains the others
#' (fine-tuning after pruning). Their \eqn{\rho} is left as it was, so the
#' fit holds only finite numbers; `coef(fit, "sd")`, [as.matrix()] and
#' [summary()] report a standard deviation of 0. The ratios are those of
#' the parameters as the network is trained (`coef(fit, scale =
#' "standardized")`), so that a ratio is that of one parameter of the
#' network.
#'
#' `fraction` is the share of all (eligible) parameters that are zero
#' afterwards, rounded to a whole number of parameters. Parameters pruned
#' before stay pruned: they have a ratio of 0 and come first, so pruning a
#' pruned fit to a larger fraction removes further parameters, and to a
#' smaller one removes none.
#'
#' @param fit A `bbb_fit`.
#' @param fraction Share of the parameters to set to zero, in \[0, 1\].
#' @param biases Whether the biases may be pruned too (the default; the
#'   paper counts all parameters). With `FALSE` only the connection weights
#'   are ranked and `fraction` refers to them.
#' @return `snr()`: a named vector like `coef(fit)` (pruned parameters have
#'   a ratio of 0). `prune()`: the pruned `bbb_fit`, ready for [predict()],
#'   [bbb_evaluate()] or further training with [bbb_continue()].
#' @references Blundell C, Cornebise J, Kavukcuoglu K, Wierstra D (2015).
#'   Weight uncertainty in neural networks. ICML. arXiv:1505.05424.
#' @examples
#' set.seed(1)
#' x <- matrix(rnorm(400), 200, 2)
#' y <- x[, 1] - x[, 2]^2 + rnorm(200, sd = 0.2)
#' fit <- bbb_fit(x, y, hidden = 16, verbose = FALSE)
#' summary(snr(fit))
#' small <- prune(fit, 0.75)
#' mean(coef(small, scale = "standardized") == 0)
#' c(full = bbb_evaluate(fit, x, y, nsamples = 200)$rmse,
#'   pruned = bbb_evaluate(small, x, y, nsamples = 200)$rmse)
#' small <- bbb_continue(small, epochs = 50, verbose = FALSE)
#' mean(coef(small, scale = "standardized") == 0)
#' @export
snr <- function(fit) {
  check_fit(fit)
  mu <- coef(fit, "mean", scale = "standardized")
  sd <- coef(fit, "sd", scale = "standardized")
  ratio <- abs(mu) / sd
  ratio[param_mask(fit) == 0 | is.nan(ratio)] <- 0
  ratio
}

#' @rdname snr
#' @export
prune <- function(fit, fraction, biases = TRUE) {
  check_fit(fit)
  check_number(fraction, "fraction", lower = 0, upper = 1)
  check_flag(biases, "biases")
  mask <- param_mask(fit)
  eligible <- if (biases) seq_along(mask) else which(is_connection(fit))
  n_cut <- round(fraction * length(eligible))
  ranked <- eligible[order(snr(fit)[eligible], mask[eligible])]
  mask[ranked[seq_len(n_cut)]] <- 0
  theta <- get_theta(fit)
  theta[seq_along(mask)] <- theta[seq_along(mask)] * mask
  fit <- set_theta(fit, theta)
  fit$mask <- if (all(mask == 1)) NULL else mask
  # the optimiser's memory of a pruned parameter is cleared, so that its
  # momentum cannot move it (its gradient is zero from now on)
  gone <- which(mask == 0)
  gone <- c(gone, length(mask) + gone)
  if (!is.null(fit$opt_state$m)) {
    fit$opt_state$m[gone] <- 0
    fit$opt_state$v[gone] <- 0
  }
  fit
}

# The engine's 0/1 mask of the parameters (all ones when nothing is pruned).
param_mask <- function(fit) {
  fit$mask %||% rep(1, n_params(fit$width))
}

# TRUE for connection weights, FALSE for biases, in the flat layout.
is_connection <- function(fit) {
  unlist(lapply(fit$params, function(p) {
    c(rep(TRUE, length(p$w_mu)), rep(FALSE, length(p$b_mu)))
  }), use.names = FALSE)
}
