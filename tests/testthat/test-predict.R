# predict(): every family x type x interval, its shapes and meaning, the
# seeds, missing values.

# One small fit per family (and the heteroscedastic gaussian), trained just
# enough to have distinct weights.
family_fits <- local({
  set.seed(1)
  n <- 60
  x <- matrix(stats::rnorm(2 * n), n, 2, dimnames = list(NULL, c("a", "b")))
  ys <- list(
    gaussian = 3 + x[, 1] + stats::rnorm(n, sd = 0.5),
    binomial = factor(ifelse(x[, 1] + stats::rnorm(n) > 0, "yes", "no")),
    poisson = stats::rpois(n, exp(1 + 0.5 * x[, 1])),
    multinomial = factor(cut(x[, 1] + stats::rnorm(n, sd = 0.3),
                             c(-Inf, -0.5, 0.5, Inf),
                             labels = c("lo", "mid", "hi")))
  )
  fits <- lapply(names(ys), function(fam) {
    bbb_fit(x, ys[[fam]], family = fam, hidden = 3, epochs = 30,
            verbose = FALSE)
  })
  names(fits) <- names(ys)
  fits$hetero <- bbb_fit(x, ys$gaussian, heteroscedastic = TRUE, hidden = 3,
                         epochs = 30, verbose = FALSE)
  list(x = x, y = ys, fits = fits)
})

test_that("every family x type x interval works or is a clear error", {
  nd <- family_fits$x[1:7, ]
  rownames(nd) <- paste0("r", 1:7)
  types <- c("response", "link", "class", "prob", "samples", "predictive")
  intervals <- c("none", "credible", "prediction")
  ns <- 40L
  n_ok <- 0
  for (nm in names(family_fits$fits)) {
    fit <- family_fits$fits[[nm]]
    fam <- fit$family
    classes <- fam %in% c("binomial", "multinomial")
    lev <- levels(family_fits$y[[fam]])
    for (type in types) for (interval in intervals) {
      label <- paste(nm, type, interval)
      # what makes no sense is an error that names the argument
      bad_type <- type %in% c("class", "prob") && !classes
      bad_interval <- interval != "none" &&
        (type %in% c("class", "samples", "predictive") ||
           (interval == "prediction" &&
              (type != "response" || fam == "multinomial")))
      call <- function() {
        predict(fit, nd, type = type, interval = interval, nsamples = ns)
      }
      if (bad_type || bad_interval) {
        expect_error(call(), if (bad_type) "`type" else "`interval",
                     class = "bbb_error", label = label)
        next
      }
      out <- call()
      n_ok <- n_ok + 1
      expect_true(all(is.finite(as.numeric(out))), label = label)
      if (type == "class") {
        expect_s3_class(out, "factor")
        expect_identical(levels(out), lev)
        expect_identical(names(out), rownames(nd))
      } else if (type %in% c("samples", "predictive")) {
        multi_draws <- type == "samples" && fam == "multinomial"
        expect_identical(dim(out), if (multi_draws) c(ns, 7L, 3L) else
          c(ns, 7L), label = label)
        expect_identical(dimnames(out)[[2L]], rownames(nd), label = label)
        if (type == "predictive" && fam != "gaussian") {
          expect_true(is.integer(out), label = label)
          top <- switch(fam, binomial = 1L, multinomial = 3L, Inf)
          expect_true(all(out >= 0 & out <= top), label = label)
        }
      } else if (type == "prob" || fam == "multinomial") {
        kk <- length(lev)
        if (interval == "none") {
          expect_identical(dim(out), c(7L, kk), label = label)
          expect_identical(dimnames(out), list(rownames(nd), lev))
        } else {
          expect_identical(dim(out), c(7L, kk, 3L), label = label)
          expect_identical(dimnames(out)[[3L]], c("fit", "lwr", "upr"))
          expect_true(all(out[, , "lwr"] <= out[, , "fit"] &
                            out[, , "fit"] <= out[, , "upr"]),
                      label = label)
        }
        if (type == "prob" || type == "response") {
          p <- if (interval == "none") out else out[, , "fit"]
          expect_equal(unname(rowSums(p)), rep(1, 7), tolerance = 1e-12,
                       label = label)
        }
      } else if (interval == "none") {
        expect_true(is.vector(out) && length(out) == 7L, label = label)
        expect_identical(names(out), rownames(nd))
      } else {
        expect_identical(dim(out), c(7L, 3L), label = label)
        expect_identical(dimnames(out), list(rownames(nd),
                                             c("fit", "lwr", "upr")))
        expect_true(all(out[, "lwr"] <= out[, "upr"]), label = label)
        if (interval == "prediction" && fam != "gaussian") {
          # bounds of a count or a 0/1 response are whole numbers
          expect_identical(out[, c("lwr", "upr")],
                           round(out[, c("lwr", "upr")]), label = label)
        }
      }
    }
  }
  # each of the 5: response and link without and with a credible interval,
  # samples, predictive; a prediction interval for all but the
  # multinomial; class and prob (two intervals) for the two classifiers
  expect_equal(n_ok, 5 * 6 + 4 + 2 * 3)
})

test_that("summaries are the summaries of the draws", {
  nd <- family_fits$x[1:9, ]
  ns <- 500L
  for (nm in names(family_fits$fits)) {
    fit <- family_fits$fits[[nm]]
    fam <- fit$family
    s <- predict(fit, nd, type = "samples", nsamples = ns)
    m <- predict(fit, nd, nsamples = ns)
    cr <- predict(fit, nd, interval = "credible", nsamples = ns,
                  level = 0.8)
    if (fam == "multinomial") {
      expect_equal(unname(m), unname(apply(s, c(2, 3), mean)))
      q <- apply(s, c(2, 3), stats::quantile, c(0.1, 0.9), names = FALSE)
      expect_equal(unname(cr[, , "lwr"]), unname(q[1, , ]))
      expect_equal(unname(cr[, , "upr"]), unname(q[2, , ]))
      prob <- predict(fit, nd, type = "prob", nsamples = ns)
      cls <- predict(fit, nd, type = "class", nsamples = ns)
      expect_equal(as.integer(cls), max.col(prob, ties.method = "first"))
      next
    }
    expect_equal(unname(m), colMeans(s))
    q <- apply(s, 2, stats::quantile, c(0.1, 0.9), names = FALSE)
    expect_equal(unname(cr[, "lwr"]), q[1, ])
    expect_equal(unname(cr[, "upr"]), q[2, ])
    # prediction intervals are quantiles of the predictive draws: type 7
    # for a continuous response, type 1 (an order statistic, a whole number)
    # for counts and 0/1; one block of rows, so the same noise draws
    pd <- predict(fit, nd, type = "predictive", nsamples = ns)
    pr <- predict(fit, nd, interval = "prediction", nsamples = ns,
                  level = 0.8)
    qt <- if (fam == "gaussian") 7 else 1
    q <- apply(pd, 2, stats::quantile, c(0.1, 0.9), type = qt,
               names = FALSE)
    expect_equal(unname(pr[, "lwr"]), q[1, ])
    expect_equal(unname(pr[, "upr"]), q[2, ])
    if (fam == "gaussian") {
      expect_equal(predict(fit, nd, type = "link", nsamples = ns), m)
    } else {
      # the mean of the draws of eta (not the link of the mean)
      link <- predict(fit, nd, type = "link", nsamples = ns)
      g <- if (fam == "binomial") stats::qlogis else log
      expect_equal(unname(link), colMeans(g(s)), tolerance = 1e-10)
      eta_cr <- predict(fit, nd, type = "link", interval = "credible",
                        nsamples = ns)
      expect_equal(unname(eta_cr[, "fit"]), unname(link))
    }
    if (fam == "binomial") {
      prob <- predict(fit, nd, type = "prob", nsamples = ns)
      expect_equal(unname(prob[, 2]), unname(m))
      cls <- predict(fit, nd, type = "class", nsamples = ns)
      expect_identical(as.character(cls),
                       levels(family_fits$y$binomial)[1 + (m > 0.5)])
      pc <- predict(fit, nd, type = "prob", interval = "credible",
                    nsamples = ns, level = 0.8)
      q_lo <- apply(s, 2, stats::quantile, 0.1, names = FALSE)
      expect_equal(unname(pc[, 2, "lwr"]), q_lo)
      expect_equal(unname(pc[, 1, "upr"]), 1 - q_lo)
    }
  }
})

test_that("predict() gives the same numbers twice, by the fit's seed", {
  fit <- family_fits$fits$gaussian
  nd <- family_fits$x
  a <- predict(fit, nd, interval = "prediction", nsamples = 200)
  set.seed(99)
  b <- predict(fit, nd, interval = "prediction", nsamples = 200)
  expect_identical(a, b)
  # another seed gives other draws; seed = NULL follows set.seed()
  c <- predict(fit, nd, interval = "prediction", nsamples = 200, seed = 3)
  expect_false(identical(a, c))
  expect_identical(c, predict(fit, nd, interval = "prediction",
                              nsamples = 200, seed = 3))
  set.seed(4)
  d1 <- predict(fit, nd, nsamples = 50, seed = NULL)
  set.seed(4)
  d2 <- predict(fit, nd, nsamples = 50, seed = NULL)
  expect_identical(d1, d2)
  expect_false(identical(d1, predict(fit, nd, nsamples = 50, seed = NULL)))
  # a given seed leaves R's random number stream as it was, kinds too
  set.seed(5)
  before <- .Random.seed
  invisible(predict(fit, nd, type = "predictive", nsamples = 10))
  expect_identical(.Random.seed, before)
  old <- RNGkind("L'Ecuyer-CMRG")
  on.exit(RNGkind(old[1], old[2], old[3]), add = TRUE)
  set.seed(6)
  before <- .Random.seed
  e <- predict(fit, nd, interval = "prediction", nsamples = 200)
  expect_identical(.Random.seed, before)
  expect_identical(RNGkind()[1], "L'Ecuyer-CMRG")
  # ... and the draws do not depend on the user's RNG kind
  expect_identical(e, a)
})

test_that("a row gets the same answer alone or with others", {
  fit <- family_fits$fits$binomial
  nd <- family_fits$x
  all_rows <- predict(fit, nd, interval = "credible", nsamples = 300)
  one <- predict(fit, nd[17, , drop = FALSE], interval = "credible",
                 nsamples = 300)
  expect_identical(unname(one), unname(all_rows[17, , drop = FALSE]))
})

test_that("summaries do not depend on the blocks of rows they are made in", {
  # 2^21 numbers a block: 3000 draws give blocks of 699 rows
  set.seed(7)
  x <- matrix(stats::rnorm(3000), 1500, 2)
  fit <- bbb_fit(x, x[, 1] + stats::rnorm(1500), hidden = 3, epochs = 2,
                 verbose = FALSE)
  blocks <- length(bbb:::row_blocks(1500, 3000))
  expect_equal(blocks, 3)
  whole <- predict(fit, x, interval = "credible", nsamples = 3000)
  parts <- rbind(
    predict(fit, x[1:700, ], interval = "credible", nsamples = 3000),
    predict(fit, x[701:1500, ], interval = "credible", nsamples = 3000)
  )
  expect_identical(unname(whole), unname(parts))
  s <- predict(fit, x[c(1, 1000), ], type = "samples", nsamples = 3000)
  expect_equal(unname(whole[c(1, 1000), "fit"]), colMeans(s))
})

test_that("the default number of draws depends on the network only", {
  fit <- family_fits$fits$gaussian
  expect_equal(bbb:::default_nsamples(fit), 10000L)
  expect_equal(bbb:::default_nsamples(fit, draws = TRUE), 1000L)
  big <- fit
  big$width <- c(784L, 400L, 400L, 10L)
  expect_equal(bbb:::default_nsamples(big), 1000L)
  mid <- fit
  mid$width <- c(20L, 50L, 1L)
  expect_equal(bbb:::default_nsamples(mid),
               floor(5e6 / bbb:::n_params(mid$width)))
  expect_gt(bbb:::default_nsamples(mid), 1000L)
  expect_lt(bbb:::default_nsamples(mid), 10000L)
  s <- predict(fit, family_fits$x[1:3, ], type = "samples")
  expect_equal(dim(s), c(1000L, 3L))
})

test_that("missing values in newdata give NA in place, as predict.lm", {
  fit <- family_fits$fits$binomial
  nd <- family_fits$x[1:6, ]
  nd[2, 1] <- NA
  nd[5, 2] <- NaN
  full <- predict(fit, family_fits$x[1:6, ], interval = "credible",
                  nsamples = 100)
  p <- predict(fit, nd, interval = "credible", nsamples = 100)
  expect_identical(dim(p), c(6L, 3L))
  expect_true(all(is.na(p[c(2, 5), ])))
  expect_identical(p[-c(2, 5), ], full[-c(2, 5), ])
  omit <- predict(fit, nd, interval = "credible", nsamples = 100,
                  na.action = stats::na.omit)
  expect_identical(unname(omit), unname(full[-c(2, 5), ]))
  excl <- predict(fit, nd, interval = "credible", nsamples = 100,
                  na.action = stats::na.exclude)
  expect_identical(excl, p)
  cls <- predict(fit, nd, type = "class", nsamples = 100)
  expect_identical(which(is.na(cls)), c(2L, 5L))
  s <- predict(fit, nd, type = "samples", nsamples = 10)
  expect_true(all(is.na(s[, c(2, 5)])) && all(!is.na(s[, -c(2, 5)])))
  pr <- predict(family_fits$fits$multinomial, nd, type = "prob",
                interval = "credible", nsamples = 10)
  expect_true(all(is.na(pr[c(2, 5), , ])) && all(!is.na(pr[-c(2, 5), , ])))
  all_na <- predict(fit, nd[c(2, 5), ], nsamples = 10)
  expect_true(length(all_na) == 2 && all(is.na(all_na)))
  # data frames: a missing factor level is missing too
  set.seed(8)
  d <- data.frame(g = factor(rep(c("u", "v"), 20)), z = stats::rnorm(40))
  fd <- bbb_fit(d, d$z + (d$g == "v"), hidden = 2, epochs = 3,
                verbose = FALSE)
  nd <- d[1:4, ]
  nd$g[3] <- NA
  p <- predict(fd, nd, nsamples = 50)
  expect_identical(names(p), c("1", "2", "3", "4"))
  expect_identical(is.na(p), c(`1` = FALSE, `2` = FALSE, `3` = TRUE,
                               `4` = FALSE))
  expect_identical(p[-3], predict(fd, d[c(1, 2, 4), ], nsamples = 50))
})

test_that("type = \"prob\" has the levels of the response", {
  set.seed(9)
  x <- matrix(stats::rnorm(60), 30, 2)
  fit01 <- bbb_fit(x, stats::rbinom(30, 1, 0.5), hidden = 2, epochs = 3,
                   verbose = FALSE)
  expect_identical(colnames(predict(fit01, x, type = "prob",
                                    nsamples = 10)), c("0", "1"))
})

test_that("column quantiles agree with stats::quantile, types 7 and 1", {
  set.seed(4)
  m <- matrix(stats::rnorm(1000), 100, 10)
  q <- bbb:::col_quantiles(m, c(0.025, 0.5, 0.975))
  ref <- apply(m, 2, stats::quantile, c(0.025, 0.5, 0.975), names = FALSE)
  expect_equal(q, ref)
  probs <- c(0, 0.025, 0.05, 0.1, 0.5, 0.9, 0.975, 1)
  for (ns in c(1L, 2L, 7L, 40L, 1000L)) {
    counts <- matrix(stats::rpois(ns * 6, 3), ns, 6)
    ref <- apply(counts, 2, stats::quantile, probs, type = 1, names = FALSE)
    expect_identical(bbb:::draw_quantiles(counts, probs, discrete = TRUE),
                     matrix(as.double(ref), length(probs)))
  }
})

test_that("predictive draws follow the likelihood", {
  set.seed(5)
  x <- matrix(stats::rnorm(200), 100, 2)
  y <- 3 + stats::rnorm(100, sd = 2)
  fit <- bbb_fit(x, y, hidden = integer(0), noise_sd = 2, epochs = 100,
                 verbose = FALSE)
  d <- predict(fit, x[1:2, ], type = "predictive", nsamples = 4000)
  expect_equal(stats::sd(d[, 1]), 2, tolerance = 0.1)
})

test_that("the engine's inverse link is the only one", {
  # inverse_link() applies the engine's link_inverse() to draws of eta: it
  # must give what engine_draws() gives on the response scale
  nd <- bbb:::model_inputs(family_fits$fits$gaussian, family_fits$x[1:5, ])
  for (nm in names(family_fits$fits)) {
    fit <- family_fits$fits[[nm]]
    eta <- bbb:::engine_draws(fit, nd, 20L, "link", seed = 11)
    mu <- bbb:::engine_draws(fit, nd, 20L, "response", seed = 11)
    expect_equal(bbb:::inverse_link(fit, eta), mu, tolerance = 1e-15)
    ref <- switch(nm,
      gaussian = fit$y_center + fit$y_scale * eta,
      hetero = {
        # the mean, and the noise sd, on the scale of y
        r <- eta
        r[, , 1] <- fit$y_center + fit$y_scale * eta[, , 1]
        r[, , 2] <- fit$y_scale * exp(eta[, , 2])
        r
      },
      binomial = stats::plogis(eta),
      poisson = exp(eta),
      multinomial = exp(eta) / as.vector(apply(exp(eta), c(1, 2), sum))
    )
    expect_equal(mu, ref, tolerance = 1e-12, label = nm)
  }
})

test_that("a non-finite prediction is a bbb_error", {
  # an output bias of 800 makes exp(eta) overflow on every row
  fit <- family_fits$fits$poisson
  last <- length(fit$params)
  fit$params[[last]]$b_mu[] <- 800
  expect_error(predict(fit, family_fits$x[1:2, ], nsamples = 5),
               "non-finite", class = "bbb_error")
})

test_that("a heteroscedastic fit draws each row's noise from its own sd", {
  fit <- family_fits$fits$hetero
  expect_true(is.na(sigma(fit)))
  expect_output(print(fit), "per row")
  nd <- bbb:::model_inputs(fit, family_fits$x[1:4, ])
  d <- bbb:::engine_draws(fit, nd, 4000L, "response", seed = 3)
  set.seed(1)
  y <- bbb:::draw_response(fit, d)
  # y - mean, divided by that draw's sd, is standard normal
  z <- (y - d[, , 1]) / d[, , 2]
  expect_gt(stats::ks.test(as.vector(z), "pnorm")$p.value, 1e-3)
  # the log density uses each row's sd: the mean over draws of the density
  yy <- c(2, 3, 4, 5)
  eta <- bbb:::engine_draws(fit, nd, 300L, "link", seed = 3)
  mu <- bbb:::inverse_link(fit, eta)
  ys <- (yy - fit$y_center) / fit$y_scale
  dens <- stats::dnorm(rep(yy, each = 300), mu[, , 1], mu[, , 2])
  by_hand <- log(colMeans(matrix(dens, 300)))
  expect_equal(bbb:::log_pred_density(fit, eta, ys, scaled = FALSE),
               by_hand, tolerance = 1e-10)
})

test_that("draws come in antithetic pairs", {
  # with no hidden layer the output is linear in the weights, so each
  # pair's mean is the prediction at the posterior mean: any even number
  # of draws, under any seed, gives the same mean
  set.seed(5)
  x <- matrix(stats::rnorm(120), 60, 2)
  y <- x[, 1] - x[, 2] + stats::rnorm(60, sd = 0.5)
  fit <- bbb_fit(x, y, hidden = integer(0), epochs = 50, verbose = FALSE)
  a <- predict(fit, x[1:5, ], nsamples = 2, seed = 1)
  b <- predict(fit, x[1:5, ], nsamples = 6, seed = 2)
  expect_equal(a, b, tolerance = 1e-10)
  s <- predict(fit, x[1:5, ], type = "samples", nsamples = 2, seed = 1)
  expect_gt(min(abs(s[1, ] - s[2, ])), 0)
  # each draw is still a draw of the posterior: its spread is the
  # posterior's, not zero
  s <- predict(fit, x[1:5, ], type = "samples", nsamples = 4000, seed = 3)
  expect_gt(min(apply(s, 2, stats::sd)), 0.01)
})
