/* Optimiser updates of one parameter, inline so that the fused pass over
 * the parameters (posterior.c) vectorises. SGD with (PyTorch-style)
 * momentum keeps its velocity in m; Adam (Kingma and Ba 2015) keeps its
 * moments in m and v, with the bias corrections of update t folded into
 * the step size and epsilon once per step (optim_step_setup). */
#ifndef BBB_OPTIM_H
#define BBB_OPTIM_H

#include "bbb.h"
#include "vmath.h"

typedef struct {
  int adam;
  double b1, b2, step, eps; /* Adam, bias-corrected */
  double momentum, lr;      /* SGD */
} bbb_step;

void optim_step_setup(const bbb_optim *o, double t, bbb_step *st);
int optim_update_one(const bbb_step *st, double *theta, double *m, double *v,
                     double g);
double posterior_pass(const bbb_net *net, const bbb_step *st, int add,
                      double kl_w, double scale, double *theta, double *m,
                      double *v, bbb_sample *smp, const bbb_work *wk,
                      double *g, int from, int to, double *check);

/* Updates theta, m and v for gradient g; returns a value that is finite
 * exactly when the new theta and optimiser state are finite. */
VINLINE double optim_apply(const bbb_step *st, double *theta, double *m,
                           double *v, double g) {
  if (st->adam) {
    double mj = st->b1 * *m + (1 - st->b1) * g;
    double vj = st->b2 * *v + (1 - st->b2) * g * g;
    *m = mj;
    *v = vj;
    *theta -= st->step * mj / (vsqrt(vj) + st->eps);
    return *theta + vj;
  }
  double mj = st->momentum * *m + g;
  *m = mj;
  *theta -= st->lr * mj;
  return *theta + mj;
}

#endif
