/* The minibatch loop: for each minibatch, S Monte Carlo samples of the
 * weights, forward and backward pass, then one fused pass over the
 * parameters (KL-term gradients and optimiser update), chunk by chunk.
 * Workspace is allocated once per call (R_alloc), never in the loop.
 *
 * Objective of minibatch i of M (batch of `rows` examples):
 *   F_i = (1/S) sum_s [ k_i (log q(w_s) - log P(w_s)) - log p(D_i | w_s) ]
 * The optimiser steps on F_i / rows. */
#define R_NO_REMAP
#include <R.h>
#include <R_ext/Utils.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "bbb.h"
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
  tr->ok_chunk = (int *) R_alloc(tr->n_chunks, sizeof(int));
  tr->y = dzero(rows);
}

static inline int chunk_from(int c) { return c * BBB_CHUNK; }
static inline int chunk_to(const bbb_net *net, int c) {
  int to = (c + 1) * BBB_CHUNK;
  return to < net->n_par ? to : net->n_par;
}

/* The stream of chunk c for one sample: independent of the thread count. */
static void chunk_rng(bbb_rng *r, uint64_t seed, int c) {
  rng_seed(r, seed ^ ((uint64_t) (c + 1) * 0xd1b54a32d192ed03ULL));
}

/* Scales of the posterior and, for the weight estimator, a weight draw. */
void trainer_sample(bbb_trainer *tr, const double *mu, const double *rho,
                    uint64_t seed, int scales) {
  const bbb_net *net = tr->net;
  int weight = net->estimator == EST_WEIGHT;
#ifdef _OPENMP
#pragma omp parallel for num_threads(tr->threads) schedule(static)
#endif
  for (int c = 0; c < tr->n_chunks; c++) {
    int from = chunk_from(c), to = chunk_to(net, c);
    if (scales) posterior_scales(net, rho, &tr->smp, from, to);
    if (weight) {
      bbb_rng r;
      chunk_rng(&r, seed, c);
      posterior_draw(mu, &tr->smp, &r, from, to);
    }
  }
}

/* Forward and backward pass on the batch in wk.h[0] and tr->y; returns the
 * summed -log p and adds d/dtau to *dtau. The local estimator draws its
 * noise from rng, or uses wk.zeta as given when rng is NULL. */
double trainer_pass(bbb_trainer *tr, const double *mu, double tau,
                    bbb_rng *rng, int rows, double *dtau) {
  const bbb_net *net = tr->net;
  bbb_work *wk = &tr->wk;
  int L = net->n_layers, k = net->width[L];
  double dt;
  if (net->estimator == EST_WEIGHT) {
    mlp_forward(net, tr->smp.w, wk, rows);
  } else {
    for (int l = 1; rng && l <= L; l++)
      rng_norm_fill(rng, wk->zeta[l], rows * net->width[l]);
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

/* Adds the KL-term gradient of this sample to tr->g and, when `opt` is
 * given, applies the update chunk by chunk while the chunk is in cache.
 * Returns the unweighted KL term; *ok is 0 if an update was not finite. */
double trainer_grad_update(bbb_trainer *tr, double *theta, double kl_w,
                           const bbb_optim *opt, double t, double scale,
                           double *m, double *v, int *ok) {
  const bbb_net *net = tr->net;
  int P = net->n_par;
  double *g = tr->g;
#ifdef _OPENMP
#pragma omp parallel for num_threads(tr->threads) schedule(static)
#endif
  for (int c = 0; c < tr->n_chunks; c++) {
    int from = chunk_from(c), to = chunk_to(net, c);
    tr->kl_chunk[c] = posterior_grad(net, theta, &tr->smp, &tr->wk, kl_w,
                                     g, g + P, from, to);
    tr->ok_chunk[c] = 1;
    if (opt) {
      tr->ok_chunk[c] =
        optim_update(opt, t, theta, g, scale, m, v, from, to) &
        optim_update(opt, t, theta, g, scale, m, v, P + from, P + to);
      /* a pruned mean stays exactly zero */
      for (int j = from; j < to; j++) theta[j] *= net->mask[j];
    }
  }
  double kl = 0;
  *ok = 1;
  for (int c = 0; c < tr->n_chunks; c++) {
    kl += tr->kl_chunk[c];
    *ok &= tr->ok_chunk[c];
  }
  return kl;
}

/* One optimiser step on the batch already in wk.h[0] and tr->y.
 * Returns 0 on success, 1 for a non-finite loss, 2 for a non-finite
 * update; adds the batch's mean -log p and weighted KL to *nll, *kl. */
static int train_step(bbb_trainer *tr, double *theta, double *m, double *v,
                      double t, int rows, double kl_w, bbb_rng *rng,
                      const bbb_train_control *ctl, double *nll,
                      double *kl) {
  const bbb_net *net = tr->net;
  int P = net->n_par, S = ctl->n_samples, ok = 1;
  double *mu = theta, *rho = theta + P, *g = tr->g, dtau = 0;
  double scale = 1.0 / ((double) S * rows);
  memset(g, 0, (2 * (size_t) P + 1) * sizeof(double));
  for (int s = 0; s < S; s++) {
    trainer_sample(tr, mu, rho, rng_next(rng), s == 0);
    double nll_s = trainer_pass(tr, mu, theta[2 * P], rng, rows, &dtau);
    if (!isfinite(nll_s)) return 1;
    const bbb_optim *opt = s == S - 1 ? &ctl->optim : NULL;
    double kl_s = trainer_grad_update(tr, theta, kl_w, opt, t, scale, m, v,
                                      &ok);
    if (!isfinite(kl_s)) return 1;
    *nll += nll_s / S;
    *kl += kl_w * kl_s / S;
  }
  if (!ok) return 2;
  if (ctl->learn_tau) {
    g[2 * P] = dtau;
    if (!optim_update(&ctl->optim, t, theta, g, scale, m, v, 2 * P,
                      2 * P + 1))
      return 2;
  }
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
