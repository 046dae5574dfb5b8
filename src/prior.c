/* Prior log densities, the closed-form Gaussian KL, and their gradients.
 * Everything stays in log space: the scale mixture is a logsumexp of its two
 * components with the larger one taken out, never exp-then-log. The constant
 * -0.5 log(2 pi) is left out of log P here and of log q in posterior.c: it
 * cancels in log q - log P. */
#include <math.h>
#include "bbb.h"

void prior_setup(bbb_prior *p, int kind, double pi, double s1, double s2) {
  p->kind = kind;
  p->pi = pi;
  p->s1 = s1;
  p->s2 = s2;
  p->h1 = 1 / (2 * s1 * s1);
  p->h2 = 1 / (2 * s2 * s2);
  p->c1 = log(pi) - log(s1);
  p->c2 = log1p(-pi) - log(s2);
}

/* log(1 + exp(x)) without overflow or loss of precision. */
double softplus(double x) {
  return (x > 0 ? x : 0) + log1p(exp(-fabs(x)));
}

double sigmoid(double x) {
  double e = exp(-fabs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/* log P(w) for the scale mixture (up to -0.5 log 2 pi); *dneg receives
 * d(-log P)/dw = w (r1 / s1^2 + (1 - r1) / s2^2), where r1 is the posterior
 * responsibility of the first component, sigmoid(l1 - l2). */
double prior_mixture_logp(const bbb_prior *p, double w, double *dneg) {
  double w2 = w * w;
  double l1 = p->c1 - w2 * p->h1, l2 = p->c2 - w2 * p->h2;
  double d = l1 - l2, e = exp(-fabs(d));
  double r1 = d >= 0 ? 1 / (1 + e) : e / (1 + e);
  *dneg = 2 * w * (r1 * p->h1 + (1 - r1) * p->h2);
  return (d >= 0 ? l1 : l2) + log1p(e);
}

/* KL(N(mu, sigma^2) || N(0, s^2)) for one parameter and its derivatives in
 * mu and rho; sig = sigmoid(rho) = d sigma / d rho. */
double prior_gauss_kl(const bbb_prior *p, double mu, double sigma,
                      double sig, double *dmu, double *drho) {
  double is2 = 2 * p->h1; /* 1 / s^2 */
  *dmu = mu * is2;
  *drho = (sigma * is2 - 1 / sigma) * sig;
  return log(p->s1 / sigma) + (sigma * sigma + mu * mu) * p->h1 - 0.5;
}
