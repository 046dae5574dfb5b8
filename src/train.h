/* The entry points of training (train.c, compiled once per precision:
 * train_run_double here, train_run_single in single.c). */
#ifndef BBB_TRAIN_H
#define BBB_TRAIN_H

#include <stdint.h>
#include "bbb.h"
#include "data.h"
#include "optim.h"
#include "rng.h"

typedef struct {
  int epochs, batch_size, n_samples, kl_blundell, learn_tau;
  bbb_optim optim;
} bbb_train_control;

#define TRAIN_RUN_ARGS                                                  \
  const bbb_net *net, const bbb_data *d, double *theta, double *m,     \
    double *v, double *t, const bbb_train_control *ctl, int threads,   \
    bbb_rng *rng, uint64_t base, double *trace, int *fail_epoch,      \
    int *fail_step
int train_run_double(TRAIN_RUN_ARGS);
/* The seed of the draws of step t, sample s, purpose 0 (weights) or 1
 * (local-estimator noise) of a fit whose base seed is `base`. */
uint64_t train_step_seed(uint64_t base, double t, int s, int purpose);
int train_run_single(TRAIN_RUN_ARGS);

#ifdef BBB_SINGLE
#define TRAIN_RUN train_run_single
#else
#define TRAIN_RUN train_run_double
#endif

#endif
