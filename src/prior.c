/* Prior constants. The per-parameter prior terms are inline in prior.h;
 * everything stays in log space: the scale mixture is a logsumexp of its
 * two components with the larger one taken out, never exp-then-log. */
#include <math.h>
#include "prior.h"

void prior_setup(bbb_prior *p, int kind, double pi, double s1, double s2) {
  p->kind = kind;
  p->pi = pi;
  p->s1 = s1;
  p->s2 = s2;
  p->h1 = 1 / (2 * s1 * s1);
  p->h2 = 1 / (2 * s2 * s2);
  p->c1 = log(pi) - log(s1);
  p->c2 = log1p(-pi) - log(s2);
  p->log_s1 = log(s1);
}
