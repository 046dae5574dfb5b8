#' Priors on the network weights
#'
#' `prior_gaussian()` is \eqn{N(0, s^2)}{N(0, s^2)}, whose KL term is
#' computed in closed form (no Monte Carlo noise); it is the prior of the
#' local reparameterisation estimator. Without a `scale` its scales are
#' learned by empirical Bayes (see below). A number for `scale` gives the
#' fixed prior \eqn{N(0, scale^2)}{N(0, scale^2)} for every weight and
#' bias.
#'
#' `prior_mixture()` is the scale mixture of two zero-mean Gaussians of
#' Blundell et al. (2015, eq. 7),
#' \deqn{P(w) = \pi N(w | 0, \sigma_1^2) + (1 - \pi) N(w | 0, \sigma_2^2),}{
#'   P(w) = pi N(w | 0, sigma1^2) + (1 - pi) N(w | 0, sigma2^2),}
#' the same for every weight and bias (of the network on standardized
#' inputs), whose KL term is estimated by Monte Carlo: the default prior
#' of [bbb_fit()].
#'
#' @section Empirical Bayes:
#' The parameters fall into groups (see `groups`), group \eqn{g} with prior
#' \eqn{N(0, (s_t r_g)^2)}{N(0, (s_t r_g)^2)}: a scale \eqn{s_t} that the
#' groups of a tie \eqn{t} share, times a relative scale \eqn{r_g}, the sd
#' of the layer's initial weights for weights (He's
#' \eqn{\sqrt{2 / n_{in}}}{sqrt(2 / n_in)} for relu, Glorot's otherwise) and
#' 1 for biases. For the \eqn{n_g} parameters of a group, with posteriors
#' \eqn{N(\mu_j, \sigma_j^2)}{N(mu_j, sigma_j^2)}, let
#' \eqn{S_g = \sum_j (\mu_j^2 + \sigma_j^2)}{S_g = sum(mu_j^2 + sigma_j^2)}.
#' With the hyperprior \eqn{s_t^2 \sim IG(a, b)}{s_t^2 ~ IG(a, b)}, the ELBO
#' plus \eqn{\log p(s_t^2)}{log p(s_t^2)} is largest at
#' \deqn{s_t^2 = \frac{b + \sum_{g \in t} S_g / (2 r_g^2)}{a + 1 +
#'   \sum_{g \in t} n_g / 2},}{s_t^2 = (b + sum_g S_g / (2 r_g^2)) / (a + 1 +
#'   sum_g n_g / 2),}
#' which training recomputes after every step; at that optimum the gradient
#' in \eqn{\mu} and \eqn{\rho} is that of the fixed prior with these
#' scales, so training needs nothing else (`vignette("gradients")` derives
#' it). The hyperprior has shape \eqn{a} = `shape` and its mode
#' \eqn{b / (a + 1)} at `guess`\eqn{^2}: `guess = 1` centres the scales on
#' those of the initial weights. The learned scales are returned by
#' [prior_scales()] and shown by `summary()`.
#'
#' @param scale Standard deviation of the Gaussian prior, or `NULL`
#'   (default) to learn the scales by empirical Bayes.
#' @param groups Under empirical Bayes, which groups share a learned scale:
#'   `"network"` (default) one for all weights (each layer's scaled by the
#'   size of its initial weights) and one for all biases; `"layer"` one for
#'   the weights and one for the biases of each layer; `"unit"` one for the
#'   incoming weights of each unit and one for the biases of each layer.
#' @param shape,guess Shape \eqn{a} of the inverse-gamma hyperprior of
#'   empirical Bayes, and its mode as a multiple of the layer's initial
#'   weight scale (see the section).
#' @param pi Weight of the first component, in (0, 1).
#' @param sigma1,sigma2 Standard deviations of the two components (`sigma1`
#'   is the wide one, `sigma2` the spike near zero).
#' @return An object of class `bbb_prior`.
#' @examples
#' prior_gaussian()
#' prior_gaussian(scale = 0.5)
#' prior_mixture()
#' @export
prior_gaussian <- function(scale = NULL, groups = "network", shape = 1,
                           guess = 1) {
  check_choice(groups, c("network", "layer", "unit"), "groups")
  check_number(shape, "shape", lower = 1e-6, upper = 1e6)
  check_number(guess, "guess", lower = 1e-3, upper = 1e3)
  if (is.null(scale)) {
    return(structure(list(type = "gaussian", eb = TRUE, groups = groups,
                          shape = shape, guess = guess),
                     class = "bbb_prior"))
  }
  check_number(scale, "scale", lower = 0, open = TRUE)
  structure(list(type = "gaussian", eb = FALSE, sigma1 = scale),
            class = "bbb_prior")
}

#' @rdname prior_gaussian
#' @export
prior_mixture <- function(pi = 0.5, sigma1 = 1, sigma2 = exp(-6)) {
  check_number(pi, "pi", lower = 0, upper = 1, open = TRUE)
  check_number(sigma1, "sigma1", lower = 0, open = TRUE)
  check_number(sigma2, "sigma2", lower = 0, open = TRUE)
  structure(list(type = "mixture", eb = FALSE, pi = pi, sigma1 = sigma1,
                 sigma2 = sigma2), class = "bbb_prior")
}

#' @export
format.bbb_prior <- function(x, ...) {
  if (x$type == "mixture") {
    sprintf("scale mixture prior: %s N(0, %s^2) + %s N(0, %s^2)",
            format(x$pi, digits = 3), format(x$sigma1, digits = 3),
            format(1 - x$pi, digits = 3), format(x$sigma2, digits = 3))
  } else if (isTRUE(x$eb)) {
    "gaussian prior, scales by empirical Bayes"
  } else {
    sprintf("gaussian prior: N(0, %s^2)", format(x$sigma1, digits = 3))
  }
}

#' @export
print.bbb_prior <- function(x, ...) {
  cat(format(x), "\n", sep = "")
  invisible(x)
}

#' Prior scales of a fit
#'
#' The standard deviation of the Gaussian prior of each group of
#' parameters (the weights, and the biases, of each layer): learned by
#' empirical Bayes for `prior_gaussian()` without a `scale`, fixed for
#' `prior_gaussian(scale)`. For the scale mixture ([prior_mixture()], the
#' default prior of [bbb_fit()]), the wide component's `sigma1`.
#'
#' @param fit A `bbb_fit`.
#' @return A named vector, one element per group (`"hidden1 weights"`,
#'   `"hidden1 biases"`, ..., `"output biases"`), on the standardized scale
#'   the network is trained on.
#' @examples
#' set.seed(1)
#' x <- matrix(rnorm(200), 100)
#' fit <- bbb_fit(x, x[, 1] + rnorm(100, sd = 0.3), hidden = 8,
#'                prior = prior_gaussian(), verbose = FALSE)
#' prior_scales(fit)
#' @export
prior_scales <- function(fit) {
  check_fit(fit)
  groups <- prior_layout(fit)
  prior <- fit$prior
  if (!isTRUE(prior$eb)) {
    return(stats::setNames(rep(prior$sigma1, nrow(groups)), groups$name))
  }
  theta <- get_theta(fit)
  n <- n_params(fit$width)
  keep <- param_mask(fit)
  sd <- softplus(theta[n + seq_len(n)]) * keep
  id <- rep(seq_len(nrow(groups)), groups$size)
  moments <- rowsum(theta[seq_len(n)]^2 + sd^2, id)[, 1L]
  kept <- rowsum(keep, id)[, 1L]
  hyper <- eb_hyper(fit, groups)
  num <- hyper$b + rowsum(0.5 * moments / groups$rel^2, groups$tie)[, 1L]
  den <- hyper$a + 1 + rowsum(0.5 * kept, groups$tie)[, 1L]
  stats::setNames(sqrt(num / den)[groups$tie + 1L] * groups$rel, groups$name)
}

# The groups of parameters that share a prior, in the flat layout (the
# engine's `groups`): per layer, its weights and then its biases, or for
# groups = "unit" the incoming weights of each of its units and then its
# biases. A data frame with the first parameter (0-based) and size of each
# group, its layer, whether it holds biases and, for empirical Bayes, its
# tie (0-based: the groups of a tie share one learned scale; "network"
# ties all weights and all biases, "layer" and "unit" nothing) and its
# relative scale (the scale of the layer's initial weights for weights, 1
# for biases).
prior_layout <- function(fit) {
  how <- fit$prior$groups %||% "layer"
  width <- fit$width
  n_layers <- length(width) - 1L
  layers <- vapply(seq_len(n_layers), layer_names, "", n_layers)
  parts <- lapply(seq_len(n_layers), function(l) {
    n_in <- width[l]
    n_out <- width[l + 1L]
    by_unit <- how == "unit"
    w_size <- if (by_unit) rep(n_in, n_out) else n_in * n_out
    w_name <- if (by_unit) {
      paste(layers[l], "weights into", fit$unit_names[[l + 1L]] %||%
              seq_len(n_out))
    } else {
      paste(layers[l], "weights")
    }
    data.frame(size = c(w_size, n_out), layer = l,
               bias = c(rep(FALSE, length(w_size)), TRUE),
               name = c(w_name, paste(layers[l], "biases")),
               rel = c(rep(init_scale(n_in, n_out, fit$activation),
                           length(w_size)), 1))
  })
  out <- do.call(rbind, parts)
  out$from <- c(0L, cumsum(out$size)[-nrow(out)])
  out$tie <- if (how == "network") as.integer(out$bias) else
    seq_len(nrow(out)) - 1L
  out
}

# The hyperprior IG(a, b) of each tie's scale under empirical Bayes: shape
# a = `shape` and mode b / (a + 1) = guess^2 (scales are relative: guess
# 1 is the initial weights' scale, and 1 for biases).
eb_hyper <- function(fit, groups = prior_layout(fit)) {
  prior <- fit$prior
  n_ties <- max(groups$tie) + 1L
  a <- rep(prior$shape, n_ties)
  list(a = a, b = (a + 1) * prior$guess^2)
}
