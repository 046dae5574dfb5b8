/* The engine's products by the BLAS that R uses (blas.c): the option
 * options(bbb.gemm = "blas"), for a BLAS faster than the own kernels
 * (gemm.c) on some shapes. Same contract as gemm.h (beta 0 or 1), without
 * scratch, single-threaded (the threads of the caller share the column
 * blocks). */
#ifndef BBB_BLAS_H
#define BBB_BLAS_H

/* Looks sgemm up; called once, when the package loads. */
void blas_init(void);
/* Whether the BLAS has sgemm (R's internal BLAS has not). */
int blas_has_sgemm(void);

void blas_gemm_d(int ta, int tb, int m, int n, int k, const double *a,
                 int lda, const double *b, int ldb, int beta, double *c,
                 int ldc);
/* Only if blas_has_sgemm(). */
void blas_gemm_f(int ta, int tb, int m, int n, int k, const float *a,
                 int lda, const float *b, int ldb, int beta, float *c,
                 int ldc);

#endif
