# Bad input: every case gives an R error of class "bbb_error" whose message
# names the argument and says what was expected (snapshotted in
# _snaps/bad-input.md), and whose call is the function the user called;
# nothing crashes, and a valid fit in the same session still works
# afterwards.
# In each test the snapshots come last: expect_snapshot() skips the rest of
# a test on CRAN, and the expect_error() checks should still run there.

set.seed(11)
x <- matrix(round(stats::rnorm(40), 3), 20, 2,
            dimnames = list(NULL, c("a", "b")))
y <- round(x[, 1] - x[, 2] + stats::rnorm(20, sd = 0.1), 3)
counts <- stats::rpois(20, 2)
classes <- factor(rep(c("p", "q", "r"), length.out = 20))
dfx <- data.frame(a = x[, 1], b = x[, 2],
                  g = factor(rep(c("u", "v"), 10)))

# Tiny fits: they train in milliseconds.
tiny <- function(x, y, hidden = 2, epochs = 2, ...) {
  bbb_fit(x, y, hidden = hidden, epochs = epochs, verbose = FALSE, ...)
}
fit_m <- tiny(x, y)
fit_df <- tiny(dfx, y)
fit_multi <- tiny(x, classes)

# The message names the argument, in backticks (`arg` or `arg = value`),
# and the condition is a bbb_error.
expect_arg_error <- function(object, arg) {
  expect_error(object, paste0("`", arg, "( = [^`]*)?`"), class = "bbb_error")
}

# ---- x ----------------------------------------------------------------------

test_that("NA in x is an error naming `x`, its row and column", {
  x_na <- x
  x_na[3, 2] <- NA
  expect_arg_error(tiny(x_na, y), "x")
  expect_snapshot(tiny(x_na, y), error = TRUE)
})

test_that("NaN in x is an error", {
  x_nan <- x
  x_nan[5, 1] <- NaN
  expect_arg_error(tiny(x_nan, y), "x")
  expect_snapshot(tiny(x_nan, y), error = TRUE)
})

test_that("Inf in x is an error", {
  x_inf <- x
  x_inf[7, 2] <- -Inf
  x_inf[8, 2] <- Inf
  expect_arg_error(tiny(x_inf, y), "x")
  expect_snapshot(tiny(x_inf, y), error = TRUE)
})

test_that("NA in a data-frame x names the original column", {
  d <- dfx
  d$g[4] <- NA
  expect_error(tiny(d, y), "column 'g'", fixed = TRUE)
  expect_snapshot(tiny(d, y), error = TRUE)
})

test_that("x with zero rows is an error", {
  expect_arg_error(tiny(x[0, , drop = FALSE], y[0]), "x")
  expect_snapshot(tiny(x[0, , drop = FALSE], y[0]), error = TRUE)
})

test_that("x with one row is an error", {
  expect_arg_error(tiny(x[1, , drop = FALSE], y[1]), "x")
  expect_snapshot(tiny(x[1, , drop = FALSE], y[1]), error = TRUE)
})

test_that("a constant column cannot be standardized", {
  x_const <- cbind(x, c = 1)
  expect_error(tiny(x_const, y), "`standardize = FALSE`", fixed = TRUE)
  # ... but it can be used without standardization.
  expect_s3_class(tiny(x_const, y, standardize = FALSE), "bbb_fit")
  expect_snapshot(tiny(x_const, y, standardize = TRUE), error = TRUE)
})

test_that("a character column of a data-frame x is an error", {
  d <- data.frame(a = x[, 1], g = rep(c("u", "v"), 10))
  expect_arg_error(tiny(d, y), "x")
  expect_snapshot(tiny(d, y), error = TRUE)
})

test_that("a data-frame x with unusable columns is an error", {
  d_one <- data.frame(a = x[, 1], g = factor(rep("u", 20)))
  expect_arg_error(tiny(d_one, y), "x")
  d_cplx <- data.frame(a = x[, 1], z = complex(real = x[, 2],
                                               imaginary = 1))
  expect_arg_error(tiny(d_cplx, y), "x")
  expect_snapshot(tiny(d_one, y), error = TRUE)
  expect_snapshot(tiny(d_cplx, y), error = TRUE)
  expect_snapshot(tiny(data.frame(row.names = 1:20), y), error = TRUE)
})

test_that("duplicated column names of x are an error", {
  x_dup <- x
  colnames(x_dup) <- c("a", "a")
  expect_arg_error(tiny(x_dup, y), "x")
  d <- data.frame(a = x[, 1], a = x[, 2], check.names = FALSE)
  expect_arg_error(tiny(d, y), "x")
  expect_snapshot(tiny(x_dup, y), error = TRUE)
})

test_that("x that is not a matrix or data frame is an error", {
  expect_arg_error(tiny(matrix("a", 20, 2), y), "x")
  expect_arg_error(tiny(as.list(1:20), y), "x")
  expect_snapshot(tiny(matrix("a", 20, 2), y), error = TRUE)
  expect_snapshot(tiny(array(1, c(20, 2, 2)), y), error = TRUE)
})

test_that("values near the double limit in x are an error", {
  x_big <- x
  x_big[2, 1] <- 1e300
  expect_arg_error(tiny(x_big, y), "x")
  expect_arg_error(tiny(x_big, y, standardize = FALSE), "x")
  expect_snapshot(tiny(x_big, y), error = TRUE)
})

# ---- y ----------------------------------------------------------------------

test_that("NA in y is an error", {
  y_na <- y
  y_na[4] <- NA
  expect_arg_error(tiny(x, y_na), "y")
  expect_snapshot(tiny(x, y_na), error = TRUE)
})

test_that("Inf in y is an error", {
  y_inf <- y
  y_inf[6] <- Inf
  expect_arg_error(tiny(x, y_inf), "y")
  expect_snapshot(tiny(x, y_inf), error = TRUE)
})

test_that("a character y is an error", {
  y_chr <- rep(c("yes", "no"), 10)
  expect_arg_error(tiny(x, y_chr), "y")
  expect_snapshot(tiny(x, y_chr), error = TRUE)
})

test_that("a factor y with one level is an error", {
  y_one <- factor(rep("a", 20))
  expect_arg_error(tiny(x, y_one), "y")
  expect_snapshot(tiny(x, y_one), error = TRUE)
})

test_that("a 2-level factor with family = \"multinomial\" is an error", {
  y_two <- factor(rep(c("a", "b"), 10))
  expect_arg_error(tiny(x, y_two, family = "multinomial"), "y")
  expect_snapshot(tiny(x, y_two, family = "multinomial"), error = TRUE)
})

test_that("x and y of different lengths are an error", {
  expect_arg_error(tiny(x, y[1:15]), "y")
  expect_arg_error(tiny(x[, 1], y[1:15]), "y")
  expect_snapshot(tiny(x, y[1:15]), error = TRUE)
})

test_that("y that is not a vector is an error", {
  expect_arg_error(tiny(x, as.list(y)), "y")
  expect_snapshot(tiny(x, cbind(y, y)), error = TRUE)
  expect_snapshot(bbb_fit(x, hidden = 2), error = TRUE)
})

test_that("a constant gaussian y is an error", {
  expect_arg_error(tiny(x, rep(3, 20)), "y")
  expect_snapshot(tiny(x, rep(3, 20)), error = TRUE)
})

test_that("values near the double limit in y are an error", {
  y_big <- y
  y_big[2] <- 1e300
  expect_arg_error(tiny(x, y_big), "y")
  expect_arg_error(tiny(x, y_big, standardize = FALSE), "y")
  expect_snapshot(tiny(x, y_big), error = TRUE)
})

test_that("the poisson family rejects negative counts", {
  y_neg <- counts
  y_neg[3] <- -1
  expect_arg_error(tiny(x, y_neg, family = "poisson"), "y")
  expect_snapshot(tiny(x, y_neg, family = "poisson"), error = TRUE)
})

test_that("the poisson family rejects non-integer counts", {
  y_frac <- counts + 0.5
  expect_arg_error(tiny(x, y_frac, family = "poisson"), "y")
  expect_arg_error(tiny(x, counts > 1, family = "poisson"), "y")
  expect_snapshot(tiny(x, y_frac, family = "poisson"), error = TRUE)
})

test_that("the binomial family rejects y = 2", {
  y_two <- rep(0:1, 10)
  y_two[5] <- 2
  expect_arg_error(tiny(x, y_two, family = "binomial"), "y")
  expect_snapshot(tiny(x, y_two, family = "binomial"), error = TRUE)
})

test_that("a family that does not fit y is an error", {
  expect_arg_error(tiny(x, classes, family = "binomial"), "y")
  expect_arg_error(tiny(x, y, family = "multinomial"), "y")
  expect_snapshot(tiny(x, classes, family = "gaussian"), error = TRUE)
})

# ---- other arguments of bbb_fit() -----------------------------------------

test_that("non-positive or non-integer `hidden` is an error", {
  expect_arg_error(tiny(x, y, hidden = NA), "hidden")
  expect_arg_error(tiny(x, y, hidden = "3"), "hidden")
  expect_arg_error(tiny(x, y, hidden = c(1e5, 1e5)), "hidden")
  expect_arg_error(tiny(x, y, hidden = c(100000L, 100000L)), "hidden")
  expect_snapshot(tiny(x, y, hidden = 0), error = TRUE)
  expect_snapshot(tiny(x, y, hidden = c(4, -1)), error = TRUE)
  expect_snapshot(tiny(x, y, hidden = 2.5), error = TRUE)
})

test_that("non-positive or non-integer `epochs` is an error", {
  expect_arg_error(tiny(x, y, epochs = -3), "epochs")
  expect_arg_error(tiny(x, y, epochs = "2"), "epochs")
  expect_snapshot(tiny(x, y, epochs = 0), error = TRUE)
  expect_snapshot(tiny(x, y, epochs = 1.5), error = TRUE)
})

test_that("non-positive or non-integer `batch_size` is an error", {
  expect_arg_error(tiny(x, y, batch_size = NA), "batch_size")
  expect_snapshot(tiny(x, y, batch_size = 0), error = TRUE)
  expect_snapshot(tiny(x, y, batch_size = 4.5), error = TRUE)
})

test_that("`batch_size` larger than n is an error", {
  expect_arg_error(tiny(x, y, batch_size = 50), "batch_size")
  expect_snapshot(tiny(x, y, batch_size = 50), error = TRUE)
})

test_that("non-positive or non-integer `n_samples` is an error", {
  expect_arg_error(tiny(x, y, n_samples = -1), "n_samples")
  expect_snapshot(tiny(x, y, n_samples = 0), error = TRUE)
  expect_snapshot(tiny(x, y, n_samples = 2.5), error = TRUE)
  expect_snapshot(tiny(x, y, n_samples = 1e7), error = TRUE)
})

test_that("`lr <= 0` is an error", {
  expect_arg_error(tiny(x, y, lr = -0.1), "lr")
  expect_arg_error(tiny(x, y, lr = Inf), "lr")
  expect_snapshot(tiny(x, y, lr = 0), error = TRUE)
})

test_that("prior_mixture() rejects `pi` outside (0, 1)", {
  expect_arg_error(prior_mixture(pi = 1), "pi")
  expect_arg_error(prior_mixture(pi = -0.5), "pi")
  expect_snapshot(prior_mixture(pi = 0), error = TRUE)
  expect_snapshot(prior_mixture(pi = 1.5), error = TRUE)
})

test_that("prior_mixture() rejects non-positive sigmas", {
  expect_arg_error(prior_mixture(sigma1 = -2), "sigma1")
  expect_snapshot(prior_mixture(sigma1 = 0), error = TRUE)
  expect_snapshot(prior_mixture(sigma2 = -1), error = TRUE)
})

test_that("prior_gaussian(scale = 0) is an error", {
  expect_arg_error(prior_gaussian(scale = -1), "scale")
  expect_snapshot(prior_gaussian(scale = 0), error = TRUE)
  expect_arg_error(prior_gaussian(groups = "all"), "groups")
  expect_arg_error(prior_gaussian(shape = 0), "shape")
})

test_that("a `prior` not made by a prior function is an error", {
  expect_arg_error(tiny(x, y, prior = list(type = "gaussian")), "prior")
  expect_snapshot(tiny(x, y, prior = "gaussian"), error = TRUE)
})

test_that("an unknown `activation` is an error", {
  expect_arg_error(tiny(x, y, activation = "elu"), "activation")
  expect_snapshot(tiny(x, y, activation = "elu"), error = TRUE)
})

test_that("an unknown `family` is an error", {
  expect_arg_error(tiny(x, y, family = NA), "family")
  expect_snapshot(tiny(x, y, family = "gamma"), error = TRUE)
})

test_that("an unknown `optimizer` is an error", {
  expect_arg_error(tiny(x, y, optimizer = "rmsprop"), "optimizer")
  expect_snapshot(tiny(x, y, optimizer = "rmsprop"), error = TRUE)
})

test_that("an unknown `kl_weighting` is an error", {
  expect_arg_error(tiny(x, y, kl_weighting = "none"), "kl_weighting")
  expect_snapshot(tiny(x, y, kl_weighting = "none"), error = TRUE)
})

test_that("an unknown `estimator` is an error", {
  expect_arg_error(tiny(x, y, estimator = "flipout"), "estimator")
  expect_snapshot(tiny(x, y, estimator = "flipout"), error = TRUE)
})

test_that("estimator = \"local\" with the mixture prior is an error", {
  expect_arg_error(tiny(x, y, estimator = "local", prior = prior_mixture()),
                   "estimator")
  expect_snapshot(tiny(x, y, estimator = "local", prior = prior_mixture()),
                  error = TRUE)
})

test_that("`noise_sd` must be positive and is for the gaussian family", {
  expect_arg_error(tiny(x, y, noise_sd = -1), "noise_sd")
  expect_arg_error(tiny(x, classes, noise_sd = 1, family = "multinomial"),
                   "noise_sd")
  # also when family = "auto" picks a family from y (it was dropped)
  expect_arg_error(tiny(x, rep(0:1, 10), noise_sd = 1), "noise_sd")
  expect_arg_error(tiny(x, classes, noise_sd = 1), "noise_sd")
  expect_snapshot(tiny(x, y, noise_sd = 0), error = TRUE)
  expect_snapshot(tiny(x, counts, family = "poisson", noise_sd = 1),
                  error = TRUE)
  expect_snapshot(tiny(x, rep(0:1, 10), noise_sd = 1), error = TRUE)
})

test_that("out-of-range `threads` is an R error, not one from C", {
  expect_arg_error(tiny(x, y, threads = 5000), "threads")
  expect_snapshot(tiny(x, y, threads = 5000), error = TRUE)
})

test_that("a misspelled argument is an error naming it", {
  expect_arg_error(bbb_fit(x, y, hiden = 3, epochs = 2, verbose = FALSE),
                   "hiden")
  expect_arg_error(bbb_fit(y ~ a, data = cbind(dfx, y = y), hiden = 3,
                           epochs = 2, verbose = FALSE), "hiden")
  expect_snapshot(bbb_fit(x, y, hiden = 3, epochs = 2, verbose = FALSE),
                  error = TRUE)
})

# ---- newdata ----------------------------------------------------------------

test_that("factor levels in newdata unseen in training are an error", {
  nd <- dfx
  nd$g <- factor(rep(c("u", "w"), 10))
  expect_arg_error(predict(fit_df, nd), "newdata")
  expect_snapshot(predict(fit_df, nd), error = TRUE)
})

test_that("newdata with a missing column is an error", {
  expect_arg_error(predict(fit_df, dfx[, c("a", "g")]), "newdata")
  nd <- data.frame(a = x[, 1], c = x[, 2])
  expect_arg_error(predict(fit_m, nd), "newdata")
  expect_snapshot(predict(fit_df, dfx[, c("a", "g")]), error = TRUE)
})

test_that("a newdata column of the wrong type is an error", {
  nd_chr <- dfx
  nd_chr$a <- as.character(nd_chr$a)
  expect_arg_error(predict(fit_df, nd_chr), "newdata")
  nd_num <- dfx
  nd_num$g <- 1
  expect_arg_error(predict(fit_df, transform(dfx, a = a > 0)), "newdata")
  expect_snapshot(predict(fit_df, nd_chr), error = TRUE)
  expect_snapshot(predict(fit_df, nd_num), error = TRUE)
})

test_that("Inf in newdata is an error naming the row and column", {
  nd <- x
  nd[2, 2] <- NA
  nd[3, 1] <- Inf
  expect_error(predict(fit_m, nd), "`newdata`.*row 3, column 'a'",
               class = "bbb_error")
  nd_df <- dfx
  nd_df$b[4] <- -Inf
  expect_error(predict(fit_df, nd_df), "`newdata`.*row 4, column 'b'",
               class = "bbb_error")
  expect_snapshot(predict(fit_m, nd), error = TRUE)
})

test_that("NA in newdata with na.fail, or a bad `na.action`, is an error", {
  nd <- x
  nd[2, 2] <- NA
  expect_arg_error(predict(fit_m, nd, na.action = stats::na.fail),
                   "newdata")
  expect_arg_error(predict(fit_m, nd, na.action = "omit"), "na.action")
  expect_snapshot(predict(fit_m, nd, na.action = stats::na.fail),
                  error = TRUE)
  expect_snapshot(predict(fit_m, nd, na.action = "omit"), error = TRUE)
})

test_that("newdata with the wrong number of columns is an error", {
  expect_arg_error(predict(fit_m, unname(x[, 1, drop = FALSE])), "newdata")
  expect_arg_error(predict(fit_m, cbind(x, x)), "newdata")
  expect_snapshot(predict(fit_m, unname(cbind(x, 1))), error = TRUE)
  expect_snapshot(predict(fit_m, c(1, 2, 3)), error = TRUE)
})

test_that("extra or reordered columns are matched by name", {
  set.seed(5)
  p_df <- predict(fit_df, dfx)
  set.seed(5)
  p_df2 <- predict(fit_df, cbind(id = 1:20, dfx[, c("g", "b", "a")]))
  expect_equal(p_df2, p_df)
  expect_true(all(is.finite(p_df)))

  set.seed(6)
  p_m <- predict(fit_m, x)
  set.seed(6)
  p_m2 <- predict(fit_m, cbind(z = 9, x[, c("b", "a")]))
  set.seed(6)
  p_m3 <- predict(fit_m, data.frame(id = letters[1:20], b = x[, 2],
                                    a = x[, 1]))
  expect_equal(p_m2, p_m)
  expect_equal(p_m3, p_m)
  expect_true(all(is.finite(p_m)))
})

# ---- other arguments of predict() ------------------------------------------

test_that("predict() rejects a bad `type`", {
  expect_arg_error(predict(fit_m, x, type = "probability"), "type")
  expect_snapshot(predict(fit_m, x, type = "probability"), error = TRUE)
})

test_that("predict() rejects type = \"class\" or \"prob\" for a gaussian fit", {
  expect_arg_error(predict(fit_m, x, type = "class"), "type")
  expect_arg_error(predict(fit_m, x, type = "prob"), "type")
  expect_snapshot(predict(fit_m, x, type = "class"), error = TRUE)
  expect_snapshot(predict(fit_m, x, type = "prob"), error = TRUE)
})

test_that("predict() rejects an interval where it makes no sense", {
  expect_arg_error(predict(fit_multi, x, type = "class",
                           interval = "credible"), "interval")
  expect_arg_error(predict(fit_m, x, type = "samples",
                           interval = "prediction"), "interval")
  expect_arg_error(predict(fit_m, x, type = "link",
                           interval = "prediction"), "interval")
  expect_arg_error(predict(fit_multi, x, type = "prob",
                           interval = "prediction"), "interval")
  expect_snapshot(predict(fit_multi, x, type = "class",
                          interval = "credible"), error = TRUE)
  expect_snapshot(predict(fit_m, x, type = "link", interval = "prediction"),
                  error = TRUE)
})

test_that("predict() rejects a bad `seed` or `threads`", {
  expect_arg_error(predict(fit_m, x, seed = 1.5), "seed")
  expect_arg_error(predict(fit_m, x, seed = "a"), "seed")
  expect_arg_error(predict(fit_m, x, seed = 1e10), "seed")
  expect_arg_error(predict(fit_m, x, threads = 0), "threads")
  expect_arg_error(predict(fit_m, x, threads = 5000), "threads")
  expect_snapshot(predict(fit_m, x, seed = c(1, 2)), error = TRUE)
  expect_snapshot(predict(fit_m, x, threads = 0), error = TRUE)
})

test_that("predict() rejects a bad `interval`", {
  expect_arg_error(predict(fit_m, x, interval = "confidence"), "interval")
  expect_snapshot(predict(fit_m, x, interval = "confidence"), error = TRUE)
})

test_that("predict() rejects a bad `level`", {
  expect_arg_error(predict(fit_m, x, level = 0), "level")
  expect_arg_error(predict(fit_m, x, level = NA), "level")
  expect_snapshot(predict(fit_m, x, interval = "credible", level = 1),
                  error = TRUE)
  expect_snapshot(predict(fit_m, x, interval = "credible", level = 95),
                  error = TRUE)
})

test_that("predict() rejects a bad `nsamples`", {
  expect_arg_error(predict(fit_m, x, nsamples = "10"), "nsamples")
  expect_snapshot(predict(fit_m, x, nsamples = 0), error = TRUE)
  expect_snapshot(predict(fit_m, x, nsamples = 10.5), error = TRUE)
})

test_that("predict() rejects an unknown argument", {
  expect_arg_error(predict(fit_m, x, se.fit = TRUE), "se.fit")
  expect_snapshot(predict(fit_m, x, se.fit = TRUE), error = TRUE)
})

test_that("a prediction interval for a multinomial fit is an error", {
  expect_arg_error(predict(fit_multi, x, interval = "prediction"),
                   "interval")
  expect_equal(dim(predict(fit_multi, x, interval = "credible",
                           nsamples = 10)), c(20L, 3L, 3L))
  expect_snapshot(predict(fit_multi, x, interval = "prediction"),
                  error = TRUE)
})

# ---- bbb_continue(), update(), coef() and bbb_gradient() --------------------

test_that("bbb_continue() with a non-count `epochs` is an error", {
  expect_arg_error(bbb_continue(fit_m, epochs = 0, verbose = FALSE),
                   "epochs")
  expect_snapshot(bbb_continue(fit_m, epochs = 2.5, verbose = FALSE),
                  error = TRUE)
})

test_that("bbb_continue() with a bad `lr` or `object` is an error", {
  expect_arg_error(bbb_continue(fit_m, epochs = 1, lr = 0, verbose = FALSE),
                   "lr")
  expect_arg_error(bbb_continue(fit_m, epochs = 1, lr = "a",
                                verbose = FALSE), "lr")
  expect_arg_error(bbb_continue(fit_m, epochs = 1, lr = c(0.1, 0.2),
                                verbose = FALSE), "lr")
  expect_arg_error(bbb_continue(list(), epochs = 1), "object")
})

test_that("update() of a fit on a bad argument is a bbb_error", {
  # update() refits through bbb_fit(), whose checks name the argument
  fit_u <- bbb_fit(x, y, hidden = 2, epochs = 2, verbose = FALSE)
  expect_arg_error(update(fit_u, hidden = 0), "hidden")
  # a formula update of a matrix fit has no formula to change
  expect_error(update(fit_u, . ~ . - a), "not from a formula",
               class = "bbb_error")
})

test_that("coef() and as.matrix() reject a bad `type` or `scale`", {
  expect_arg_error(coef(fit_m, type = "median"), "type")
  expect_arg_error(coef(fit_m, scale = "raw"), "scale")
  expect_arg_error(as.matrix(fit_m, scale = "raw"), "scale")
  expect_snapshot(coef(fit_m, scale = "raw"), error = TRUE)
})

test_that("bbb_gradient() with a bad `kl_weight` is an error", {
  expect_arg_error(bbb_gradient(fit_m, x, y, kl_weight = 2), "kl_weight")
  expect_arg_error(bbb_gradient(fit_m, x, y, kl_weight = NA), "kl_weight")
})

test_that("bbb_gradient() with a wrongly shaped `eps` is an error", {
  eps <- bbb_gradient(fit_m, x, y)$eps
  eps[[1]]$w <- eps[[1]]$w[-1]
  expect_arg_error(bbb_gradient(fit_m, x, y, eps = eps), "eps")
  expect_snapshot(bbb_gradient(fit_m, x, y, eps = list(1)), error = TRUE)
})

# ---- classed conditions -----------------------------------------------------

test_that("errors carry the class bbb_error and the user's call", {
  e <- tryCatch(predict(fit_m, x, type = "class"), error = identity)
  expect_s3_class(e, c("bbb_error", "error", "condition"), exact = TRUE)
  # the generic's call, not the method's or a helper's
  expect_identical(conditionCall(e), quote(predict(fit_m, x, type = "class")))
  e <- tryCatch(bbb_fit(x, y, hidden = 0), error = identity)
  expect_identical(conditionCall(e), quote(bbb_fit(x, y, hidden = 0)))
  e <- tryCatch(stats::predict(fit_m, x, level = 2), error = identity)
  expect_identical(conditionCall(e), quote(stats::predict(fit_m, x,
                                                          level = 2)))
  e <- tryCatch(bbb_evaluate(fit_m, x), error = identity)
  expect_identical(conditionCall(e), quote(bbb_evaluate(fit_m, x)))
  # a helper of the user's does not hide the bbb function it called
  helper <- function(f) snr(f)
  e <- tryCatch(helper(1), error = identity)
  expect_identical(conditionCall(e), quote(snr(f)))
})

test_that("warnings carry the class bbb_warning", {
  # a poisson fit that diverges (as in test-train.R), restored
  set.seed(11)
  xs <- matrix(stats::rnorm(200), 100, 2)
  ys <- stats::rpois(100, 5)
  w <- tryCatch(bbb_fit(xs, ys, family = "poisson", lr = 1e6, epochs = 50,
                        on_nonfinite = "restore", verbose = FALSE),
                warning = identity)
  expect_s3_class(w, "bbb_warning")
  expect_match(conditionMessage(w), "Returning the fit")
  expect_identical(conditionCall(w)[[1L]], as.name("bbb_fit"))
})

# ---- after all of that ------------------------------------------------------

test_that("a valid fit still trains and predicts after the errors", {
  set.seed(1)
  fit <- tiny(x, y)
  p <- predict(fit, x, interval = "prediction", nsamples = 20)
  expect_equal(dim(p), c(20L, 3L))
  expect_true(all(is.finite(p)))
  expect_true(all(is.finite(fit$trace$elbo)))
  p_df <- predict(tiny(dfx, y), dfx, nsamples = 20)
  expect_true(all(is.finite(p_df)))
  p_cl <- predict(tiny(x, classes), x, type = "class", nsamples = 20)
  expect_s3_class(p_cl, "factor")
})

test_that("the scan of a design finds the first bad and large values", {
  # scan_values() summarises blocks of 4096 values and searches only a
  # block that holds one: put them on and around block boundaries
  reference <- function(x, limit) {
    bad <- which(!is.finite(x))[1L]
    bad <- if (is.na(bad)) 0 else bad
    before <- if (bad > 0) seq_len(bad - 1L) else seq_along(x)
    big <- which(abs(x[before]) > limit)[1L]
    as.double(c(bad, if (is.na(big)) 0 else big))
  }
  scan <- function(x, limit) .Call(bbb:::C_bbb_scan, x, limit)
  set.seed(3)
  base <- rnorm(3 * 4096 + 17)
  cases <- list(list(), list(c(4096, NA)), list(c(4097, -Inf)),
                list(c(1, Inf), c(5000, 1e200)), list(c(4095, 1e200)),
                list(c(4095, 1e200), c(4097, 2e200), c(9000, NaN)),
                list(c(9000, NaN), c(12000, 1e200)),
                list(c(length(base), NA)), list(c(8193, -1e151)))
  for (case in cases) {
    x <- base
    for (put in case) x[put[1]] <- put[2]
    expect_identical(scan(x, 1e150), reference(x, 1e150))
    expect_identical(scan(x, Inf), reference(x, Inf))
  }
  expect_identical(scan(numeric(0), 1e150), c(0, 0))
  expect_identical(scan(-0, 0), c(0, 0))
})

test_that("prior scales too small for single precision are an error", {
  set.seed(1)
  x <- matrix(stats::rnorm(40), 20, 2)
  y <- stats::rnorm(20)
  expect_error(bbb_fit(x, y, hidden = 2, epochs = 1, precision = "single",
                       prior = prior_mixture(sigma2 = 1e-21),
                       verbose = FALSE),
               "`sigma2`.*too small.*single", class = "bbb_error")
  expect_error(bbb_fit(x, y, hidden = 2, epochs = 1, precision = "single",
                       prior = prior_gaussian(1e-25), verbose = FALSE),
               "`scale`.*too small", class = "bbb_error")
  # the same priors train in double precision
  fit <- bbb_fit(x, y, hidden = 2, epochs = 2,
                 prior = prior_mixture(sigma2 = 1e-21), verbose = FALSE)
  expect_true(all(is.finite(coef(fit))))
})
