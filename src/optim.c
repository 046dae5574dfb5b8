/* Optimiser updates on the range [from, to) of theta, with the gradient
 * g scaled by `scale` first. SGD with (PyTorch-style) momentum keeps its
 * velocity in m; Adam (Kingma and Ba 2015) keeps its moments in m and v and
 * uses the bias-corrected step size for update number t (from 1).
 * Returns 0 if an updated value (of theta or of the optimiser's state) is
 * not finite, else 1. The loops vectorise; finiteness is tested through a
 * sum of values times 0, which is NaN as soon as one value is not finite.
 * (Adam's m is finite whenever v is.) */
/* Let GCC vectorise loops with selects (see vmath.h). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "bbb.h"

/* Adam on [from, to). GCC only vectorises sqrt under -fno-math-errno,
 * which packages may not set, so the SSE2 form is spelled out. */
static double adam(double b1, double b2, double step, double eps,
                   double *theta, const double *g, double scale, double *m,
                   double *v, int from, int to) {
  double check = 0;
  int j = from;
#ifdef __SSE2__
  __m128d vb1 = _mm_set1_pd(b1), vc1 = _mm_set1_pd(1 - b1);
  __m128d vb2 = _mm_set1_pd(b2), vc2 = _mm_set1_pd(1 - b2);
  __m128d vstep = _mm_set1_pd(step), veps = _mm_set1_pd(eps);
  __m128d vscale = _mm_set1_pd(scale), vcheck = _mm_setzero_pd();
  for (; j + 2 <= to; j += 2) {
    __m128d gj = _mm_mul_pd(_mm_loadu_pd(g + j), vscale);
    __m128d mj = _mm_add_pd(_mm_mul_pd(vb1, _mm_loadu_pd(m + j)),
                            _mm_mul_pd(vc1, gj));
    __m128d vj = _mm_add_pd(_mm_mul_pd(vb2, _mm_loadu_pd(v + j)),
                            _mm_mul_pd(vc2, _mm_mul_pd(gj, gj)));
    __m128d den = _mm_add_pd(_mm_sqrt_pd(vj), veps);
    __m128d th = _mm_sub_pd(_mm_loadu_pd(theta + j),
                            _mm_div_pd(_mm_mul_pd(vstep, mj), den));
    _mm_storeu_pd(m + j, mj);
    _mm_storeu_pd(v + j, vj);
    _mm_storeu_pd(theta + j, th);
    vcheck = _mm_add_pd(vcheck, _mm_mul_pd(_mm_add_pd(th, vj),
                                          _mm_setzero_pd()));
  }
  double c2[2];
  _mm_storeu_pd(c2, vcheck);
  check = c2[0] + c2[1];
#endif
  for (; j < to; j++) {
    double gj = g[j] * scale;
    m[j] = b1 * m[j] + (1 - b1) * gj;
    v[j] = b2 * v[j] + (1 - b2) * gj * gj;
    theta[j] -= step * m[j] / (sqrt(v[j]) + eps);
    check += (theta[j] + v[j]) * 0;
  }
  return check;
}

int optim_update(const bbb_optim *o, double t, double *theta,
                 const double *g, double scale, double *m, double *v,
                 int from, int to) {
  double check = 0;
  if (o->kind == OPT_ADAM) {
    double b1 = o->beta1, b2 = o->beta2;
    double step = o->lr * sqrt(1 - pow(b2, t)) / (1 - pow(b1, t));
    double eps = o->eps * sqrt(1 - pow(b2, t));
    check = adam(b1, b2, step, eps, theta, g, scale, m, v, from, to);
  } else {
    double mom = o->momentum, lr = o->lr;
#ifdef _OPENMP
#pragma omp simd reduction(+ : check)
#endif
    for (int j = from; j < to; j++) {
      m[j] = mom * m[j] + g[j] * scale;
      theta[j] -= lr * m[j];
      check += (theta[j] + m[j]) * 0;
    }
  }
  return check == 0;
}
