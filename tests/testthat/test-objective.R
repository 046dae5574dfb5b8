# The engine's objective against an independent implementation in R.

# The KL term of the fit's prior for the flat vectors of posterior means
# mu, sds s and draws w: Monte Carlo for the mixture, closed form for the
# gaussian; under empirical Bayes each tie's scale is found by a
# one-dimensional numerical minimisation of its KL terms plus -log of the
# inverse-gamma hyperprior density (not by the closed form the engine
# uses), and that term is added.
r_kl <- function(fit, mu, s, w) {
  prior <- fit$prior
  if (prior$type == "mixture") {
    logq <- stats::dnorm(w, mu, s, log = TRUE)
    logp <- log(prior$pi * stats::dnorm(w, 0, prior$sigma1) +
                  (1 - prior$pi) * stats::dnorm(w, 0, prior$sigma2))
    return(sum(logq - logp))
  }
  kl <- function(mu, s, sd) sum(log(sd / s) + (s^2 + mu^2) / (2 * sd^2) - 0.5)
  if (!isTRUE(prior$eb)) return(kl(mu, s, prior$sigma1))
  groups <- bbb:::prior_layout(fit)
  g <- rep(seq_len(nrow(groups)), groups$size)
  a <- prior$shape
  b <- (a + 1) * prior$guess^2
  total <- 0
  for (t in unique(groups$tie)) {
    in_tie <- groups$tie[g] == t
    rel <- groups$rel[g][in_tie]
    objective <- function(log_st) {
      st2 <- exp(2 * log_st)
      kl(mu[in_tie], s[in_tie], exp(log_st) * rel) -
        (a * log(b) - lgamma(a) - (a + 1) * log(st2) - b / st2)
    }
    total <- total + stats::optimize(objective, c(-10, 5),
                                     tol = 1e-12)$objective
  }
  total
}

r_objective <- function(fit, x, y, eps) {
  xs <- bbb:::new_design(fit$prep, x)
  h <- xs
  L <- length(fit$params)
  mu <- s <- w_all <- numeric(0)
  for (l in seq_len(L)) {
    p <- fit$params[[l]]
    sw <- log1p(exp(p$w_rho))
    sb <- log1p(exp(p$b_rho))
    w <- p$w_mu + sw * eps[[l]]$w
    b <- p$b_mu + sb * eps[[l]]$b
    mu <- c(mu, p$w_mu, p$b_mu)
    s <- c(s, sw, sb)
    w_all <- c(w_all, w, b)
    z <- h %*% w + rep(b, each = nrow(h))
    h <- if (l < L) pmax(z, 0) else z
  }
  eta <- h
  nll <- switch(fit$family,
    gaussian = -sum(stats::dnorm((y - fit$y_center) / fit$y_scale, eta,
                                 exp(fit$tau), log = TRUE)),
    binomial = -sum(stats::dbinom(y, 1, stats::plogis(eta), log = TRUE)),
    poisson = -sum(stats::dpois(y, exp(eta), log = TRUE)),
    multinomial = {
      pr <- exp(eta) / rowSums(exp(eta))
      -sum(log(pr[cbind(seq_along(y), as.integer(y))]))
    }
  )
  c(nll = nll, kl = r_kl(fit, mu, s, w_all))
}

priors <- list(mixture = prior_mixture(), gaussian = prior_gaussian(0.8),
               eb_network = prior_gaussian(shape = 2, guess = 0.6),
               eb_layer = prior_gaussian(groups = "layer"),
               eb_unit = prior_gaussian(groups = "unit", shape = 0.5))

test_that("the objective equals an independent R implementation", {
  for (family in c("gaussian", "binomial", "multinomial", "poisson")) for
    (prior in names(priors)) {
    set.seed(11)
    x <- matrix(stats::rnorm(30), 10, 3)
    y <- family_response(family, x)
    fit <- bbb_fit(x, y, hidden = c(4, 3), family = family, epochs = 2,
                   prior = priors[[prior]], verbose = FALSE)
    fit <- randomize_params(fit)
    fit$params <- lapply(fit$params, function(p) {
      p$w_mu <- p$w_mu * 0.1
      p
    })
    g <- bbb_gradient(fit, x, y)
    ref <- r_objective(fit, x, y, g$eps)
    expect_equal(g$nll, unname(ref["nll"]), tolerance = 1e-10,
                 label = family)
    expect_equal(g$kl, unname(ref["kl"]), tolerance = 1e-9,
                 label = paste(family, prior))
  }
})

test_that("the engine's normal generator is standard normal", {
  set.seed(1)
  z <- bbb:::engine_rnorm(2e5)
  expect_equal(mean(z), 0, tolerance = 0.01)
  expect_equal(stats::sd(z), 1, tolerance = 0.01)
  expect_equal(mean(z^4), 3, tolerance = 0.05)
  expect_gt(suppressWarnings(stats::ks.test(z, "pnorm")$p.value), 1e-3)
  # The tails are right too.
  expect_equal(mean(abs(z) > 3), 2 * stats::pnorm(-3), tolerance = 0.1)
  set.seed(1)
  expect_identical(bbb:::engine_rnorm(10), z[1:10])
  # Lengths that are not a multiple of the block size
  set.seed(2)
  expect_length(bbb:::engine_rnorm(17), 17)
  expect_length(bbb:::engine_rnorm(37), 37)
})

test_that("the KL term of a pruned fit counts the kept parameters only", {
  set.seed(12)
  x <- matrix(stats::rnorm(40), 10, 4)
  y <- family_response("gaussian", x)
  for (prior in list(prior_mixture(), prior_gaussian(0.8))) {
    fit <- bbb_fit(x, y, hidden = 5, prior = prior, epochs = 2,
                   verbose = FALSE)
    fit <- prune(randomize_params(fit), 0.4)
    g <- bbb_gradient(fit, x, y)
    keep <- bbb:::param_mask(fit) == 1
    P <- length(keep)
    theta <- bbb:::get_theta(fit)
    mu <- theta[seq_len(P)][keep]
    s <- log1p(exp(theta[P + seq_len(P)]))[keep]
    eps <- unlist(lapply(g$eps, function(e) c(e$w, e$b)))[keep]
    expect_true(any(!keep))
    ref <- if (prior$type == "mixture") {
      w <- mu + s * eps
      sum(stats::dnorm(w, mu, s, log = TRUE) -
            log(0.5 * stats::dnorm(w, 0, 1) +
                  0.5 * stats::dnorm(w, 0, exp(-6))))
    } else {
      sum(log(0.8 / s) + (s^2 + mu^2) / (2 * 0.8^2) - 0.5)
    }
    expect_equal(g$kl, ref, tolerance = 1e-10)
  }
})
