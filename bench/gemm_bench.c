/* The engine's own matrix kernels (src/gemm.c, compiled in here) against
 * the BLAS's sgemm/dgemm, on the products of one step of config (c)
 * (B = 128 rows, 784 -> 400 -> 400 -> 10: forward Z = H W, backward
 * gW = H' D and dH = D W' but for the input layer), as the engine calls
 * them. From the package's root:
 *
 *   gcc -O2 -fopenmp -Isrc $(R CMD config --cppflags) bench/gemm_bench.c \
 *     -o /tmp/gemm_bench -lblas -lm
 *   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 \
 *     OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=passive /tmp/gemm_bench 2
 *
 * (the argument: threads, default 1; the BLAS is the one the loader finds
 * for -lblas, here OpenBLAS by LD_PRELOAD). The engine runs its own threads
 * over the blocks of a product with a single-threaded BLAS (the BLAS's
 * own threads are off while it trains), so the BLAS is timed the same
 * way: its calls on column blocks shared by the same threads, as the
 * engine made them before it had its own kernels. Prints one JSON line:
 * the rates in GFLOPS (medians of 7 timings of 50 steps' products) of the
 * own kernel and of the BLAS, in single and double precision, and the
 * largest relative difference between the two on these shapes. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../src/gemm.c"
#include "../src/threads.c"

/* threads.c's one use of R (team_trace), outside R: to stderr */
void REprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

void sgemm_(const char *, const char *, const int *, const int *,
            const int *, const float *, const float *, const int *,
            const float *, const int *, const float *, float *, const int *);
void dgemm_(const char *, const char *, const int *, const int *,
            const int *, const double *, const double *, const int *,
            const double *, const int *, const double *, double *,
            const int *);

static double cpu_now(void);
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* CPU time of the process: on one thread, the time without waiting for
 * the CPU on a busy machine. */
static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

typedef struct {
  int ta, tb, m, n, k;
} shape;

enum { MAX_SHAPES = 16 };
static shape shapes[MAX_SHAPES];
static int n_shapes;

static void add(int ta, int tb, int m, int n, int k) {
  shape s = {ta, tb, m, n, k};
  shapes[n_shapes++] = s;
}

/* BLAS calls on the column blocks of a product, shared by the threads, as
 * mlp.c made them (blocks of at least 64 columns, at most 4, from 2^21
 * multiply-adds). */
typedef struct {
  const shape *s;
  const void *a, *b;
  void *c;
  int dbl, blocks;
} blas_job;

static void blas_block(int i, void *p) {
  const blas_job *j = (const blas_job *) p;
  const shape *s = j->s;
  int units = (s->n + 15) / 16;
  int from = units * i / j->blocks * 16;
  int to = units * (i + 1) / j->blocks * 16;
  to = to < s->n ? to : s->n;
  int n = to - from, lda = s->ta ? s->k : s->m, ldb = s->tb ? s->n : s->k;
  const char *ta = s->ta ? "T" : "N", *tb = s->tb ? "T" : "N";
  size_t boff = s->tb ? (size_t) from : (size_t) ldb * from;
  if (j->dbl) {
    double one = 1, zero = 0;
    dgemm_(ta, tb, &s->m, &n, &s->k, &one, (const double *) j->a, &lda,
           (const double *) j->b + boff, &ldb, &zero,
           (double *) j->c + (size_t) s->m * from, &s->m);
  } else {
    float one = 1, zero = 0;
    sgemm_(ta, tb, &s->m, &n, &s->k, &one, (const float *) j->a, &lda,
           (const float *) j->b + boff, &ldb, &zero,
           (float *) j->c + (size_t) s->m * from, &s->m);
  }
}

static void blas_product(const shape *s, const void *a, const void *b,
                         void *c, int dbl, int threads) {
  int blocks = 1;
  if ((double) s->m * s->n * s->k >= (1 << 21)) {
    blocks = s->n / 64;
    blocks = blocks < 1 ? 1 : blocks > 4 ? 4 : blocks;
  }
  blas_job j = {s, a, b, c, dbl, blocks};
  run_range(blocks, threads < blocks ? threads : blocks, blas_block, &j);
}

static int cmp(const void *x, const void *y) {
  double a = *(const double *) x, b = *(const double *) y;
  return (a > b) - (a < b);
}

/* GFLOPS of `steps` steps' products (median of 7), own kernel or BLAS. */
static double rate(int own, int dbl, int threads, void **a, void **b,
                   void **c, void **ws) {
  enum { REPS = 7, STEPS = 50 };
  double t[REPS], flops = 0;
  for (int i = 0; i < n_shapes; i++)
    flops += 2.0 * shapes[i].m * shapes[i].n * shapes[i].k;
  for (int r = 0; r < REPS; r++) {
    double t0 = getenv("BENCH_CPU_TIME") ? cpu_now() : now();
    for (int st = 0; st < STEPS; st++)
      for (int i = 0; i < n_shapes; i++) {
        const shape *s = &shapes[i];
        int lda = s->ta ? s->k : s->m, ldb = s->tb ? s->n : s->k;
        if (!own)
          blas_product(s, a[i], b[i], c[i], dbl, threads);
        else if (dbl)
          gemm_d(s->ta, s->tb, s->m, s->n, s->k, a[i], lda, b[i], ldb, 0,
                 c[i], s->m, threads, ws[i]);
        else
          gemm_f(s->ta, s->tb, s->m, s->n, s->k, a[i], lda, b[i], ldb, 0,
                 c[i], s->m, threads, ws[i]);
      }
    t[r] = (getenv("BENCH_CPU_TIME") ? cpu_now() : now()) - t0;
  }
  qsort(t, REPS, sizeof t[0], cmp);
  return flops * STEPS / t[REPS / 2] / 1e9;
}

/* ns per product of each shape (median of 7 timings of 20000 calls, in
 * CPU time). */
static void per_shape(int dbl, int threads) {
  enum { REPS = 7, CALLS = 20000 };
  size_t sz = dbl ? sizeof(double) : sizeof(float);
  for (int i = 0; i < n_shapes; i++) {
    const shape *s = &shapes[i];
    int lda = s->ta ? s->k : s->m, ldb = s->tb ? s->n : s->k;
    void *a = calloc((size_t) s->m * s->k, sz);
    void *b = calloc((size_t) s->k * s->n, sz);
    void *c = calloc((size_t) s->m * s->n, sz);
    void *ws = malloc(dbl ? gemm_ws_bytes_d(s->m, s->n, s->k, threads) :
                      gemm_ws_bytes_f(s->m, s->n, s->k, threads));
    double t[2][REPS];
    for (int own = 0; own < 2; own++)
      for (int r = 0; r < REPS; r++) {
        double t0 = cpu_now();
        for (int q = 0; q < CALLS; q++) {
          if (!own)
            blas_product(s, a, b, c, dbl, threads);
          else if (dbl)
            gemm_d(s->ta, s->tb, s->m, s->n, s->k, a, lda, b, ldb, 0, c,
                   s->m, threads, ws);
          else
            gemm_f(s->ta, s->tb, s->m, s->n, s->k, a, lda, b, ldb, 0, c,
                   s->m, threads, ws);
        }
        t[own][r] = (cpu_now() - t0) / CALLS * 1e9;
      }
    qsort(t[0], REPS, sizeof(double), cmp);
    qsort(t[1], REPS, sizeof(double), cmp);
    printf("%s %c%c %4d x %4d x %4d: own %7.0f ns, BLAS %7.0f ns\n",
           dbl ? "double" : "single", s->ta ? 'T' : 'N', s->tb ? 'T' : 'N',
           s->m, s->n, s->k, t[1][REPS / 2], t[0][REPS / 2]);
    free(a); free(b); free(c); free(ws);
  }
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  gemm_init();
  if (argc > 6 && !strcmp(argv[2], "one")) {
    /* one shape: one ta tb m n k */
    add(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]),
        atoi(argv[7]));
    per_shape(0, threads);
    per_shape(1, threads);
    return 0;
  }
  if (argc > 2 && !strcmp(argv[2], "a")) {
    /* config (a): 100 rows, 3 -> 32 -> 1 */
    add(0, 0, 100, 32, 3);
    add(0, 0, 100, 1, 32);
    add(1, 0, 32, 1, 100);
    add(1, 0, 3, 32, 100);
    add(0, 1, 100, 32, 1);
    per_shape(0, threads);
    per_shape(1, threads);
    return 0;
  }
  int w[] = {784, 400, 400, 10}, B = 128;
  for (int l = 0; l < 3; l++) {
    add(0, 0, B, w[l + 1], w[l]);          /* Z = H W */
    add(1, 0, w[l], w[l + 1], B);          /* gW = H' D */
    if (l > 0) add(0, 1, B, w[l], w[l + 1]); /* dH = D W' */
  }
  if (argc > 2 && !strcmp(argv[2], "shapes")) {
    per_shape(0, threads);
    per_shape(1, threads);
    return 0;
  }
  double rates[2][2], maxdiff[2] = {0, 0};
  for (int dbl = 0; dbl < 2; dbl++) {
    size_t sz = dbl ? sizeof(double) : sizeof(float);
    void *a[MAX_SHAPES], *b[MAX_SHAPES], *c[MAX_SHAPES], *c2[MAX_SHAPES];
    void *ws[MAX_SHAPES];
    srand(1);
    for (int i = 0; i < n_shapes; i++) {
      const shape *s = &shapes[i];
      size_t na = (size_t) s->m * s->k, nb = (size_t) s->k * s->n,
        nc = (size_t) s->m * s->n;
      a[i] = malloc(na * sz);
      b[i] = malloc(nb * sz);
      c[i] = malloc(nc * sz);
      c2[i] = malloc(nc * sz);
      for (size_t j = 0; j < na; j++) {
        double v = rand() / (double) RAND_MAX - 0.5;
        if (dbl) ((double *) a[i])[j] = v; else ((float *) a[i])[j] = v;
      }
      for (size_t j = 0; j < nb; j++) {
        double v = rand() / (double) RAND_MAX - 0.5;
        if (dbl) ((double *) b[i])[j] = v; else ((float *) b[i])[j] = v;
      }
      ws[i] = malloc(dbl ? gemm_ws_bytes_d(s->m, s->n, s->k, threads) :
                     gemm_ws_bytes_f(s->m, s->n, s->k, threads));
    }
    rates[dbl][0] = rate(1, dbl, threads, a, b, c, ws);
    rates[dbl][1] = rate(0, dbl, threads, a, b, c2, ws);
    for (int i = 0; i < n_shapes; i++) {
      const shape *s = &shapes[i];
      double big = 0, diff = 0;
      for (size_t j = 0; j < (size_t) s->m * s->n; j++) {
        double x = dbl ? ((double *) c[i])[j] : ((float *) c[i])[j];
        double y = dbl ? ((double *) c2[i])[j] : ((float *) c2[i])[j];
        big = fmax(big, fabs(y));
        diff = fmax(diff, fabs(x - y));
      }
      maxdiff[dbl] = fmax(maxdiff[dbl], diff / big);
      free(a[i]); free(b[i]); free(c[i]); free(c2[i]); free(ws[i]);
    }
  }
  printf("{\"kernel\": \"%s\", \"threads\": %d, \"own_single_gflops\": %.1f,"
         " \"blas_single_gflops\": %.1f, \"own_double_gflops\": %.1f,"
         " \"blas_double_gflops\": %.1f, \"max_rel_diff_single\": %.2g,"
         " \"max_rel_diff_double\": %.2g}\n", gemm_kernel_name(gemm_kernel_best()), threads,
         rates[0][0], rates[0][1], rates[1][0], rates[1][1], maxdiff[0],
         maxdiff[1]);
  return 0;
}
