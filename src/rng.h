/* The engine's random numbers (rng.c): xoshiro256++ streams, seeded from
 * R's RNG at each entry point, and normals in bulk from eight streams side
 * by side. */
#ifndef BBB_RNG_H
#define BBB_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} bbb_rng;

#define BBB_LANES 8
typedef struct {
  uint64_t s0[BBB_LANES], s1[BBB_LANES], s2[BBB_LANES], s3[BBB_LANES];
} bbb_vrng;

void rng_seed(bbb_rng *r, uint64_t seed);
/* Caller holds GetRNGstate. */
void rng_seed_from_r(bbb_rng *r);
uint64_t rng_next(bbb_rng *r);
void vrng_seed(bbb_vrng *r, uint64_t seed);
void vrng_norm_fill(bbb_vrng *r, float *x, int n);

#endif
