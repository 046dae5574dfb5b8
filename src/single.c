/* The single-precision training engine: the files of the double engine
 * compiled again with real = float (see bbb.h). Every function is static
 * here but the entry point train_run_single. Large layers then run on
 * sgemm and stream half the bytes per parameter.
 *
 * R's own BLAS has no sgemm, so sgemm is a weak reference: where the BLAS
 * that R uses lacks it, have_sgemm() says so and the R side reports it. */
#if defined(__GNUC__) && defined(__ELF__)
#define BBB_SINGLE
#define R_NO_REMAP
#define USE_FC_LEN_T
#include <R.h>
#include <R_ext/BLAS.h>
#ifndef FCLEN
#define FCLEN
#endif
void F77_NAME(sgemm)(const char *ta, const char *tb, const int *m,
                     const int *n, const int *k, const float *alpha,
                     const float *a, const int *lda, const float *b,
                     const int *ldb, const float *beta, float *c,
                     const int *ldc FCLEN FCLEN) __attribute__((weak));

#include "scratch.c"
#include "family.c"
#include "mlp.c"
#include "optim.c"
#include "posterior.c"
#include "train.c"

int have_sgemm(void) { return F77_NAME(sgemm) != NULL; }

#else
#include "train.h"

int have_sgemm(void) { return 0; }

int train_run_single(TRAIN_RUN_ARGS) {
  (void) net; (void) d; (void) theta; (void) m; (void) v; (void) t;
  (void) ctl; (void) threads; (void) rng; (void) base; (void) trace; (void) fail_epoch;
  (void) fail_step;
  return -1;
}
#endif
