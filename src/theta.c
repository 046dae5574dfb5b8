/* The layers' matrices of fit$params from the flat vector theta (layout in
 * bbb.h): each value copied once into its matrix, with no index vectors
 * and no intermediate copies, which on a large network would add
 * megabytes to a fit's peak memory (R's theta[idx] makes both). */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <string.h>

static SEXP slice(const double *from, int n_row, int n_col) {
  SEXP out = PROTECT(n_col > 0 ? Rf_allocMatrix(REALSXP, n_row, n_col) :
                     Rf_allocVector(REALSXP, n_row));
  memcpy(REAL(out), from, (size_t) n_row * (n_col > 0 ? n_col : 1) *
         sizeof(double));
  UNPROTECT(1);
  return out;
}

/* theta: 2 n_par + 1 doubles (mu, rho, tau) of a network of widths
 * `width`; returns for each layer list(w_mu, w_rho, b_mu, b_rho), the
 * weights n_in x n_out matrices, the biases vectors of n_out, named by
 * `unit_names` (NULL, or a list of L + 1 vectors of the units' names). */
SEXP bbb_unpack_theta(SEXP theta, SEXP width, SEXP unit_names) {
  if (TYPEOF(width) != INTSXP || XLENGTH(width) < 2)
    Rf_error("'width' must be an integer vector of at least two widths");
  int L = (int) XLENGTH(width) - 1;
  const int *w = INTEGER(width);
  R_xlen_t n_par = 0;
  for (int l = 0; l < L; l++) {
    if (w[l] < 1 || w[l + 1] < 1) Rf_error("'width' must be positive");
    n_par += ((R_xlen_t) w[l] + 1) * w[l + 1];
  }
  if (TYPEOF(theta) != REALSXP || XLENGTH(theta) != 2 * n_par + 1)
    Rf_error("'theta' must be a double vector of length %.0f",
             (double) (2 * n_par + 1));
  if (unit_names != R_NilValue &&
      (TYPEOF(unit_names) != VECSXP || XLENGTH(unit_names) != L + 1))
    Rf_error("'unit_names' must be NULL or a list of %d vectors", L + 1);
  const double *mu = REAL(theta), *rho = mu + n_par;
  const char *names[] = {"w_mu", "w_rho", "b_mu", "b_rho", ""};
  SEXP out = PROTECT(Rf_allocVector(VECSXP, L));
  R_xlen_t off = 0;
  for (int l = 0; l < L; l++) {
    int n_in = w[l], n_out = w[l + 1];
    R_xlen_t n_w = (R_xlen_t) n_in * n_out;
    SEXP layer = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(layer, 0, slice(mu + off, n_in, n_out));
    SET_VECTOR_ELT(layer, 1, slice(rho + off, n_in, n_out));
    SET_VECTOR_ELT(layer, 2, slice(mu + off + n_w, n_out, 0));
    SET_VECTOR_ELT(layer, 3, slice(rho + off + n_w, n_out, 0));
    if (unit_names != R_NilValue) {
      SEXP dn = PROTECT(Rf_allocVector(VECSXP, 2));
      SET_VECTOR_ELT(dn, 0, VECTOR_ELT(unit_names, l));
      SET_VECTOR_ELT(dn, 1, VECTOR_ELT(unit_names, l + 1));
      for (int i = 0; i < 2; i++) {
        Rf_dimnamesgets(VECTOR_ELT(layer, i), dn);
        Rf_namesgets(VECTOR_ELT(layer, 2 + i), VECTOR_ELT(dn, 1));
      }
      UNPROTECT(1);
    }
    SET_VECTOR_ELT(out, l, layer);
    UNPROTECT(1);
    off += n_w + n_out;
  }
  UNPROTECT(1);
  return out;
}
