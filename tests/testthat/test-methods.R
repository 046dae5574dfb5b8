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
