#' Priors on the network weights
#'
#' `prior_mixture()` is the scale mixture of two zero-mean Gaussians of
#' Blundell et al. (2015, eq. 7),
#' \deqn{P(w) = \pi N(w | 0, \sigma_1^2) + (1 - \pi) N(w | 0, \sigma_2^2),}
#' whose KL term is estimated by Monte Carlo. `prior_gaussian()` is
#' \eqn{N(0, \sigma^2)}, whose KL term is computed in closed form (no Monte
#' Carlo noise); it is the prior of the local reparameterisation estimator.
#' Every weight and bias gets the same prior.
#'
#' @param pi Weight of the first component, in (0, 1).
#' @param sigma1,sigma2 Standard deviations of the two components (`sigma1`
#'   is the wide one, `sigma2` the spike near zero).
#' @param sigma Standard deviation of the Gaussian prior.
#' @return An object of class `bbb_prior`.
#' @examples
#' prior_mixture()
#' prior_gaussian(sigma = 0.5)
#' @export
prior_mixture <- function(pi = 0.5, sigma1 = 1, sigma2 = exp(-6)) {
  check_number(pi, "pi", lower = 0, upper = 1, open = TRUE)
  check_number(sigma1, "sigma1", lower = 0, open = TRUE)
  check_number(sigma2, "sigma2", lower = 0, open = TRUE)
  structure(list(type = "mixture", pi = pi, sigma1 = sigma1,
                 sigma2 = sigma2), class = "bbb_prior")
}

#' @rdname prior_mixture
#' @export
prior_gaussian <- function(sigma = 1) {
  check_number(sigma, "sigma", lower = 0, open = TRUE)
  structure(list(type = "gaussian", sigma1 = sigma), class = "bbb_prior")
}

#' @export
format.bbb_prior <- function(x, ...) {
  if (x$type == "mixture") {
    sprintf("scale mixture prior: %s N(0, %s^2) + %s N(0, %s^2)",
            format(x$pi, digits = 3), format(x$sigma1, digits = 3),
            format(1 - x$pi, digits = 3), format(x$sigma2, digits = 3))
  } else {
    sprintf("gaussian prior: N(0, %s^2)", format(x$sigma1, digits = 3))
  }
}

#' @export
print.bbb_prior <- function(x, ...) {
  cat(format(x), "\n", sep = "")
  invisible(x)
}
