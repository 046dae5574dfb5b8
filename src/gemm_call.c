/* The .Call entry of the engine's own matrix kernels (gemm.c), for their
 * tests: C = op(A) op(B) + beta C by a given kernel or the best one, with
 * the kernel's name as an attribute. The engine itself calls the kernels
 * from mlp.c. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include "gemm.h"

static int get_flag(SEXP x, const char *what) {
  if (TYPEOF(x) != LGLSXP || XLENGTH(x) != 1 || LOGICAL(x)[0] == NA_LOGICAL)
    Rf_error("'%s' must be TRUE or FALSE", what);
  return LOGICAL(x)[0];
}

static void dims(SEXP x, const char *what, int *r, int *c) {
  SEXP dim = Rf_getAttrib(x, R_DimSymbol);
  if (TYPEOF(x) != REALSXP || TYPEOF(dim) != INTSXP || XLENGTH(dim) != 2)
    Rf_error("'%s' must be a double matrix", what);
  *r = INTEGER(dim)[0];
  *c = INTEGER(dim)[1];
}

/* op(A) op(B) + beta C for double matrices a, b, c (op: t(x) if ta / tb),
 * computed in double or, if single, in float (inputs and result rounded),
 * on `threads` threads, by the kernel named `kernel` (NULL: the best this
 * CPU runs; NULL is returned for one that this build or CPU lacks), with
 * the epilogue epi (gemm.h: 0 none, 1 bias and relu with the n biases e,
 * 2 the mask of the m x n matrix e). */
SEXP bbb_gemm(SEXP a, SEXP b, SEXP c, SEXP ta_, SEXP tb_, SEXP beta_,
              SEXP single_, SEXP threads_, SEXP kernel, SEXP epi_, SEXP e) {
  const gemm_kernel *kr = gemm_kernel_best();
  if (kernel != R_NilValue) {
    if (TYPEOF(kernel) != STRSXP || XLENGTH(kernel) != 1 ||
        STRING_ELT(kernel, 0) == NA_STRING)
      Rf_error("'kernel' must be NULL or one string");
    kr = gemm_kernel_by_name(CHAR(STRING_ELT(kernel, 0)));
    if (!kr) return R_NilValue;
  }
  int ta = get_flag(ta_, "ta"), tb = get_flag(tb_, "tb");
  int beta = get_flag(beta_, "beta"), single = get_flag(single_, "single");
  if (TYPEOF(threads_) != INTSXP || XLENGTH(threads_) != 1 ||
      INTEGER(threads_)[0] < 1 || INTEGER(threads_)[0] > 64)
    Rf_error("'threads' must be one integer in [1, 64]");
  int threads = INTEGER(threads_)[0];
  int ar, ac, br, bc, cr, cc;
  dims(a, "a", &ar, &ac);
  dims(b, "b", &br, &bc);
  dims(c, "c", &cr, &cc);
  int m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
  if ((tb ? bc : br) != k) Rf_error("'a' and 'b' do not conform");
  if (cr != m || cc != n) Rf_error("'c' must be %d x %d", m, n);
  if (TYPEOF(epi_) != INTSXP || XLENGTH(epi_) != 1 ||
      INTEGER(epi_)[0] < GEMM_PLAIN || INTEGER(epi_)[0] > GEMM_RELU_MASK)
    Rf_error("'epi' must be 0, 1 or 2");
  int epi = INTEGER(epi_)[0];
  R_xlen_t ne = epi == GEMM_BIAS_RELU ? n : epi == GEMM_RELU_MASK ?
    (R_xlen_t) m * n : 0;
  if (epi != GEMM_PLAIN && (TYPEOF(e) != REALSXP || XLENGTH(e) != ne))
    Rf_error("'e' must be a double vector of length %d", (int) ne);
  size_t na = (size_t) ar * ac, nb = (size_t) br * bc, nc = (size_t) m * n;
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, m, n));
  double *o = REAL(out);
  if (single) {
    float *fa = (float *) R_alloc(na + 1, sizeof(float));
    float *fb = (float *) R_alloc(nb + 1, sizeof(float));
    float *fc = (float *) R_alloc(nc + 1, sizeof(float));
    float *fe = (float *) R_alloc(ne + 1, sizeof(float));
    for (size_t i = 0; i < na; i++) fa[i] = (float) REAL(a)[i];
    for (size_t i = 0; i < nb; i++) fb[i] = (float) REAL(b)[i];
    for (size_t i = 0; i < nc; i++) fc[i] = (float) REAL(c)[i];
    for (R_xlen_t i = 0; i < ne; i++) fe[i] = (float) REAL(e)[i];
    void *ws = R_alloc(gemm_ws_bytes_with_f(kr, m, n, k, threads) + 1, 1);
    gemm_epi_with_f(kr, epi, fe, ta, tb, m, n, k, fa, ar > 0 ? ar : 1, fb,
                    br > 0 ? br : 1, beta, fc, m > 0 ? m : 1, threads, ws);
    for (size_t i = 0; i < nc; i++) o[i] = fc[i];
  } else {
    for (size_t i = 0; i < nc; i++) o[i] = REAL(c)[i];
    void *ws = R_alloc(gemm_ws_bytes_with_d(kr, m, n, k, threads) + 1, 1);
    gemm_epi_with_d(kr, epi, epi != GEMM_PLAIN ? REAL(e) : NULL, ta, tb, m,
                    n, k, REAL(a), ar > 0 ? ar : 1, REAL(b), br > 0 ? br : 1,
                    beta, o, m > 0 ? m : 1, threads, ws);
  }
  Rf_setAttrib(out, Rf_install("kernel"), Rf_mkString(gemm_kernel_name(kr)));
  UNPROTECT(1);
  return out;
}
