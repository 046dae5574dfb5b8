#' The "bbb" engine for parsnip's mlp()
#'
#' When \pkg{parsnip} is installed, loading bbb (`library(bbb)`) registers
#' the engine `"bbb"` of [parsnip::mlp()] for regression and
#' classification (also if parsnip is loaded after bbb), so that a Bayesian
#' neural network fits, predicts, resamples and tunes in tidymodels like any
#' other model:
#'
#' ```
#' parsnip::mlp(hidden_units = 16, epochs = 200) |>
#'   parsnip::set_engine("bbb") |>
#'   parsnip::set_mode("regression")
#' ```
#'
#' The main arguments of `mlp()` map to [bbb_fit()] as
#' `hidden_units` -> `hidden` (a vector such as `hidden_units = c(32, 16)`
#' for several hidden layers), `epochs` -> `epochs` (left out, the fit
#' trains to convergence, as [bbb_fit()] does by default), `learn_rate` ->
#' `lr` and `activation` -> `activation` (`"relu"`, `"tanh"` or
#' `"sigmoid"`); `penalty` and `dropout` have no counterpart (the prior
#' regularises). Any other argument of [bbb_fit()] (`prior`, `family`,
#' `batch_size`, `threads`, ...) goes through `set_engine("bbb", ...)`.
#' In regression mode the family is gaussian unless `set_engine()` says
#' otherwise (`family = "poisson"` for counts); in classification mode a
#' two-level outcome is binomial and a factor of more levels multinomial.
#'
#' Predictions: `type = "numeric"` (the posterior predictive mean),
#' `"class"`, `"prob"` (class probabilities, the posterior mean), and for
#' regression `"conf_int"` (a credible interval of the mean function) and
#' `"pred_int"` (a prediction interval), with `level`.
#'
#' @name bbb-parsnip
#' @examplesIf requireNamespace("parsnip", quietly = TRUE)
#' set.seed(1)
#' spec <- parsnip::mlp(hidden_units = 8, epochs = 200) |>
#'   parsnip::set_engine("bbb") |>
#'   parsnip::set_mode("regression")
#' fitted <- parsnip::fit(spec, mpg ~ wt + hp, data = mtcars)
#' predict(fitted, mtcars[1:3, ])
#' predict(fitted, mtcars[1:3, ], type = "pred_int", level = 0.9)
#'
#' cls <- parsnip::mlp(hidden_units = 8, epochs = 50) |>
#'   parsnip::set_engine("bbb") |>
#'   parsnip::set_mode("classification")
#' fitted <- parsnip::fit(cls, Species ~ ., data = iris)
#' predict(fitted, iris[c(1, 51, 101), ], type = "prob")
NULL

# Registers the engine with parsnip's model environment. Re-registering
# the same information is a no-op in parsnip, so running this twice (bbb
# loaded again, or both the hook and .onLoad firing) is harmless.
register_parsnip_engine <- function() {
  if (!"mlp" %in% parsnip::get_model_env()$models) return(invisible(FALSE))
  modes <- c("regression", "classification")
  for (mode in modes) {
    parsnip::set_model_engine("mlp", mode, "bbb")
    parsnip::set_dependency("mlp", "bbb", "bbb", mode = mode)
  }
  args <- list(
    c("hidden_units", "hidden", "hidden_units"),
    c("epochs", "epochs", "epochs"),
    c("learn_rate", "lr", "learn_rate"),
    c("activation", "activation", "activation")
  )
  for (a in args) {
    func <- list(pkg = "dials", fun = a[3L])
    if (a[1L] == "activation") func$values <- activations
    parsnip::set_model_arg(model = "mlp", eng = "bbb", parsnip = a[1L],
                           original = a[2L], func = func,
                           has_submodel = FALSE)
  }
  for (mode in modes) {
    defaults <- list(verbose = FALSE)
    if (mode == "regression") defaults$family <- "gaussian"
    parsnip::set_fit(
      model = "mlp", eng = "bbb", mode = mode,
      value = list(interface = "formula",
                   protect = c("formula", "data"),
                   func = c(pkg = "bbb", fun = "bbb_fit"),
                   defaults = defaults)
    )
    # bbb_fit() makes its own dummy variables and standardizes.
    parsnip::set_encoding(
      model = "mlp", eng = "bbb", mode = mode,
      options = list(predictor_indicators = "none",
                     compute_intercept = FALSE, remove_intercept = FALSE,
                     allow_sparse_x = FALSE)
    )
  }
  new_data <- quote(new_data)
  fit_obj <- quote(object$fit)
  parsnip::set_pred(
    model = "mlp", eng = "bbb", mode = "regression", type = "numeric",
    value = list(pre = NULL, post = parsnip_numeric,
                 func = c(fun = "predict"),
                 args = list(object = fit_obj, newdata = new_data))
  )
  for (type in c("conf_int", "pred_int")) {
    parsnip::set_pred(
      model = "mlp", eng = "bbb", mode = "regression", type = type,
      value = list(pre = NULL, post = parsnip_interval,
                   func = c(fun = "predict"),
                   args = list(object = fit_obj, newdata = new_data,
                               interval = if (type == "conf_int")
                                 "credible" else "prediction",
                               level = quote(level)))
    )
  }
  parsnip::set_pred(
    model = "mlp", eng = "bbb", mode = "classification", type = "class",
    value = list(pre = NULL, post = NULL, func = c(fun = "predict"),
                 args = list(object = fit_obj, newdata = new_data,
                             type = "class"))
  )
  parsnip::set_pred(
    model = "mlp", eng = "bbb", mode = "classification", type = "prob",
    value = list(pre = NULL, post = parsnip_prob, func = c(fun = "predict"),
                 args = list(object = fit_obj, newdata = new_data,
                             type = "prob"))
  )
  invisible(TRUE)
}

parsnip_numeric <- function(results, object) unname(results)

parsnip_interval <- function(results, object) {
  tibble::tibble(.pred_lower = unname(results[, "lwr"]),
                 .pred_upper = unname(results[, "upr"]))
}

# The posterior mean probabilities (predict(type = "prob"): n x K, the
# levels as column names) as the tibble parsnip wants (it names the
# columns .pred_<class>).
parsnip_prob <- function(results, object) {
  p <- as.data.frame(unname(results))
  names(p) <- colnames(results)
  tibble::as_tibble(p)
}
