/* The engine's own matrix products (see gemm.h), so that its speed does
 * not depend on the BLAS that R uses (the reference BLAS on most machines,
 * and R's internal BLAS, without sgemm, on Windows and macOS).
 *
 * Goto's scheme, as in BLIS and OpenBLAS: op(B) is copied ("packed") in
 * blocks of KC x NC, op(A) in blocks of MC x KC, into the layouts the
 * micro-kernel reads:
 *   packed A: panels of MR rows; panel r holds A(r MR + i, p) at
 *             [r MR kc + p MR + i], i < MR, p < kc; the last panel, of
 *             fewer rows, in whole vectors (zero beyond the edge);
 *   packed B: panels of NR columns; panel s holds B(p, s NR + j) at
 *             [s NR kc + p NR + j]; the last panel just its columns;
 * and the micro-kernel computes a tile of up to MR x NR of C in
 * registers, kc rank-one updates, then adds it to C. A panel that is
 * already laid out so in the caller's matrix (a column-major A, or a
 * transposed B, at a stride) is read in place when a copy would cost more
 * than it saves: a product with few columns reads each A panel once.
 * Small products of a transposed A by B (the gradient H' D of a small
 * batch) are dot products of columns instead, four by four; products
 * with a short inner dimension (k <= 4: the first layer on a few inputs,
 * the backward product of a single output) keep a block of A's rows in
 * registers and run along the columns of C, without tiles.
 *
 * Each element is summed over p in order within a block of KC, and the
 * blocks are added to C in order: the same operations wherever the
 * element lies in its tile, whatever the tile, block or thread, so the
 * result depends on the shape only (which path, C or C', the blocks).
 *
 * The kernels are written once with GCC's vector extensions (also
 * clang's) and instantiated per instruction set with its own tile: AVX-512
 * (32 registers: up to 2 x 12 vectors of accumulators), AVX2 with FMA and
 * the 16-byte baseline (SSE2 on x86-64, NEON on arm64) with 2 x 6; the
 * best the CPU runs is chosen at load time. Compilers without vector
 * extensions get plain C. AVX kernels are not built for Windows, where GCC
 * does not align the stack for spilled AVX registers.
 *
 * Threads (threads.c) take column ranges of C, each with its own packed
 * copies in its part of the caller's scratch. Small products run on one
 * thread: a parallel region costs more than they do. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "gemm.h"
#include "threads.h"
#include "vshuffle.h"

#if (defined(__GNUC__) || defined(__clang__))
#define GEMM_VECTOR 1
#if defined(__x86_64__) && !defined(_WIN32)
#define GEMM_X86_AVX 1
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define GEMM_RESTRICT __restrict__
#define GEMM_PRAGMA(x) _Pragma(#x)
#define GEMM_INLINE static inline __attribute__((always_inline))
#else
#define GEMM_RESTRICT
#define GEMM_PRAGMA(x)
#define GEMM_INLINE static inline
#endif

/* A kernel computes one tile of C: mv vectors of rows (mr of them kept,
 * at most mv VL) by nr columns, from kc steps of an A panel (mv VL values
 * a step, steps as apart) and a B panel (nr values a step, bs apart), and
 * adds it to C (add) or writes it; C(i, j) is c[i rs + j cs]. Before the
 * store it applies the epilogue epi (gemm.h) with e: for GEMM_BIAS_RELU
 * the biases of the tile's columns of C (C(i, j) is in column j of C if
 * rs is 1, else in column i), for GEMM_RELU_MASK the matrix of C's layout
 * at the tile's first element. */
typedef void (*kernel_f)(int mv, int nr, int kc, const float *a,
                         ptrdiff_t as, const float *b, ptrdiff_t bs,
                         float *c, ptrdiff_t rs, ptrdiff_t cs, int add,
                         int mr, int epi, const float *e);
typedef void (*kernel_d)(int mv, int nr, int kc, const double *a,
                         ptrdiff_t as, const double *b, ptrdiff_t bs,
                         double *c, ptrdiff_t rs, ptrdiff_t cs, int add,
                         int mr, int epi, const double *e);
/* Dot products: C(i, j) (+)= sum_p A(p, i) B(p, j) for i < ni, j < nj
 * (at most 4 each), columns of A lda apart, of B ldb apart. */
typedef void (*dots_f)(int ni, int nj, int k, const float *a,
                       ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                       float *c, ptrdiff_t ldc, int add);
typedef void (*dots_d)(int ni, int nj, int k, const double *a,
                       ptrdiff_t lda, const double *b, ptrdiff_t ldb,
                       double *c, ptrdiff_t ldc, int add);
#define GEMM_THIN_K 4
/* Products with a short inner dimension (k <= GEMM_THIN_K), A read in
 * place (column-major, columns lda apart): C(i, j) (+)= sum_p A(i, p)
 * B(p, j), B(p, j) at b[p bps + j bjs], C(i, j) at c[i + j ldc], then the
 * epilogue (e: the biases of C's columns, or a matrix of C's layout). A
 * block of rows stays in registers while the kernel runs along all n
 * columns: a tile's fixed costs would outweigh its k steps. */
typedef void (*thin_f)(int m, int n, int k, const float *a, ptrdiff_t lda,
                       const float *b, ptrdiff_t bps, ptrdiff_t bjs,
                       float *c, ptrdiff_t ldc, int add, int epi,
                       const float *e);
typedef void (*thin_d)(int m, int n, int k, const double *a, ptrdiff_t lda,
                       const double *b, ptrdiff_t bps, ptrdiff_t bjs,
                       double *c, ptrdiff_t ldc, int add, int epi,
                       const double *e);

/* One element of C after the epilogue (gemm.h): v, or max(v + bias, 0),
 * or v where the mask's element is positive and 0 elsewhere. */
#define EPI_SCALAR(epi, v, bias, mask)                                      \
  ((epi) == GEMM_BIAS_RELU ? ((v) + (bias) > 0 ? (v) + (bias) : 0) :        \
   (epi) == GEMM_RELU_MASK ? ((mask) > 0 ? (v) : 0) : (v))

#ifdef GEMM_VECTOR
/* The tile of MV x NR vectors of accumulators (MV, NR constants): each
 * step loads MV vectors of the A panel and multiplies them by the NR
 * values of the B panel, broadcast. The loops have constant bounds and
 * are unrolled, so that the accumulators live in registers. V is the
 * vector type, VL its length, I the integer vector of its shape (for the
 * selects of the epilogue: x > 0 ? x : 0 is x and the mask x > 0, which
 * is also what the separate passes of mlp.c compute, NaN and -0 alike). */
#define KERNEL_BODY(V, I, T, VL, MV, NR)                                    \
  {                                                                         \
    V acc[NR][MV];                                                          \
    GEMM_PRAGMA(GCC unroll 16)                                              \
    for (int j = 0; j < (NR); j++) {                                        \
      GEMM_PRAGMA(GCC unroll 8)                                             \
      for (int i = 0; i < (MV); i++) acc[j][i] = (V) {0};                   \
    }                                                                       \
    const T *ap = a, *bp = b;                                               \
    for (int p = 0; p < kc; p++, ap += as, bp += bs) {                      \
      V av[MV];                                                             \
      GEMM_PRAGMA(GCC unroll 8)                                             \
      for (int i = 0; i < (MV); i++)                                        \
        __builtin_memcpy(&av[i], ap + i * (VL), sizeof av[i]);              \
      GEMM_PRAGMA(GCC unroll 16)                                            \
      for (int j = 0; j < (NR); j++) {                                      \
        T bj = bp[j];                                                       \
        GEMM_PRAGMA(GCC unroll 8)                                           \
        for (int i = 0; i < (MV); i++) acc[j][i] += av[i] * bj;             \
      }                                                                     \
    }                                                                       \
    if (mr == (MV) * (VL) && rs == 1) {                                     \
      GEMM_PRAGMA(GCC unroll 16)                                            \
      for (int j = 0; j < (NR); j++) {                                      \
        T *cj = c + j * cs;                                                 \
        V bj = (V) {0} + (epi == GEMM_BIAS_RELU ? e[j] : 0);                \
        GEMM_PRAGMA(GCC unroll 8)                                           \
        for (int i = 0; i < (MV); i++) {                                    \
          V v = acc[j][i];                                                  \
          if (add) {                                                        \
            V old;                                                          \
            __builtin_memcpy(&old, cj + i * (VL), sizeof old);              \
            v += old;                                                       \
          }                                                                 \
          if (epi == GEMM_BIAS_RELU) {                                      \
            v += bj;                                                        \
            v = (V) ((I) v & (I) (v > (V) {0}));                            \
          } else if (epi == GEMM_RELU_MASK) {                               \
            V h;                                                            \
            __builtin_memcpy(&h, e + j * cs + i * (VL), sizeof h);          \
            v = (V) ((I) v & (I) (h > (V) {0}));                            \
          }                                                                 \
          __builtin_memcpy(cj + i * (VL), &v, sizeof v);                    \
        }                                                                   \
      }                                                                     \
    } else {                                                                \
      T tile[NR][(MV) * (VL)];                                              \
      __builtin_memcpy(tile, acc, sizeof tile);                             \
      for (int j = 0; j < (NR); j++)                                        \
        for (int i = 0; i < mr; i++) {                                      \
          T *cij = c + i * rs + j * cs;                                     \
          T v = add ? tile[j][i] + *cij : tile[j][i];                       \
          *cij = EPI_SCALAR(epi, v, epi == GEMM_BIAS_RELU ?                 \
                            e[rs == 1 ? j : i] : 0,                         \
                            epi == GEMM_RELU_MASK ? e[i * rs + j * cs] : 0); \
        }                                                                   \
    }                                                                       \
  }

/* The sum of a vector's lanes (VB bytes), in a fixed order: halves added
 * as vectors down to 16 bytes (H32, H16: vector types of 32 and 16
 * bytes), then lanes. */
#define HSUM(T, VB, H32, H16, v, out)                                       \
  {                                                                         \
    H16 s16_;                                                               \
    if ((VB) == 64) {                                                       \
      H32 lo_, hi_, s32_;                                                   \
      __builtin_memcpy(&lo_, &(v), 32);                                     \
      __builtin_memcpy(&hi_, (const char *) &(v) + 32, 32);                 \
      s32_ = lo_ + hi_;                                                     \
      H16 l16_, h16_;                                                       \
      __builtin_memcpy(&l16_, &s32_, 16);                                   \
      __builtin_memcpy(&h16_, (const char *) &s32_ + 16, 16);               \
      s16_ = l16_ + h16_;                                                   \
    } else if ((VB) == 32) {                                                \
      H16 l16_, h16_;                                                       \
      __builtin_memcpy(&l16_, &(v), 16);                                    \
      __builtin_memcpy(&h16_, (const char *) &(v) + 16, 16);                \
      s16_ = l16_ + h16_;                                                   \
    } else {                                                                \
      __builtin_memcpy(&s16_, &(v), 16);                                    \
    }                                                                       \
    T l_[16 / sizeof(T)];                                                   \
    __builtin_memcpy(l_, &s16_, 16);                                        \
    if (sizeof(T) == 4) (out) = (l_[0] + l_[2]) + (l_[1] + l_[3]);          \
    else (out) = l_[0] + l_[1];                                             \
  }

/* Shuffles of two vectors (vshuffle.h): the even and the odd lanes of
 * (u, w), vectors of VLT = 2, 4, 8 or 16 lanes (I: the integer vector
 * type of the same shape, for GCC). Even plus odd adds
 * neighbouring lanes, so applied to pairs of vectors level by level it
 * sums the lanes of R accumulators at once, each level halving the
 * vectors and the lanes per sum: [a | b] holds the partial sums of a in
 * its first half, of b in its second. */
#define EVENS_2 0, 2
#define ODDS_2 1, 3
#define EVENS_4 0, 2, 4, 6
#define ODDS_4 1, 3, 5, 7
#define EVENS_8 0, 2, 4, 6, 8, 10, 12, 14
#define ODDS_8 1, 3, 5, 7, 9, 11, 13, 15
#define EVENS_16 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define ODDS_16 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define EVENS(VLT) EVENS_##VLT
#define ODDS(VLT) ODDS_##VLT
#define PAIR_SUM(I, VLT, u, w)                                              \
  (VSHUFFLE(I, u, w, EVENS(VLT)) + VSHUFFLE(I, u, w, ODDS(VLT)))
/* One level: R / n vectors of sums into R / (2 n), if there are lanes to
 * halve. */
#define PAIR_LEVEL(I, VLT, n)                                               \
  if ((VLT) >= 2 * (n) && R >= 2 * (n)) {                                   \
    GEMM_PRAGMA(GCC unroll 8)                                               \
    for (int q = 0; q < R / (2 * (n)); q++)                                 \
      acc[q] = PAIR_SUM(I, VLT, acc[2 * q], acc[2 * q + 1]);                \
  }
/* The power of two at or above n <= 16. */
#define POW2_16(n) ((n) <= 1 ? 1 : (n) <= 2 ? 2 : (n) <= 4 ? 4 : (n) <= 8 ? 8 : 16)

/* NI x NJ dot products of length k (NI, NJ constants): whole vectors of
 * VL into one accumulator per product (R of them, a power of two, the
 * ones beyond NI NJ zero), whose lanes are then summed together by
 * levels of PAIR_SUM; then the last k mod VL terms, by whole 16-byte
 * vectors (H16 of L16 lanes) and one by one. */
#define DOTS_BODY(V, I, T, VB, VL, VLT, H32, H16, NI, NJ)                  \
  {                                                                         \
    enum { L16 = 16 / sizeof(T), R = POW2_16((NI) * (NJ)),                  \
           USED = R < (VLT) ? R : (VLT), LEFT = (VLT) / USED };             \
    V acc[R];                                                               \
    GEMM_PRAGMA(GCC unroll 16)                                              \
    for (int q = 0; q < R; q++) acc[q] = (V) {0};                           \
    int p = 0;                                                              \
    for (; p + (VL) <= k; p += (VL)) {                                      \
      V x[NI], y[NJ];                                                       \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int i = 0; i < (NI); i++)                                        \
        __builtin_memcpy(&x[i], a + i * lda + p, sizeof x[i]);              \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int j = 0; j < (NJ); j++)                                        \
        __builtin_memcpy(&y[j], b + j * ldb + p, sizeof y[j]);              \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int j = 0; j < (NJ); j++) {                                      \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int i = 0; i < (NI); i++) acc[j * (NI) + i] += x[i] * y[j];    \
      }                                                                     \
    }                                                                       \
    PAIR_LEVEL(I, VLT, 1)                                                   \
    PAIR_LEVEL(I, VLT, 2)                                                   \
    PAIR_LEVEL(I, VLT, 4)                                                   \
    PAIR_LEVEL(I, VLT, 8)                                                   \
    /* R / USED vectors, each USED sums of LEFT lanes */                    \
    T lane[R * LEFT], sum[R];                                               \
    __builtin_memcpy(lane, acc, sizeof lane);                               \
    GEMM_PRAGMA(GCC unroll 16)                                              \
    for (int o = 0; o < R; o++) {                                           \
      sum[o] = lane[o * LEFT];                                              \
      GEMM_PRAGMA(GCC unroll 8)                                             \
      for (int t = 1; t < LEFT; t++) sum[o] += lane[o * LEFT + t];          \
    }                                                                       \
    if ((int) (VL) > (int) L16 && p + L16 <= k) {                           \
      H16 tail[NJ][NI];                                                     \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int j = 0; j < (NJ); j++) {                                      \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int i = 0; i < (NI); i++) tail[j][i] = (H16) {0};              \
      }                                                                     \
      for (; p + L16 <= k; p += L16) {                                      \
        H16 x[NI], y[NJ];                                                   \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int i = 0; i < (NI); i++)                                      \
          __builtin_memcpy(&x[i], a + i * lda + p, sizeof x[i]);            \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int j = 0; j < (NJ); j++)                                      \
          __builtin_memcpy(&y[j], b + j * ldb + p, sizeof y[j]);            \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int j = 0; j < (NJ); j++) {                                    \
          GEMM_PRAGMA(GCC unroll 4)                                         \
          for (int i = 0; i < (NI); i++) tail[j][i] += x[i] * y[j];         \
        }                                                                   \
      }                                                                     \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int j = 0; j < (NJ); j++) {                                      \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int i = 0; i < (NI); i++) {                                    \
          T t16;                                                            \
          HSUM(T, 16, H32, H16, tail[j][i], t16);                           \
          sum[j * (NI) + i] += t16;                                         \
        }                                                                   \
      }                                                                     \
    }                                                                       \
    GEMM_PRAGMA(GCC unroll 4)                                               \
    for (int j = 0; j < (NJ); j++) {                                        \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int i = 0; i < (NI); i++) {                                      \
        T s = sum[j * (NI) + i];                                            \
        for (int q = p; q < k; q++) s += a[i * lda + q] * b[j * ldb + q];   \
        T *cij = c + i + j * ldc;                                           \
        *cij = add ? s + *cij : s;                                          \
      }                                                                     \
    }                                                                       \
  }

/* The rows [i0, i0 + RV VL) of a thin product (K, RV constants): K x RV
 * vectors of A in registers, then column by column the same operations
 * as a tile's on each element (sums from zero over p in order, C added,
 * the epilogue), so the numbers are a tile's. */
#define THIN_BODY(V, I, T, VL, K, RV, ADD, EPI)                                 \
  {                                                                         \
    V av[K][RV];                                                            \
    GEMM_PRAGMA(GCC unroll 4)                                               \
    for (int p = 0; p < (K); p++) {                                         \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int v = 0; v < (RV); v++)                                        \
        __builtin_memcpy(&av[p][v], a + i0 + p * lda + v * (VL),            \
                         sizeof av[p][v]);                                  \
    }                                                                       \
    for (int j = 0; j < n; j++) {                                           \
      T bp[K];                                                              \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int p = 0; p < (K); p++) bp[p] = b[p * bps + j * bjs];           \
      T *cj = c + i0 + j * ldc;                                             \
      V bj = (V) {0} + ((EPI) == GEMM_BIAS_RELU ? e[j] : 0);                  \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int v = 0; v < (RV); v++) {                                      \
        V acc = (V) {0};                                                    \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int p = 0; p < (K); p++) acc += av[p][v] * bp[p];              \
        if (ADD) {                                                          \
          V old;                                                            \
          __builtin_memcpy(&old, cj + v * (VL), sizeof old);                \
          acc += old;                                                       \
        }                                                                   \
        if ((EPI) == GEMM_BIAS_RELU) {                                      \
          acc += bj;                                                        \
          acc = (V) ((I) acc & (I) (acc > (V) {0}));                        \
        } else if ((EPI) == GEMM_RELU_MASK) {                               \
          V h;                                                              \
          __builtin_memcpy(&h, e + (cj - c) + v * (VL), sizeof h);          \
          acc = (V) ((I) acc & (I) (h > (V) {0}));                          \
        }                                                                   \
        __builtin_memcpy(cj + v * (VL), &acc, sizeof acc);                  \
      }                                                                     \
    }                                                                       \
  }

/* One body per (mv, nr) and per (ni, nj), so that an edge tile costs what
 * its size does; also tiles of up to 8 vectors by 1 column and 4 by 2,
 * for products with one or two columns (more chains of additions at
 * once). */
#define KCASE(V, I, T, VL, MV, NR)                                          \
  case (MV) * 32 + (NR): KERNEL_BODY(V, I, T, VL, MV, NR) break;
#define KCASES6(V, I, T, VL, MV)                                            \
  KCASE(V, I, T, VL, MV, 1) KCASE(V, I, T, VL, MV, 2)                       \
  KCASE(V, I, T, VL, MV, 3) KCASE(V, I, T, VL, MV, 4)                       \
  KCASE(V, I, T, VL, MV, 5) KCASE(V, I, T, VL, MV, 6)
#define KCASES12(V, I, T, VL, MV)                                           \
  KCASES6(V, I, T, VL, MV) KCASE(V, I, T, VL, MV, 7)                        \
  KCASE(V, I, T, VL, MV, 8) KCASE(V, I, T, VL, MV, 9)                       \
  KCASE(V, I, T, VL, MV, 10) KCASE(V, I, T, VL, MV, 11)                     \
  KCASE(V, I, T, VL, MV, 12)
#define DCASE(V, I, T, VB, VL, VLT, H32, H16, NI, NJ)                      \
  case (NI) * 8 + (NJ):                                                     \
    DOTS_BODY(V, I, T, VB, VL, VLT, H32, H16, NI, NJ) break;
#define DCASES(V, I, T, VB, VL, VLT, H32, H16, NI)                          \
  DCASE(V, I, T, VB, VL, VLT, H32, H16, NI, 1)                              \
  DCASE(V, I, T, VB, VL, VLT, H32, H16, NI, 2)                              \
  DCASE(V, I, T, VB, VL, VLT, H32, H16, NI, 3)                              \
  DCASE(V, I, T, VB, VL, VLT, H32, H16, NI, 4)
#define TCASE(V, I, T, VL, K, RV, ADD, EPI)                                 \
  case (K) * 8 + (RV): THIN_BODY(V, I, T, VL, K, RV, ADD, EPI) break;
#define TCASES(V, I, T, VL, K, ADD, EPI)                                    \
  TCASE(V, I, T, VL, K, 1, ADD, EPI) TCASE(V, I, T, VL, K, 2, ADD, EPI)     \
  TCASE(V, I, T, VL, K, 3, ADD, EPI) TCASE(V, I, T, VL, K, 4, ADD, EPI)
/* The thin bodies for one (add, epi): constants for the forward and
 * backward passes' products (C overwritten, one epilogue), so that their
 * loops test nothing per column; add and epi read at run time otherwise. */
#define THIN_SWITCH(V, I, T, VL, ADD, EPI)                                  \
  switch (k * 8 + rv) {                                                     \
    TCASES(V, I, T, VL, 1, ADD, EPI) TCASES(V, I, T, VL, 2, ADD, EPI)       \
    TCASES(V, I, T, VL, 3, ADD, EPI) TCASES(V, I, T, VL, 4, ADD, EPI)       \
  default: break;                                                           \
  }
#define DEFINE_KERNELS(name, T, IT, VB, VLT, CASES, RVMAX, ATTR)            \
  typedef T name##_v __attribute__((vector_size(VB)));                     \
  typedef IT name##_i __attribute__((vector_size(VB)));                    \
  typedef T name##_v32 __attribute__((vector_size(32)));                   \
  typedef T name##_v16 __attribute__((vector_size(16)));                   \
  ATTR static void name(int mv, int nr, int kc, const T *GEMM_RESTRICT a,   \
                        ptrdiff_t as, const T *GEMM_RESTRICT b,             \
                        ptrdiff_t bs, T *GEMM_RESTRICT c, ptrdiff_t rs,     \
                        ptrdiff_t cs, int add, int mr, int epi,             \
                        const T *GEMM_RESTRICT e) {                         \
    enum { VL = (VB) / sizeof(T) };                                         \
    switch (mv * 32 + nr) {                                                 \
      CASES(name##_v, name##_i, T, VL, 1)                                   \
      CASES(name##_v, name##_i, T, VL, 2)                                   \
      KCASE(name##_v, name##_i, T, VL, 3, 1)                                \
      KCASE(name##_v, name##_i, T, VL, 3, 2)                                \
      KCASE(name##_v, name##_i, T, VL, 4, 1)                                \
      KCASE(name##_v, name##_i, T, VL, 4, 2)                                \
      KCASE(name##_v, name##_i, T, VL, 5, 1)                                \
      KCASE(name##_v, name##_i, T, VL, 6, 1)                                \
      KCASE(name##_v, name##_i, T, VL, 7, 1)                                \
      KCASE(name##_v, name##_i, T, VL, 8, 1)                                \
    default: break;                                                         \
    }                                                                       \
  }                                                                         \
  ATTR static void name##_dots(int ni, int nj, int k,                       \
                               const T *GEMM_RESTRICT a, ptrdiff_t lda,     \
                               const T *GEMM_RESTRICT b, ptrdiff_t ldb,     \
                               T *GEMM_RESTRICT c, ptrdiff_t ldc,           \
                               int add) {                                   \
    enum { VL = (VB) / sizeof(T) };                                         \
    switch (ni * 8 + nj) {                                                  \
      DCASES(name##_v, name##_i, T, VB, VL, VLT, name##_v32, name##_v16, 1) \
      DCASES(name##_v, name##_i, T, VB, VL, VLT, name##_v32, name##_v16, 2) \
      DCASES(name##_v, name##_i, T, VB, VL, VLT, name##_v32, name##_v16, 3) \
      DCASES(name##_v, name##_i, T, VB, VL, VLT, name##_v32, name##_v16, 4) \
    default: break;                                                         \
    }                                                                       \
  }                                                                         \
  ATTR static void name##_thin(int m, int n, int k,                         \
                               const T *GEMM_RESTRICT a, ptrdiff_t lda,     \
                               const T *GEMM_RESTRICT b, ptrdiff_t bps,     \
                               ptrdiff_t bjs, T *GEMM_RESTRICT c,           \
                               ptrdiff_t ldc, int add, int epi,             \
                               const T *GEMM_RESTRICT e) {                  \
    enum { VL = (VB) / sizeof(T) };                                         \
    /* k x rv vectors of A held: twice as many rows with k <= 2 */        \
    int full = m / VL * VL, rv, rv_max = k <= 2 ? 4 : (RVMAX);              \
    for (int i0 = 0; i0 < full; i0 += rv * VL) {                            \
      rv = (full - i0) / VL < rv_max ? (full - i0) / VL : rv_max;           \
      if (add)                                                              \
        THIN_SWITCH(name##_v, name##_i, T, VL, add, epi)                    \
      else if (epi == GEMM_RELU_MASK)                                       \
        THIN_SWITCH(name##_v, name##_i, T, VL, 0, GEMM_RELU_MASK)           \
      else if (epi == GEMM_BIAS_RELU)                                       \
        THIN_SWITCH(name##_v, name##_i, T, VL, 0, GEMM_BIAS_RELU)           \
      else                                                                  \
        THIN_SWITCH(name##_v, name##_i, T, VL, 0, GEMM_PLAIN)               \
    }                                                                       \
    if (full == m) return;                                                  \
    /* the last rows as one vector, zero beyond the edge (as a tile packs   \
     * them), stored element by element */                                  \
    name##_v at[GEMM_THIN_K];                                               \
    for (int p = 0; p < k; p++) {                                           \
      T lanes[VL] = {0};                                                    \
      for (int i = full; i < m; i++) lanes[i - full] = a[i + p * lda];      \
      __builtin_memcpy(&at[p], lanes, sizeof at[p]);                        \
    }                                                                       \
    for (int j = 0; j < n; j++) {                                           \
      name##_v acc = (name##_v) {0};                                        \
      for (int p = 0; p < k; p++) acc += at[p] * b[p * bps + j * bjs];      \
      T lanes[VL];                                                          \
      __builtin_memcpy(lanes, &acc, sizeof lanes);                          \
      for (int i = full; i < m; i++) {                                      \
        T *cij = c + i + j * ldc;                                           \
        T v = add ? lanes[i - full] + *cij : lanes[i - full];               \
        *cij = EPI_SCALAR(epi, v, epi == GEMM_BIAS_RELU ? e[j] : 0,         \
                          epi == GEMM_RELU_MASK ? e[i + j * ldc] : 0);      \
      }                                                                     \
    }                                                                       \
  }

#ifdef GEMM_X86_AVX
DEFINE_KERNELS(kern512_f, float, int32_t, 64, 16, KCASES12, 4,
               __attribute__((target("avx512f"))))
DEFINE_KERNELS(kern512_d, double, int64_t, 64, 8, KCASES12, 4,
               __attribute__((target("avx512f"))))
DEFINE_KERNELS(kern256_f, float, int32_t, 32, 8, KCASES6, 2,
               __attribute__((target("avx2,fma"))))
DEFINE_KERNELS(kern256_d, double, int64_t, 32, 4, KCASES6, 2,
               __attribute__((target("avx2,fma"))))
#endif
DEFINE_KERNELS(kern128_f, float, int32_t, 16, 4, KCASES6, 2, )
DEFINE_KERNELS(kern128_d, double, int64_t, 16, 2, KCASES6, 2, )
#endif

/* Plain C, for compilers without vector extensions: tiles of 4 mv x nr
 * (mv <= 8, nr <= 4), a "vector" being 4 values, and plain dot
 * products. */
#define DEFINE_SCALAR_KERNELS(name, T)                                      \
  static void name(int mv, int nr, int kc, const T *GEMM_RESTRICT a,        \
                   ptrdiff_t as, const T *GEMM_RESTRICT b, ptrdiff_t bs,    \
                   T *GEMM_RESTRICT c, ptrdiff_t rs, ptrdiff_t cs, int add, \
                   int mr, int epi, const T *GEMM_RESTRICT e) {             \
    T acc[4][32] = {{0}};                                                   \
    for (int p = 0; p < kc; p++)                                            \
      for (int j = 0; j < nr; j++)                                          \
        for (int i = 0; i < 4 * mv; i++)                                    \
          acc[j][i] += a[as * p + i] * b[bs * p + j];                       \
    for (int j = 0; j < nr; j++)                                            \
      for (int i = 0; i < mr; i++) {                                        \
        T *cij = c + i * rs + j * cs;                                       \
        T v = add ? acc[j][i] + *cij : acc[j][i];                           \
        *cij = EPI_SCALAR(epi, v, epi == GEMM_BIAS_RELU ?                   \
                          e[rs == 1 ? j : i] : 0,                           \
                          epi == GEMM_RELU_MASK ? e[i * rs + j * cs] : 0);  \
      }                                                                     \
  }                                                                         \
  static void name##_dots(int ni, int nj, int k, const T *GEMM_RESTRICT a,  \
                          ptrdiff_t lda, const T *GEMM_RESTRICT b,          \
                          ptrdiff_t ldb, T *GEMM_RESTRICT c, ptrdiff_t ldc, \
                          int add) {                                        \
    for (int j = 0; j < nj; j++)                                            \
      for (int i = 0; i < ni; i++) {                                        \
        T s = 0;                                                            \
        for (int p = 0; p < k; p++) s += a[i * lda + p] * b[j * ldb + p];   \
        T *cij = c + i + j * ldc;                                           \
        *cij = add ? s + *cij : s;                                          \
      }                                                                     \
  }
DEFINE_SCALAR_KERNELS(kern_scalar_f, float)
DEFINE_SCALAR_KERNELS(kern_scalar_d, double)

/* The kernels this build has, the best the CPU runs chosen at load time
 * (gemm_init); the block sizes keep a packed B panel (KC x NR) in L1 and
 * the packed A block (MC x KC) in L2. */
struct gemm_kernel {
  const char *name;
  kernel_f kf;
  kernel_d kd;
  dots_f df;
  dots_d dd;
  thin_f tf;            /* NULL: thin products by tiles */
  thin_d td;
  int mr_f, nr_f, vl_f, mr_d, nr_d, vl_d; /* tile, vector length */
};

#define KERNELS(name) name##_f, name##_d, name##_f_dots, name##_d_dots
#define THIN(name) name##_f_thin, name##_d_thin
static const gemm_kernel kernels[] = {
  {"scalar", KERNELS(kern_scalar), NULL, NULL, 4, 4, 4, 4, 4, 4},
#ifdef GEMM_VECTOR
  {"vector", KERNELS(kern128), THIN(kern128), 8, 6, 4, 4, 6, 2},
#ifdef GEMM_X86_AVX
  {"avx2", KERNELS(kern256), THIN(kern256), 16, 6, 8, 8, 6, 4},
  {"avx512", KERNELS(kern512), THIN(kern512), 32, 12, 16, 16, 12, 8},
#endif
#endif
};
enum { N_KERNELS = sizeof kernels / sizeof kernels[0] };

static const gemm_kernel *best = &kernels[0];

#define GEMM_KC_F 256
#define GEMM_KC_D 128
#define GEMM_MC 256           /* rows, rounded down to a multiple of MR */
#define GEMM_NC 2048          /* columns, rounded down to one of NR */
#define GEMM_MAX_PARTS 64
#define GEMM_SPLIT_MIN (1 << 18) /* multiply-adds, for two threads */
#define GEMM_SMALL (1 << 15)     /* multiply-adds, without packing */

/* Whether this CPU runs kernel k (and the OS saves its registers: GCC's
 * cpu tests check that too). */
static int runs(const gemm_kernel *k) {
#ifdef GEMM_X86_AVX
#ifdef BBB_MAX_AVX2
  if (!strcmp(k->name, "avx512")) return 0; /* bbb.h */
#endif
  if (!strcmp(k->name, "avx512")) return __builtin_cpu_supports("avx512f");
  if (!strcmp(k->name, "avx2"))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  (void) k;
  return 1;
}

void gemm_init(void) {
#ifdef GEMM_X86_AVX
  __builtin_cpu_init();
#endif
  for (int i = 0; i < N_KERNELS; i++)
    if (runs(&kernels[i])) best = &kernels[i];
}

const gemm_kernel *gemm_kernel_best(void) { return best; }

const gemm_kernel *gemm_kernel_by_name(const char *name) {
  for (int i = 0; i < N_KERNELS; i++)
    if (!strcmp(kernels[i].name, name))
      return runs(&kernels[i]) ? &kernels[i] : NULL;
  return NULL;
}

const char *gemm_kernel_name(const gemm_kernel *k) { return k->name; }

static inline int round_up(int x, int to) { return (x + to - 1) / to * to; }
static inline int min_int(int a, int b) { return a < b ? a : b; }

/* How a product is computed (all of it a function of the shape): C or
 * its transpose (whichever the tiles cover with fewer vector steps), A and
 * B packed or read in place, in how many column ranges, with blocks of how
 * many rows and columns, and how much scratch each range needs (packed A,
 * then packed B, each on a 64-byte boundary, with 64 bytes to align the
 * start). */
typedef struct {
  int trans;            /* compute C' = op(B)' op(A)' */
  int ta, tb, m, n;     /* of the product as computed */
  int a_in, b_in;       /* A, B panels read in place */
  int parts, mc, nc;    /* mc, nc: multiples of MR, NR */
  size_t part_bytes;
} gemm_plan;

static inline size_t round64(size_t x) { return (x + 63) / 64 * 64; }

/* The dot products of small_dots() instead: A' B with few multiply-adds,
 * where packing A (a transposition) would cost more than the product. */
static int use_dots(int ta, int tb, int m, int n, int k) {
  return ta && !tb && (double) m * n * k <= GEMM_SMALL;
}

/* Whether the tiles compute C' instead of C (m x n): vector multiply-adds
 * a step are rows in vectors times columns; C' is stored element by
 * element, so it must save a quarter. */
static int computes_transpose(int m, int n, int vl) {
  double cost_n = (double) ((m + vl - 1) / vl) * n;
  double cost_t = (double) ((n + vl - 1) / vl) * m;
  return 4 * cost_t < 3 * cost_n;
}

/* The thin kernel instead of tiles: a short inner dimension, A in place,
 * and C as it is (where the tiles would not compute C' either). */
static int use_thin(int ta, int m, int n, int k, int vl) {
  return !ta && k <= GEMM_THIN_K && m >= vl &&
    !computes_transpose(m, n, vl);
}

static gemm_plan plan(int ta, int tb, int m, int n, int k, int threads,
                      int mr, int nr, int vl, int kc_max, size_t size) {
  gemm_plan g;
  g.trans = computes_transpose(m, n, vl);
  g.m = g.trans ? n : m;
  g.n = g.trans ? m : n;
  g.ta = g.trans ? !tb : ta;
  g.tb = g.trans ? !ta : tb;
  int small = (double) m * n * k <= GEMM_SMALL;
  /* a panel used by one tile, or a small product, is read where it is */
  g.a_in = !g.ta && (small || g.n <= nr);
  g.b_in = g.tb && (small || g.m <= mr);
  int units = (g.n + nr - 1) / nr;
  g.parts = 1;
  if (threads > 1 && (double) m * n * k >= GEMM_SPLIT_MIN)
    g.parts = min_int(min_int(threads, units), GEMM_MAX_PARTS);
  g.mc = GEMM_MC / mr * mr;
  g.nc = GEMM_NC / nr * nr;
  int kc = min_int(k, kc_max);
  int mc = min_int(round_up(g.m, vl), g.mc);
  int nc = min_int((units + g.parts - 1) / g.parts * nr, g.nc);
  g.part_bytes = 64 + round64((size_t) mc * kc * size) +
    round64((size_t) kc * nc * size);
  return g;
}

static inline char *align64(void *p) {
  uintptr_t u = (uintptr_t) p;
  return (char *) ((u + 63) & ~(uintptr_t) 63);
}

/* The driver, once per precision. */
#define T float
#define TI int32_t
#define S(name) name##_f
#define KC_MAX GEMM_KC_F
#define KERNEL(k) (k)->kf
#define DOTS(k) (k)->df
#define KERNEL_THIN(k) (k)->tf
#define KERNEL_MR(k) (k)->mr_f
#define KERNEL_NR(k) (k)->nr_f
#define KERNEL_VL(k) (k)->vl_f
#include "gemm_driver.h"
#undef T
#undef TI
#undef S
#undef KC_MAX
#undef KERNEL
#undef DOTS
#undef KERNEL_THIN
#undef KERNEL_MR
#undef KERNEL_NR
#undef KERNEL_VL

#define T double
#define TI int64_t
#define S(name) name##_d
#define KC_MAX GEMM_KC_D
#define KERNEL(k) (k)->kd
#define DOTS(k) (k)->dd
#define KERNEL_THIN(k) (k)->td
#define KERNEL_MR(k) (k)->mr_d
#define KERNEL_NR(k) (k)->nr_d
#define KERNEL_VL(k) (k)->vl_d
#include "gemm_driver.h"
