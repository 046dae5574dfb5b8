/* Elementary functions written so that loops over the parameters can be
 * vectorised (no calls into libm, selects instead of branches; the files
 * that use them in loops ask GCC for -fno-trapping-math, without which it
 * will not turn a select into SIMD code): exp of a non-positive
 * argument, log1p on [0, 1], log of a positive normal number, and the
 * softplus/sigmoid pair built on them. Each is accurate to a few units in
 * the last place of a double (checked against libm in the tests through
 * the objective and its gradient). */
#ifndef BBB_VMATH_H
#define BBB_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline double bits_to_double(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static inline uint64_t double_to_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

/* exp(x) for x <= 0; 0 below -708. x = k ln 2 + r, |r| <= ln(2) / 2,
 * exp(r) by its Taylor polynomial of degree 12 (error below 2e-16), 2^k by
 * writing the exponent bits. */
static inline double vexp_neg(double x) {
  const double shift = 0x1.8p52;
  x = x < -708 ? -708 : x;
  double kd = x * 1.4426950408889634 + shift; /* round(x / ln 2) */
  double k = kd - shift;
  double r = x - k * 6.93147180369123816490e-01;
  r -= k * 1.90821492927058770002e-10;
  double p = 1.0 / 479001600;
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  /* kd's low mantissa bits hold k (two's complement); add the bias. */
  uint64_t e = (double_to_bits(kd) + 1023) << 52;
  double out = p * bits_to_double(e);
  return x <= -708 ? 0 : out;
}

/* 2 atanh(s) = 2 (s + s^3/3 + ... + s^21/21) for |s| <= 1/3: the terms
 * after s^21 are below 1e-16 relative. */
static inline double atanh2_series(double s) {
  double z = s * s;
  double p = 1.0 / 21;
  p = p * z + 1.0 / 19;
  p = p * z + 1.0 / 17;
  p = p * z + 1.0 / 15;
  p = p * z + 1.0 / 13;
  p = p * z + 1.0 / 11;
  p = p * z + 1.0 / 9;
  p = p * z + 1.0 / 7;
  p = p * z + 1.0 / 5;
  p = p * z + 1.0 / 3;
  p = p * z + 1.0;
  return 2 * s * p;
}

/* log(1 + e) for 0 <= e <= 1, with full relative accuracy for tiny e:
 * log(1 + e) = 2 atanh(e / (2 + e)). The series converges slowly near
 * s = 1/3, so it is split: log(1 + e) = log(3/2) + log((1 + e) / 1.5)
 * for e > 0.25. Both branches are computed (no branch: it vectorises). */
static inline double vlog1p_unit(double e) {
  double m_hi = (1 + e) / 1.5;
  double s_hi = (m_hi - 1) / (m_hi + 1), s_lo = e / (2 + e);
  int hi = e > 0.25;
  return atanh2_series(hi ? s_hi : s_lo) +
    (hi ? 0.405465108108164381978013115464 : 0);
}

/* log(x) for a positive, normal, finite x: x = 2^k m with m in
 * [sqrt(1/2), sqrt(2)), log m = 2 atanh((m - 1) / (m + 1)). */
static inline double vlog(double x) {
  uint64_t u = double_to_bits(x);
  /* Shift so that the mantissa range starts at sqrt(1/2). */
  uint64_t t = u - 0x3fe6a09e667f3bcdULL;
  int64_t k = (int64_t) t >> 52;
  double m = bits_to_double(u - ((uint64_t) k << 52));
  double s = (m - 1) / (m + 1);
  /* (double) k without an int64 conversion, which has no SIMD form:
   * the bits of 1.5 2^52 plus k are the double 1.5 2^52 + k. */
  double kd = bits_to_double(0x4338000000000000ULL + (uint64_t) k) - 0x1.8p52;
  double out = atanh2_series(s) + kd * 0.693147180559945309417232121458;
  /* Zero and subnormals: -Inf, so that a collapsed sigma is reported. */
  return x >= 2.2250738585072014e-308 ? out : -INFINITY;
}

/* softplus(r) = max(r, 0) + log1p(exp(-|r|)) and sigmoid(r), both from
 * e = exp(-|r|) = vexp_neg(-|r|). */
static inline double vsoftplus_e(double r, double e) {
  return (r > 0 ? r : 0) + vlog1p_unit(e);
}

static inline double vsigmoid_e(double r, double e) {
  double inv = 1 / (1 + e);
  return r >= 0 ? inv : e * inv;
}

#endif
