/* The matrix products of one config (a) sample (100 rows, 3 -> 32 -> 1) by
 * the BLAS's sgemm and by simple vectorised loops (C = A op(B), column by
 * column), and the first layer's product for both samples of a step in
 * one call (64 columns). Prints ns a product. From the package's root:
 *
 *   gcc -O2 -fopenmp-simd bench/tiny_gemm.c -o /tmp/tiny_gemm \
 *     $(R CMD config BLAS_LIBS)
 *   OPENBLAS_NUM_THREADS=1 /tmp/tiny_gemm
 *
 * "loop -" marks the transposed products, which have no loop version here
 * (they would be short dot products). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void sgemm_(const char *, const char *, const int *, const int *,
            const int *, const float *, const float *, const int *,
            const float *, const int *, const float *, float *, const int *);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* C = A op(B) for A m x k (not transposed). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void loop_gemm(int m, int n, int k, const float *a, int lda,
                      const float *b, int ldb, int tb, float *c, int ldc) {
  for (int j = 0; j < n; j++) {
    float *cj = c + (size_t) j * ldc;
    float b0 = tb ? b[j] : b[(size_t) j * ldb];
#pragma omp simd
    for (int i = 0; i < m; i++) cj[i] = a[i] * b0;
    for (int kk = 1; kk < k; kk++) {
      const float *ak = a + (size_t) kk * lda;
      float bk = tb ? b[j + (size_t) kk * ldb] : b[kk + (size_t) j * ldb];
#pragma omp simd
      for (int i = 0; i < m; i++) cj[i] += ak[i] * bk;
    }
  }
}

int main(void) {
  enum { REPS = 1000000 };
  const float one = 1, zero = 0;
  float *a = malloc(sizeof(float) * 100 * 64);
  float *b = malloc(sizeof(float) * 64 * 100);
  float *c = malloc(sizeof(float) * 100 * 64);
  for (int i = 0; i < 6400; i++) a[i] = b[i] = (float) (i % 7) * 0.1f;
  struct { const char *ta, *tb; int m, n, k; } shapes[] = {
    {"N", "N", 100, 32, 3},   /* forward, layer 1 */
    {"N", "N", 100, 1, 32},   /* forward, layer 2 */
    {"N", "T", 100, 32, 1},   /* backward, delta of layer 1 */
    {"T", "N", 3, 32, 100},   /* weight gradient, layer 1 */
    {"T", "N", 32, 1, 100},   /* weight gradient, layer 2 */
    {"N", "N", 100, 64, 3},   /* forward, layer 1, both samples */
    {"T", "N", 3, 64, 100}};  /* weight gradient, layer 1, both samples */
  for (size_t q = 0; q < sizeof shapes / sizeof shapes[0]; q++) {
    int m = shapes[q].m, n = shapes[q].n, k = shapes[q].k;
    int ta = shapes[q].ta[0] == 'T', tb = shapes[q].tb[0] == 'T';
    int lda = ta ? k : m, ldb = tb ? n : k;
    double t0 = now();
    for (int r = 0; r < REPS; r++)
      sgemm_(shapes[q].ta, shapes[q].tb, &m, &n, &k, &one, a, &lda, b, &ldb,
             &zero, c, &m);
    double blas = (now() - t0) / REPS * 1e9;
    printf("%s%s %3d x %2d x %3d: sgemm %6.1f ns", shapes[q].ta,
           shapes[q].tb, m, n, k, blas);
    if (!ta) {
      t0 = now();
      for (int r = 0; r < REPS; r++)
        loop_gemm(m, n, k, a, lda, b, ldb, tb, c, m);
      printf("  loop %6.1f ns\n", (now() - t0) / REPS * 1e9);
    } else {
      printf("  loop -\n");
    }
  }
  return c[0] == 12345;
}
