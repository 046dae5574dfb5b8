# Interfaces and methods.

test_that("formula and matrix interfaces agree", {
  d <- data.frame(a = stats::rnorm(50), b = stats::rnorm(50))
  d$y <- d$a - d$b + stats::rnorm(50, sd = 0.1)
  set.seed(1)
  f1 <- bbb_fit(y ~ a + b, data = d, hidden = 3, epochs = 10,
                verbose = FALSE)
  set.seed(1)
  f2 <- bbb_fit(as.matrix(d[, c("a", "b")]), d$y, hidden = 3, epochs = 10,
                verbose = FALSE)
  expect_equal(unname(unlist(f1$params)), unname(unlist(f2$params)))
  set.seed(2)
  p1 <- predict(f1, d)
  set.seed(2)
  p2 <- predict(f2, as.matrix(d[, c("a", "b")]))
  expect_equal(unname(p1), unname(p2))
})

test_that("data frames with factors are encoded and matched by name", {
  set.seed(3)
  d <- data.frame(g = factor(sample(c("u", "v", "w"), 60, TRUE)),
                  z = stats::rnorm(60))
  y <- as.numeric(d$g) + d$z
  fit <- bbb_fit(d, y, hidden = 3, epochs = 5, verbose = FALSE)
  expect_equal(fit$width[1], 3L)
  set.seed(4)
  p1 <- predict(fit, d)
  set.seed(4)
  p2 <- predict(fit, d[, c("z", "g")])
  expect_equal(p1, p2)
})

test_that("print, summary, coef, as.matrix, sigma and plot work", {
  set.seed(5)
  fit <- bbb_fit(mpg ~ wt + hp, data = mtcars, hidden = 2, epochs = 20,
                 verbose = FALSE)
  expect_output(print(fit), "2 -> 2 -> 1")
  expect_output(print(summary(fit)), "Signal-to-noise")
  cf <- coef(fit)
  expect_length(cf, 2 * 2 + 2 + 2 + 1)
  expect_true(all(c("wt->h1", "b->h2", "h1->y", "b->y") %in% names(cf)))
  expect_true(all(coef(fit, "sd") > 0))
  draws <- as.matrix(fit, nsamples = 5)
  expect_equal(dim(draws), c(5L, length(cf)))
  expect_equal(colnames(draws), names(cf))
  expect_gt(sigma(fit), 0)
  expect_equal(nobs(fit), 32L)
  pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_invisible(plot(fit))
  expect_output(print(prior_mixture()), "scale mixture")
})

test_that("a linear model (no hidden layer) works", {
  set.seed(6)
  x <- matrix(stats::rnorm(400), 200, 2)
  y <- 1 + 2 * x[, 1] - x[, 2] + stats::rnorm(200, sd = 0.5)
  fit <- bbb_fit(x, y, hidden = integer(0), prior = prior_gaussian(10),
                 standardize = FALSE, verbose = FALSE)
  cf <- coef(fit)
  expect_equal(unname(cf[c("x1->y", "x2->y", "b->y")]), c(2, -1, 1),
               tolerance = 0.1)
})

# ---- coef() on the original scale --------------------------------------

# The mean network in R: layers of the flat layout, relu between them.
mean_forward <- function(width, theta, x) {
  off <- 0
  h <- x
  for (l in seq_len(length(width) - 1L)) {
    n_in <- width[l]
    n_out <- width[l + 1L]
    w <- matrix(theta[off + seq_len(n_in * n_out)], n_in, n_out)
    b <- theta[off + n_in * n_out + seq_len(n_out)]
    off <- off + (n_in + 1) * n_out
    h <- h %*% w + rep(b, each = nrow(h))
    if (l < length(width) - 1L) h <- pmax(h, 0)
  }
  h
}

test_that("coef() on the original scale is the same network, exactly", {
  set.seed(20)
  n <- 80
  x <- cbind(u = stats::rnorm(n, 50, 10), v = stats::runif(n, -3, 9))
  y <- 100 + 3 * x[, 1] - 8 * x[, 2] + stats::rnorm(n, sd = 5)
  for (hidden in list(integer(0), 4L, c(3L, 2L))) {
    fit <- bbb_fit(x, y, hidden = hidden, epochs = 20, verbose = FALSE)
    orig <- coef(fit)
    std <- coef(fit, scale = "standardized")
    expect_identical(names(orig), names(std))
    xs <- bbb:::scale_inputs(x, fit$prep)
    ref <- fit$y_center + fit$y_scale * mean_forward(fit$width, std, xs)
    expect_equal(mean_forward(fit$width, orig, x), ref, tolerance = 1e-10)
    # and the engine agrees: with (almost) no posterior variance predict()
    # is the mean network
    sharp <- fit
    sharp$params <- lapply(sharp$params, function(p) {
      p$w_rho[] <- -40
      p$b_rho[] <- -40
      p
    })
    expect_equal(unname(predict(sharp, x, nsamples = 2)), drop(ref),
                 tolerance = 1e-10)
  }
  # heteroscedastic: the mean output as above, the log sd moved by
  # log(y_scale)
  fit <- bbb_fit(x, y, hidden = 3, heteroscedastic = TRUE, epochs = 10,
                 verbose = FALSE)
  xs <- bbb:::scale_inputs(x, fit$prep)
  std <- mean_forward(fit$width, coef(fit, scale = "standardized"), xs)
  orig <- mean_forward(fit$width, coef(fit), x)
  expect_equal(orig[, 1], fit$y_center + fit$y_scale * std[, 1],
               tolerance = 1e-10)
  expect_equal(orig[, 2], std[, 2] + log(fit$y_scale), tolerance = 1e-10)
  expect_identical(names(coef(fit))[length(coef(fit))], "b->log_sd")
  # a multinomial fit: inputs rescaled, outputs (logits) left alone
  fit <- bbb_fit(Species ~ ., data = iris, hidden = 3, epochs = 5,
                 verbose = FALSE)
  xi <- as.matrix(iris[, 1:4])
  xs <- bbb:::scale_inputs(xi, fit$prep)
  expect_equal(mean_forward(fit$width, coef(fit), xi),
               mean_forward(fit$width, coef(fit, scale = "standardized"),
                            xs), tolerance = 1e-10)
})

test_that("coef(type = \"sd\") is the exact sd of the rewritten network", {
  set.seed(21)
  x <- cbind(u = stats::rnorm(60, 5, 3), v = stats::rnorm(60, -2, 0.5))
  y <- x[, 1] + x[, 2] + stats::rnorm(60)
  fit <- bbb_fit(x, y, hidden = 3, epochs = 10, rho_init = -1,
                 verbose = FALSE)
  sd <- coef(fit, "sd")
  # Monte Carlo: draws of the parameters, each rewritten exactly
  draws <- as.matrix(fit, nsamples = 20000)
  expect_equal(unname(apply(draws, 2, stats::sd)), unname(sd),
               tolerance = 0.03)
  expect_equal(unname(colMeans(draws)), unname(coef(fit)),
               tolerance = 0.03)
  # the first layer's biases absorb the variance of their weights
  b1 <- grep("^b->h", names(sd))
  expect_true(all(sd[b1] > coef(fit, "sd", scale = "standardized")[b1]))
  std <- as.matrix(fit, nsamples = 20000, scale = "standardized")
  expect_equal(unname(apply(std, 2, stats::sd)),
               unname(coef(fit, "sd", scale = "standardized")),
               tolerance = 0.03)
  # the same draws, rewritten, are the original-scale draws
  expect_identical(bbb:::to_original(fit, std), draws)
})

test_that("a Bayesian GLM on plenty of data lands near glm()", {
  set.seed(22)
  n <- 4000
  d <- data.frame(u = stats::rnorm(n, 10, 2), v = stats::runif(n, 0, 50))
  cases <- list(
    gaussian = list(y = 4 + 0.7 * d$u - 0.05 * d$v + stats::rnorm(n),
                    family = stats::gaussian()),
    binomial = list(y = stats::rbinom(n, 1, stats::plogis(-3 + 0.3 * d$u -
                                                         0.02 * d$v)),
                    family = stats::binomial()),
    poisson = list(y = stats::rpois(n, exp(0.5 + 0.1 * d$u - 0.01 * d$v)),
                   family = stats::poisson())
  )
  for (fam in names(cases)) {
    d$y <- cases[[fam]]$y
    ref <- stats::glm(y ~ u + v, data = d, family = cases[[fam]]$family)
    fit <- bbb_fit(y ~ u + v, data = d, hidden = integer(0), family = fam,
                   prior = prior_gaussian(10), verbose = FALSE)
    cf <- coef(fit)
    expect_identical(names(cf), c("u->y", "v->y", "b->y"))
    est <- cf[c("b->y", "u->y", "v->y")]
    se <- sqrt(diag(stats::vcov(ref)))
    # within 4 of glm()'s standard errors (the posterior mean of plenty of
    # data is the MLE, up to the optimiser's noise), and the posterior sd
    # of the same size as glm()'s standard error (mean-field)
    z <- (unname(est) - unname(stats::coef(ref))) / se
    expect_true(all(abs(z) < 4), label = paste(fam, "coefficients"))
    ratio <- unname(coef(fit, "sd")[c("b->y", "u->y", "v->y")]) / se
    expect_true(all(ratio > 0.3 & ratio < 3), label = paste(fam, "sds"))
  }
})

test_that("update() refits with a changed formula or argument", {
  set.seed(23)
  d <- data.frame(a = stats::rnorm(40), b = stats::rnorm(40),
                  c = stats::rnorm(40))
  d$y <- d$a - d$b + stats::rnorm(40, sd = 0.1)
  fit <- bbb_fit(y ~ ., data = d, hidden = 3, epochs = 5, verbose = FALSE)
  expect_identical(fit$call[[1L]], as.name("bbb_fit"))
  expect_identical(formula(fit), y ~ a + b + c, ignore_attr = TRUE)
  small <- update(fit, . ~ . - c)
  expect_identical(small$prep$names, c("a", "b"))
  expect_identical(formula(small), y ~ a + b, ignore_attr = TRUE)
  expect_equal(nrow(small$trace), 5)
  wide <- update(fit, hidden = 6)
  expect_identical(wide$hidden, 6L)
  expect_identical(wide$prep$names, c("a", "b", "c"))
  # the matrix interface refits too
  x <- as.matrix(d[, c("a", "b")])
  fm <- bbb_fit(x, d$y, hidden = 2, epochs = 3, verbose = FALSE)
  expect_identical(update(fm, epochs = 4)$trace$epoch, 1:4)
})

test_that("nobs() is the number of training rows, as length(fitted())", {
  set.seed(24)
  x <- matrix(stats::rnorm(200), 100, 2)
  fit <- bbb_fit(x, x[, 1] + stats::rnorm(100), hidden = 2, epochs = 3,
                 validation = 0.2, verbose = FALSE)
  expect_equal(nobs(fit), 80L)
  expect_length(fitted(fit, nsamples = 10), 80L)
  expect_length(residuals(fit, nsamples = 10), 80L)
})

test_that("fitted(), residuals() and as.matrix() are the same twice", {
  set.seed(25)
  x <- matrix(stats::rnorm(100), 50, 2)
  y <- x[, 1] + stats::rnorm(50)
  fit <- bbb_fit(x, y, hidden = 2, epochs = 3, verbose = FALSE)
  expect_identical(fitted(fit), fitted(fit))
  expect_equal(unname(residuals(fit)), unname(y - fitted(fit)))
  expect_identical(fitted(fit), predict(fit))
  expect_identical(as.matrix(fit, nsamples = 5), as.matrix(fit,
                                                           nsamples = 5))
  expect_false(identical(as.matrix(fit, nsamples = 5),
                         as.matrix(fit, nsamples = 5, seed = 2)))
  expect_error(fitted(bbb_fit(x, y, hidden = 2, epochs = 1,
                              keep_data = FALSE, verbose = FALSE)),
               "keep_data", class = "bbb_error")
})
