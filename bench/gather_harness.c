/* Gathering the minibatches of one epoch of config (c) (469 batches of
 * 128 random rows of a 60,000 x 784 design) into column-major batches of
 * floats, two ways: from the column-major double matrix, as R holds it
 * (with software prefetching of the column D ahead, none for D = 0), and
 * from a row-major float copy, as bbb's single precision does for a large
 * design (bbb_design_rows). A second argument madvises the matrix for
 * transparent huge pages. Prints seconds per epoch for three runs. From
 * the package's root:
 *
 *   gcc -O2 bench/gather_harness.c -o /tmp/gather_harness
 *   /tmp/gather_harness 0; /tmp/gather_harness 4; /tmp/gather_harness 0 huge
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  int n = 60000, p = 784, B = 128, M = n / B;
  int D = argc > 1 ? atoi(argv[1]) : 0;
  size_t bytes = (size_t) n * p * sizeof(double);
  double *x;
  if (posix_memalign((void **) &x, 1 << 21, bytes)) return 1;
  if (argc > 2) madvise(x, bytes, MADV_HUGEPAGE);
  for (size_t i = 0; i < (size_t) n * p; i++) x[i] = (double) i * 1e-7;
  float *rows = malloc((size_t) n * p * sizeof(float));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < p; j++)
      rows[(size_t) i * p + j] = (float) x[i + (size_t) j * n];
  int *perm = malloc(n * sizeof(int));
  for (int i = 0; i < n; i++) perm[i] = i;
  srand(1);
  for (int i = n - 1; i > 0; i--) {
    int j = rand() % (i + 1), t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  float *xb = malloc((size_t) B * p * sizeof(float));
  double sink = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now();
    for (int b = 0; b < M; b++) {
      const int *idx = perm + b * B;
      for (int j = 0; j < p; j++) {
        const double *xj = x + (size_t) j * n;
        float *bj = xb + (size_t) j * B;
        if (D > 0 && j + D < p) {
          const double *ahead = x + (size_t) (j + D) * n;
          for (int i = 0; i < B; i++) __builtin_prefetch(ahead + idx[i]);
        }
        for (int i = 0; i < B; i++) bj[i] = (float) xj[idx[i]];
      }
      sink += xb[5];
    }
    double t1 = now();
    for (int b = 0; b < M; b++) {
      const int *idx = perm + b * B;
      for (int i = 0; i < B; i++) {
        const float *r = rows + (size_t) idx[i] * p;
        for (int j = 0; j < p; j++) xb[(size_t) j * B + i] = r[j];
      }
      sink += xb[5];
    }
    double t2 = now();
    printf("prefetch %d%s: column-major %.3f s an epoch, row copy %.3f s\n",
           D, argc > 2 ? ", huge pages" : "", t1 - t0, t2 - t1);
  }
  return sink == 1.2345;
}
