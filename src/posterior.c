/* The factorised Gaussian posterior q(w | mu, rho), sigma = softplus(rho):
 * drawing weights, and the per-parameter gradient of
 *   f = -log p(D | w) + k (log q(w) - log P(w))
 * with respect to mu and rho by the reparameterisation w = mu + sigma eps:
 *   d/dmu  = g,   d/drho = g eps sigmoid(rho) - k sigmoid(rho) / sigma,
 * g = d(-log p)/dw + k d(-log P)/dw. The last term of d/drho is all that
 * log q contributes (its dw and dmu parts cancel). With the gaussian prior
 * the KL term is taken in closed form instead.
 *
 * The pass over the parameters after a backward pass is fused: gradient,
 * optimiser update and the new sigma for the next step in one loop
 * (posterior_pass), then the next weight draw (posterior_draw) while the
 * chunk is still in cache. All functions work on the index range
 * [from, to) of the flat layout and vectorise (see vmath.h). A pruned
 * parameter (mask 0) is exactly zero: sigma 0, no gradient, no KL term.
 * The constant -0.5 log(2 pi) is left out of log q as of log P (prior.h).
 */
/* Let GCC vectorise loops with selects (see vmath.h). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#define R_NO_REMAP
#include <R.h>
#include <string.h>
#include "bbb.h"
#include "optim.h"
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

/* sigma = softplus(rho) and sig = sigmoid(rho), from one exp. */
VINLINE void scales_one(double rho, double keep, double *sigma,
                        double *sig) {
  double e = vexp_neg(rho < 0 ? rho : -rho);
  *sigma = keep * vsoftplus_e(rho, e);
  *sig = keep * vsigmoid_e(rho, e);
}

BBB_SIMD_CLONES
void posterior_scales(const bbb_net *net, const double *rho, bbb_sample *smp,
                      int from, int to) {
  double *sigma = smp->sigma, *sig = smp->sig;
  const double *keep = net->mask;
#ifdef _OPENMP
#pragma omp simd
#endif
  for (int j = from; j < to; j++)
    scales_one(rho[j], keep[j], &sigma[j], &sig[j]);
}

/* eps from the stream `seed` (one per chunk and sample), w = mu + sigma
 * eps. */
BBB_SIMD_CLONES
void posterior_draw(const double *mu, bbb_sample *smp, uint64_t seed,
                    int from, int to) {
  double *eps = smp->eps, *w = smp->w;
  const double *sigma = smp->sigma;
  bbb_vrng r;
  vrng_seed(&r, seed);
  vrng_norm_fill(&r, eps + from, to - from);
#ifdef _OPENMP
#pragma omp simd
#endif
  for (int j = from; j < to; j++) w[j] = mu[j] + sigma[j] * eps[j];
}

typedef struct {
  double gm, gr, kl; /* d/dmu, d/drho, KL term */
} pgrad;

/* Mixture prior, weight estimator: Monte Carlo KL term. */
VINLINE pgrad grad_mixture(const bbb_prior *p, double keep, double gw,
                           double w, double eps, double sigma, double sig,
                           double kl_w) {
  double d = mixture_d(p, w), e = vexp_neg(d < 0 ? d : -d);
  double g = keep * (gw + kl_w * mixture_dneg(p, w, d, e));
  /* sigmoid(rho) / sigma (-> 1 as rho -> -Inf); sigma is 0 only for a
   * pruned parameter, where sig is 0 too */
  double ratio = sig / (sigma > 0 ? sigma : 1);
  double term = -vlog(sigma) - 0.5 * eps * eps - mixture_logp(p, w, d, e);
  pgrad q = {g, g * eps * sig - keep * kl_w * ratio, keep > 0 ? term : 0};
  return q;
}

/* Gaussian prior: closed-form KL term; gs = d(-log p)/d sigma. */
VINLINE pgrad grad_gaussian(const bbb_prior *p, double keep, double gw,
                            double gs, double mu, double sigma, double sig,
                            double kl_w) {
  /* a pruned parameter has sigma 0, so 1 / sigma in gr is Inf */
  int on = keep > 0;
  double gm = gw + kl_w * gauss_kl_dmu(p, mu);
  double gr = gs * sig + kl_w * gauss_kl_drho(p, sigma, sig);
  pgrad q = {on ? gm : 0, on ? gr : 0, on ? gauss_kl(p, mu, sigma) : 0};
  return q;
}

enum { PASS_ADD = 0, PASS_UPDATE = 1, PASS_ADD_UPDATE = 2 };

/* The loop of posterior_pass for one prior and mode (compile-time
 * constants in the callers below, so each gets its own vectorised loop). */
VINLINE double pass_loop(int kind, int mode, const bbb_net *net,
                         const bbb_step *st, double kl_w, double scale,
                         double *theta, double *m, double *v,
                         bbb_sample *smp, const bbb_work *wk, double *g,
                         int from, int to, double *check) {
  int P = net->n_par, local = net->estimator == EST_LOCAL;
  double *mu = theta, *rho = theta + P;
  double *sigma = smp->sigma, *sig = smp->sig;
  const double *eps = smp->eps, *w = smp->w, *gw = wk->gmu;
  const double *gsig = wk->gsig, *keep = net->mask;
  const bbb_prior *p = &net->prior;
  double kl = 0, chk = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : kl, chk)
#endif
  for (int j = from; j < to; j++) {
    pgrad q;
    if (kind == PRIOR_MIXTURE) {
      q = grad_mixture(p, keep[j], gw[j], w[j], eps[j], sigma[j], sig[j],
                       kl_w);
    } else {
      double gs = local ? gsig[j] : gw[j] * eps[j];
      q = grad_gaussian(p, keep[j], gw[j], gs, mu[j], sigma[j], sig[j],
                        kl_w);
    }
    kl += q.kl;
    if (mode == PASS_ADD) {
      g[j] += q.gm;
      g[P + j] += q.gr;
    } else {
      double gm = q.gm, gr = q.gr;
      if (mode == PASS_ADD_UPDATE) {
        gm += g[j];
        gr += g[P + j];
      }
      chk += optim_apply(st, &mu[j], &m[j], &v[j], gm * scale) * 0;
      chk += optim_apply(st, &rho[j], &m[P + j], &v[P + j], gr * scale) * 0;
      mu[j] *= keep[j]; /* a pruned mean stays exactly zero */
      scales_one(rho[j], keep[j], &sigma[j], &sig[j]);
    }
  }
  *check = chk;
  return kl;
}

#define PASS_VARIANT(name, kind, mode)                                      \
  BBB_SIMD_CLONES                                                           \
  static double name(const bbb_net *net, const bbb_step *st, double kl_w,  \
                     double scale, double *theta, double *m, double *v,     \
                     bbb_sample *smp, const bbb_work *wk, double *g,        \
                     int from, int to, double *check) {                     \
    return pass_loop(kind, mode, net, st, kl_w, scale, theta, m, v, smp,    \
                     wk, g, from, to, check);                               \
  }

PASS_VARIANT(mixture_add, PRIOR_MIXTURE, PASS_ADD)
PASS_VARIANT(mixture_update, PRIOR_MIXTURE, PASS_UPDATE)
PASS_VARIANT(mixture_add_update, PRIOR_MIXTURE, PASS_ADD_UPDATE)
PASS_VARIANT(gaussian_add, PRIOR_GAUSSIAN, PASS_ADD)
PASS_VARIANT(gaussian_update, PRIOR_GAUSSIAN, PASS_UPDATE)
PASS_VARIANT(gaussian_add_update, PRIOR_GAUSSIAN, PASS_ADD_UPDATE)

/* The fused pass over [from, to) after a backward pass. With st NULL the
 * gradient of this sample is added to g (g[0..P) for mu, g[P..2P) for rho)
 * and nothing else changes. With st, the parameters are updated by the
 * gradient times `scale` (plus what g holds, if add is set), and sigma and
 * sigmoid(rho) are recomputed for the next step. Returns the unweighted
 * KL term of the range; *check is 0 when every update is finite, NaN
 * otherwise. */
double posterior_pass(const bbb_net *net, const bbb_step *st, int add,
                      double kl_w, double scale, double *theta, double *m,
                      double *v, bbb_sample *smp, const bbb_work *wk,
                      double *g, int from, int to, double *check) {
  int mixture = net->prior.kind == PRIOR_MIXTURE;
  *check = 0;
  if (!st) {
    return (mixture ? mixture_add : gaussian_add)(
      net, st, kl_w, scale, theta, m, v, smp, wk, g, from, to, check);
  }
  if (add) {
    return (mixture ? mixture_add_update : gaussian_add_update)(
      net, st, kl_w, scale, theta, m, v, smp, wk, g, from, to, check);
  }
  return (mixture ? mixture_update : gaussian_update)(
    net, st, kl_w, scale, theta, m, v, smp, wk, g, from, to, check);
}
