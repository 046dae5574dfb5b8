/* Step constants of the optimisers and the scalar update (for the noise
 * parameter tau); the per-parameter rule is inline in optim.h. */
#include <math.h>
#include "optim.h"

BBB_API void optim_step_setup(const bbb_optim *o, double t, bbb_step *st) {
  st->adam = o->kind == OPT_ADAM;
  st->b1 = (real) o->beta1;
  st->b2 = (real) o->beta2;
  st->step = (real) (o->lr * sqrt(1 - pow(o->beta2, t)) /
                     (1 - pow(o->beta1, t)));
  st->eps = (real) (o->eps * sqrt(1 - pow(o->beta2, t)));
  st->momentum = (real) o->momentum;
  st->lr = (real) o->lr;
  st->rho_rate = (real) o->rho_rate;
}

BBB_API int optim_update_one(const bbb_step *st, real *theta, real *m,
                             real *v, double g) {
  return isfinite(optim_apply(st, theta, m, v, (real) g));
}
