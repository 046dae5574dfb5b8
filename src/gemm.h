/* The engine's own matrix products (gemm.c), in float and double:
 *
 *   C = op(A) op(B) + beta C,   op(X) = X or X',
 *
 * column-major as in the BLAS: C is m x n with leading dimension ldc,
 * op(A) m x k and op(B) k x n. ta, tb: 0 for X, 1 for X'. beta is 0 (C is
 * written, never read) or 1. The numbers do not depend on `threads`: every
 * element is computed by the same sequence of operations whatever the
 * number of threads (the column blocks of the threads only decide who
 * computes it). They can differ in the last bits from one CPU to another
 * (the kernel, and with it the use of FMA, is chosen at load time).
 *
 * ws is scratch of gemm_ws_bytes() bytes for the same shape and threads
 * (or more), allocated by the caller: the threads must not allocate. */
#ifndef BBB_GEMM_H
#define BBB_GEMM_H

#include <stddef.h>

/* A micro-kernel and its tiles: "avx512", "avx2" (x86-64 only), "vector"
 * (16-byte vectors: SSE2, NEON, ...) or "scalar" (plain C). */
typedef struct gemm_kernel gemm_kernel;

/* Chooses the best kernel this CPU runs; called once, when the package
 * loads. */
void gemm_init(void);
const gemm_kernel *gemm_kernel_best(void);
/* A kernel by name, or NULL if this build or CPU has none such (for the
 * tests, which run every kernel the machine can). */
const gemm_kernel *gemm_kernel_by_name(const char *name);
const char *gemm_kernel_name(const gemm_kernel *k);

size_t gemm_ws_bytes_f(int m, int n, int k, int threads);
size_t gemm_ws_bytes_d(int m, int n, int k, int threads);

void gemm_f(int ta, int tb, int m, int n, int k, const float *a, int lda,
            const float *b, int ldb, int beta, float *c, int ldc,
            int threads, void *ws);
void gemm_d(int ta, int tb, int m, int n, int k, const double *a, int lda,
            const double *b, int ldb, int beta, double *c, int ldc,
            int threads, void *ws);

/* The same with a given kernel. */
size_t gemm_ws_bytes_with_f(const gemm_kernel *kr, int m, int n, int k,
                            int threads);
size_t gemm_ws_bytes_with_d(const gemm_kernel *kr, int m, int n, int k,
                            int threads);
void gemm_with_f(const gemm_kernel *kr, int ta, int tb, int m, int n, int k,
                 const float *a, int lda, const float *b, int ldb, int beta,
                 float *c, int ldc, int threads, void *ws);
void gemm_with_d(const gemm_kernel *kr, int ta, int tb, int m, int n, int k,
                 const double *a, int lda, const double *b, int ldb,
                 int beta, double *c, int ldc, int threads, void *ws);

#endif
