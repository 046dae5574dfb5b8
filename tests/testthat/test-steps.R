# What training applies: a step of the engine moves the parameters by the
# optimiser's rule applied to the gradient that bbb_gradient() reports for
# the noise that step drew (train_noise() hands it over), at the step's
# scale (the step is on F_i / B, averaged over the step's samples) and KL
# weight. bbb_gradient() itself is checked against finite differences in
# test-gradient.R; together they check the gradient training uses.

flat <- function(g) bbb:::pack_theta(g$gradient, g$tau)

# A fit whose optimiser starts afresh (t = 0, no momentum or moments yet),
# so that the next step is a first step.
fresh <- function(fit) {
  theta <- bbb:::get_theta(fit)
  fit$opt_state <- list(m = 0 * theta, v = 0 * theta, t = 0)
  fit
}

# The parameters after `epochs` more epochs from `fit`, and the noise of
# steps t + 1 .. t + steps (sample s), both from R's RNG seeded by `seed`
# (the engine is seeded from it exactly as train_noise() is).
engine_run <- function(fit, rows, steps = 1L, samples = 1L, seed = 7,
                       epochs = 1L) {
  set.seed(seed)
  after <- bbb_continue(fit, epochs = epochs, verbose = FALSE)
  t0 <- fit$opt_state$t
  noise <- lapply(seq_len(steps), function(i) {
    lapply(seq_len(samples) - 1L, function(s) {
      set.seed(seed)
      bbb:::train_noise(fit, t0 + i, s, rows)
    })
  })
  list(theta = bbb:::get_theta(after), noise = noise)
}

set.seed(30)
n <- 24
x <- matrix(stats::rnorm(2 * n), n, 2)
y <- x[, 1] - 0.5 * x[, 2] + stats::rnorm(n, sd = 0.3)

test_that("a full-batch SGD step is -lr times bbb_gradient() / n", {
  lr <- 0.05
  cases <- list(
    mixture = list(),
    gaussian_prior = list(prior = prior_gaussian(0.5)),
    local = list(prior = prior_gaussian(0.5), estimator = "local"),
    two_samples = list(n_samples = 2L),
    deeper_tanh = list(hidden = c(4L, 3L), activation = "tanh"),
    fixed_noise = list(noise_sd = 0.4)
  )
  for (nm in names(cases)) {
    args <- utils::modifyList(list(x = x, y = y, hidden = 3L, epochs = 2L,
                                   optimizer = "sgd", lr = lr,
                                   batch_size = n, verbose = FALSE),
                              cases[[nm]])
    fit <- fresh(do.call(bbb_fit, args))
    S <- fit$control$n_samples
    run <- engine_run(fit, n, samples = S)
    g <- Reduce(`+`, lapply(run$noise[[1L]], function(eps) {
      flat(bbb_gradient(fit, x, y, eps = eps))
    })) / S
    theta0 <- bbb:::get_theta(fit)
    expected <- theta0 - lr * g / n
    if (!isTRUE(fit$learn_noise)) expected[length(expected)] <- fit$tau
    # momentum 0.9 does not change a first step (the velocity starts at 0)
    expect_equal(run$theta - theta0, expected - theta0, tolerance = 1e-10,
                 label = nm)
    expect_gt(max(abs(run$theta - theta0)), 1e-4)
  }
})

test_that("Adam's first step is -lr g / (|g| + eps) on the scaled gradient", {
  # 3 hidden units: 13 parameters; 100: 401, more than one block of the
  # pass's square roots (256) and a part block
  lr <- 0.01
  for (hidden in c(3L, 100L)) {
    fit <- fresh(bbb_fit(x, y, hidden = hidden, epochs = 2L, lr = lr,
                         batch_size = n, verbose = FALSE))
    run <- engine_run(fit, n)
    g <- flat(bbb_gradient(fit, x, y, eps = run$noise[[1L]][[1L]])) / n
    theta0 <- bbb:::get_theta(fit)
    expect_equal(run$theta - theta0, -lr * g / (abs(g) + 1e-8),
                 tolerance = 1e-10, label = paste(hidden, "hidden"))
  }
})

test_that("the single-precision engine's Adam step is -lr g / (|g| + eps)", {
  lr <- 0.01
  fit <- fresh(bbb_fit(x, y, hidden = 100L, epochs = 2L, lr = lr,
                       batch_size = n, precision = "single",
                       verbose = FALSE))
  run <- engine_run(fit, n)
  g <- flat(bbb_gradient(fit, x, y, eps = run$noise[[1L]][[1L]])) / n
  theta0 <- bbb:::get_theta(fit)
  step <- -lr * g / (abs(g) + 1e-8)
  # every parameter moves by about lr (|g| >> eps), the parameters are
  # rounded to about 6e-8 and the gradient computed in float: the step's
  # relative error is far below what a wrong square root would give
  keep <- abs(g) > 1e-6
  err <- abs((run$theta - theta0) - step)
  expect_lt(max(err[keep]), 1e-4 * lr)
  expect_gt(sum(keep), 300)
})

test_that("minibatch steps use the KL weights of their minibatch", {
  # identical rows: every minibatch is the same whatever the shuffle, so
  # the steps of an epoch can be replayed with bbb_gradient()
  xb <- matrix(c(0.3, -1.2), 4, 2, byrow = TRUE)
  yb <- c(1, 1, 1, 1)
  lr <- 0.1
  for (weighting in c("uniform", "blundell")) {
    for (prior in list(prior_mixture(), prior_gaussian(0.7))) {
      fit <- fresh(bbb_fit(xb, yb, hidden = 3L, epochs = 1L,
                           optimizer = "sgd", momentum = 0, lr = lr,
                           batch_size = 2L, kl_weighting = weighting,
                           prior = prior, standardize = FALSE,
                           verbose = FALSE))
      run <- engine_run(fit, 2L, steps = 2L)
      k <- if (weighting == "blundell") c(2, 1) / 3 else c(1, 1) / 2
      theta <- bbb:::get_theta(fit)
      for (i in 1:2) {
        at <- bbb:::set_theta(fit, theta)
        g <- flat(bbb_gradient(at, xb[1:2, ], yb[1:2],
                               eps = run$noise[[i]][[1L]],
                               kl_weight = k[i]))
        theta <- theta - lr * g / 2
      }
      expect_equal(run$theta, theta, tolerance = 1e-12,
                   label = paste(weighting, prior$type))
    }
  }
})

test_that("the single-precision engine applies the same gradient", {
  lr <- 0.05
  for (estimator in c("weight", "local")) {
    fit <- fresh(bbb_fit(x, y, hidden = 5L, epochs = 2L, optimizer = "sgd",
                         lr = lr, batch_size = n, precision = "single",
                         estimator = estimator,
                         prior = if (estimator == "local") prior_gaussian()
                           else prior_mixture(),
                         verbose = FALSE))
    run <- engine_run(fit, n)
    g <- flat(bbb_gradient(fit, x, y, eps = run$noise[[1L]][[1L]]))
    theta0 <- bbb:::get_theta(fit)
    step <- -lr * g / n
    # float arithmetic: the parameters (of size 1) are rounded to about
    # 6e-8, far below the step (of size 1e-3)
    err <- abs((run$theta - theta0) - step)
    expect_lt(max(err), 1e-6, label = estimator)
    expect_gt(max(abs(step)), 1e-3)
  }
})

test_that("train_noise() is the noise training draws", {
  # two runs that differ only in the engine state's seed differ; the
  # same seed gives the same noise
  fit <- fresh(bbb_fit(x, y, hidden = 100L, epochs = 1L, batch_size = n,
                       verbose = FALSE))
  set.seed(1)
  a <- bbb:::train_noise(fit, 1, 0L, n)
  set.seed(1)
  b <- bbb:::train_noise(fit, 1, 0L, n)
  set.seed(2)
  c <- bbb:::train_noise(fit, 1, 0L, n)
  expect_identical(a, b)
  expect_false(identical(a, c))
  # standard normals (401 of them)
  e <- unlist(a)
  expect_gt(stats::ks.test(e, "pnorm")$p.value, 1e-3)
  # and another step draws other noise
  set.seed(1)
  expect_false(identical(a, bbb:::train_noise(fit, 2, 0L, n)))
})

test_that("an uneven last minibatch gets the KL share of its rows", {
  # 5 identical rows in minibatches of 2, 2 and 1: uniform weights are
  # rows / n, each step divided by its own rows
  xb <- matrix(c(0.3, -1.2), 5, 2, byrow = TRUE)
  yb <- rep(1, 5)
  lr <- 0.1
  fit <- fresh(bbb_fit(xb, yb, hidden = 3L, epochs = 1L, optimizer = "sgd",
                       momentum = 0, lr = lr, batch_size = 2L,
                       standardize = FALSE, verbose = FALSE))
  set.seed(7)
  after <- bbb_continue(fit, epochs = 1L, verbose = FALSE)
  rows <- c(2L, 2L, 1L)
  theta <- bbb:::get_theta(fit)
  for (i in 1:3) {
    set.seed(7)
    eps <- bbb:::train_noise(fit, fit$opt_state$t + i, 0L, rows[i])
    at <- bbb:::set_theta(fit, theta)
    g <- flat(bbb_gradient(at, xb[seq_len(rows[i]), , drop = FALSE],
                           yb[seq_len(rows[i])], eps = eps,
                           kl_weight = rows[i] / 5))
    theta <- theta - lr * g / rows[i]
  }
  expect_equal(bbb:::get_theta(after), theta, tolerance = 1e-12)
})
