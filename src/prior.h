/* The prior terms used inside the loops over the parameters, inline so
 * that those loops vectorise. See prior.c for the constants. */
#ifndef BBB_PRIOR_H
#define BBB_PRIOR_H

#include "bbb.h"
#include "vmath.h"

/* The scale mixture, with l_k = log pi_k - log s_k - w^2 / (2 s_k^2):
 * log P(w) = logsumexp(l1, l2) (up to -0.5 log 2 pi, which cancels in
 * log q - log P) and d(-log P)/dw = w (r1 / s1^2 + (1 - r1) / s2^2), where
 * r1 = sigmoid(l1 - l2) is the responsibility of the first component. Both
 * come from e = exp(-|l1 - l2|): log-sum-exp with the larger term taken
 * out, never exp-then-log. */
VINLINE double mixture_d(const bbb_prior *p, double w) {
  return p->c1 - p->c2 - w * w * (p->h1 - p->h2);
}

VINLINE double mixture_logp(const bbb_prior *p, double w, double d,
                                  double e) {
  double w2 = w * w;
  double top = d >= 0 ? p->c1 - w2 * p->h1 : p->c2 - w2 * p->h2;
  return top + vlog1p_unit(e);
}

VINLINE double mixture_dneg(const bbb_prior *p, double w, double d,
                                  double e) {
  double r1 = vsigmoid_e(d, e);
  return 2 * w * (r1 * p->h1 + (1 - r1) * p->h2);
}

/* KL(N(mu, sigma^2) || N(0, s^2)) for one parameter, and its derivatives
 * in mu and rho; sig = sigmoid(rho) = d sigma / d rho, 1 / s^2 = 2 h1. */
VINLINE double gauss_kl(const bbb_prior *p, double mu, double sigma) {
  return p->log_s1 - vlog(sigma) + (sigma * sigma + mu * mu) * p->h1 - 0.5;
}

VINLINE double gauss_kl_dmu(const bbb_prior *p, double mu) {
  return 2 * p->h1 * mu;
}

VINLINE double gauss_kl_drho(const bbb_prior *p, double sigma,
                                   double sig) {
  return (2 * p->h1 * sigma - 1 / sigma) * sig;
}

#endif
