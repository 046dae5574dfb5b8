#' Tidy summaries of a fit for broom
#'
#' Methods for the \pkg{generics} tidiers that \pkg{broom} re-exports.
#'
#' * `tidy()`: one row per weight and bias (`summary = "weight"`, the
#'   default), named as in [as_draws_df.bbb_fit()], with the `layer`, its
#'   `kind` (`"weight"` or `"bias"`), the units it joins (`from`, `to`;
#'   `from` is `"1"` for a bias), `estimate` (the posterior mean),
#'   `std.error` (the posterior sd) and `snr` (`|estimate| / std.error`, see
#'   [snr()]); with `conf.int = TRUE` also `conf.low` and `conf.high`, the
#'   central interval of the Gaussian variational posterior (exact, not
#'   sampled). `summary = "layer"` gives one row per layer and kind, with
#'   `n`, `estimate` and `std.error` (the root mean squares of the
#'   posterior means and sds), `snr` (the median signal-to-noise ratio) and
#'   `n_pruned`.
#' * `glance()`: one row for the fit: `nobs`, `n_params`, `family`,
#'   `hidden` (the widths, as text), `epochs`, `elbo`, `log_lik` (the data
#'   term of the ELBO) and `kl` of the last epoch, and `sigma` (the noise sd
#'   of a gaussian fit, otherwise `NA`).
#' * `augment()`: the data with the posterior predictive mean `.fitted`
#'   (the probability of the second class for a binomial fit, and
#'   `.pred_<class>` columns of probabilities with `.fitted` the most
#'   probable class for a multinomial fit), its posterior sd `.se.fit`
#'   (gaussian, binomial and poisson fits), and `.resid` (observed minus
#'   `.fitted`, gaussian and poisson fits) when the data hold the response.
#'   With `interval = "credible"` or `"prediction"` also `.lower` and
#'   `.upper`.
#'
#' Estimates and standard errors are those of [coef.bbb_fit()]: on the
#' original scale of the inputs (and of a gaussian response), exact for the
#' mean-field posterior; `snr` is that of [snr()], on the scale the network
#' was trained on.
#'
#' @param x A `bbb_fit`.
#' @param summary `"weight"` or `"layer"`.
#' @param conf.int Add the columns `conf.low` and `conf.high`.
#' @param conf.level Probability of the interval.
#' @param data,newdata The data to augment: `newdata` (new rows), else
#'   `data` (the data the fit was made from), else the fit's own design
#'   and response (its predictors as the network sees them, before
#'   standardization).
#' @param interval `"none"`, `"credible"` or `"prediction"`, as for
#'   [predict.bbb_fit()].
#' @param nsamples Number of posterior draws for `augment()`.
#' @param seed As for [predict.bbb_fit()].
#' @param ... Not used.
#' @return A tibble if \pkg{tibble} is installed, otherwise a data frame.
#' @name tidy.bbb_fit
#' @examplesIf requireNamespace("broom", quietly = TRUE)
#' set.seed(1)
#' fit <- bbb_fit(mpg ~ wt + hp, data = mtcars, hidden = 3, epochs = 200,
#'                verbose = FALSE)
#' broom::tidy(fit)
#' broom::tidy(fit, summary = "layer")
#' broom::glance(fit)
#' head(broom::augment(fit, data = mtcars, interval = "prediction"))
NULL

#' @rdname tidy.bbb_fit
#' @exportS3Method generics::tidy
tidy.bbb_fit <- function(x, summary = "weight", conf.int = FALSE,
                         conf.level = 0.95, ...) {
  check_no_dots(..., fn = "tidy()")
  check_choice(summary, c("weight", "layer"), "summary")
  check_flag(conf.int, "conf.int")
  check_number(conf.level, "conf.level", lower = 0, upper = 1, open = TRUE)
  tab <- param_table(x)
  tab$snr <- unname(snr(x))
  if (summary == "layer") {
    groups <- split(tab, factor(paste(tab$layer, tab$kind),
                                unique(paste(tab$layer, tab$kind))))
    tab <- do.call(rbind, lapply(groups, function(g) {
      data.frame(layer = g$layer[1L], kind = g$kind[1L], n = nrow(g),
                 estimate = sqrt(mean(g$estimate^2)),
                 std.error = sqrt(mean(g$std.error^2)),
                 snr = stats::median(g$snr),
                 n_pruned = sum(g$std.error == 0 & g$estimate == 0),
                 stringsAsFactors = FALSE)
    }))
    rownames(tab) <- NULL
    return(as_tidy_frame(tab))
  }
  if (conf.int) {
    z <- stats::qnorm((1 + conf.level) / 2)
    tab$conf.low <- tab$estimate - z * tab$std.error
    tab$conf.high <- tab$estimate + z * tab$std.error
  }
  as_tidy_frame(tab)
}

#' @rdname tidy.bbb_fit
#' @exportS3Method generics::glance
glance.bbb_fit <- function(x, ...) {
  check_no_dots(..., fn = "glance()")
  tr <- x$trace
  last <- if (nrow(tr)) tr[nrow(tr), ] else
    list(elbo = NA_real_, nll = NA_real_, kl = NA_real_)
  as_tidy_frame(data.frame(
    nobs = x$n_obs, n_params = n_params(x$width), family = x$family,
    hidden = paste(x$hidden, collapse = ","), epochs = nrow(tr),
    elbo = last$elbo, log_lik = -last$nll, kl = last$kl,
    sigma = sigma.bbb_fit(x), stringsAsFactors = FALSE
  ))
}

#' @rdname tidy.bbb_fit
#' @exportS3Method generics::augment
augment.bbb_fit <- function(x, data = NULL, newdata = NULL,
                            interval = "none", conf.level = 0.95,
                            nsamples = 1000L, seed = x$seed, ...) {
  check_no_dots(..., fn = "augment()")
  check_choice(interval, c("none", "credible", "prediction"), "interval")
  check_number(conf.level, "conf.level", lower = 0, upper = 1, open = TRUE)
  nsamples <- check_count(nsamples, "nsamples")
  df <- newdata %||% data
  if (is.null(df)) {
    if (is.null(x$data)) {
      abort("Give `data` or `newdata`: the fit was made with ",
            "`keep_data = FALSE`.")
    }
    df <- as.data.frame(x$data$x)
    names(df) <- x$prep$names
    y <- x$data$y
    if (x$family == "gaussian") y <- y * x$y_scale + x$y_center
    if (!is.null(x$levels)) y <- factor(x$levels[y + 1], levels = x$levels)
    df$.response <- y
    y_obs <- y
  } else {
    if (!is.data.frame(df) && !is.matrix(df)) {
      abort(sprintf("`%s` must be a data frame or matrix, not %s.",
                    if (is.null(newdata)) "data" else "newdata",
                    describe(df)))
    }
    y_obs <- tryCatch(formula_response(x, df), error = function(e) NULL)
    df <- as.data.frame(df)
  }
  if (interval != "none" && x$family == "multinomial") {
    abort("`interval` must be \"none\" for a multinomial fit: augment() ",
          "gives its class probabilities; predict(type = \"samples\") ",
          "gives their draws.")
  }
  pred_x <- if (is.null(newdata) && is.null(data)) {
    model_inputs(x)
  } else {
    model_inputs(x, df)
  }
  d <- seeded_draws(x, pred_x, nsamples, "response", seed)
  mu <- drop_k(d, x)
  if (x$family == "multinomial") {
    p <- apply(mu, c(2L, 3L), mean)
    df$.fitted <- factor(x$levels[max.col(p, ties.method = "first")],
                         levels = x$levels)
    for (k in seq_along(x$levels)) {
      df[[paste0(".pred_", x$levels[k])]] <- p[, k]
    }
    return(as_tidy_frame(df))
  }
  df$.fitted <- colMeans(mu)
  df$.se.fit <- sqrt(pmax(0, colMeans(mu^2) - df$.fitted^2) *
                       nsamples / max(1, nsamples - 1))
  if (!is.null(y_obs) && x$family %in% c("gaussian", "poisson")) {
    df$.resid <- as.numeric(y_obs) - df$.fitted
  }
  if (interval != "none") {
    # the response noise from the same seeded stream, after the weights
    src <- if (interval == "prediction") {
      with_draw_seed(check_seed(seed), {
        invisible(new_seed())
        draw_response(x, d)
      })
    } else {
      mu
    }
    q <- draw_quantiles(src, c((1 - conf.level) / 2, (1 + conf.level) / 2),
                        interval == "prediction" && x$family != "gaussian")
    df$.lower <- q[1L, ]
    df$.upper <- q[2L, ]
  }
  as_tidy_frame(df)
}

# broom's tidiers return tibbles; bbb does not need tibble to be installed.
as_tidy_frame <- function(df) {
  rownames(df) <- NULL
  if (requireNamespace("tibble", quietly = TRUE)) tibble::as_tibble(df) else
    df
}
