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
# (n_in x n_out) and vectors b_mu, b_rho (n_out).
unpack_theta <- function(theta, width, unit_names = NULL) {
  n_par <- (length(theta) - 1L) / 2L
  off <- 0L
  n_layers <- length(width) - 1L
  params <- vector("list", n_layers)
  for (l in seq_len(n_layers)) {
    n_in <- width[l]
    n_out <- width[l + 1L]
    w_idx <- off + seq_len(n_in * n_out)
    b_idx <- off + n_in * n_out + seq_len(n_out)
    dn <- if (is.null(unit_names)) NULL else unit_names[c(l, l + 1L)]
    params[[l]] <- list(
      w_mu = matrix(theta[w_idx], n_in, n_out, dimnames = dn),
      w_rho = matrix(theta[n_par + w_idx], n_in, n_out, dimnames = dn),
      b_mu = stats::setNames(theta[b_idx], dn[[2L]]),
      b_rho = stats::setNames(theta[n_par + b_idx], dn[[2L]])
    )
    off <- off + (n_in + 1L) * n_out
  }
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
init_theta <- function(width, activation, rho_init, tau) {
  mu <- unlist(lapply(seq_len(length(width) - 1L), function(l) {
    n_in <- width[l]
    n_out <- width[l + 1L]
    sd <- init_scale(n_in, n_out, activation)
    c(stats::rnorm(n_in * n_out, 0, sd), rep(0, n_out))
  }))
  c(mu, rep(rho_init, length(mu)), tau)
}

# The sd of a layer's initial weights: He for relu, Glorot otherwise.
init_scale <- function(n_in, n_out, activation) {
  if (activation == "relu") sqrt(2 / n_in) else sqrt(2 / (n_in + n_out))
}

softplus <- function(x) pmax(x, 0) + log1p(exp(-abs(x)))

# n standard normals from the engine's generator (seeded from R's RNG):
# Box-Muller in float on eight streams, as the engine draws them.
engine_rnorm <- function(n) .Call(C_bbb_rnorm, as.integer(n))
