/* The engine's own matrix products (see gemm.h), so that its speed does
 * not depend on the BLAS that R uses (the reference BLAS on most machines,
 * and R's internal BLAS, without sgemm, on Windows and macOS).
 *
 * Goto's scheme, as in BLIS and OpenBLAS: op(B) is copied ("packed") in
 * blocks of KC x NC, op(A) in blocks of MC x KC, into the layouts the
 * micro-kernel reads:
 *   packed A: panels of MR rows; panel r holds A(r MR + i, p) at
 *             [r MR kc + p MR + i], i < MR, p < kc (zero beyond the edge);
 *   packed B: panels of NR columns; panel s holds B(p, s NR + j) at
 *             [s NR kc + p NR + j];
 * and the micro-kernel computes an MR x NR tile of C in registers,
 * kc rank-one updates, then adds it to C. Each element is summed over p in
 * order within a block of KC, and the blocks are added to C in order: the
 * same operations wherever the element lies in its tile, whatever the
 * tile, block or thread, so the result depends on the shape only.
 *
 * The micro-kernel is written once with GCC's vector extensions (also
 * clang's) and instantiated per instruction set with its own tile: AVX-512
 * (32 registers: 2 x 12 vectors of accumulators), AVX2 with FMA and the
 * 16-byte baseline (SSE2 on x86-64, NEON on arm64) with 2 x 6; the best
 * the CPU offers is chosen at load time. Compilers without vector
 * extensions get a plain C 4 x 4 kernel. AVX kernels are not built for
 * Windows, where GCC does not align the stack for spilled AVX registers.
 *
 * Threads (threads.c) take column ranges of C, each with its own packed
 * copies in its part of the caller's scratch. Small products run on one
 * thread: a parallel region costs more than they do. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "gemm.h"
#include "threads.h"

#if (defined(__GNUC__) || defined(__clang__))
#define GEMM_VECTOR 1
#if defined(__x86_64__) && !defined(_WIN32)
#define GEMM_X86_AVX 1
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define GEMM_RESTRICT __restrict__
#define GEMM_PRAGMA(x) _Pragma(#x)
#else
#define GEMM_RESTRICT
#define GEMM_PRAGMA(x)
#endif

/* The tile of C a kernel computes and its loop: C (rs, cs strides) gets
 * the tile (mr x nr of it at an edge) added to it (add) or written. */
typedef void (*kernel_f)(int kc, const float *a, const float *b, float *c,
                         ptrdiff_t rs, ptrdiff_t cs, int add, int mr,
                         int nr);
typedef void (*kernel_d)(int kc, const double *a, const double *b,
                         double *c, ptrdiff_t rs, ptrdiff_t cs, int add,
                         int mr, int nr);

#ifdef GEMM_VECTOR
/* An MV x NR grid of VB-byte vectors of accumulators: MR = MV VB /
 * sizeof(T) rows, NR columns. Each step p loads MV vectors of the packed
 * A panel and multiplies them by the NR values of the packed B panel,
 * broadcast. The loops have constant bounds and are unrolled, so that the
 * accumulators live in registers. */
#define DEFINE_KERNEL(name, T, VB, MV, NR, ATTR)                            \
  typedef T name##_v __attribute__((vector_size(VB)));                     \
  ATTR static void name(int kc, const T *GEMM_RESTRICT a,                   \
                        const T *GEMM_RESTRICT b, T *GEMM_RESTRICT c,       \
                        ptrdiff_t rs, ptrdiff_t cs, int add, int mr,        \
                        int nr) {                                           \
    enum { VL = (VB) / sizeof(T), MR = (MV) * VL };                         \
    name##_v acc[NR][MV];                                                   \
    GEMM_PRAGMA(GCC unroll 16)                                              \
    for (int j = 0; j < (NR); j++) {                                        \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int i = 0; i < (MV); i++) acc[j][i] = (name##_v) {0};            \
    }                                                                       \
    for (int p = 0; p < kc; p++) {                                          \
      name##_v av[MV];                                                      \
      GEMM_PRAGMA(GCC unroll 4)                                             \
      for (int i = 0; i < (MV); i++)                                        \
        __builtin_memcpy(&av[i], a + (size_t) p * MR + i * VL,              \
                         sizeof av[i]);                                     \
      const T *bp = b + (size_t) p * (NR);                                  \
      GEMM_PRAGMA(GCC unroll 16)                                            \
      for (int j = 0; j < (NR); j++) {                                      \
        T bj = bp[j];                                                       \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int i = 0; i < (MV); i++) acc[j][i] += av[i] * bj;             \
      }                                                                     \
    }                                                                       \
    if (mr == MR && nr == (NR) && rs == 1) {                                \
      GEMM_PRAGMA(GCC unroll 16)                                            \
      for (int j = 0; j < (NR); j++) {                                      \
        T *cj = c + j * cs;                                                 \
        GEMM_PRAGMA(GCC unroll 4)                                           \
        for (int i = 0; i < (MV); i++) {                                    \
          name##_v v = acc[j][i];                                           \
          if (add) {                                                        \
            name##_v old;                                                   \
            __builtin_memcpy(&old, cj + i * VL, sizeof old);                \
            v += old;                                                       \
          }                                                                 \
          __builtin_memcpy(cj + i * VL, &v, sizeof v);                      \
        }                                                                   \
      }                                                                     \
    } else {                                                                \
      T tile[NR][MR];                                                       \
      __builtin_memcpy(tile, acc, sizeof tile);                             \
      for (int j = 0; j < nr; j++)                                          \
        for (int i = 0; i < mr; i++) {                                      \
          T *cij = c + i * rs + j * cs;                                     \
          *cij = add ? tile[j][i] + *cij : tile[j][i];                      \
        }                                                                   \
    }                                                                       \
  }

#ifdef GEMM_X86_AVX
DEFINE_KERNEL(kern512_f, float, 64, 2, 12, __attribute__((target("avx512f"))))
DEFINE_KERNEL(kern512_d, double, 64, 2, 12,
              __attribute__((target("avx512f"))))
DEFINE_KERNEL(kern256_f, float, 32, 2, 6,
              __attribute__((target("avx2,fma"))))
DEFINE_KERNEL(kern256_d, double, 32, 2, 6,
              __attribute__((target("avx2,fma"))))
#endif
DEFINE_KERNEL(kern128_f, float, 16, 2, 6, )
DEFINE_KERNEL(kern128_d, double, 16, 2, 6, )
#endif

/* Plain C, for compilers without vector extensions. */
#define DEFINE_SCALAR_KERNEL(name, T)                                       \
  static void name(int kc, const T *GEMM_RESTRICT a,                        \
                   const T *GEMM_RESTRICT b, T *GEMM_RESTRICT c,            \
                   ptrdiff_t rs, ptrdiff_t cs, int add, int mr, int nr) {   \
    T acc[4][4] = {{0}};                                                    \
    for (int p = 0; p < kc; p++)                                            \
      for (int j = 0; j < 4; j++)                                           \
        for (int i = 0; i < 4; i++) acc[j][i] += a[4 * p + i] * b[4 * p + j]; \
    for (int j = 0; j < nr; j++)                                            \
      for (int i = 0; i < mr; i++) {                                        \
        T *cij = c + i * rs + j * cs;                                       \
        *cij = add ? acc[j][i] + *cij : acc[j][i];                          \
      }                                                                     \
  }
DEFINE_SCALAR_KERNEL(kern_scalar_f, float)
DEFINE_SCALAR_KERNEL(kern_scalar_d, double)

/* The kernels this build has, the best the CPU runs chosen at load time
 * (gemm_init); the block sizes keep a packed B panel (KC x NR) in L1 and
 * the packed A block (MC x KC) in L2. */
struct gemm_kernel {
  const char *name;
  kernel_f kf;
  kernel_d kd;
  int mr_f, nr_f, mr_d, nr_d;
};

static const gemm_kernel kernels[] = {
  {"scalar", kern_scalar_f, kern_scalar_d, 4, 4, 4, 4},
#ifdef GEMM_VECTOR
  {"vector", kern128_f, kern128_d, 8, 6, 4, 6},
#ifdef GEMM_X86_AVX
  {"avx2", kern256_f, kern256_d, 16, 6, 8, 6},
  {"avx512", kern512_f, kern512_d, 32, 12, 16, 12},
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

/* Whether this CPU runs kernel k (and the OS saves its registers: GCC's
 * cpu tests check that too). */
static int runs(const gemm_kernel *k) {
#ifdef GEMM_X86_AVX
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

/* How a product is computed: C or its transpose (whichever the tiles
 * cover with less padding, a choice of the shape alone), in how many
 * column ranges, with blocks of how many rows and columns, and how much
 * scratch each range needs (packed A, then packed B, each on a 64-byte
 * boundary, with 64 bytes to align the start). */
typedef struct {
  int trans;            /* compute C' = op(B)' op(A)' */
  int m, n;             /* of the product as computed */
  int parts, mc, nc;    /* mc, nc: multiples of MR, NR */
  size_t part_bytes;
} gemm_plan;

static inline size_t round64(size_t x) { return (x + 63) / 64 * 64; }

static gemm_plan plan(int m, int n, int k, int threads, int mr, int nr,
                      int kc_max, size_t size) {
  gemm_plan g;
  double pad_n = (double) round_up(m, mr) * round_up(n, nr);
  double pad_t = (double) round_up(n, mr) * round_up(m, nr);
  g.trans = pad_t < pad_n;
  g.m = g.trans ? n : m;
  g.n = g.trans ? m : n;
  int units = (g.n + nr - 1) / nr;
  g.parts = 1;
  if (threads > 1 && (double) m * n * k >= GEMM_SPLIT_MIN)
    g.parts = min_int(min_int(threads, units), GEMM_MAX_PARTS);
  g.mc = GEMM_MC / mr * mr;
  g.nc = GEMM_NC / nr * nr;
  int kc = min_int(k, kc_max);
  int mc = min_int(round_up(g.m, mr), g.mc);
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
#define S(name) name##_f
#define KC_MAX GEMM_KC_F
#define KERNEL(k) (k)->kf
#define KERNEL_MR(k) (k)->mr_f
#define KERNEL_NR(k) (k)->nr_f
#include "gemm_driver.h"
#undef T
#undef S
#undef KC_MAX
#undef KERNEL
#undef KERNEL_MR
#undef KERNEL_NR

#define T double
#define S(name) name##_d
#define KC_MAX GEMM_KC_D
#define KERNEL(k) (k)->kd
#define KERNEL_MR(k) (k)->mr_d
#define KERNEL_NR(k) (k)->nr_d
#include "gemm_driver.h"
