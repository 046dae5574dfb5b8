# bbb_cv(): folds, pooling, reproducibility under any future plan.

cv_data <- function(n = 60) {
  set.seed(21)
  d <- data.frame(a = stats::runif(n, -1, 1), b = stats::runif(n, -1, 1))
  d$y <- d$a - d$b^2 + stats::rnorm(n, sd = 0.2)
  d$g <- factor(rep(c("p", "q", "r"), length.out = n))
  d
}

test_that("bbb_cv scores every row once, by fold and pooled", {
  d <- cv_data()
  set.seed(1)
  cv <- bbb_cv(y ~ a + b, data = d, folds = 4, hidden = 4, epochs = 40,
               nsamples = 200, keep_fits = TRUE)
  expect_s3_class(cv, "bbb_cv")
  expect_equal(nrow(cv$folds), 4L)
  expect_equal(sort(unique(cv$fold_id)), 1:4)
  expect_equal(as.vector(table(cv$fold_id)), rep(15L, 4))
  expect_equal(cv$folds$n, rep(15L, 4))
  expect_equal(cv$overall$n, 60L)
  expect_equal(cv$overall$log_lik, mean(cv$folds$log_lik))
  expect_equal(cv$overall$rmse, sqrt(mean(cv$folds$rmse^2)))
  expect_equal(cv$overall$coverage_90, mean(cv$folds$coverage_90))
  # each fold's fit saw only the other folds' rows
  expect_equal(vapply(cv$fits, `[[`, 0L, "n_obs"), rep(45L, 4))
  for (j in 1:4) {
    expect_equal(unname(cv$fits[[j]]$data$x[, "a"]),
                 d$a[cv$fold_id != j])
  }
  # its held-out metrics are bbb_evaluate() of that fit on that fold
  ev <- bbb_evaluate(cv$fits[[2]], d[cv$fold_id == 2, ],
                     d$y[cv$fold_id == 2], nsamples = 4000)
  expect_equal(ev$log_lik, cv$folds$log_lik[2], tolerance = 0.05)
  out <- capture.output(print(cv))
  expect_equal(out[1:2], c("4-fold cross-validation (gaussian, 200 posterior draws)",
                           "Held-out rows together:"))
  expect_match(out[3], "n +log_lik +rmse +coverage_50")
  expect_equal(out[5], "By fold:")
  expect_length(out, 10L)
})

test_that("bbb_cv is reproducible and takes matrices and fold ids", {
  d <- cv_data()
  set.seed(2)
  a <- bbb_cv(as.matrix(d[c("a", "b")]), d$y, folds = 3, hidden = 3,
              epochs = 20, nsamples = 100)
  set.seed(2)
  b <- bbb_cv(as.matrix(d[c("a", "b")]), d$y, folds = 3, hidden = 3,
              epochs = 20, nsamples = 100)
  expect_identical(a$folds, b$folds)
  ids <- rep(1:2, 30)
  c <- bbb_cv(as.matrix(d[c("a", "b")]), d$y, folds = ids, hidden = 3,
              epochs = 20, nsamples = 100)
  expect_identical(c$fold_id, ids)
  expect_equal(nrow(c$folds), 2L)
})

test_that("folds are stratified by class for a factor response", {
  d <- cv_data()
  set.seed(3)
  cv <- bbb_cv(g ~ a + b, data = d, folds = 5, hidden = 3, epochs = 10,
               nsamples = 50)
  tab <- table(cv$fold_id, d$g)
  expect_true(all(tab == 4L))
  expect_true(all(c("accuracy", "brier") %in% names(cv$overall)))
})

test_that("bbb_cv gives the same result under any future plan", {
  # no C code of their own; loading tidymodels or starting R sessions under
  # a memory checker costs minutes
  skip_if(nzchar(Sys.getenv("BBB_MEMCHECK")), "under a memory checker")
  skip_if_not_installed("future")
  skip_on_cran()
  d <- cv_data()
  # the result, and the caller's next random number (the folds and one
  # draw for the streams move it on, whatever the plan)
  run <- function() {
    set.seed(4)
    cv <- bbb_cv(y ~ a + b, data = d, folds = 3, hidden = 4, epochs = 30,
                 nsamples = 100, keep_fits = TRUE)
    list(cv = cv, next_u = stats::runif(1))
  }
  runs <- under_plans(run)
  seq_run <- runs$sequential
  par_run <- runs$multisession
  plain_run <- runs$off
  expect_identical(par_run$cv$folds, seq_run$cv$folds)
  expect_identical(plain_run$cv$folds, seq_run$cv$folds)
  expect_identical(lapply(par_run$cv$fits, `[[`, "params"),
                   lapply(seq_run$cv$fits, `[[`, "params"))
  expect_identical(par_run$next_u, seq_run$next_u)
  expect_identical(plain_run$next_u, seq_run$next_u)
})

test_that("bbb_cv checks its arguments", {
  d <- cv_data()
  expect_snapshot(error = TRUE, {
    bbb_cv(y ~ a, data = d, folds = 1)
    bbb_cv(y ~ a, data = d, folds = 61)
    bbb_cv(y ~ a, data = as.matrix(d[1:3]))
    bbb_cv(y ~ a, data = d, y = d$y)
    bbb_cv(as.matrix(d[1:2]), folds = 2)
    bbb_cv(as.matrix(d[1:2]), d$y[-1], folds = 2)
    bbb_cv(as.matrix(d[1:2]), d$y, folds = c(1, 3, rep(1, 58)))
    bbb_cv(as.matrix(d[1:2]), d$y, folds = rep(1.5, 60))
    bbb_cv(y ~ a, data = d, folds = 2, hidden = 2, epochs = 1,
           bogus = TRUE)
  })
})
