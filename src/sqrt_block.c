/* Square roots of short arrays (sqrt_block.h): the SSE2, AVX and AVX-512
 * square-root instructions on x86-64 through the compiler's intrinsics,
 * each compiled for its own instruction set (target attributes) and the
 * widest the CPU runs chosen at load time, as gemm.c chooses its kernel.
 * Elsewhere, Newton's iteration of vmath.h. */
#include <string.h>
#include "sqrt_block.h"
#include "vmath.h"

#if defined(__GNUC__) && defined(__x86_64__) && !defined(_WIN32)
#define SQRT_X86 1
#include <immintrin.h>
#endif

typedef void (*sqrt_f_fn)(float *, const float *, int);
typedef void (*sqrt_d_fn)(double *, const double *, int);

/* Whole vectors by the instruction, the tail through a zero-padded
 * vector (so that no lane reads past x). */
#define DEFINE_SQRT(name, T, VT, VL, load, store, op, attr)             \
  attr static void name(T *y, const T *x, int n) {                      \
    int i = 0;                                                          \
    for (; i + VL <= n; i += VL) store(y + i, op(load(x + i)));         \
    if (i < n) {                                                        \
      T buf[VL] = {0};                                                  \
      memcpy(buf, x + i, (size_t) (n - i) * sizeof(T));                 \
      store(buf, op(load(buf)));                                        \
      memcpy(y + i, buf, (size_t) (n - i) * sizeof(T));                 \
    }                                                                   \
  }

#ifdef SQRT_X86
DEFINE_SQRT(sqrt128_f, float, __m128, 4, _mm_loadu_ps, _mm_storeu_ps,
            _mm_sqrt_ps, )
DEFINE_SQRT(sqrt128_d, double, __m128d, 2, _mm_loadu_pd, _mm_storeu_pd,
            _mm_sqrt_pd, )
DEFINE_SQRT(sqrt256_f, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
            _mm256_sqrt_ps, __attribute__((target("avx"))))
DEFINE_SQRT(sqrt256_d, double, __m256d, 4, _mm256_loadu_pd,
            _mm256_storeu_pd, _mm256_sqrt_pd, __attribute__((target("avx"))))
DEFINE_SQRT(sqrt512_f, float, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps,
            _mm512_sqrt_ps, __attribute__((target("avx512f"))))
DEFINE_SQRT(sqrt512_d, double, __m512d, 8, _mm512_loadu_pd,
            _mm512_storeu_pd, _mm512_sqrt_pd,
            __attribute__((target("avx512f"))))
static sqrt_f_fn best_f = sqrt128_f;
static sqrt_d_fn best_d = sqrt128_d;

void sqrt_block_init(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx")) {
    best_f = sqrt256_f;
    best_d = sqrt256_d;
  }
#ifndef BBB_MAX_AVX2 /* bbb.h */
  if (__builtin_cpu_supports("avx512f")) {
    best_f = sqrt512_f;
    best_d = sqrt512_d;
  }
#endif
}

void sqrt_block_f(float *y, const float *x, int n) { best_f(y, x, n); }
void sqrt_block_d(double *y, const double *x, int n) { best_d(y, x, n); }
#endif

static void newton_f(float *y, const float *x, int n) {
  for (int i = 0; i < n; i++) y[i] = vsqrtf(x[i]);
}

static void newton_d(double *y, const double *x, int n) {
  for (int i = 0; i < n; i++) y[i] = vsqrt(x[i]);
}

#ifndef SQRT_X86
void sqrt_block_init(void) {}
void sqrt_block_f(float *y, const float *x, int n) { newton_f(y, x, n); }
void sqrt_block_d(double *y, const double *x, int n) { newton_d(y, x, n); }
#endif

int sqrt_block_with(const char *name, int single, double *y, const double *x,
                    int n) {
  sqrt_f_fn f = NULL;
  sqrt_d_fn d = NULL;
  if (!strcmp(name, "newton")) {
    f = newton_f;
    d = newton_d;
  }
#ifdef SQRT_X86
  if (!strcmp(name, "sse")) {
    f = sqrt128_f;
    d = sqrt128_d;
  } else if (!strcmp(name, "avx") && __builtin_cpu_supports("avx")) {
    f = sqrt256_f;
    d = sqrt256_d;
  } else if (!strcmp(name, "avx512") && __builtin_cpu_supports("avx512f")) {
    f = sqrt512_f;
    d = sqrt512_d;
  }
#endif
  if (!f || n < 0 || n > SQRT_BLOCK) return 0;
  if (single) {
    float fx[SQRT_BLOCK] = {0}, fy[SQRT_BLOCK];
    for (int i = 0; i < n; i++) fx[i] = (float) x[i];
    f(fy, fx, n);
    for (int i = 0; i < n; i++) y[i] = fy[i];
  } else {
    d(y, x, n);
  }
  return 1;
}
