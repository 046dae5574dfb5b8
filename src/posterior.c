/* The factorised Gaussian posterior q(w | mu, rho), sigma = softplus(rho):
 * drawing weights, and the per-parameter gradient of
 *   f = -log p(D | w) + k (log q(w) - log P(w))
 * with respect to mu and rho by the reparameterisation w = mu + sigma eps:
 *   d/dmu  = g,   d/drho = g eps sigmoid(rho) - k sigmoid(rho) / sigma,
 * g = d(-log p)/dw + k d(-log P)/dw. The last term of d/drho is all that
 * log q contributes (its dw and dmu parts cancel). With the gaussian prior
 * the KL term is taken in closed form instead.
 *
 * All functions work on the index range [from, to) of the flat layout; the
 * loops are written to vectorise (see vmath.h). A pruned parameter (mask 0)
 * is exactly zero: sigma 0, no gradient, no KL term; net->mask is all
 * ones when nothing is pruned. The constant
 * -0.5 log(2 pi) is left out of log q here as of log P in prior.h. */
#define R_NO_REMAP
/* Let GCC vectorise loops with selects (see vmath.h). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif
#include <R.h>
#include <string.h>
#include "bbb.h"
#include "prior.h"
#include "vmath.h"

static double *dzero(int n) {
  double *p = (double *) R_alloc(n, sizeof(double));
  memset(p, 0, n * sizeof(double));
  return p;
}

void sample_alloc(bbb_sample *smp, int n_par) {
  smp->sigma = dzero(n_par);
  smp->sig = dzero(n_par);
  smp->eps = dzero(n_par);
  smp->w = dzero(n_par);
}

BBB_SIMD_CLONES
void posterior_scales(const bbb_net *net, const double *rho, bbb_sample *smp,
                      int from, int to) {
  double *sigma = smp->sigma, *sig = smp->sig;
  const double *keep = net->mask;
#ifdef _OPENMP
#pragma omp simd
#endif
  for (int j = from; j < to; j++) {
    double r = rho[j], e = vexp_neg(r < 0 ? r : -r);
    sigma[j] = keep[j] * vsoftplus_e(r, e);
    sig[j] = keep[j] * vsigmoid_e(r, e);
  }
}

BBB_SIMD_CLONES
void posterior_draw(const double *mu, bbb_sample *smp, bbb_rng *rng,
                    int from, int to) {
  double *eps = smp->eps, *w = smp->w;
  const double *sigma = smp->sigma;
  for (int j = from; j < to; j++) eps[j] = rng_norm(rng);
#ifdef _OPENMP
#pragma omp simd
#endif
  for (int j = from; j < to; j++) w[j] = mu[j] + sigma[j] * eps[j];
}

/* Mixture prior, weight estimator: the Monte Carlo KL term. */
BBB_SIMD_CLONES
double grad_mixture(const bbb_prior *p, const double *keep,
                           const bbb_sample *smp, const double *gw,
                           double kl_w, double *g_mu, double *g_rho,
                           int from, int to) {
  const double *w = smp->w, *eps = smp->eps, *sigma = smp->sigma;
  const double *sig = smp->sig;
  double kl = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : kl)
#endif
  for (int j = from; j < to; j++) {
    double d = mixture_d(p, w[j]), e = vexp_neg(d < 0 ? d : -d);
    double g = keep[j] * (gw[j] + kl_w * mixture_dneg(p, w[j], d, e));
    /* sigmoid(rho) / sigma (-> 1 as rho -> -Inf); sigma is 0 only for a
     * pruned parameter, where sig is 0 too */
    double ratio = sig[j] / (sigma[j] > 0 ? sigma[j] : 1);
    g_mu[j] += g;
    g_rho[j] += g * eps[j] * sig[j] - keep[j] * kl_w * ratio;
    double term = -vlog(sigma[j]) - 0.5 * eps[j] * eps[j] -
      mixture_logp(p, w[j], d, e);
    kl += keep[j] > 0 ? term : 0;
  }
  return kl;
}

/* Gaussian prior: the closed-form KL term. gsig is d(-log p)/d sigma:
 * given by the local estimator's backward pass, or gw * eps. */
BBB_SIMD_CLONES
double grad_gaussian(const bbb_prior *p, const double *keep,
                            const double *mu, const bbb_sample *smp,
                            const double *gw, const double *gsig,
                            double kl_w, double *g_mu, double *g_rho,
                            int from, int to) {
  const double *sigma = smp->sigma, *sig = smp->sig;
  double kl = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : kl)
#endif
  for (int j = from; j < to; j++) {
    double gm = gw[j] + kl_w * gauss_kl_dmu(p, mu[j]);
    double gr = gsig[j] * sig[j] + kl_w * gauss_kl_drho(p, sigma[j], sig[j]);
    /* a pruned parameter has sigma 0, so 1 / sigma in gr is Inf */
    int on = keep[j] > 0;
    g_mu[j] += on ? gm : 0;
    g_rho[j] += on ? gr : 0;
    kl += on ? gauss_kl(p, mu[j], sigma[j]) : 0;
  }
  return kl;
}

/* Adds this sample's gradient to g_mu and g_rho; returns the chunk's
 * unweighted KL term: log q - log P (Monte Carlo) or the closed form. */
double posterior_grad(const bbb_net *net, const double *mu,
                      const bbb_sample *smp, bbb_work *wk, double kl_w,
                      double *g_mu, double *g_rho, int from, int to) {
  if (net->prior.kind == PRIOR_MIXTURE) {
    return grad_mixture(&net->prior, net->mask, smp, wk->gmu, kl_w, g_mu,
                        g_rho, from, to);
  }
  if (net->estimator == EST_WEIGHT) {
    for (int j = from; j < to; j++) wk->gsig[j] = wk->gmu[j] * smp->eps[j];
  }
  return grad_gaussian(&net->prior, net->mask, mu, smp, wk->gmu, wk->gsig,
                       kl_w, g_mu, g_rho, from, to);
}
