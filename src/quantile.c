/* Column quantiles of a draws matrix (nsim x n, column-major), type 7 as in
 * stats::quantile: for probability p, h = (nsim - 1) p, and the value is
 * x[lo] + (h - lo) (x[lo + 1] - x[lo]) of the sorted column, lo = floor(h).
 * Partial sorts (rPsort) keep this linear in nsim per column. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <math.h>
#include <string.h>

SEXP bbb_col_quantiles(SEXP x, SEXP probs) {
  SEXP dim = Rf_getAttrib(x, R_DimSymbol);
  if (TYPEOF(x) != REALSXP || TYPEOF(dim) != INTSXP || XLENGTH(dim) != 2)
    Rf_error("'x' must be a double matrix");
  if (TYPEOF(probs) != REALSXP) Rf_error("'probs' must be double");
  int ns = INTEGER(dim)[0], n = INTEGER(dim)[1], np = LENGTH(probs);
  for (int k = 0; k < np; k++)
    if (!(REAL(probs)[k] >= 0 && REAL(probs)[k] <= 1))
      Rf_error("'probs' must be in [0, 1]");
  if (ns < 1) Rf_error("'x' must have at least one row");
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, np, n));
  double *col = (double *) R_alloc(ns, sizeof(double));
  for (int j = 0; j < n; j++) {
    memcpy(col, REAL(x) + (size_t) j * ns, ns * sizeof(double));
    for (int k = 0; k < np; k++) {
      double h = (ns - 1) * REAL(probs)[k];
      int lo = (int) floor(h);
      rPsort(col, ns, lo);
      double q = col[lo];
      if (lo + 1 < ns && h > lo) {
        double next = col[lo + 1];
        for (int i = lo + 2; i < ns; i++) next = fmin(next, col[i]);
        q += (h - lo) * (next - q);
      }
      REAL(out)[k + (size_t) np * j] = q;
    }
  }
  UNPROTECT(1);
  return out;
}
