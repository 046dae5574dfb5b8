/* Zeroed scratch from R_alloc (see scratch.h), in the engine's precision;
 * compiled again in float by single.c. */
#define R_NO_REMAP
#include <R.h>
#include <string.h>
#include "scratch.h"

BBB_API real *real_zeros(size_t n) {
  real *p = (real *) R_alloc(n, sizeof(real));
  memset(p, 0, n * sizeof(real));
  return p;
}
