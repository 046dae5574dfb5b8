/* The fused pass over the parameters alone, in single precision, on the
 * 478,410 parameters of config (c) (or the count given): per step and
 * chunk, posterior_pass (mixture prior, Adam update), posterior_scales and
 * posterior_draw, as train.c calls them, without the matrix products.
 * Prints the best of 5 timings of 300 steps, in ns a parameter and step.
 * From the package's root:
 *
 *   gcc -O2 -fopenmp $(R CMD config --cppflags) -Isrc bench/pass_harness.c \
 *     src/rng.c src/prior.c src/sqrt_block.c -o /tmp/pass_harness \
 *     $(R CMD config --ldflags)
 *   /tmp/pass_harness [n_par] [kl]
 *
 * With "kl", the pass also sums the KL term of the draw (as bbb_fit() does
 * on the last batch of each epoch: every step when an epoch is one batch).
 * Adding -DBBB_MAX_AVX2 measures the AVX2 code on an AVX-512 CPU. */
#define BBB_SINGLE
#define R_NO_REMAP
#include <R.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bbb.h"
#include "sqrt_block.h"
static real *real_zeros(size_t n) { return calloc(n, sizeof(real)); }
#include "optim.c"
#include "posterior.c"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  int P = argc > 1 ? atoi(argv[1]) : 478410, steps = 300;
  int with_kl = argc > 2 && !strcmp(argv[2], "kl");
  sqrt_block_init();
  bbb_net net = {0};
  net.n_par = P;
  net.estimator = EST_WEIGHT;
  bbb_prior prior; /* one prior for the whole network (not eb) */
  prior_setup(&prior, PRIOR_MIXTURE, 0.5, 1, exp(-6));
  net.prior = &prior;
  bbb_sample smp;
  sample_alloc(&smp, P);
  bbb_work wk = {0};
  wk.gmu = real_zeros(P);
  real *theta = real_zeros(2 * P + 1), *m = real_zeros(2 * P + 1),
    *v = real_zeros(2 * P + 1);
  srand(1);
  for (int j = 0; j < P; j++) {
    theta[j] = (real) ((rand() / (double) RAND_MAX - 0.5) * 0.1);
    theta[P + j] = -5;
    wk.gmu[j] = (real) ((rand() / (double) RAND_MAX - 0.5) * 1e-3);
  }
  bbb_optim o = {OPT_ADAM, 1e-3, 0, 0.9, 0.999, 1e-8};
  double best = 1e9, check, kl;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now();
    for (int s = 0; s < steps; s++) {
      bbb_step st;
      optim_step_setup(&o, s + 1 + rep * steps, &st);
      for (int from = 0; from < P; from += BBB_CHUNK) {
        int to = from + BBB_CHUNK < P ? from + BBB_CHUNK : P;
        posterior_pass(&net, &st, 0, 1.0 / 469, 1.0 / 128, theta, m, v, &smp,
                       &wk, NULL, from, to, &check, with_kl ? &kl : NULL);
        posterior_scales(&net, theta + P, &smp, from, to);
        posterior_draw(theta, &smp, 12345 + (uint64_t) s * 1000 + from, from,
                       to);
      }
    }
    double t = (now() - t0) / steps / P * 1e9;
    if (t < best) best = t;
  }
  double sum = 0;
  for (int j = 0; j < 2 * P; j++) sum += theta[j];
  printf("%d parameters%s: %.2f ns a parameter and step (checksum %.6g)\n", P,
         with_kl ? " with the KL term" : "", best, sum);
  return 0;
}
