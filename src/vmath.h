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

/* Inlined even where GCC's -O2 heuristics would not: a call inside a loop
 * stops it from vectorising. */
#if defined(__GNUC__)
#define VINLINE static inline __attribute__((always_inline))
#else
#define VINLINE static inline
#endif

VINLINE double bits_to_double(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

VINLINE uint64_t double_to_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

/* exp(x) for x <= 0; 0 below -708. x = k ln 2 + r, |r| <= ln(2) / 2,
 * exp(r) by its Taylor polynomial of degree 12 (error below 2e-16), 2^k by
 * writing the exponent bits. */
VINLINE double vexp_neg(double x) {
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
VINLINE double atanh2_series(double s) {
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
VINLINE double vlog1p_unit(double e) {
  /* s = (m - 1) / (m + 1) with m = (1 + e) / 1.5 or 1 + e: one division */
  int hi = e > 0.25;
  double num = hi ? e - 0.5 : e, den = hi ? e + 2.5 : e + 2;
  return atanh2_series(num / den) +
    (hi ? 0.405465108108164381978013115464 : 0);
}

/* log(x) for a positive, normal, finite x: x = 2^k m with m in
 * [sqrt(1/2), sqrt(2)), log m = 2 atanh((m - 1) / (m + 1)). */
VINLINE double vlog(double x) {
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
VINLINE double vsoftplus_e(double r, double e) {
  return (r > 0 ? r : 0) + vlog1p_unit(e);
}

VINLINE double vsigmoid_e(double r, double e) {
  double inv = 1 / (1 + e);
  return r >= 0 ? inv : e * inv;
}

/* sqrt(x) for x >= 0 by Newton's iteration for 1 / sqrt(x) (multiplies
 * only) from a bit-level first guess within 3.5%: four steps give full
 * double precision. (GCC vectorises libm's sqrt only under
 * -fno-math-errno, which packages may not set.) */
VINLINE double vsqrt(double x) {
  double r = bits_to_double(0x5fe6eb50c7b537a9ULL - (double_to_bits(x) >> 1));
  double h = 0.5 * x;
  r = r * (1.5 - h * r * r);
  r = r * (1.5 - h * r * r);
  r = r * (1.5 - h * r * r);
  r = r * (1.5 - h * r * r);
  return x * r;
}

/* ---- Single precision --------------------------------------------------
 * The same functions for float, used by the single-precision engine and
 * the normal generator: the vectors hold twice as many lanes and the
 * polynomials need about half the terms. Each is accurate to a few units
 * in the last place of a float. */

VINLINE float bits_to_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

VINLINE uint32_t float_to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* exp(x) for x <= 0; 0 below -87 (where the result would be subnormal).
 * Degree 7: the remainder is below 6e-9 on |r| <= ln(2) / 2. */
VINLINE float vexp_negf(float x) {
  const float shift = 0x1.8p23f;
  x = x < -87.0f ? -87.0f : x;
  float kd = x * 1.44269504f + shift;
  float k = kd - shift;
  float r = x - k * 0.693145751953125f;
  r -= k * 1.428606765330187e-06f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  uint32_t e = (float_to_bits(kd) + 127) << 23;
  float out = p * bits_to_float(e);
  return x <= -87.0f ? 0.0f : out;
}

/* 2 atanh(s) for |s| <= 0.18: the terms after s^9 are below 3e-9
 * relative. */
VINLINE float atanh2_seriesf(float s) {
  float z = s * s;
  float p = 1.0f / 9;
  p = p * z + 1.0f / 7;
  p = p * z + 1.0f / 5;
  p = p * z + 1.0f / 3;
  p = p * z + 1.0f;
  return 2 * s * p;
}

/* log(1 + e) for 0 <= e <= 1, with full relative accuracy for tiny e:
 * 2 atanh(s), s = e / (2 + e) in [0, 1/3], to s^13 (the terms after it
 * are below 1.6e-8 relative). Unlike vlog1p_unit, one reduction for the
 * whole range: with vlog1p_unit's two, selected by e, GCC computes both,
 * each with its own division, and the float series is cheap to lengthen. */
VINLINE float vlog1p_unitf(float e) {
  float s = e / (2 + e), z = s * s;
  float p = 1.0f / 13;
  p = p * z + 1.0f / 11;
  p = p * z + 1.0f / 9;
  p = p * z + 1.0f / 7;
  p = p * z + 1.0f / 5;
  p = p * z + 1.0f / 3;
  p = p * z + 1.0f;
  return 2 * s * p;
}

/* log(x) for a positive, normal, finite x, as vlog. */
VINLINE float vlogf(float x) {
  uint32_t u = float_to_bits(x);
  uint32_t t = u - 0x3f3504f3U; /* sqrt(1/2) */
  int32_t k = (int32_t) t >> 23;
  float m = bits_to_float(u - ((uint32_t) k << 23));
  float s = (m - 1) / (m + 1);
  float out = atanh2_seriesf(s) + (float) k * 0.693147181f;
  return x >= 1.17549435e-38f ? out : -INFINITY;
}

VINLINE float vsoftplus_ef(float r, float e) {
  return (r > 0 ? r : 0.0f) + vlog1p_unitf(e);
}

VINLINE float vsigmoid_ef(float r, float e) {
  float inv = 1 / (1 + e);
  return r >= 0 ? inv : e * inv;
}

/* sqrt(x) for x >= 0, as vsqrt: three Newton steps from within 3.5%. */
VINLINE float vsqrtf(float x) {
  float r = bits_to_float(0x5f375a86U - (float_to_bits(x) >> 1));
  float h = 0.5f * x;
  r = r * (1.5f - h * r * r);
  r = r * (1.5f - h * r * r);
  r = r * (1.5f - h * r * r);
  return x * r;
}

/* sin(a) and cos(a) for |a| <= pi / 4: degrees 9 and 8, remainders below
 * 3e-8. */
VINLINE float vsin_smallf(float a) {
  float z = a * a;
  float p = 1.0f / 362880;
  p = p * z - 1.0f / 5040;
  p = p * z + 1.0f / 120;
  p = p * z - 1.0f / 6;
  return a + a * z * p;
}

VINLINE float vcos_smallf(float a) {
  float z = a * a;
  float p = 1.0f / 40320;
  p = p * z - 1.0f / 720;
  p = p * z + 1.0f / 24;
  p = p * z - 0.5f;
  return 1 + z * p;
}

/* cos(2 pi t) and, in *sin_t, sin(2 pi t) for t in [-1/2, 1/2]: the
 * angle is reduced to a quarter turn, 4t = n + f with n the nearest
 * integer and |f| <= 1/2, so the angle pi f / 2 is within pi / 4, and the
 * quadrant n mod 4 swaps sin and cos (odd n) and flips their signs (by
 * the sign bit: selects of negated values made GCC compute the
 * polynomials once for each quadrant). */
VINLINE float vcos_sin_turnf(float t, float *sin_t) {
  const float shift = 0x1.8p23f;
  float q = 4 * t, big = q + shift;
  uint32_t quadrant = float_to_bits(big) & 3;
  float a = (q - (big - shift)) * 1.57079633f;
  float s = vsin_smallf(a), c = vcos_smallf(a);
  int swap = quadrant & 1;
  uint32_t sin_sign = (quadrant & 2) << 30, cos_sign = ((quadrant + 1) & 2)
    << 30;
  *sin_t = bits_to_float(float_to_bits(swap ? c : s) ^ sin_sign);
  return bits_to_float(float_to_bits(swap ? s : c) ^ cos_sign);
}

/* The functions of the engine's precision (real, bbb.h): float in the
 * single-precision engine, double otherwise. */
#ifdef BBB_SINGLE
#define real_exp_neg vexp_negf
#define real_log vlogf
#define real_log1p_unit vlog1p_unitf
#define real_softplus_e vsoftplus_ef
#define real_sigmoid_e vsigmoid_ef
#define real_sqrt vsqrtf
#else
#define real_exp_neg vexp_neg
#define real_log vlog
#define real_log1p_unit vlog1p_unit
#define real_softplus_e vsoftplus_e
#define real_sigmoid_e vsigmoid_e
#define real_sqrt vsqrt
#endif

#endif
