/* Optimiser updates of one parameter, inline so that the fused pass over
 * the parameters (posterior.c) vectorises. SGD with (PyTorch-style)
 * momentum keeps its velocity in m; Adam (Kingma and Ba 2015) keeps its
 * moments in m and v, with the bias corrections of update t folded into
 * the step size and epsilon once per step (optim_step_setup). */
#ifndef BBB_OPTIM_H
#define BBB_OPTIM_H

#include "bbb.h"
#include "vmath.h"

/* The optimiser's settings, as given. */
typedef struct {
  int kind;             /* OPT_SGD or OPT_ADAM */
  double lr, momentum, beta1, beta2, eps;
  double rho_rate;      /* the rho's step is rho_rate times the mu's (0:
                           rho held, as in the warm-up of training) */
} bbb_optim;

/* In the engine's precision, like the parameters they update. */
typedef struct {
  int adam;
  real b1, b2, step, eps; /* Adam, bias-corrected */
  real momentum, lr;      /* SGD */
  real rho_rate;          /* of the rho's step (bbb_optim) */
} bbb_step;

BBB_API void optim_step_setup(const bbb_optim *o, double t, bbb_step *st);
BBB_API int optim_update_one(const bbb_step *st, real *theta, real *m,
                             real *v, double g);

/* Updates theta, m and v for gradient g; returns a value that is finite
 * exactly when the new theta and optimiser state are finite. */
VINLINE real optim_apply(const bbb_step *st, real *theta, real *m,
                         real *v, real g) {
  if (st->adam) {
    real mj = st->b1 * *m + (1 - st->b1) * g;
    real vj = st->b2 * *v + (1 - st->b2) * g * g;
    *m = mj;
    *v = vj;
    *theta = *theta - st->step * mj / (real_sqrt(vj) + st->eps);
    return *theta + vj;
  }
  real mj = st->momentum * *m + g;
  *m = mj;
  *theta = *theta - st->lr * mj;
  return *theta + mj;
}

#endif
