/* The engine's products by the BLAS that R uses (see blas.h). dgemm is
 * part of every BLAS R links to; sgemm is not (R's internal BLAS lacks it),
 * so it is looked up at run time, not linked. */
#define R_NO_REMAP
#define USE_FC_LEN_T
#include <R.h>
#include <R_ext/BLAS.h>
#ifndef FCONE
#define FCONE
#endif
#include <stddef.h>
#include <string.h>
#include "blas.h"

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#endif

/* sgemm_ with the hidden lengths of its two character arguments, as
 * USE_FC_LEN_T declares dgemm_. */
#ifdef FC_LEN_T
#define SGEMM_LENS , FC_LEN_T, FC_LEN_T
#define SGEMM_ONES , 1, 1
#else
#define SGEMM_LENS
#define SGEMM_ONES
#endif
typedef void (*sgemm_fn)(const char *, const char *, const int *,
                         const int *, const int *, const float *,
                         const float *, const int *, const float *,
                         const int *, const float *, float *,
                         const int * SGEMM_LENS);

/* Looked up once, when the package loads (blas_init). */
static sgemm_fn sgemm_ptr;

static sgemm_fn find_sgemm(void) {
  sgemm_fn f = NULL;
#if defined(__unix__) || defined(__APPLE__)
  void *p = dlsym(RTLD_DEFAULT, "sgemm_");
  /* through void *: ISO C has no cast from object to function pointer */
  if (p) memcpy(&f, &p, sizeof f);
#endif
  return f;
}

void blas_init(void) { sgemm_ptr = find_sgemm(); }

int blas_has_sgemm(void) { return sgemm_ptr != NULL; }

void blas_gemm_d(int ta, int tb, int m, int n, int k, const double *a,
                 int lda, const double *b, int ldb, int beta, double *c,
                 int ldc) {
  double one = 1, b_ = beta ? 1 : 0;
  F77_CALL(dgemm)(ta ? "T" : "N", tb ? "T" : "N", &m, &n, &k, &one, a, &lda,
                  b, &ldb, &b_, c, &ldc FCONE FCONE);
}

void blas_gemm_f(int ta, int tb, int m, int n, int k, const float *a,
                 int lda, const float *b, int ldb, int beta, float *c,
                 int ldc) {
  float one = 1, b_ = beta ? 1 : 0;
  sgemm_ptr(ta ? "T" : "N", tb ? "T" : "N", &m, &n, &k, &one, a, &lda, b,
            &ldb, &b_, c, &ldc SGEMM_ONES);
}
