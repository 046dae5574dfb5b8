/* The engine's matrix kernels (src/gemm.c and src/threads.c, compiled in
 * here) against products summed with compensation (to about u^2 k),
 * outside R, so that they
 * can be checked on a CPU the tests do not run on: tools/arm64-check.sh
 * cross-compiles this file for arm64 and runs it under QEMU. Natively:
 *
 *   gcc -O2 -pthread -Isrc $(R CMD config --cppflags) tools/gemm_check.c \
 *     -o /tmp/gemm_check -lm && /tmp/gemm_check
 *
 * Every kernel the build and CPU have, float and double, every transpose,
 * beta 0 and 1, the three epilogues, on shapes around the tiles and the
 * KC blocks, with the bound of test-gemm.R (k + 3) u sum |a||b| (+ |c| +
 * |bias|); results on 2 threads must equal those on 1 bit for bit. Prints
 * a line per kernel; stops with status 1 at the first failure. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/gemm.c"
#include "../src/threads.c"

/* threads.c's one use of R (team_trace), outside R: to stderr */
void REprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

static unsigned long long lcg = 88172645463325252ULL;
/* uniform on (-1, 1), exact in float */
static double draw(void) {
  lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((double) (lcg >> 40) - 8388608.0) / 8388608.0;
}

/* a + b, its rounding error added to *err (Knuth's TwoSum) */
static double two_sum(double a, double b, double *err) {
  double s = a + b, bb = s - a;
  *err += (a - (s - bb)) + (b - bb);
  return s;
}

typedef struct {
  int ta, tb, m, n, k, beta, epi;
} job;

/* n values of x in the kernel's precision (float if dbl is 0), and back */
static void *narrowed(const double *x, size_t n, int dbl) {
  void *out = malloc(n * (dbl ? sizeof(double) : sizeof(float)));
  for (size_t i = 0; i < n; i++)
    if (dbl) ((double *) out)[i] = x[i]; else ((float *) out)[i] = x[i];
  return out;
}

static double value_at(const void *x, size_t i, int dbl) {
  return dbl ? ((const double *) x)[i] : ((const float *) x)[i];
}

/* One product by kernel kr in float (dbl 0) or double on 1 and 2 threads;
 * exits with status 1 unless it is within the bound and the same on
 * both. */
static void check(const gemm_kernel *kr, int dbl, job j) {
  int m = j.m, n = j.n, k = j.k;
  int lda = j.ta ? k : m, ldb = j.tb ? n : k, ldc = m + 3;
  size_t na = (size_t) m * k, nb = (size_t) k * n, nc = (size_t) ldc * n;
  double *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b);
  double *c = malloc(nc * sizeof *c), *e = malloc(nc * sizeof *e);
  double *c_in = malloc(nc * sizeof *c_in);
  for (size_t i = 0; i < na; i++) a[i] = draw();
  for (size_t i = 0; i < nb; i++) b[i] = draw();
  for (size_t i = 0; i < nc; i++) {
    c[i] = draw(), e[i] = draw();
    c_in[i] = j.beta ? c[i] : NAN; /* beta 0: C is never read */
  }
  void *A = narrowed(a, na, dbl), *B = narrowed(b, nb, dbl);
  void *E = narrowed(e, nc, dbl), *out[2];
  for (int t = 0; t < 2; t++) {
    int threads = t + 1;
    void *C = narrowed(c_in, nc, dbl);
    void *ws = malloc(dbl ? gemm_ws_bytes_with_d(kr, m, n, k, threads) :
                      gemm_ws_bytes_with_f(kr, m, n, k, threads));
    if (dbl)
      gemm_epi_with_d(kr, j.epi, E, j.ta, j.tb, m, n, k, A, lda, B, ldb,
                      j.beta, C, ldc, threads, ws);
    else
      gemm_epi_with_f(kr, j.epi, E, j.ta, j.tb, m, n, k, A, lda, B, ldb,
                      j.beta, C, ldc, threads, ws);
    out[t] = C;
    free(ws);
  }
  free(A); free(B); free(E); free(c_in);
  double u = dbl ? 0x1p-53 : 0x1p-24;
  for (int col = 0; col < n; col++)
    for (int i = 0; i < m; i++) {
      double sum = 0, comp = 0, mag = 0;
      for (int p = 0; p < k; p++) {
        double x = j.ta ? a[p + (size_t) i * k] : a[i + (size_t) p * m];
        double y = j.tb ? b[col + (size_t) p * n] : b[p + (size_t) col * k];
        sum = two_sum(sum, x * y, &comp);
        comp += fma(x, y, -(x * y)); /* the product's rounding error */
        mag += fabs(x * y);
      }
      size_t at = i + (size_t) col * ldc;
      if (j.beta) sum = two_sum(sum, c[at], &comp), mag += fabs(c[at]);
      double ref = sum + comp;
      if (j.epi == GEMM_BIAS_RELU) {
        ref += e[col];
        mag += fabs(e[col]);
        ref = ref > 0 ? ref : 0;
      } else if (j.epi == GEMM_RELU_MASK) {
        ref = e[at] > 0 ? ref : 0;
      }
      double got = value_at(out[0], at, dbl), got2 = value_at(out[1], at, dbl);
      if (!(fabs(got - ref) <= (k + 3) * u * mag) ||
          memcmp(&got, &got2, sizeof got)) {
        printf("FAIL %s %s ta %d tb %d %d x %d x %d beta %d epi %d at "
               "(%d, %d): %.17g, expected %.17g (2 threads: %.17g)\n",
               gemm_kernel_name(kr), dbl ? "double" : "float", j.ta, j.tb,
               m, n, k, j.beta, j.epi, i, col, got, ref, got2);
        exit(1);
      }
    }
  free(out[0]); free(out[1]); free(a); free(b); free(c); free(e);
}

int main(void) {
  /* around the tiles (2, 4, 6, 8, 12, 16, 24, 32), the thin inner
   * dimension (k <= 4) and the KC blocks (128 in double, 256 in float) */
  static const int sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17,
                              24, 25, 31, 33, 47, 64, 65, 100};
  static const int deep[] = {127, 129, 255, 257, 300, 513};
  static const int big[][3] = {{128, 400, 784}, {784, 400, 128},
                               {128, 784, 400}, {400, 10, 128},
                               {300, 257, 129}};
  const int ns = sizeof sizes / sizeof sizes[0];
  const int nd = sizeof deep / sizeof deep[0];
  const int nbig = sizeof big / sizeof big[0];
  static const char *names[] = {"scalar", "vector", "avx2", "avx512"};
  gemm_init();
  printf("best kernel: %s\n", gemm_kernel_name(gemm_kernel_best()));
  for (int q = 0; q < 4; q++) {
    const gemm_kernel *kr = gemm_kernel_by_name(names[q]);
    if (!kr) continue;
    int count = 0;
    for (int dbl = 0; dbl < 2; dbl++)
      for (int t = 0; t < 4; t++) {
        job j = {t & 1, t >> 1, 0, 0, 0, 0, 0};
        /* every m x n of the sizes, with k of the sizes in turn */
        for (int x = 0; x < ns; x++)
          for (int y = 0; y < ns; y++) {
            j.m = sizes[x];
            j.n = sizes[y];
            j.k = sizes[(x * 7 + y * 3 + t) % ns];
            j.beta = (x + y) & 1;
            j.epi = (x + 2 * y + t) % 3;
            check(kr, dbl, j);
            count++;
          }
        for (int x = 0; x < nd; x++) {
          job d = {j.ta, j.tb, sizes[(x * 5) % ns], sizes[(x * 3 + 7) % ns],
                   deep[x], x & 1, x % 3};
          check(kr, dbl, d);
          count++;
        }
        for (int x = 0; x < nbig; x++) {
          job g = {j.ta, j.tb, big[x][0], big[x][1], big[x][2], x & 1,
                   (x + t) % 3};
          check(kr, dbl, g);
          count++;
        }
      }
    printf("%-7s %d products within the bound, the same on 2 threads\n",
           names[q], count);
  }
  threads_stop();
  return 0;
}
