#' bbb: Bayesian neural networks by Bayes by Backprop
#'
#' Fit with [bbb_fit()], predict with [predict.bbb_fit()], train further with
#' [bbb_continue()], check the
#' gradients with [bbb_gradient()]. Start with `vignette("bbb")`.
#'
#' @section Speed and options:
#' The matrix products of training and prediction run on bbb's own kernels
#' (blocked, vectorised for the CPU at hand), so that neither speed nor
#' results depend on the BLAS that R uses: on the benchmarks of the
#' repository's `bench/` folder they are 3 to 10 times as fast as the
#' reference BLAS of most R installations and as fast as OpenBLAS on large
#' layers (within about 5% on tiny networks). `options(bbb.gemm = "blas")`
#' hands them to R's BLAS instead (`dgemm`; `sgemm` where the BLAS has one,
#' else the own kernels for single precision); `"own"` is the default.
#'
#' With `threads` greater than one, each step of training runs on that many
#' threads or on one, whichever has been faster lately (steps under a
#' millisecond stay on one thread), so that a fit does not slow down when
#' other processes take the cores. The threads are bbb's own (not OpenMP's)
#' on Linux and macOS and sleep when they wait.
#'
#' @keywords internal
#' @useDynLib bbb, .registration = TRUE, .fixes = "C_"
#' @importFrom stats coef fitted formula predict residuals sigma nobs
"_PACKAGE"
