# bbb_ensemble(): independent members, pooled draws, any future plan.

ens_data <- function(n = 80) {
  set.seed(31)
  d <- data.frame(a = stats::runif(n, -1, 1), b = stats::runif(n, -1, 1))
  d$y <- sin(3 * d$a) + stats::rnorm(n, sd = 0.1)
  d$z <- factor(ifelse(d$a * d$b + stats::rnorm(n, sd = 0.1) > 0, "u", "v"))
  d
}

test_that("members are independent fits and predictions pool their draws", {
  d <- ens_data()
  set.seed(1)
  ens <- bbb_ensemble(y ~ a + b, data = d, hidden = 6, epochs = 60,
                      members = 3)
  expect_s3_class(ens, "bbb_ensemble")
  expect_length(ens$fits, 3L)
  expect_false(identical(ens$fits[[1]]$params, ens$fits[[2]]$params))
  expect_equal(ens$fits[[1]]$width, c(2L, 6L, 1L))
  expect_snapshot(ens$fits[[1]]$call)
  nd <- d[1:5, ]
  # nsamples = 7 is split 3, 2, 2, the members' draws stacked in order,
  # member i drawing with the i-th engine seed of the ensemble's stream
  s <- predict(ens, nd, type = "samples", nsamples = 7, seed = 5)
  seeds <- with_draw_seed(5, c(new_seed(), new_seed(), new_seed()))
  parts <- lapply(1:3, function(i) {
    m <- ens$fits[[i]]
    drop_k(engine_draws(m, model_inputs(m, nd), c(3, 2, 2)[i], "response",
                        seeds[i]), m)
  })
  expect_equal(unname(s), unname(do.call(rbind, parts)))
  # the same numbers again by default (the ensemble's seed)
  m <- predict(ens, nd, nsamples = 600)
  expect_identical(predict(ens, nd, nsamples = 600), m)
  expect_equal(m, colMeans(predict(ens, nd, type = "samples",
                                   nsamples = 600)))
  ci <- predict(ens, nd, interval = "credible")
  pi <- predict(ens, nd, interval = "prediction")
  expect_equal(colnames(pi), c("fit", "lwr", "upr"))
  expect_true(all(pi[, "lwr"] < ci[, "lwr"] & ci[, "upr"] < pi[, "upr"]))
  expect_equal(dim(predict(ens, nd, type = "predictive", nsamples = 9)),
               c(9L, 5L))
  out <- capture.output(print(ens))
  expect_equal(out[1:2], c("Ensemble of 3 Bayesian neural networks (gaussian)",
                           "  architecture: 2 -> 6 -> 1 "))
  expect_match(out[3], "^  final ELBO of the members: [-0-9.]+, [-0-9.]+, ")
  expect_match(out[4], "^  noise sd of the members: [0-9.]+, [0-9.]+, ")
})

test_that("a classification ensemble predicts classes and probabilities", {
  d <- ens_data()
  set.seed(4)
  ens <- bbb_ensemble(z ~ a + b, data = d, hidden = 6, epochs = 30,
                      members = 2)
  cl <- predict(ens, d[1:6, ], type = "class")
  expect_equal(levels(cl), c("u", "v"))
  p <- predict(ens, d[1:6, ])
  expect_true(all(p > 0 & p < 1))
  # bbb_evaluate() of an ensemble: the log density of the mixture, from
  # the same draws as log_lik() with the same seed
  ev <- bbb_evaluate(ens, d, d$z, nsamples = 100, seed = 5)
  expect_s3_class(ev, "bbb_evaluation")
  skip_if_not_installed("rstantools")
  ll <- rstantools::log_lik(ens, newdata = d, ndraws = 100, seed = 5)
  expect_equal(dim(ll), c(100L, 80L))
  lpd <- apply(ll, 2L, function(v) max(v) + log(mean(exp(v - max(v)))))
  expect_equal(ev$log_lik, mean(lpd), tolerance = 1e-10)
  pp <- predict(ens, d, type = "samples", nsamples = 1000)
  pr <- predict(ens, d, type = "prob")
  expect_equal(colnames(pr), c("u", "v"))
  expect_equal(unname(rowSums(pr)), rep(1, 80))
  expect_equal(ev$accuracy, mean((colMeans(pp) > 0.5) == (d$z == "v")),
               tolerance = 0.05)
})

test_that("the rstantools and loo methods pool the members", {
  skip_if_not_installed("rstantools")
  d <- ens_data()
  set.seed(7)
  ens <- bbb_ensemble(y ~ a + b, data = d, hidden = 4, epochs = 30,
                      members = 2)
  expect_equal(dim(rstantools::posterior_predict(ens, ndraws = 11)),
               c(11L, 80L))
  expect_equal(dim(rstantools::posterior_epred(ens, newdata = d[1:3, ],
                                               ndraws = 4)), c(4L, 3L))
  skip_if_not_installed("loo")
  res <- suppressWarnings(loo::loo(ens, ndraws = 200))
  expect_s3_class(res, "psis_loo")
})

test_that("bbb_ensemble gives the same members under any future plan", {
  # no C code of their own; loading tidymodels or starting R sessions under
  # a memory checker costs minutes
  skip_if(nzchar(Sys.getenv("BBB_MEMCHECK")), "under a memory checker")
  skip_if_not_installed("future")
  skip_on_cran()
  d <- ens_data()
  run <- function() {
    set.seed(8)
    ens <- bbb_ensemble(as.matrix(d[c("a", "b")]), y = d$y, hidden = 4,
                        epochs = 20, members = 3)
    lapply(ens$fits, `[[`, "params")
  }
  runs <- under_plans(run)
  a <- runs$sequential
  b <- runs$multisession
  c <- runs$off
  expect_identical(b, a)
  expect_identical(c, a)
})

test_that("bbb_ensemble checks its arguments", {
  d <- ens_data()
  expect_snapshot(error = TRUE, {
    bbb_ensemble(y ~ a, data = d, members = 0)
    bbb_ensemble(y ~ a, data = d, members = 2, hidden = -1)
    bbb_ensemble(y ~ a, data = d, members = 2, formula = y ~ b)
    predict(bbb_ensemble(y ~ a, data = d, members = 1, epochs = 1),
            d, type = "prob")
    predict(bbb_ensemble(y ~ a, data = d, members = 1, epochs = 1),
            d, nsamples = 0)
  })
})
