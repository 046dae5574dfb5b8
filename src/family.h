/* Likelihoods (family.c), in the engine's precision. */
#ifndef BBB_FAMILY_H
#define BBB_FAMILY_H

#include "bbb.h"

/* The summed -log p of a batch given eta (rows x k, leading dimension
 * ld); delta (the same layout) receives d(-log p)/d eta, zero in the rows
 * beyond `rows`, and *dtau d(-log p)/d tau. */
BBB_API double family_nll(int family, const real *eta, const double *y,
                          int rows, int ld, int k, double tau, real *delta,
                          double *dtau);

#endif
