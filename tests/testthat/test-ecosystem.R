# The methods for rstantools, loo, posterior, broom and parsnip. Each block
# needs the package of its generic and is skipped without it.

eco_fits <- local({
  cache <- NULL
  function() {
    if (is.null(cache)) {
      set.seed(11)
      x <- matrix(stats::runif(240, -1, 1), 120, 2,
                  dimnames = list(NULL, c("a", "b")))
      d <- data.frame(x)
      d$y <- sin(2 * d$a) + 0.5 * d$b + stats::rnorm(120, sd = 0.2)
      d$k <- stats::rpois(120, exp(0.5 + 0.5 * d$a))
      d$z <- factor(ifelse(d$a + d$b + stats::rnorm(120, sd = 0.3) > 0,
                           "yes", "no"))
      d$s <- factor(cut(d$a + stats::rnorm(120, sd = 0.2), c(-Inf, -0.3, 0.3,
                                                              Inf),
                        c("lo", "mid", "hi")))
      args <- list(hidden = 6, epochs = 150, verbose = FALSE)
      cache <<- list(
        data = d,
        gaussian = do.call(bbb_fit, c(list(y ~ a + b, data = d), args)),
        poisson = do.call(bbb_fit, c(list(k ~ a + b, data = d), args)),
        binomial = do.call(bbb_fit, c(list(z ~ a + b, data = d), args)),
        multinomial = do.call(bbb_fit, c(list(s ~ a + b, data = d), args))
      )
    }
    cache
  }
})

# The log density of every draw and row, by R's own density functions.
manual_log_lik <- function(fit, eta, y) {
  switch(fit$family,
    gaussian = stats::dnorm(rep(y, each = nrow(eta)), eta, sigma(fit),
                            log = TRUE),
    poisson = stats::dpois(rep(y, each = nrow(eta)), exp(eta), log = TRUE),
    binomial = stats::dbinom(rep(as.integer(y) - 1L, each = nrow(eta)), 1,
                             stats::plogis(eta), log = TRUE),
    multinomial = {
      k <- as.integer(y)
      out <- matrix(0, dim(eta)[1L], dim(eta)[2L])
      for (i in seq_len(dim(eta)[2L])) {
        e <- eta[, i, ]
        out[, i] <- e[, k[i]] - log(rowSums(exp(e)))
      }
      out
    }
  )
}

test_that("posterior draws are draws x observations of each family", {
  skip_if_not_installed("rstantools")
  f <- eco_fits()
  nd <- f$data[1:7, ]
  for (fam in c("gaussian", "poisson", "binomial", "multinomial")) {
    fit <- f[[fam]]
    yrep <- rstantools::posterior_predict(fit, newdata = nd, ndraws = 40)
    expect_equal(dim(yrep), c(40L, 7L))
    expect_true(all(is.finite(yrep)))
    ep <- rstantools::posterior_epred(fit, newdata = nd, ndraws = 30)
    lp <- rstantools::posterior_linpred(fit, newdata = nd, ndraws = 30)
    if (fam == "multinomial") {
      expect_equal(dim(ep), c(30L, 7L, 3L))
      expect_equal(dimnames(ep)[[3L]], c("lo", "mid", "hi"))
      expect_equal(unname(apply(ep, c(1L, 2L), sum)), matrix(1, 30, 7))
      expect_true(all(yrep %in% 1:3))
    } else {
      expect_equal(dim(ep), c(30L, 7L))
      expect_equal(dim(lp), c(30L, 7L))
    }
    if (fam == "binomial") expect_true(all(yrep %in% 0:1))
    if (fam == "poisson") expect_true(all(yrep >= 0 & yrep == round(yrep)))
    # training data by default
    n <- nrow(f$data)
    expect_equal(ncol(rstantools::posterior_predict(fit, ndraws = 5)), n)
  }
})

test_that("posterior_epred and linpred agree with predict() and the link", {
  skip_if_not_installed("rstantools")
  f <- eco_fits()
  nd <- f$data[1:5, ]
  for (fam in c("gaussian", "poisson", "binomial")) {
    fit <- f[[fam]]
    set.seed(3)
    ep <- rstantools::posterior_epred(fit, newdata = nd, ndraws = 200)
    set.seed(3)
    lp <- rstantools::posterior_linpred(fit, newdata = nd, ndraws = 200)
    inv <- switch(fam, gaussian = identity, poisson = exp,
                  binomial = stats::plogis)
    # the same draws: the mean is the inverse link of the linear predictor
    expect_equal(unname(ep), unname(inv(lp)), tolerance = 1e-10)
    set.seed(3)
    tr <- rstantools::posterior_linpred(fit, transform = TRUE, newdata = nd,
                                        ndraws = 200)
    expect_equal(tr, ep)
    set.seed(3)
    expect_equal(unname(colMeans(ep)),
                 unname(predict(fit, nd, nsamples = 200)), tolerance = 1e-10)
  }
})

test_that("log_lik is log p(y | w) of each draw, by R's densities", {
  skip_if_not_installed("rstantools")
  f <- eco_fits()
  nd <- f$data[1:9, ]
  resp <- c(gaussian = "y", poisson = "k", binomial = "z", multinomial = "s")
  for (fam in names(resp)) {
    fit <- f[[fam]]
    set.seed(4)
    ll <- rstantools::log_lik(fit, newdata = nd, ndraws = 50)
    set.seed(4)
    eta <- rstantools::posterior_linpred(fit, newdata = nd, ndraws = 50)
    expect_equal(dim(ll), c(50L, 9L))
    expect_equal(unname(ll),
                 unname(matrix(manual_log_lik(fit, eta, nd[[resp[fam]]]),
                               50)),
                 tolerance = 1e-8)
    # y given instead of read from newdata
    set.seed(4)
    ll2 <- rstantools::log_lik(fit, newdata = nd[c("a", "b")],
                               y = nd[[resp[fam]]], ndraws = 50)
    expect_equal(ll2, ll)
    # its log-mean-exp is bbb_evaluate()'s log predictive density
    set.seed(5)
    ll <- rstantools::log_lik(fit, newdata = nd, ndraws = 80)
    set.seed(5)
    ev <- bbb_evaluate(fit, nd, nd[[resp[fam]]], nsamples = 80)
    lpd <- apply(ll, 2L, function(v) max(v) + log(mean(exp(v - max(v)))))
    expect_equal(mean(lpd), ev$log_lik, tolerance = 1e-10)
  }
  # the training rows by default
  expect_equal(dim(rstantools::log_lik(f$gaussian, ndraws = 10)),
               c(10L, nrow(f$data)))
})

test_that("loo runs on log_lik() and on fits, and compares two fits", {
  skip_if_not_installed("rstantools")
  skip_if_not_installed("loo")
  f <- eco_fits()
  ll <- rstantools::log_lik(f$gaussian, ndraws = 400)
  res <- suppressWarnings(loo::loo(ll, r_eff = rep(1, ncol(ll))))
  expect_s3_class(res, "psis_loo")
  expect_true(is.finite(res$estimates["elpd_loo", "Estimate"]))
  set.seed(8)
  lin <- bbb_fit(y ~ a + b, data = f$data, hidden = integer(0), epochs = 150,
                 verbose = FALSE)
  l1 <- suppressWarnings(loo::loo(f$gaussian, ndraws = 400))
  l0 <- suppressWarnings(loo::loo(lin, ndraws = 400))
  cmp <- loo::loo_compare(l1, l0)
  expect_equal(nrow(cmp), 2L)
  gap <- abs(l1$estimates["elpd_loo", "Estimate"] -
               l0$estimates["elpd_loo", "Estimate"])
  expect_equal(unname(cmp[, "elpd_diff"]), c(0, -gap))
  # loo() of a fit is loo() of its log_lik() with r_eff = 1
  set.seed(13)
  a <- suppressWarnings(loo::loo(f$gaussian, ndraws = 300))
  set.seed(13)
  ll <- rstantools::log_lik(f$gaussian, ndraws = 300)
  b <- suppressWarnings(loo::loo(ll, r_eff = rep(1, ncol(ll))))
  expect_equal(a$estimates, b$estimates)
})

test_that("predictive_interval gives central intervals of the draws", {
  skip_if_not_installed("rstantools")
  f <- eco_fits()
  nd <- f$data[1:6, ]
  set.seed(6)
  pi <- rstantools::predictive_interval(f$gaussian, prob = 0.8, newdata = nd,
                                        ndraws = 300)
  set.seed(6)
  yrep <- rstantools::posterior_predict(f$gaussian, newdata = nd,
                                        ndraws = 300)
  expect_equal(colnames(pi), c("10%", "90%"))
  expect_equal(unname(pi), unname(t(apply(yrep, 2L, stats::quantile,
                                          c(0.1, 0.9)))))
  expect_snapshot(error = TRUE, {
    rstantools::predictive_interval(f$multinomial)
  })
})

test_that("the rstantools methods check their arguments", {
  skip_if_not_installed("rstantools")
  f <- eco_fits()
  fit <- f$gaussian
  expect_snapshot(error = TRUE, {
    rstantools::posterior_predict(fit, ndraws = 0)
    rstantools::posterior_epred(fit, ndraws = 2.5)
    rstantools::posterior_linpred(fit, transform = NA)
    rstantools::log_lik(fit, newdata = f$data[c("a", "b")])
    rstantools::log_lik(fit, newdata = f$data, y = 1:3)
    rstantools::log_lik(fit, y = f$data$y)
    rstantools::posterior_predict(fit, draws = 10)
  })
  m <- bbb_fit(as.matrix(f$data[c("a", "b")]), f$data$y, hidden = 2,
               epochs = 2, verbose = FALSE)
  expect_snapshot(error = TRUE, {
    rstantools::log_lik(m, newdata = as.matrix(f$data[c("a", "b")]))
  })
})

test_that("as_draws gives named draws of the weights for posterior", {
  skip_if_not_installed("posterior")
  f <- eco_fits()
  fit <- f$gaussian
  set.seed(7)
  d <- posterior::as_draws_df(fit, ndraws = 2000)
  expect_s3_class(d, "draws_df")
  expect_equal(posterior::ndraws(d), 2000L)
  vars <- posterior::variables(d)
  expect_equal(length(vars), length(coef(fit)))
  expect_equal(vars[1:3], c("W1[a,h1]", "W1[b,h1]", "W1[a,h2]"))
  expect_true(all(c("b1[h6]", "W2[h6,y]", "b2[y]") %in% vars))
  s <- posterior::summarise_draws(d)
  expect_equal(s$variable, vars)
  sd <- unname(coef(fit, "sd"))
  # means within 5 standard errors of the posterior means
  expect_true(all(abs(s$mean - unname(coef(fit))) < 5 * sd / sqrt(2000)))
  expect_equal(as.numeric(s$sd), sd, tolerance = 0.1)
  m <- posterior::as_draws_matrix(fit, ndraws = 10)
  expect_s3_class(m, "draws_matrix")
  expect_equal(dim(m), c(10L, length(vars)))
  expect_s3_class(posterior::as_draws(fit, ndraws = 5), "draws_matrix")
  w2 <- posterior::subset_draws(d, variable = "W2")
  expect_equal(posterior::nvariables(w2), 6L)
  # a multinomial fit names its outputs by class
  mv <- posterior::variables(posterior::as_draws_matrix(f$multinomial,
                                                        ndraws = 2))
  expect_true(all(c("W2[h1,lo]", "b2[hi]") %in% mv))
  # pruned parameters are exactly zero in every draw
  pr <- prune(fit, 0.5)
  dp <- posterior::as_draws_matrix(pr, ndraws = 20)
  zero <- coef(pr, "sd") == 0
  expect_true(all(unclass(dp)[, zero] == 0))
})

test_that("tidy, glance and augment follow broom's conventions", {
  skip_if_not_installed("generics")
  f <- eco_fits()
  fit <- f$gaussian
  td <- generics::tidy(fit)
  expect_equal(nrow(td), length(coef(fit)))
  expect_equal(td$estimate, unname(coef(fit)))
  expect_equal(td$std.error, unname(coef(fit, "sd")))
  expect_equal(td$snr, unname(snr(fit)))
  expect_equal(td$term[1L], "W1[a,h1]")
  expect_equal(unique(td$layer), c("hidden1", "output"))
  expect_equal(td$from[td$term == "b1[h2]"], "1")
  ci <- generics::tidy(fit, conf.int = TRUE, conf.level = 0.9)
  expect_equal(ci$conf.high - ci$estimate,
               stats::qnorm(0.95) * ci$std.error)
  ly <- generics::tidy(fit, summary = "layer")
  expect_equal(ly$n, c(12L, 6L, 6L, 1L))
  w1 <- td$estimate[td$layer == "hidden1" & td$kind == "weight"]
  expect_equal(ly$estimate[1L], sqrt(mean(w1^2)))
  gl <- generics::glance(fit)
  expect_equal(nrow(gl), 1L)
  expect_equal(gl$nobs, 120L)
  expect_equal(gl$sigma, sigma(fit))
  expect_equal(gl$elbo, fit$trace$elbo[150L])
  expect_true(is.na(generics::glance(f$binomial)$sigma))

  nd <- f$data[1:8, ]
  set.seed(9)
  au <- generics::augment(fit, newdata = nd, interval = "prediction",
                          nsamples = 500)
  expect_equal(nrow(au), 8L)
  expect_true(all(c(".fitted", ".se.fit", ".resid", ".lower", ".upper") %in%
                    names(au)))
  expect_equal(au$.resid, nd$y - au$.fitted)
  expect_true(all(au$.lower < au$.fitted & au$.fitted < au$.upper))
  set.seed(9)
  mu <- predict(fit, nd, type = "samples", nsamples = 500)
  expect_equal(au$.fitted, unname(colMeans(mu)))
  expect_equal(au$.se.fit, unname(apply(mu, 2L, stats::sd)))
  # training rows by default, with the response
  au0 <- generics::augment(fit)
  expect_equal(nrow(au0), 120L)
  expect_equal(au0$.response, f$data$y)
  am <- generics::augment(f$multinomial, newdata = nd)
  expect_s3_class(am$.fitted, "factor")
  expect_equal(rowSums(as.data.frame(am)[paste0(".pred_",
                                                c("lo", "mid", "hi"))]),
               rep(1, 8))
  expect_snapshot(error = TRUE, {
    generics::tidy(fit, summary = "unit")
    generics::augment(f$multinomial, newdata = nd, interval = "credible")
    generics::augment(fit, newdata = "nd")
  })
})

test_that("parsnip fits and predicts with the bbb engine", {
  # no C code of their own; loading tidymodels or starting R sessions under
  # a memory checker costs minutes
  skip_if(nzchar(Sys.getenv("BBB_MEMCHECK")), "under a memory checker")
  skip_if_not_installed("parsnip")
  f <- eco_fits()
  d <- f$data
  spec <- parsnip::mlp(hidden_units = 5, epochs = 80, learn_rate = 0.02,
                       activation = "tanh")
  spec <- parsnip::set_mode(parsnip::set_engine(spec, "bbb"), "regression")
  set.seed(12)
  pf <- parsnip::fit(spec, y ~ a + b, data = d)
  expect_s3_class(pf$fit, "bbb_fit")
  expect_equal(pf$fit$hidden, 5L)
  expect_equal(pf$fit$activation, "tanh")
  expect_equal(pf$fit$control$lr, 0.02)
  expect_equal(nrow(pf$fit$trace), 80L)
  expect_equal(pf$fit$family, "gaussian")
  p <- predict(pf, d[1:4, ])
  expect_equal(names(p), ".pred")
  expect_equal(nrow(p), 4L)
  expect_true(all(is.finite(p$.pred)))
  pi <- predict(pf, d[1:4, ], type = "pred_int", level = 0.9)
  ci <- predict(pf, d[1:4, ], type = "conf_int", level = 0.9)
  expect_equal(names(pi), c(".pred_lower", ".pred_upper"))
  expect_true(all(pi$.pred_lower < ci$.pred_lower &
                    ci$.pred_upper < pi$.pred_upper))
  # the fit is bbb's: the same as bbb_fit() with the same seed
  set.seed(12)
  direct <- bbb_fit(y ~ a + b, data = d, hidden = 5, epochs = 80, lr = 0.02,
                    activation = "tanh", family = "gaussian", verbose = FALSE)
  expect_equal(pf$fit$params, direct$params)
  # several hidden layers; other arguments of bbb_fit() by set_engine()
  spec2 <- parsnip::set_engine(parsnip::mlp(hidden_units = c(4, 3),
                                            epochs = 5), "bbb",
                               prior = prior_gaussian(0.5), batch_size = 30)
  pf2 <- parsnip::fit(parsnip::set_mode(spec2, "regression"), y ~ a + b,
                      data = d)
  expect_equal(pf2$fit$hidden, c(4L, 3L))
  expect_equal(pf2$fit$prior$type, "gaussian")
  expect_equal(pf2$fit$control$batch_size, 30L)

  cls <- parsnip::set_mode(parsnip::set_engine(parsnip::mlp(hidden_units = 4,
                                                            epochs = 60),
                                               "bbb"), "classification")
  for (resp in c("z", "s")) {
    pc <- parsnip::fit(cls, stats::as.formula(paste(resp, "~ a + b")),
                       data = d)
    lev <- levels(d[[resp]])
    pr <- predict(pc, d[1:6, ], type = "prob")
    expect_equal(names(pr), paste0(".pred_", lev))
    expect_equal(rowSums(pr), rep(1, 6), tolerance = 1e-12)
    cl <- predict(pc, d[1:6, ])
    expect_s3_class(cl$.pred_class, "factor")
    expect_equal(levels(cl$.pred_class), lev)
    # fit_xy() too (parsnip turns x and y into a formula)
    px <- parsnip::fit_xy(cls, x = d[c("a", "b")], y = d[[resp]])
    expect_equal(nrow(predict(px, d[1:3, c("a", "b")], type = "prob")), 3L)
  }
})

test_that("the parsnip engine is registered whether bbb or parsnip loads first", {
  # no C code of their own; loading tidymodels or starting R sessions under
  # a memory checker costs minutes
  skip_if(nzchar(Sys.getenv("BBB_MEMCHECK")), "under a memory checker")
  skip_if_not_installed("parsnip")
  skip_if_not_installed("callr")
  skip_on_cran()
  engines <- function(first) {
    callr::r(function(first) {
      for (p in first) suppressPackageStartupMessages(library(p,
                                                    character.only = TRUE))
      engines <- parsnip::show_engines("mlp")
      sort(unique(engines$mode[engines$engine == "bbb"]))
    }, list(first = first), libpath = .libPaths())
  }
  expect_equal(engines(c("bbb", "parsnip")), c("classification",
                                               "regression"))
  expect_equal(engines(c("parsnip", "bbb")), c("classification",
                                               "regression"))
})
