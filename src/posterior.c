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
 * one loop (posterior_pass; with Adam two, over blocks that fit in L1,
 * around the square roots of the second moments), then the new sigma
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
#include "sqrt_block.h"
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

/* log sigma + log(1 + e), e in [0, 1], as one logarithm: log q's and log
 * P's in the mixture's KL term. Rounding 1 + e costs at most half an ulp
 * of 1 (far under an ulp of the term), and saves log1p's division, which
 * held up the whole loop (on a small network the KL term had cost as much
 * as the rest of the pass). */
VINLINE real log_sigma_1pe(real rho, real sigma, real e) {
  int linear = rho < LOG_SIGMA_LINEAR;
  return real_log((linear ? 1 : sigma) * (1 + e)) + (linear ? rho : 0);
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
  if (kind == PRIOR_MIXTURE)
    return -log_sigma_1pe(rho, sigma, e) - (real) 0.5 * eps * eps -
      mixture_top(p, w, d);
  return gauss_kl(p, mu, sigma, log_sigma(rho, sigma));
}

enum { PASS_ADD = 0, PASS_UPDATE = 1, PASS_ADD_UPDATE = 2 };

/* What the pass needs of the network, the sample and the step, in local
 * copies: the stores to the parameters (also reals) could alias *st, and
 * the compiler would reload its fields every iteration. */
typedef struct {
  int P, local;
  const real *sigma, *sig, *eps, *w, *gw, *gsig;
  const double *keep;
  bbb_rprior pr;
  bbb_step sl, sr; /* the mu's step and the rho's, scaled by rho_rate
                      (its moments still accumulate) */
  real klw, sc;
} pass_ctx;

typedef struct {
  real gm, gr; /* d/dmu, d/drho, scaled and with what g held if asked */
  real kl;     /* the KL term of the draw, if asked (else 0) */
  real keep;   /* 0 for a pruned parameter, else 1 */
} pterm;

/* The gradient of parameter j for the current sample and, with with_kl,
 * its KL term (of the draw before the update, in the engine's precision;
 * the caller sums them in double). */
VINLINE pterm pass_term(int kind, int mode, int masked, int with_kl,
                        const pass_ctx *c, const real *mu, const real *rho,
                        const real *g, int j) {
  const bbb_rprior *p = &c->pr;
  pterm t;
  t.keep = masked ? (real) c->keep[j] : 1;
  /* the mixture's one exponential, shared by gradient and KL term */
  real d = 0, e = 0;
  if (kind == PRIOR_MIXTURE) {
    d = mixture_d(p, c->w[j]);
    e = real_exp_neg(d < 0 ? d : -d);
  }
  t.kl = 0;
  if (with_kl) {
    real term = kl_term(kind, p, mu[j], c->w[j], c->eps[j], rho[j],
                        c->sigma[j], d, e);
    t.kl = t.keep > 0 ? term : 0;
  }
  pgrad q;
  if (kind == PRIOR_MIXTURE) {
    q = grad_mixture(p, t.keep, c->gw[j], c->w[j], c->eps[j], c->sigma[j],
                     c->sig[j], c->klw, d, e);
  } else {
    real gs = c->local ? c->gsig[j] : c->gw[j] * c->eps[j];
    q = grad_gaussian(p, t.keep, c->gw[j], gs, mu[j], c->sigma[j],
                      c->sig[j], c->klw);
  }
  t.gm = q.gm;
  t.gr = q.gr;
  if (mode == PASS_ADD_UPDATE) {
    t.gm += g[j];
    t.gr += g[c->P + j];
  }
  if (mode != PASS_ADD) {
    t.gm *= c->sc;
    t.gr *= c->sc;
  }
  return t;
}

/* A pruned parameter does not move: mean exactly zero, rho kept. */
VINLINE void pass_keep(real keep, real *mu, real *rho, real rho_old) {
  *mu *= keep;
  *rho = keep > 0 ? *rho : rho_old;
}

/* The loop of posterior_pass for one prior, mode, whether a mask is read,
 * whether the KL term is summed and whether the optimiser is Adam
 * (compile-time constants in the callers below, so each gets its own
 * vectorised loop: with the optimiser's kind read at run time, GCC stores
 * Adam's second moment by a masked store, which is slow on AMD CPUs).
 * Adam goes by blocks: gradients and moments in one loop, the square roots
 * of the second moments by the CPU's instruction (sqrt_block.h), then the
 * new parameters. */
VINLINE void pass_loop(int kind, int mode, int masked, int with_kl, int adam,
                       const bbb_net *net, const bbb_prior *prior,
                       const bbb_step *st, double kl_w,
                       double scale, real *theta, real *m, real *v,
                       bbb_sample *smp, const bbb_work *wk, real *g,
                       int from, int to, double *check, double *kl) {
  pass_ctx c;
  c.P = net->n_par;
  c.local = net->estimator == EST_LOCAL;
  c.sigma = smp->sigma;
  c.sig = smp->sig;
  c.eps = smp->eps;
  c.w = smp->w;
  c.gw = wk->gmu;
  c.gsig = wk->gsig;
  c.keep = net->mask;
  c.pr = prior_real(prior);
  bbb_step sl = {0};
  if (st) sl = *st;
  sl.adam = adam;
  c.sl = sl;
  c.sr = sl;
  c.sr.step *= sl.rho_rate;
  c.sr.lr *= sl.rho_rate;
  c.klw = (real) kl_w;
  c.sc = (real) scale;
  int P = c.P;
  real *mu = theta, *rho = theta + P;
  real chk = 0;
  double klsum = 0;
  if (mode == PASS_ADD || !adam) {
#ifdef _OPENMP
#pragma omp simd reduction(+ : chk, klsum)
#endif
    for (int j = from; j < to; j++) {
      pterm t = pass_term(kind, mode, masked, with_kl, &c, mu, rho, g, j);
      klsum += t.kl;
      if (mode == PASS_ADD) {
        g[j] += t.gm;
        g[P + j] += t.gr;
      } else {
        real rho_old = rho[j];
        chk += optim_apply(&c.sl, &mu[j], &m[j], &v[j], t.gm) * 0;
        chk += optim_apply(&c.sr, &rho[j], &m[P + j], &v[P + j], t.gr) * 0;
        pass_keep(t.keep, &mu[j], &rho[j], rho_old);
      }
    }
  } else {
    real root[2 * SQRT_BLOCK];
    for (int b = from; b < to; b += SQRT_BLOCK) {
      int e = to - b < SQRT_BLOCK ? to : b + SQRT_BLOCK;
#ifdef _OPENMP
#pragma omp simd reduction(+ : klsum)
#endif
      for (int j = b; j < e; j++) {
        pterm t = pass_term(kind, mode, masked, with_kl, &c, mu, rho, g, j);
        klsum += t.kl;
        adam_moments(&c.sl, &m[j], &v[j], t.gm);
        adam_moments(&c.sr, &m[P + j], &v[P + j], t.gr);
      }
      real_sqrt_block(root, v + b, e - b);
      real_sqrt_block(root + SQRT_BLOCK, v + P + b, e - b);
#ifdef _OPENMP
#pragma omp simd reduction(+ : chk)
#endif
      for (int j = b; j < e; j++) {
        real rho_old = rho[j];
        real root_mu = root[j - b], root_rho = root[SQRT_BLOCK + j - b];
        mu[j] = adam_theta(&c.sl, mu[j], m[j], root_mu);
        rho[j] = adam_theta(&c.sr, rho[j], m[P + j], root_rho);
        /* finite exactly when theta, m and v are */
        chk += (mu[j] + root_mu) * 0 + (rho[j] + root_rho) * 0;
        pass_keep(masked ? (real) c.keep[j] : 1, &mu[j], &rho[j], rho_old);
      }
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
