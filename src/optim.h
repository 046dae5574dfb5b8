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

/* Adam's moments m and v for gradient g. */
VINLINE void adam_moments(const bbb_step *st, real *m, real *v, real g) {
  *m = st->b1 * *m + (1 - st->b1) * g;
  *v = st->b2 * *v + (1 - st->b2) * g * g;
}

/* Adam's new theta from the new moments: m and the square root of v
 * (taken by the caller: the pass over the parameters takes them a block
 * at a time, sqrt_block.h). */
VINLINE real adam_theta(const bbb_step *st, real theta, real m,
                        real sqrt_v) {
  return theta - st->step * m / (sqrt_v + st->eps);
}

/* Updates theta, m and v for gradient g; returns a value that is finite
 * exactly when the new theta and optimiser state are finite. */
VINLINE real optim_apply(const bbb_step *st, real *theta, real *m,
                         real *v, real g) {
  if (st->adam) {
    adam_moments(st, m, v, g);
    *theta = adam_theta(st, *theta, *m, real_sqrt(*v));
    return *theta + *v;
  }
  real mj = st->momentum * *m + g;
  *m = mj;
  *theta = *theta - st->lr * mj;
  return *theta + mj;
}

#endif
