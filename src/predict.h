/* Posterior draws for prediction (predict.c, double precision). */
#ifndef BBB_PREDICT_H
#define BBB_PREDICT_H

#include "bbb.h"
#include "rng.h"

/* LINK_HETERO (the heteroscedastic gaussian's two outputs): the mean
 * shift + scale eta_1 and the noise sd scale exp(eta_2). */
enum { LINK_NONE = 0, LINK_SHIFT = 1, LINK_LOGIT = 2, LINK_LOG = 3,
       LINK_SOFTMAX = 4, LINK_HETERO = 5 };
typedef struct {
  int kind;
  double shift, scale; /* LINK_SHIFT: shift + scale eta */
} bbb_link;

int predict_draws(const bbb_net *net, int threads, const double *theta,
                  const double *x, int n, int nsim, bbb_rng *rng,
                  const bbb_link *lk, double *out);
/* The inverse link on m positions of k outputs (eta[i + m c]), into out
 * (same layout); returns 1 if a value is not finite. */
int link_apply(const bbb_link *lk, const double *eta, size_t m, int k,
               double *out);

#endif
