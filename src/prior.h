/* The prior terms used inside the loops over the parameters, inline so
 * that those loops vectorise, in the engine's precision (real, bbb.h). See
 * prior.c for the constants. */
#ifndef BBB_PRIOR_H
#define BBB_PRIOR_H

#include "bbb.h"
#include "vmath.h"

/* The constants of p (prior.c), in double. */
void prior_setup(bbb_prior *p, int kind, double pi, double s1, double s2);
/* The groups of parameters sharing a prior, and empirical Bayes: new
 * scales from the groups' moments, and the hyperprior's -log density. */
void prior_groups(bbb_net *net, const int *from, int n_groups);
void eb_rescale(const bbb_net *net, const double *moments);
double eb_penalty(const bbb_net *net);

/* The constants of bbb_prior in the engine's precision: arithmetic with
 * a double constant would turn a float loop into a double one. */
typedef struct {
  real c1, c2, h1, h2, log_s1;
} bbb_rprior;

VINLINE bbb_rprior prior_real(const bbb_prior *p) {
  bbb_rprior r = {(real) p->c1, (real) p->c2, (real) p->h1, (real) p->h2,
                  (real) p->log_s1};
  return r;
}

/* The scale mixture, with l_k = log pi_k - log s_k - w^2 / (2 s_k^2):
 * log P(w) = logsumexp(l1, l2) (up to -0.5 log 2 pi, which cancels in
 * log q - log P) and d(-log P)/dw = w (r1 / s1^2 + (1 - r1) / s2^2), where
 * r1 = sigmoid(l1 - l2) is the responsibility of the first component. Both
 * come from e = exp(-|l1 - l2|): log-sum-exp with the larger term taken
 * out, never exp-then-log. */
VINLINE real mixture_d(const bbb_rprior *p, real w) {
  return p->c1 - p->c2 - w * w * (p->h1 - p->h2);
}

/* The larger of l1 and l2: log P(w) = mixture_top + log(1 + e). */
VINLINE real mixture_top(const bbb_rprior *p, real w, real d) {
  real w2 = w * w;
  return d >= 0 ? p->c1 - w2 * p->h1 : p->c2 - w2 * p->h2;
}

VINLINE real mixture_dneg(const bbb_rprior *p, real w, real d, real e) {
  real r1 = real_sigmoid_e(d, e);
  return 2 * w * (r1 * p->h1 + (1 - r1) * p->h2);
}

/* KL(N(mu, sigma^2) || N(0, s^2)) for one parameter, and its derivatives
 * in mu and rho; sig = sigmoid(rho) = d sigma / d rho, 1 / s^2 = 2 h1;
 * log sigma and dls = d log sigma / d rho = sig / sigma are given, computed
 * from rho where sigma underflows (posterior.c). */
VINLINE real gauss_kl(const bbb_rprior *p, real mu, real sigma,
                      real log_sigma) {
  return p->log_s1 - log_sigma + (sigma * sigma + mu * mu) * p->h1 -
    (real) 0.5;
}

VINLINE real gauss_kl_dmu(const bbb_rprior *p, real mu) {
  return 2 * p->h1 * mu;
}

VINLINE real gauss_kl_drho(const bbb_rprior *p, real sigma, real sig,
                           real dls) {
  return 2 * p->h1 * sigma * sig - dls;
}

#endif
