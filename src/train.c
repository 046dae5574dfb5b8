/* The minibatch loop. A step is: forward and backward pass on the batch
 * with the current weight draw, then one fused pass over the parameters,
 * chunk by chunk (gradient, optimiser update, new sigma and the weight
 * draw for the next step; see posterior.c). Workspace is allocated once
 * per call (R_alloc), never in the loop.
 *
 * Objective of minibatch i of M (batch of `rows` examples):
 *   F_i = (1/S) sum_s [ k_i (log q(w_s) - log P(w_s)) - log p(D_i | w_s) ]
 * The optimiser steps on F_i / rows.
 *
 * Chunks of BBB_CHUNK parameters are the unit of work of a thread and each
 * draws from its own stream, seeded from the master stream per sample, so
 * the numbers do not depend on the number of threads. */
#define R_NO_REMAP
#include <R.h>
#include <R_ext/Utils.h>
#include <math.h>
#include <string.h>
#include "bbb.h"
#include "optim.h"
#include "train.h"

static double *dzero(size_t n) {
  double *p = (double *) R_alloc(n, sizeof(double));
  memset(p, 0, n * sizeof(double));
  return p;
}

void trainer_alloc(bbb_trainer *tr, const bbb_net *net, int rows,
                   int threads) {
  tr->net = net;
  tr->threads = threads < 1 ? 1 : threads;
  tr->n_chunks = (net->n_par + BBB_CHUNK - 1) / BBB_CHUNK;
  work_alloc(&tr->wk, net, rows);
  sample_alloc(&tr->smp, net->n_par);
  tr->g = dzero(2 * (size_t) net->n_par + 1);
  tr->kl_chunk = dzero(tr->n_chunks);
  tr->check_chunk = dzero(tr->n_chunks);
  tr->y = dzero(rows);
}

static inline int chunk_from(int c) { return c * BBB_CHUNK; }
static inline int chunk_to(const bbb_net *net, int c) {
  int to = (c + 1) * BBB_CHUNK;
  return to < net->n_par ? to : net->n_par;
}

/* The seed of chunk c's stream for one sample. */
static inline uint64_t chunk_seed(uint64_t seed, int c) {
  return seed ^ ((uint64_t) (c + 1) * 0xd1b54a32d192ed03ULL);
}

/* A fresh sample: sigma from rho (if `scales`) and, for the weight
 * estimator, a weight draw. */
void trainer_sample(bbb_trainer *tr, const double *theta, uint64_t seed,
                    int scales) {
  const bbb_net *net = tr->net;
  int weight = net->estimator == EST_WEIGHT;
#ifdef _OPENMP
#pragma omp parallel for num_threads(tr->threads) schedule(static)
#endif
  for (int c = 0; c < tr->n_chunks; c++) {
    int from = chunk_from(c), to = chunk_to(net, c);
    if (scales) posterior_scales(net, theta + net->n_par, &tr->smp, from, to);
    if (weight) posterior_draw(theta, &tr->smp, chunk_seed(seed, c), from, to);
  }
}

/* Forward and backward pass on the batch in wk.h[0] and tr->y; returns the
 * summed -log p and adds d/dtau to *dtau. The local estimator draws its
 * noise from `seed`, or uses wk.zeta as given when seed is 0. */
double trainer_pass(bbb_trainer *tr, const double *mu, double tau,
                    uint64_t seed, int rows, double *dtau) {
  const bbb_net *net = tr->net;
  bbb_work *wk = &tr->wk;
  int L = net->n_layers, k = net->width[L];
  double dt;
  if (net->estimator == EST_WEIGHT) {
    mlp_forward(net, tr->smp.w, wk, rows);
  } else {
    if (seed) {
      bbb_vrng r;
      vrng_seed(&r, seed);
      for (int l = 1; l <= L; l++)
        vrng_norm_fill(&r, wk->zeta[l], rows * net->width[l]);
    }
    mlp_forward_local(net, mu, tr->smp.sigma, wk, rows);
  }
  double nll = family_nll(net->family, wk->h[L], tr->y, rows, k, tau,
                          wk->delta, &dt);
  if (!isfinite(nll)) return nll;
  if (net->estimator == EST_WEIGHT)
    mlp_backward(net, tr->smp.w, wk, rows);
  else
    mlp_backward_local(net, mu, tr->smp.sigma, wk, rows);
  *dtau += dt;
  return nll;
}

/* The fused pass over all chunks (see posterior_pass), then, if `seed` is
 * not 0, the weight draw for the next sample or step. Returns the
 * unweighted KL term; *ok is 0 if an update was not finite. */
double trainer_params(bbb_trainer *tr, double *theta, double *m, double *v,
                      const bbb_step *st, int add, double kl_w,
                      double scale, uint64_t seed, int *ok) {
  const bbb_net *net = tr->net;
  int weight = net->estimator == EST_WEIGHT;
#ifdef _OPENMP
#pragma omp parallel for num_threads(tr->threads) schedule(static)
#endif
  for (int c = 0; c < tr->n_chunks; c++) {
    int from = chunk_from(c), to = chunk_to(net, c);
    tr->kl_chunk[c] = posterior_pass(net, st, add, kl_w, scale, theta, m, v,
                                     &tr->smp, &tr->wk, tr->g, from, to,
                                     &tr->check_chunk[c]);
    if (seed && weight)
      posterior_draw(theta, &tr->smp, chunk_seed(seed, c), from, to);
  }
  double kl = 0, check = 0;
  for (int c = 0; c < tr->n_chunks; c++) {
    kl += tr->kl_chunk[c];
    check += tr->check_chunk[c];
  }
  *ok = check == 0;
  return kl;
}

/* One optimiser step on the batch already in wk.h[0] and tr->y, with the
 * first weight draw already made. Returns 0 on success, 1 for a
 * non-finite loss, 2 for a non-finite update; adds the batch's mean
 * -log p and weighted KL to *nll, *kl. */
static int train_step(bbb_trainer *tr, double *theta, double *m, double *v,
                      double t, int rows, double kl_w, bbb_rng *rng,
                      const bbb_train_control *ctl, double *nll,
                      double *kl) {
  const bbb_net *net = tr->net;
  int P = net->n_par, S = ctl->n_samples, ok = 1;
  double dtau = 0, scale = 1.0 / ((double) S * rows);
  bbb_step st;
  optim_step_setup(&ctl->optim, t, &st);
  if (S > 1) memset(tr->g, 0, 2 * (size_t) P * sizeof(double));
  for (int s = 0; s < S; s++) {
    double nll_s = trainer_pass(tr, theta, theta[2 * P], rng_next(rng) | 1,
                                rows, &dtau);
    if (!isfinite(nll_s)) return 1;
    int last = s == S - 1;
    double kl_s = trainer_params(tr, theta, m, v, last ? &st : NULL, S > 1,
                                 kl_w, scale, rng_next(rng) | 1, &ok);
    if (!isfinite(kl_s)) return 1;
    *nll += nll_s / S;
    *kl += kl_w * kl_s / S;
  }
  if (!ok) return 2;
  if (ctl->learn_tau &&
      !optim_update_one(&st, theta + 2 * P, m + 2 * P, v + 2 * P,
                        dtau * scale))
    return 2;
  return 0;
}

/* KL weight of minibatch i (0-based) of M. */
static double kl_weight(int blundell, int i, int M) {
  if (!blundell) return 1.0 / M;
  return ldexp(1.0, -(i + 1)) / (1 - ldexp(1.0, -M));
}

static void shuffle(int *perm, int n, bbb_rng *rng) {
  for (int i = n - 1; i > 0; i--) {
    int j = (int) (((rng_next(rng) >> 32) * (uint64_t) (i + 1)) >> 32);
    int tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
}

static void gather(const bbb_data *d, const int *rows_idx, int rows,
                   double *xb, double *yb) {
  for (int j = 0; j < d->p; j++) {
    const double *xj = d->x + (size_t) j * d->n;
    double *bj = xb + (size_t) j * rows;
    for (int i = 0; i < rows; i++) bj[i] = xj[rows_idx[i]];
  }
  for (int i = 0; i < rows; i++) yb[i] = d->y[rows_idx[i]];
}

/* Runs ctl->epochs epochs. On a non-finite loss or update it stops and
 * puts back the state of the start of that epoch (the last finite one). */
int train_epochs(bbb_trainer *tr, const bbb_data *d, double *theta,
                 double *m, double *v, double *t,
                 const bbb_train_control *ctl, bbb_rng *rng, double *trace,
                 int *fail_epoch, int *fail_step) {
  int n = d->n, B = ctl->batch_size, M = (n + B - 1) / B;
  size_t len = 2 * (size_t) tr->net->n_par + 1, bytes = len * sizeof(double);
  int *perm = (int *) R_alloc(n, sizeof(int));
  double *saved = (double *) R_alloc(3 * len, sizeof(double));
  for (int i = 0; i < n; i++) perm[i] = i;
  trainer_sample(tr, theta, rng_next(rng) | 1, 1);
  for (int e = 0; e < ctl->epochs; e++) {
    double nll = 0, kl = 0, t_saved = *t;
    memcpy(saved, theta, bytes);
    memcpy(saved + len, m, bytes);
    memcpy(saved + 2 * len, v, bytes);
    shuffle(perm, n, rng);
    for (int i = 0; i < M; i++) {
      int from = i * B, rows = (from + B <= n) ? B : n - from;
      gather(d, perm + from, rows, tr->wk.h[0], tr->y);
      *t += 1;
      int status = train_step(tr, theta, m, v, *t, rows,
                              kl_weight(ctl->kl_blundell, i, M), rng, ctl,
                              &nll, &kl);
      if (status) {
        memcpy(theta, saved, bytes);
        memcpy(m, saved + len, bytes);
        memcpy(v, saved + 2 * len, bytes);
        *t = t_saved;
        *fail_epoch = e + 1;
        *fail_step = i + 1;
        return status;
      }
      R_CheckUserInterrupt();
    }
    trace[e] = nll;
    trace[e + ctl->epochs] = kl;
  }
  return 0;
}
