/* Random numbers: xoshiro256++ (Blackman and Vigna 2019), and normals in
 * bulk by Box and Muller from eight streams side by side. Streams are
 * seeded from R's RNG at each entry point, so set.seed() reproduces a fit;
 * no R API is called from here after seeding. */
#define R_NO_REMAP
#include <R.h>
#include <math.h>
#include <string.h>
#include "bbb.h"
#include "rng.h"
#include "sqrt_block.h"
#include "vmath.h"

/* Let GCC vectorise loops with selects (see vmath.h), in this file's
 * functions only, as in mlp.c, posterior.c and family.c. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

static inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void rng_seed(bbb_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

/* 64 bits from R's RNG (two 32-bit draws); caller holds GetRNGstate. */
void rng_seed_from_r(bbb_rng *r) {
  uint64_t hi = (uint64_t) R_unif_index(4294967296.0);
  uint64_t lo = (uint64_t) R_unif_index(4294967296.0);
  rng_seed(r, (hi << 32) ^ lo);
}

uint64_t rng_next(bbb_rng *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[0] + s[3], 23) + s[0];
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

/* Eight xoshiro256++ streams side by side, for normals in bulk: each lane
 * is one stream, the lanes are advanced together (the loops vectorise) and
 * every pair of uniforms becomes a pair of normals by Box and Muller, with
 * the vectorisable log, sqrt, sin and cos of vmath.h. The numbers do not
 * depend on the vector width the CPU offers. */
void vrng_seed(bbb_vrng *r, uint64_t seed) {
  for (int l = 0; l < BBB_LANES; l++) {
    r->s0[l] = splitmix64(&seed);
    r->s1[l] = splitmix64(&seed);
    r->s2[l] = splitmix64(&seed);
    r->s3[l] = splitmix64(&seed);
  }
}

static inline void vrng_next(bbb_vrng *r, uint64_t *out) {
#ifdef _OPENMP
#pragma omp simd
#endif
  for (int l = 0; l < BBB_LANES; l++) {
    uint64_t s0 = r->s0[l], s1 = r->s1[l], s2 = r->s2[l], s3 = r->s3[l];
    out[l] = rotl(s0 + s3, 23) + s0;
    uint64_t t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    r->s0[l] = s0;
    r->s1[l] = s1;
    r->s2[l] = s2;
    r->s3[l] = rotl(s3, 45);
  }
}

/* n normals in single precision, by Box and Muller (1958): a pair from
 * two uniforms u1 in (0, 1] and t in [-1/2, 1/2] is sqrt(-2 log u1) times
 * cos and sin of 2 pi t. Each 64-bit draw gives two 32-bit uniforms, and
 * u1 = (k + 1/2) 2^-32 (at most 1) reaches 6.7 standard deviations in the
 * tails. Float arithmetic gives the vectors twice the lanes of double and
 * the polynomials half the terms. Blocks of SQRT_BLOCK pairs: cos and sin
 * go to x and -2 log u1 to a buffer, whose square roots the CPU's
 * instruction takes (sqrt_block.h), then x is scaled by them. */
BBB_SIMD_CLONES
void vrng_norm_fill(bbb_vrng *r, float *x, int n) {
  enum { W = 2 * BBB_LANES };
  uint64_t a[BBB_LANES], b[BBB_LANES];
  uint32_t ua[W], ub[W];
  float c[W], s[W], radius[SQRT_BLOCK];
  for (int k0 = 0; k0 < n; k0 += 2 * SQRT_BLOCK) {
    int end = n - k0 < 2 * SQRT_BLOCK ? n : k0 + 2 * SQRT_BLOCK;
    /* pair g * W + l of the block: normals k0 + 2 W g + l and W after */
    int pairs = 0;
    for (int k = k0; k < end; k += 2 * W, pairs += W) {
      vrng_next(r, a);
      vrng_next(r, b);
      memcpy(ua, a, sizeof ua);
      memcpy(ub, b, sizeof ub);
#ifdef _OPENMP
#pragma omp simd
#endif
      for (int l = 0; l < W; l++) {
        float u1 = (float) ua[l] * 0x1p-32f + 0x1p-33f;
        u1 = u1 < 1.0f ? u1 : 1.0f;
        radius[pairs + l] = -2 * vlogf(u1);
        c[l] = vcos_sin_turnf((float) ub[l] * 0x1p-32f - 0.5f, &s[l]);
      }
      int left = end - k;
      if (left >= 2 * W) {
        memcpy(x + k, c, sizeof c);
        memcpy(x + k + W, s, sizeof s);
      } else {
        for (int l = 0; l < left; l++) x[k + l] = l < W ? c[l] : s[l - W];
      }
    }
    sqrt_block_f(radius, radius, pairs);
    for (int k = k0, g = 0; k < end; k += 2 * W, g += W) {
      if (end - k >= 2 * W) {
        for (int l = 0; l < W; l++) {
          x[k + l] *= radius[g + l];
          x[k + W + l] *= radius[g + l];
        }
      } else {
        for (int l = 0; l < end - k; l++) x[k + l] *= radius[g + l % W];
      }
    }
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
