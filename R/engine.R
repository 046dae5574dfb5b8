# The bridge to the C engine: the network description it expects, the flat
# parameter vector theta = (mu, rho, tau) and its layer-wise R form, and the
# codes of families, activations, priors, optimisers and estimators.

families <- c("gaussian", "binomial", "multinomial", "poisson")
activations <- c("relu", "tanh", "sigmoid")
optimizers <- c("sgd", "adam")
estimators <- c("weight", "local")

code_of <- function(value, choices) match(value, choices) - 1L

# The list that src/ffi.c unpacks (unpack_net).
net_spec <- function(fit) {
  prior <- fit$prior
  groups <- prior_layout(fit)
  hyper <- if (isTRUE(prior$eb)) eb_hyper(fit, groups)
  # under empirical Bayes the scales come from the posterior (the engine
  # recomputes them): sigma1 here is only a placeholder
  if (isTRUE(prior$eb)) prior$sigma1 <- 1
  list(
    width = as.integer(fit$width),
    activation = code_of(fit$activation, activations),
    family = if (isTRUE(fit$heteroscedastic)) 4L else
      code_of(fit$family, families),
    estimator = code_of(fit$estimator, estimators),
    prior = if (prior$type == "mixture") 0L else 1L,
    prior_pi = if (prior$type == "mixture") prior$pi else 0.5,
    prior_sigma1 = prior$sigma1,
    prior_sigma2 = if (prior$type == "mixture") prior$sigma2 else
      prior$sigma1,
    groups = as.integer(c(groups$from, n_params(fit$width))),
    prior_eb = as.integer(isTRUE(prior$eb)),
    eb_tie = as.integer(groups$tie), eb_rel = as.double(groups$rel),
    eb_a = hyper$a, eb_b = hyper$b,
    mask = fit$mask
  )
}

# Layer l of the flat layout: W_l (column-major) then b_l.
layer_names <- function(l, n_layers) {
  if (l == n_layers) "output" else paste0("hidden", l)
}

# Flattens fit$params (and the log noise sd tau) into theta.
pack_theta <- function(params, tau = 0) {
  mu <- unlist(lapply(params, function(p) c(p$w_mu, p$b_mu)),
               use.names = FALSE)
  rho <- unlist(lapply(params, function(p) c(p$w_rho, p$b_rho)),
                use.names = FALSE)
  c(mu, rho, tau)
}

# The inverse of pack_theta(): a list of layers with matrices w_mu, w_rho
# (n_in x n_out) and vectors b_mu, b_rho (n_out), named by the units, made
# in C (theta.c) without the index vectors and copies of R's subsetting.
unpack_theta <- function(theta, width, unit_names = NULL) {
  n_layers <- length(width) - 1L
  params <- .Call(C_bbb_unpack_theta, as.double(theta), as.integer(width),
                  unit_names)
  names(params) <- vapply(seq_len(n_layers), layer_names, "", n_layers)
  params
}

n_params <- function(width) {
  sum((utils::head(width, -1L) + 1) * width[-1L])
}

# Names of the units of each layer, as in nnet: inputs, h1.., outputs.
unit_names <- function(input_names, hidden, output_names) {
  hid <- lapply(seq_along(hidden), function(l) {
    if (length(hidden) == 1L) {
      paste0("h", seq_len(hidden[l]))
    } else {
      paste0("h", l, ".", seq_len(hidden[l]))
    }
  })
  c(list(input_names), hid, list(output_names))
}

# Initial means: fan-in scaled normal (He for relu, Glorot otherwise);
# biases start at zero; every rho starts at rho_init.
# (One c() of the pieces: on a large network each copy of theta is
# megabytes more at the fit's peak.)
init_theta <- function(width, activation, rho_init, tau) {
  mu <- lapply(seq_len(length(width) - 1L), function(l) {
    n_in <- width[l]
    n_out <- width[l + 1L]
    list(stats::rnorm(n_in * n_out, 0, init_scale(n_in, n_out, activation)),
         numeric(n_out))
  })
  do.call(c, c(unlist(mu, recursive = FALSE),
               list(rep(rho_init, n_params(width)), tau)))
}

# The sd of a layer's initial weights: He for relu, Glorot otherwise.
init_scale <- function(n_in, n_out, activation) {
  if (activation == "relu") sqrt(2 / n_in) else sqrt(2 / (n_in + n_out))
}

softplus <- function(x) pmax(x, 0) + log1p(exp(-abs(x)))

# n standard normals from the engine's generator (seeded from R's RNG):
# Box-Muller in float on eight streams, as the engine draws them.
engine_rnorm <- function(n) .Call(C_bbb_rnorm, as.integer(n))
