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

/* What a product does to each element of C before it stores it: nothing,
 * or the next step of a relu layer of mlp.c while the element is still
 * in a register: C = max(C + 1 b', 0), the forward pass with the biases b
 * (n values at e), or C = C o [E > 0], the backward pass with the layer's
 * output E (m x n at e, leading dimension ldc). */
enum { GEMM_PLAIN = 0, GEMM_BIAS_RELU = 1, GEMM_RELU_MASK = 2 };

size_t gemm_ws_bytes_f(int m, int n, int k, int threads);
size_t gemm_ws_bytes_d(int m, int n, int k, int threads);

void gemm_f(int ta, int tb, int m, int n, int k, const float *a, int lda,
            const float *b, int ldb, int beta, float *c, int ldc,
            int threads, void *ws);
void gemm_d(int ta, int tb, int m, int n, int k, const double *a, int lda,
            const double *b, int ldb, int beta, double *c, int ldc,
            int threads, void *ws);

/* The same with an epilogue (epi, e as above). */
void gemm_epi_f(int epi, const float *e, int ta, int tb, int m, int n, int k,
                const float *a, int lda, const float *b, int ldb, int beta,
                float *c, int ldc, int threads, void *ws);
void gemm_epi_d(int epi, const double *e, int ta, int tb, int m, int n,
                int k, const double *a, int lda, const double *b, int ldb,
                int beta, double *c, int ldc, int threads, void *ws);

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
void gemm_epi_with_f(const gemm_kernel *kr, int epi, const float *e, int ta,
                     int tb, int m, int n, int k, const float *a, int lda,
                     const float *b, int ldb, int beta, float *c, int ldc,
                     int threads, void *ws);
void gemm_epi_with_d(const gemm_kernel *kr, int epi, const double *e,
                     int ta, int tb, int m, int n, int k, const double *a,
                     int lda, const double *b, int ldb, int beta, double *c,
                     int ldc, int threads, void *ws);

#endif
