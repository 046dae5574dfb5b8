# snr() and prune(): pruned parameters are exactly zero everywhere.

# The parameters as trained (coef() gives the original scale by default).
std_coef <- function(fit, type = "mean") {
  coef(fit, type, scale = "standardized")
}

prune_fit <- function(seed = 1) {
  set.seed(seed)
  x <- matrix(stats::rnorm(200), 100, 2)
  y <- x[, 1] - x[, 2]^2 + stats::rnorm(100, sd = 0.3)
  fit <- bbb_fit(x, y, hidden = 8, epochs = 40, verbose = FALSE)
  list(fit = fit, x = x, y = y)
}

test_that("snr() is |mu| / sd, named like coef()", {
  d <- prune_fit()
  s <- snr(d$fit)
  expect_equal(names(s), names(std_coef(d$fit)))
  expect_equal(s, abs(std_coef(d$fit)) / std_coef(d$fit, "sd"))
  expect_error(snr(1), "made by bbb_fit")
})

test_that("prune() removes exactly the lowest-SNR fraction", {
  d <- prune_fit()
  fit <- d$fit
  n <- length(std_coef(fit))
  s <- snr(fit)
  for (f in c(0.1, 0.5, 0.75, 0.95, 1)) {
    p <- prune(fit, f)
    gone <- p$mask == 0
    expect_equal(sum(gone), round(f * n))
    expect_true(all(std_coef(p)[gone] == 0))
    expect_true(all(std_coef(p, "sd")[gone] == 0))
    expect_true(all(std_coef(p, "sd")[!gone] > 0))
    expect_equal(std_coef(p)[!gone], std_coef(fit)[!gone])
    if (f < 1) expect_true(max(s[gone]) <= min(s[!gone]))
    expect_true(all(is.finite(unlist(p$params))))
    expect_true(all(is.finite(predict(p, d$x, nsamples = 20))))
  }
})

test_that("pruned weights are exactly zero in as.matrix() and summary()", {
  d <- prune_fit()
  p <- prune(d$fit, 0.5)
  gone <- p$mask == 0
  draws <- as.matrix(p, nsamples = 50, scale = "standardized")
  expect_true(all(draws[, gone] == 0))
  expect_true(all(apply(draws[, !gone], 2, stats::sd) > 0))
  sm <- summary(p)
  expect_equal(unname(sm$sd_quantiles[1]), 0)
  expect_equal(sm$n_pruned, sum(gone))
  expect_equal(unname(snr(p)[gone]), rep(0, sum(gone)))
  expect_output(print(sm), "Signal-to-noise")
})

test_that("pruned weights drop out of the predictions", {
  d <- prune_fit()
  p <- prune(d$fit, 0.6)
  gone <- p$mask == 0
  # a draw of the network is a function of the unpruned weights only:
  # changing the rho of a pruned weight changes nothing
  q <- p
  q$params <- lapply(q$params, function(l) {
    l$w_rho[] <- l$w_rho + 3
    l$b_rho[] <- l$b_rho + 3
    l
  })
  theta_p <- bbb:::get_theta(p)
  theta_q <- bbb:::get_theta(q)
  P <- length(gone)
  theta_q[P + which(!gone)] <- theta_p[P + which(!gone)]
  q <- bbb:::set_theta(q, theta_q)
  set.seed(3)
  a <- predict(p, d$x, type = "samples", nsamples = 10)
  set.seed(3)
  b <- predict(q, d$x, type = "samples", nsamples = 10)
  expect_identical(a, b)
})

test_that("prune(fit, 0) predicts as the fit does", {
  d <- prune_fit()
  p <- prune(d$fit, 0)
  set.seed(4)
  a <- predict(d$fit, d$x, type = "samples", nsamples = 30)
  set.seed(4)
  b <- predict(p, d$x, type = "samples", nsamples = 30)
  expect_identical(a, b)
  # also through an explicit all-ones mask
  p$mask <- rep(1, length(std_coef(p)))
  set.seed(4)
  expect_identical(predict(p, d$x, type = "samples", nsamples = 30), a)
})

test_that("bbb_continue() after prune() keeps the pruned weights at zero", {
  d <- prune_fit()
  p <- prune(d$fit, 0.5)
  gone <- p$mask == 0
  set.seed(5)
  u <- bbb_continue(p, epochs = 10, verbose = FALSE)
  expect_identical(u$mask, p$mask)
  expect_true(all(std_coef(u)[gone] == 0))
  expect_true(all(std_coef(u, "sd")[gone] == 0))
  expect_true(any(std_coef(u)[!gone] != std_coef(p)[!gone]))
  expect_true(all(is.finite(unlist(u$params))))
  # rho of pruned parameters is left alone
  rho <- function(f) unlist(lapply(f$params, function(l) c(l$w_rho, l$b_rho)))
  expect_equal(rho(u)[gone], rho(p)[gone])
  draws <- as.matrix(u, nsamples = 5, scale = "standardized")
  expect_true(all(draws[, gone] == 0))
})

test_that("pruning a pruned fit keeps the earlier pruned weights", {
  d <- prune_fit()
  n <- length(std_coef(d$fit))
  p1 <- prune(d$fit, 0.5)
  u <- bbb_continue(p1, epochs = 10, verbose = FALSE)
  p2 <- prune(u, 0.75)
  expect_true(all(p2$mask[p1$mask == 0] == 0))
  expect_equal(sum(p2$mask == 0), round(0.75 * n))
  p3 <- prune(u, 0.2)
  expect_identical(p3$mask, p1$mask)
  expect_identical(prune(u, 0)$mask, p1$mask)
})

test_that("biases can be kept out of the pruning", {
  d <- prune_fit()
  p <- prune(d$fit, 0.5, biases = FALSE)
  is_w <- !grepl("^b->", names(std_coef(p)))
  expect_true(all(p$mask[!is_w] == 1))
  expect_equal(sum(p$mask == 0), round(0.5 * sum(is_w)))
})

test_that("pruned fits survive saveRDS() and work for other families", {
  set.seed(6)
  fit <- bbb_fit(Species ~ ., data = iris, hidden = 6, epochs = 10,
                 verbose = FALSE)
  p <- prune(fit, 0.7)
  path <- tempfile(fileext = ".rds")
  saveRDS(p, path)
  on.exit(unlink(path))
  q <- readRDS(path)
  set.seed(7)
  a <- predict(p, iris, nsamples = 20)
  set.seed(7)
  expect_identical(predict(q, iris, nsamples = 20), a)
  expect_true(all(is.finite(a)))
  ev <- bbb_evaluate(p, iris, iris$Species, nsamples = 20)
  expect_true(is.finite(ev$log_lik))
})

test_that("prune() rejects bad input", {
  d <- prune_fit()
  expect_error(prune(d$fit, 1.5), "`fraction`")
  expect_error(prune(d$fit, NA), "`fraction`")
  expect_error(prune(d$fit, 0.5, biases = NA), "`biases`")
  expect_error(prune("fit", 0.5), "made by bbb_fit")
})
