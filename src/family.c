/* Likelihoods: the summed minus log-likelihood of a batch given the linear
 * predictor eta (rows x k, column-major with leading dimension ld), and
 * delta = d(-log p)/d eta (the same layout, zero in rows rows .. ld-1).
 * y holds the response as doubles; for the multinomial, class codes
 * 0 .. k-1. tau is the log noise sd of the gaussian family; *dtau receives
 * d(-log p)/d tau (zero for the other families). */
#include <math.h>
#include <Rmath.h>
#include "bbb.h"
#include "family.h"
#include "vmath.h"

/* Let GCC vectorise loops with selects (see vmath.h). Scoped to this
 * file's functions (single.c includes it beside others); the inline
 * functions of the headers above take it on where they are inlined. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

#define HALF_LOG_2PI 0.918938533204672741780329736406

static double nll_gaussian(const real *eta, const double *y, int rows,
                           double tau, real *delta, double *dtau) {
  double is2 = exp(-2 * tau), ss = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : ss)
#endif
  for (int i = 0; i < rows; i++) {
    double r = eta[i] - y[i];
    delta[i] = r * is2;
    ss += r * r;
  }
  *dtau = rows - ss * is2;
  return rows * (HALF_LOG_2PI + tau) + 0.5 * ss * is2;
}

/* Heteroscedastic gaussian: eta[, 1] the mean, eta[, 2] = l the log noise
 * sd of each row: -log p = 0.5 log(2 pi) + l + r^2 exp(-2 l) / 2 with
 * r = y - eta[, 1], whose derivatives are -r exp(-2 l) and 1 - r^2
 * exp(-2 l). */
static double nll_hetero(const real *eta, const double *y, int rows, int ld,
                         real *delta) {
  const real *lsd = eta + ld;
  double nll = 0;
  for (int i = 0; i < rows; i++) {
    double r = eta[i] - y[i], is2 = exp(-2.0 * lsd[i]), z = r * r * is2;
    nll += HALF_LOG_2PI + lsd[i] + 0.5 * z;
    delta[i] = r * is2;
    delta[i + ld] = 1 - z;
  }
  return nll;
}

/* In the engine's precision; the sum in double. */
BBB_SIMD_CLONES
static double nll_binomial(const real *eta, const double *y, int rows,
                           real *delta) {
  double nll = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : nll)
#endif
  for (int i = 0; i < rows; i++) {
    real x = eta[i], yi = (real) y[i], e = real_exp_neg(x < 0 ? x : -x);
    nll += real_softplus_e(x, e) - yi * x;
    delta[i] = real_sigmoid_e(x, e) - yi;
  }
  return nll;
}

static double nll_poisson(const real *eta, const double *y, int rows,
                          real *delta) {
  double nll = 0;
  for (int i = 0; i < rows; i++) {
    double mu = exp(eta[i]);
    nll += mu - y[i] * eta[i] + lgammafn(y[i] + 1);
    delta[i] = mu - y[i];
  }
  return nll;
}

/* Softmax with the row maximum taken out. */
static double nll_multinomial(const real *eta, const double *y, int rows,
                              int ld, int k, real *delta) {
  double nll = 0;
  for (int i = 0; i < rows; i++) {
    double mx = eta[i];
    for (int j = 1; j < k; j++) mx = fmax(mx, eta[i + (size_t) j * ld]);
    double sum = 0;
    for (int j = 0; j < k; j++) {
      double e = exp(eta[i + (size_t) j * ld] - mx);
      delta[i + (size_t) j * ld] = e;
      sum += e;
    }
    int c = (int) y[i];
    nll += mx + log(sum) - eta[i + (size_t) c * ld];
    for (int j = 0; j < k; j++) delta[i + (size_t) j * ld] /= sum;
    delta[i + (size_t) c * ld] -= 1;
  }
  return nll;
}

BBB_API double family_nll(int family, const real *eta, const double *y,
                          int rows, int ld, int k, double tau, real *delta,
                          double *dtau) {
  *dtau = 0;
  /* the extra rows add nothing to the gradient */
  for (int j = 0; j < k; j++)
    for (int i = rows; i < ld; i++) delta[i + (size_t) j * ld] = 0;
  switch (family) {
  case FAM_GAUSSIAN: return nll_gaussian(eta, y, rows, tau, delta, dtau);
  case FAM_BINOMIAL: return nll_binomial(eta, y, rows, delta);
  case FAM_POISSON: return nll_poisson(eta, y, rows, delta);
  case FAM_HETERO: return nll_hetero(eta, y, rows, ld, delta);
  default: return nll_multinomial(eta, y, rows, ld, k, delta);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
