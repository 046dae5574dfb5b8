/* Posterior draws for prediction (predict.c, double precision). */
#ifndef BBB_PREDICT_H
#define BBB_PREDICT_H

#include "bbb.h"
#include "rng.h"

enum { LINK_NONE = 0, LINK_SHIFT = 1, LINK_LOGIT = 2, LINK_LOG = 3,
       LINK_SOFTMAX = 4 };
typedef struct {
  int kind;
  double shift, scale; /* LINK_SHIFT: shift + scale eta */
} bbb_link;

int predict_draws(const bbb_net *net, int threads, const double *theta,
                  const double *x, int n, int nsim, bbb_rng *rng,
                  const bbb_link *lk, double *out);

#endif
