/* Likelihoods (family.c), in the engine's precision. */
#ifndef BBB_FAMILY_H
#define BBB_FAMILY_H

#include "bbb.h"

/* The summed -log p of a batch given eta (rows x k); delta receives
 * d(-log p)/d eta and *dtau d(-log p)/d tau. */
BBB_API double family_nll(int family, const real *eta, const double *y,
                          int rows, int k, double tau, real *delta,
                          double *dtau);

#endif
