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
 * optimiser update and, when it is reported, the KL term of the draw in
 * one loop (posterior_pass), then the new sigma
 * (posterior_scales) and the next weight draw (posterior_draw) while the
 * chunk is still in cache. sigma is computed by posterior_scales only, so
 * that it has the same bits whether a step follows another in the same
 * engine call or starts a call. All functions work on the index range
 * [from, to) of the flat layout and vectorise (see vmath.h). A pruned
 * parameter (mask 0) is exactly zero: sigma 0, no gradient, no KL term.
 * The constant -0.5 log(2 pi) is left out of log q as of log P (prior.h).
 */
#define R_NO_REMAP
#include <R.h>
#include <string.h>
#include "bbb.h"
#include "optim.h"
#include "posterior.h"
#include "prior.h"
#include "rng.h"
#include "scratch.h"
#include "vmath.h"

/* Let GCC vectorise loops with selects (see vmath.h). Scoped to this
 * file's functions (single.c includes it beside others); the inline
 * functions of the headers above take it on where they are inlined. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

BBB_API void sample_alloc(bbb_sample *smp, int n_par) {
  smp->sigma = real_zeros(n_par);
  smp->sig = real_zeros(n_par);
  smp->eps = real_zeros(n_par);
  smp->w = real_zeros(n_par);
}

/* n standard normals from r into x. Both engines draw them in single
 * precision (twice the vector lanes; exact to float rounding, tails to
 * 6.7 sd): they are noise, so their last bits do not matter, only that
 * the double engine then computes exactly with what was drawn. */
BBB_API void real_norm_fill(bbb_vrng *r, real *x, int n) {
#ifdef BBB_SINGLE
  vrng_norm_fill(r, x, n);
#else
  float buf[256];
  for (int k = 0; k < n; k += 256) {
    int len = n - k < 256 ? n - k : 256;
    vrng_norm_fill(r, buf, len);
    for (int i = 0; i < len; i++) x[k + i] = buf[i];
  }
#endif
}

/* sigma = softplus(rho) and sig = sigmoid(rho), from one exp. */
VINLINE void scales_one(real rho, real keep, real *sigma, real *sig) {
  real e = real_exp_neg(rho < 0 ? rho : -rho);
  *sigma = keep * real_softplus_e(rho, e);
  *sig = keep * real_sigmoid_e(rho, e);
}

BBB_SIMD_CLONES
BBB_API void posterior_scales(const bbb_net *net, const real *rho,
                              bbb_sample *smp, int from, int to) {
  real *sigma = smp->sigma, *sig = smp->sig;
  const double *keep = net->mask;
  if (keep) {
#ifdef _OPENMP
#pragma omp simd
#endif
    for (int j = from; j < to; j++)
      scales_one(rho[j], (real) keep[j], &sigma[j], &sig[j]);
  } else {
#ifdef _OPENMP
#pragma omp simd
#endif
    for (int j = from; j < to; j++)
      scales_one(rho[j], 1, &sigma[j], &sig[j]);
  }
}

/* eps from the stream `seed` (one per chunk and sample), w = mu + sigma
 * eps. */
BBB_SIMD_CLONES
BBB_API void posterior_draw(const real *mu, bbb_sample *smp, uint64_t seed,
                            int from, int to) {
  real *eps = smp->eps, *w = smp->w;
  const real *sigma = smp->sigma;
  bbb_vrng r;
  vrng_seed(&r, seed);
  real_norm_fill(&r, eps + from, to - from);
#ifdef _OPENMP
#pragma omp simd
#endif
  for (int j = from; j < to; j++) w[j] = mu[j] + sigma[j] * eps[j];
}

typedef struct {
  real gm, gr; /* d/dmu, d/drho */
} pgrad;

/* sigmoid(rho) / sigma, the derivative of log sigma in rho: it tends to 1
 * as rho -> -Inf, where both underflow to 0 (then 1 is exact to the
 * precision); a pruned parameter has sigma 0 too but gets no gradient. */
VINLINE real dlogsigma(real sigma, real sig) {
  return sigma > 0 ? sig / sigma : 1;
}

/* log sigma from rho where sigma = softplus(rho) = e^rho (1 - e^rho / 2 +
 * ...) may underflow: below LOG_SIGMA_LINEAR, log sigma equals rho to the
 * precision (e^rho / 2 under one ulp of |rho|). */
#ifdef BBB_SINGLE
#define LOG_SIGMA_LINEAR -20
#else
#define LOG_SIGMA_LINEAR -40
#endif
VINLINE real log_sigma(real rho, real sigma) {
  return rho < LOG_SIGMA_LINEAR ? rho : real_log(sigma);
}

/* Mixture prior, weight estimator (Monte Carlo KL term); d and e as in
 * prior.h, computed once by the caller. */
VINLINE pgrad grad_mixture(const bbb_rprior *p, real keep, real gw, real w,
                           real eps, real sigma, real sig, real kl_w, real d,
                           real e) {
  real g = keep * (gw + kl_w * mixture_dneg(p, w, d, e));
  pgrad q = {g, g * eps * sig - keep * kl_w * dlogsigma(sigma, sig)};
  return q;
}

/* Gaussian prior (closed-form KL term); gs = d(-log p)/d sigma. */
VINLINE pgrad grad_gaussian(const bbb_rprior *p, real keep, real gw, real gs,
                            real mu, real sigma, real sig, real kl_w) {
  int on = keep > 0;
  real gm = gw + kl_w * gauss_kl_dmu(p, mu);
  real gr = gs * sig + kl_w * gauss_kl_drho(p, sigma, sig,
                                            dlogsigma(sigma, sig));
  pgrad q = {on ? gm : 0, on ? gr : 0};
  return q;
}

/* The KL term of one parameter for the current sample: log q - log P of
 * the draw (mixture prior, with the d and e of its gradient) or the closed
 * form (gaussian prior). */
VINLINE real kl_term(int kind, const bbb_rprior *p, real mu, real w,
                     real eps, real rho, real sigma, real d, real e) {
  real ls = log_sigma(rho, sigma);
  if (kind == PRIOR_MIXTURE)
    return -ls - (real) 0.5 * eps * eps - mixture_logp(p, w, d, e);
  return gauss_kl(p, mu, sigma, ls);
}

enum { PASS_ADD = 0, PASS_UPDATE = 1, PASS_ADD_UPDATE = 2 };

/* The loop of posterior_pass for one prior, mode, whether a mask is read,
 * whether the KL term is summed and whether the optimiser is Adam
 * (compile-time constants in the callers below, so each gets its own
 * vectorised loop: with the optimiser's kind read at run time, GCC stores
 * Adam's second moment by a masked store, which is slow on AMD CPUs). */
VINLINE void pass_loop(int kind, int mode, int masked, int with_kl, int adam,
                       const bbb_net *net, const bbb_prior *prior,
                       const bbb_step *st, double kl_w,
                       double scale, real *theta, real *m, real *v,
                       bbb_sample *smp, const bbb_work *wk, real *g,
                       int from, int to, double *check, double *kl) {
  int P = net->n_par, local = net->estimator == EST_LOCAL;
  real *mu = theta, *rho = theta + P;
  const real *sigma = smp->sigma, *sig = smp->sig;
  const real *eps = smp->eps, *w = smp->w, *gw = wk->gmu, *gsig = wk->gsig;
  const double *keep = net->mask;
  bbb_rprior pr = prior_real(prior);
  const bbb_rprior *p = &pr;
  /* a local copy: the stores to the parameters (also reals) could alias
   * *st, and the compiler would reload its fields every iteration */
  bbb_step sl = {0};
  if (st) sl = *st;
  sl.adam = adam;
  /* the rho's step, scaled by rho_rate (its moments still accumulate) */
  bbb_step sr = sl;
  sr.step *= sl.rho_rate;
  sr.lr *= sl.rho_rate;
  real klw = (real) kl_w, sc = (real) scale;
  real chk = 0;
  double klsum = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : chk, klsum)
#endif
  for (int j = from; j < to; j++) {
    real kj = masked ? (real) keep[j] : 1;
    /* the mixture's one exponential, shared by gradient and KL term */
    real d = 0, e = 0;
    if (kind == PRIOR_MIXTURE) {
      d = mixture_d(p, w[j]);
      e = real_exp_neg(d < 0 ? d : -d);
    }
    /* of the draw before the update, each term in the engine's
     * precision, summed in double */
    if (with_kl) {
      real term = kl_term(kind, p, mu[j], w[j], eps[j], rho[j], sigma[j], d,
                          e);
      klsum += kj > 0 ? term : 0;
    }
    pgrad q;
    if (kind == PRIOR_MIXTURE) {
      q = grad_mixture(p, kj, gw[j], w[j], eps[j], sigma[j], sig[j], klw, d,
                       e);
    } else {
      real gs = local ? gsig[j] : gw[j] * eps[j];
      q = grad_gaussian(p, kj, gw[j], gs, mu[j], sigma[j], sig[j], klw);
    }
    if (mode == PASS_ADD) {
      g[j] += q.gm;
      g[P + j] += q.gr;
    } else {
      real gm = q.gm, gr = q.gr;
      if (mode == PASS_ADD_UPDATE) {
        gm += g[j];
        gr += g[P + j];
      }
      real rho_old = rho[j];
      chk += optim_apply(&sl, &mu[j], &m[j], &v[j], gm * sc) * 0;
      chk += optim_apply(&sr, &rho[j], &m[P + j], &v[P + j], gr * sc) * 0;
      /* a pruned parameter does not move: mean exactly zero, rho kept */
      mu[j] *= kj;
      rho[j] = kj > 0 ? rho[j] : rho_old;
    }
  }
  *check = chk;
  if (with_kl) *kl = klsum;
}

/* One variant: name(masked, with_kl, adam, ...) calls the loop with all
 * three constant (adam is 0 in the add-only pass: no loops for it). */
#define PASS_CALL(kind, mode, masked, with_kl, adam)                        \
  pass_loop(kind, mode, masked, with_kl, adam, net, prior, st, kl_w, scale, \
            theta, m, v, smp, wk, g, from, to, check, kl)
#define PASS_VARIANT(name, kind, mode)                                      \
  BBB_SIMD_CLONES                                                           \
  static void name(int masked, int with_kl, int adam, const bbb_net *net,  \
                   const bbb_prior *prior, const bbb_step *st, double kl_w, \
                   double scale,                                            \
                   real *theta, real *m, real *v, bbb_sample *smp,          \
                   const bbb_work *wk, real *g, int from, int to,           \
                   double *check, double *kl) {                             \
    switch (4 * masked + 2 * with_kl + ((mode) != PASS_ADD && adam)) {     \
    case 0: PASS_CALL(kind, mode, 0, 0, 0); break;                          \
    case 1: PASS_CALL(kind, mode, 0, 0, 1); break;                          \
    case 2: PASS_CALL(kind, mode, 0, 1, 0); break;                          \
    case 3: PASS_CALL(kind, mode, 0, 1, 1); break;                          \
    case 4: PASS_CALL(kind, mode, 1, 0, 0); break;                          \
    case 5: PASS_CALL(kind, mode, 1, 0, 1); break;                          \
    case 6: PASS_CALL(kind, mode, 1, 1, 0); break;                          \
    default: PASS_CALL(kind, mode, 1, 1, 1);                                \
    }                                                                       \
  }

PASS_VARIANT(mixture_add, PRIOR_MIXTURE, PASS_ADD)
PASS_VARIANT(mixture_update, PRIOR_MIXTURE, PASS_UPDATE)
PASS_VARIANT(mixture_add_update, PRIOR_MIXTURE, PASS_ADD_UPDATE)
PASS_VARIANT(gaussian_add, PRIOR_GAUSSIAN, PASS_ADD)
PASS_VARIANT(gaussian_update, PRIOR_GAUSSIAN, PASS_UPDATE)
PASS_VARIANT(gaussian_add_update, PRIOR_GAUSSIAN, PASS_ADD_UPDATE)

/* The group of parameter j (binary search: there may be thousands). */
static int group_at(const bbb_net *net, int j) {
  int lo = 0, hi = net->n_groups - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (net->group_from[mid] <= j) lo = mid; else hi = mid - 1;
  }
  return lo;
}

typedef void (*pass_fn)(int, int, int, const bbb_net *, const bbb_prior *,
                        const bbb_step *, double, double, real *, real *,
                        real *, bbb_sample *, const bbb_work *, real *, int,
                        int, double *, double *);

/* The fused pass over [from, to) after a backward pass, group by group
 * (each with its own prior). With st NULL the gradient of this sample is
 * added to g (g[0..P) for mu, g[P..2P) for rho) and nothing else changes.
 * With st, the parameters are updated by the gradient times `scale` (plus
 * what g holds, if add is set); sigma is then stale until
 * posterior_scales. *check is 0 when every update is finite, NaN
 * otherwise. If kl is not NULL, *kl receives the unweighted KL term of
 * [from, to) for the current sample (before the update): it costs two
 * logarithms per parameter, so it is summed only when it is reported. */
BBB_API void posterior_pass(const bbb_net *net, const bbb_step *st, int add,
                            double kl_w, double scale, real *theta, real *m,
                            real *v, bbb_sample *smp, const bbb_work *wk,
                            real *g, int from, int to, double *check,
                            double *kl) {
  int mixture = net->prior[0].kind == PRIOR_MIXTURE, masked = !!net->mask;
  int adam = st && st->adam; /* the add-only pass has no optimiser */
  pass_fn fn = !st ? (mixture ? mixture_add : gaussian_add) :
    add ? (mixture ? mixture_add_update : gaussian_add_update) :
    (mixture ? mixture_update : gaussian_update);
  *check = 0;
  if (kl) *kl = 0;
  if (!net->eb) {
    /* one prior for all groups (prior_groups): one loop, not one a group
     * (a small network's groups are a few vectors long each) */
    fn(masked, kl != NULL, adam, net, &net->prior[0], st, kl_w, scale,
       theta, m, v, smp, wk, g, from, to, check, kl);
    return;
  }
  for (int gr = group_at(net, from); gr < net->n_groups &&
         net->group_from[gr] < to; gr++) {
    int a = net->group_from[gr] > from ? net->group_from[gr] : from;
    int b = net->group_from[gr + 1] < to ? net->group_from[gr + 1] : to;
    double chk = 0, klg = 0;
    fn(masked, kl != NULL, adam, net, &net->prior[gr], st, kl_w, scale,
       theta, m, v, smp, wk, g, a, b, &chk, kl ? &klg : NULL);
    *check += chk;
    if (kl) *kl += klg;
  }
}

/* Adds sum(mu^2 + sigma^2) over [from, to) to moments[g] of each group g
 * it meets (the statistic of empirical Bayes; see prior.c). Pruned
 * parameters have mu = sigma = 0 and add nothing. */
BBB_SIMD_CLONES
BBB_API void posterior_moments(const bbb_net *net, const real *mu,
                               const bbb_sample *smp, int from, int to,
                               double *moments) {
  const real *sigma = smp->sigma;
  for (int gr = group_at(net, from); gr < net->n_groups &&
         net->group_from[gr] < to; gr++) {
    int a = net->group_from[gr] > from ? net->group_from[gr] : from;
    int b = net->group_from[gr + 1] < to ? net->group_from[gr + 1] : to;
    double sum = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : sum)
#endif
    for (int j = a; j < b; j++) sum += mu[j] * mu[j] + sigma[j] * sigma[j];
    moments[gr] += sum;
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
