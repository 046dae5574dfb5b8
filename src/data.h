/* The training data as the engine reads it, and the scan of a design for
 * non-finite and huge values (data.c). */
#ifndef BBB_DATA_H
#define BBB_DATA_H

#include <stddef.h>

typedef struct {
  const double *x, *y;  /* x: n x p column-major; y: n */
  int n, p;
  const double *center, *scale; /* standardisation of the columns of x */
  const float *rows;    /* NULL, or x standardized, row-major (n x p) */
} bbb_data;

/* The first non-finite value of v[0..n), 1-based (0 for none), and in
 * *big the first before it with |v| > limit. */
ptrdiff_t scan_values(const double *v, ptrdiff_t n, double limit,
                      ptrdiff_t *big);

#endif
