/* Optimiser updates on the range [from, to) of theta, with the gradient
 * g scaled by `scale` first. SGD with (PyTorch-style) momentum keeps its
 * velocity in m; Adam (Kingma and Ba 2015) keeps its moments in m and v and
 * uses the bias-corrected step size for update number t (from 1).
 * Returns 0 if an updated value is not finite, else 1. */
#include <math.h>
#include "bbb.h"

int optim_update(const bbb_optim *o, double t, double *theta,
                 const double *g, double scale, double *m, double *v,
                 int from, int to) {
  int ok = 1;
  if (o->kind == OPT_ADAM) {
    double b1 = o->beta1, b2 = o->beta2;
    double step = o->lr * sqrt(1 - pow(b2, t)) / (1 - pow(b1, t));
    double eps = o->eps * sqrt(1 - pow(b2, t));
    for (int j = from; j < to; j++) {
      double gj = g[j] * scale;
      m[j] = b1 * m[j] + (1 - b1) * gj;
      v[j] = b2 * v[j] + (1 - b2) * gj * gj;
      theta[j] -= step * m[j] / (sqrt(v[j]) + eps);
      ok &= isfinite(theta[j]);
    }
  } else {
    double mom = o->momentum, lr = o->lr;
    for (int j = from; j < to; j++) {
      m[j] = mom * m[j] + g[j] * scale;
      theta[j] -= lr * m[j];
      ok &= isfinite(theta[j]);
    }
  }
  return ok;
}
