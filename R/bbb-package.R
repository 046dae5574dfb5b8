#' bbb: Bayesian neural networks by Bayes by Backprop
#'
#' Fit with [bbb_fit()], predict with [predict.bbb_fit()], train further with
#' [bbb_continue()], check the
#' gradients with [bbb_gradient()]. Start with `vignette("bbb")`.
#'
#' @keywords internal
#' @useDynLib bbb, .registration = TRUE, .fixes = "C_"
#' @importFrom stats coef fitted formula predict residuals sigma nobs
"_PACKAGE"
