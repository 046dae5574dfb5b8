#' Draws of the weights for the posterior package
#'
#' `as_draws_matrix()` and `as_draws_df()` (and `as_draws()`, which gives a
#' `draws_matrix`) return independent draws of every weight and bias from
#' the variational posterior, one row per draw and one column per
#' parameter, so that [posterior::summarise_draws()] and the rest of
#' \pkg{posterior} work on a fit. The parameters are named by layer and
#' units: `W1[wt,h3]` is the weight from input `wt` to hidden unit `h3` of
#' the first layer, `b1[h3]` the bias of that unit, `W2[h3,y]` the weight
#' from `h3` to the output `y` (outputs are named by class for a
#' multinomial fit; with several hidden layers, unit `h2.5` is unit 5 of the
#' second). `posterior::subset_draws(d, variable = "W1")` selects a layer.
#'
#' The draws are those of [as.matrix.bbb_fit()]: of the network on the
#' original scale of the inputs (and of a gaussian response), whatever
#' `standardize` did, so their means and sds are those of [coef.bbb_fit()];
#' `scale = "standardized"` gives the parameters as trained.
#' The noise sd of a gaussian fit is a point estimate (see
#' [sigma.bbb_fit()]), not a draw, so it is not among the variables. A
#' pruned parameter (see [prune()]) is exactly zero in every draw.
#'
#' @param x A `bbb_fit`.
#' @param ndraws Number of draws.
#' @param seed,scale As for [as.matrix.bbb_fit()].
#' @param ... Not used.
#' @return A `draws_matrix` or `draws_df` of \pkg{posterior}: one chain of
#'   `ndraws` independent draws.
#' @name as_draws_df.bbb_fit
#' @examplesIf requireNamespace("posterior", quietly = TRUE)
#' set.seed(1)
#' fit <- bbb_fit(mpg ~ wt + hp, data = mtcars, hidden = 3, epochs = 200,
#'                verbose = FALSE)
#' d <- posterior::as_draws_df(fit, ndraws = 500)
#' posterior::summarise_draws(posterior::subset_draws(d, variable = "W2"))
NULL

#' @rdname as_draws_df.bbb_fit
#' @exportS3Method posterior::as_draws_matrix
as_draws_matrix.bbb_fit <- function(x, ndraws = 1000L, seed = x$seed,
                                    scale = "original", ...) {
  check_no_dots(..., fn = "as_draws_matrix()")
  posterior::as_draws_matrix(weight_draws(x, ndraws, seed, scale))
}

#' @rdname as_draws_df.bbb_fit
#' @exportS3Method posterior::as_draws_df
as_draws_df.bbb_fit <- function(x, ndraws = 1000L, seed = x$seed,
                                scale = "original", ...) {
  check_no_dots(..., fn = "as_draws_df()")
  posterior::as_draws_df(posterior::as_draws_matrix(weight_draws(x, ndraws,
                                                                 seed, scale)))
}

#' @rdname as_draws_df.bbb_fit
#' @exportS3Method posterior::as_draws
as_draws.bbb_fit <- function(x, ndraws = 1000L, seed = x$seed,
                             scale = "original", ...) {
  as_draws_matrix.bbb_fit(x, ndraws = ndraws, seed = seed, scale = scale, ...)
}

# ndraws x n_params draws of the weights, columns named as in param_table().
weight_draws <- function(fit, ndraws, seed, scale) {
  ndraws <- check_count(ndraws, "ndraws")
  draws <- as.matrix.bbb_fit(fit, nsamples = ndraws, seed = seed,
                             scale = scale)
  colnames(draws) <- param_table(fit)$term
  draws
}

# One row per parameter, in the order of coef(): its name, layer, the units
# it joins (from = "1" for a bias), and its posterior mean and sd.
param_table <- function(fit) {
  n_layers <- length(fit$params)
  rows <- lapply(seq_len(n_layers), function(l) {
    p <- fit$params[[l]]
    from <- fit$unit_names[[l]]
    to <- fit$unit_names[[l + 1L]]
    nw <- length(from) * length(to)
    data.frame(
      term = c(sprintf("W%d[%s,%s]", l, rep(from, times = length(to)),
                       rep(to, each = length(from))),
               sprintf("b%d[%s]", l, to)),
      layer = layer_names(l, n_layers),
      kind = rep(c("weight", "bias"), c(nw, length(to))),
      from = c(rep(from, times = length(to)), rep("1", length(to))),
      to = c(rep(to, each = length(from)), to),
      stringsAsFactors = FALSE
    )
  })
  out <- do.call(rbind, rows)
  out$estimate <- unname(coef(fit, "mean"))
  out$std.error <- unname(coef(fit, "sd"))
  out
}
