/* The trainer (train.c): network, scratch and per-chunk results of one
 * .Call, and the steps it is made of (a sample of the posterior, a
 * forward/backward pass, the pass over the parameters). Used by the
 * minibatch loop, the objective and prediction. */
#ifndef BBB_TRAINER_H
#define BBB_TRAINER_H

#include <stdint.h>
#include "bbb.h"
#include "optim.h"

typedef struct {
  const bbb_net *net;
  int threads, n_chunks;
  bbb_work wk;
  bbb_sample smp;
  real *g;              /* gradient of theta = (mu, rho, tau), if summed */
  double *kl_chunk, *check_chunk;
  double *moments;      /* empirical Bayes: n_chunks x n_groups sums */
  double *y;            /* the batch response */
} bbb_trainer;

BBB_API void trainer_alloc(bbb_trainer *tr, const bbb_net *net, int rows,
                           int threads, int sum_grad);
BBB_API void trainer_sample(bbb_trainer *tr, const real *theta,
                            uint64_t seed, int scales);
BBB_API double trainer_pass(bbb_trainer *tr, const real *mu, double tau,
                            uint64_t seed, int rows, double *dtau);
BBB_API void trainer_params(bbb_trainer *tr, real *theta, real *m, real *v,
                            const bbb_step *st, int add, double kl_w,
                            double scale, uint64_t seed, double *kl,
                            int *ok);

#endif
