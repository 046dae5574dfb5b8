/* Registration of the .Call entry points (see ffi.c). */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>
#include "blas.h"
#include "gemm.h"
#include "sqrt_block.h"
#include "threads.h"

SEXP bbb_train(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP bbb_objective(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP bbb_predict(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP bbb_inverse_link(SEXP, SEXP, SEXP);
SEXP bbb_train_noise(SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP bbb_rnorm(SEXP);
SEXP bbb_col_quantiles(SEXP, SEXP);
SEXP bbb_scan(SEXP, SEXP);
SEXP bbb_col_stats(SEXP);
SEXP bbb_design_rows(SEXP, SEXP, SEXP);
SEXP bbb_unpack_theta(SEXP, SEXP, SEXP);
SEXP bbb_blas_threads(void);
SEXP bbb_sqrt_block(SEXP, SEXP, SEXP);
SEXP bbb_gemm(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP,
              SEXP);

static const R_CallMethodDef call_methods[] = {
  {"bbb_train", (DL_FUNC) &bbb_train, 9},
  {"bbb_objective", (DL_FUNC) &bbb_objective, 6},
  {"bbb_predict", (DL_FUNC) &bbb_predict, 7},
  {"bbb_inverse_link", (DL_FUNC) &bbb_inverse_link, 3},
  {"bbb_train_noise", (DL_FUNC) &bbb_train_noise, 5},
  {"bbb_rnorm", (DL_FUNC) &bbb_rnorm, 1},
  {"bbb_col_quantiles", (DL_FUNC) &bbb_col_quantiles, 2},
  {"bbb_scan", (DL_FUNC) &bbb_scan, 2},
  {"bbb_col_stats", (DL_FUNC) &bbb_col_stats, 1},
  {"bbb_design_rows", (DL_FUNC) &bbb_design_rows, 3},
  {"bbb_unpack_theta", (DL_FUNC) &bbb_unpack_theta, 3},
  {"bbb_blas_threads", (DL_FUNC) &bbb_blas_threads, 0},
  {"bbb_gemm", (DL_FUNC) &bbb_gemm, 11},
  {"bbb_sqrt_block", (DL_FUNC) &bbb_sqrt_block, 3},
  {NULL, NULL, 0}
};

void R_init_bbb(DllInfo *dll) {
  gemm_init();
  sqrt_block_init();
  blas_init();
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}

/* The team's threads run the package's code: they stop before it goes. */
void R_unload_bbb(DllInfo *dll) {
  (void) dll;
  threads_stop();
}
