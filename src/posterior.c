/* The factorised Gaussian posterior q(w | mu, rho), sigma = softplus(rho):
 * drawing weights, and the per-parameter gradient of
 *   f = -log p(D | w) + k (log q(w) - log P(w))
 * with respect to mu and rho by the reparameterisation w = mu + sigma eps:
 *   d/dmu  = g,   d/drho = g eps sigmoid(rho) - k sigmoid(rho) / sigma,
 * g = d(-log p)/dw + k d(-log P)/dw. The last term of d/drho is all that
 * log q contributes (its dw and dmu parts cancel). With the gaussian prior
 * the KL term is taken in closed form instead.
 * All functions work on the index range [from, to) of the flat layout. */
#define R_NO_REMAP
#include <R.h>
#include <math.h>
#include "bbb.h"

void posterior_scales(const double *rho, bbb_sample *smp, int from,
                      int to) {
  for (int j = from; j < to; j++) {
    double r = rho[j], e = exp(-fabs(r));
    smp->sigma[j] = (r > 0 ? r : 0) + log1p(e);
    smp->sig[j] = r >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
}

void posterior_draw(const double *mu, bbb_sample *smp, bbb_rng *rng,
                    int from, int to) {
  for (int j = from; j < to; j++) {
    double e = rng_norm(rng);
    smp->eps[j] = e;
    smp->w[j] = mu[j] + smp->sigma[j] * e;
  }
}

/* sigmoid(rho) / softplus(rho), which tends to 1 as rho -> -Inf. */
static inline double sig_over_sigma(double sig, double sigma) {
  return sigma > 0 ? sig / sigma : 1;
}

/* Adds this sample's gradient to g_mu and g_rho; returns the chunk's
 * unweighted KL term: log q - log P (Monte Carlo) or the closed form. */
double posterior_grad(const bbb_net *net, const double *mu,
                      const bbb_sample *smp, const bbb_work *wk, double kl_w,
                      double *g_mu, double *g_rho, int from, int to) {
  const bbb_prior *p = &net->prior;
  const double *gw = wk->gmu;
  double kl = 0;
  if (p->kind == PRIOR_MIXTURE) {
    for (int j = from; j < to; j++) {
      double dneg, eps = smp->eps[j], sig = smp->sig[j];
      double logp = prior_mixture_logp(p, smp->w[j], &dneg);
      double g = gw[j] + kl_w * dneg;
      g_mu[j] += g;
      g_rho[j] += g * eps * sig - kl_w * sig_over_sigma(sig, smp->sigma[j]);
      kl += -log(smp->sigma[j]) - 0.5 * eps * eps - logp;
    }
  } else {
    int local = net->estimator == EST_LOCAL;
    for (int j = from; j < to; j++) {
      double dmu, drho, sig = smp->sig[j];
      kl += prior_gauss_kl(p, mu[j], smp->sigma[j], sig, &dmu, &drho);
      double gs = local ? wk->gsig[j] : gw[j] * smp->eps[j];
      g_mu[j] += gw[j] + kl_w * dmu;
      g_rho[j] += gs * sig + kl_w * drho;
    }
  }
  return kl;
}

void sample_alloc(bbb_sample *smp, int n_par) {
  smp->sigma = (double *) R_alloc(n_par, sizeof(double));
  smp->sig = (double *) R_alloc(n_par, sizeof(double));
  smp->eps = (double *) R_alloc(n_par, sizeof(double));
  smp->w = (double *) R_alloc(n_par, sizeof(double));
}
