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
#include "data.h"
#include "family.h"
#include "mlp.h"
#include "optim.h"
#include "posterior.h"
#include "rng.h"
#include "scratch.h"
#include "threads.h"
#include "train.h"
#include "prior.h"
#include "trainer.h"
#include "vshuffle.h"

/* sum_grad: the gradient is summed in tr->g (several samples a step, or
 * the objective's gradient); otherwise each sample updates directly. */
BBB_API void trainer_alloc(bbb_trainer *tr, const bbb_net *net, int rows,
                           int threads, int sum_grad) {
  tr->net = net;
  tr->threads = threads < 1 ? 1 : threads;
  tr->n_chunks = (net->n_par + BBB_CHUNK - 1) / BBB_CHUNK;
  work_alloc(&tr->wk, net, rows, tr->threads);
  sample_alloc(&tr->smp, net->n_par);
  tr->g = sum_grad ? real_zeros(2 * (size_t) net->n_par + 1) : NULL;
  tr->kl_chunk = (double *) R_alloc(tr->n_chunks, sizeof(double));
  tr->check_chunk = (double *) R_alloc(tr->n_chunks, sizeof(double));
  tr->moments = net->eb ? (double *) R_alloc((size_t) tr->n_chunks *
                                             net->n_groups, sizeof(double))
    : NULL;
  tr->y = (double *) R_alloc(rows, sizeof(double));
}

static inline int chunk_from(int c) { return c * BBB_CHUNK; }
static inline int chunk_to(const bbb_net *net, int c) {
  int to = (c + 1) * BBB_CHUNK;
  return to < net->n_par ? to : net->n_par;
}

/* The seed of the draws of step t (counted over the whole fit), sample s,
 * for one purpose (0: weights, 1: local-estimator noise): a function of
 * the fit's base seed and these numbers only, so that it does not matter
 * how the epochs were split into calls. */
static uint64_t step_seed(uint64_t base, double t, int s, int purpose) {
  uint64_t z = base ^ ((uint64_t) t * 0x9e3779b97f4a7c15ULL) ^
    ((uint64_t) (s + 1) * 0xbf58476d1ce4e5b9ULL) ^
    ((uint64_t) (purpose + 1) * 0x94d049bb133111ebULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) | 1;
}

#ifndef BBB_SINGLE
/* step_seed for bbb_train_noise (ffi.c), which hands the tests the noise
 * of a training step; the single engine draws the same numbers. */
uint64_t train_step_seed(uint64_t base, double t, int s, int purpose) {
  return step_seed(base, t, s, purpose);
}
#endif

/* The seed of chunk c's stream for one sample. */
static inline uint64_t chunk_seed(uint64_t seed, int c) {
  return seed ^ ((uint64_t) (c + 1) * 0xd1b54a32d192ed03ULL);
}

typedef struct {
  bbb_trainer *tr;
  const real *theta;
  uint64_t seed;
  int scales;
} sample_job;

/* Chunk c's share of the moments of empirical Bayes, after its sigma. */
static void chunk_moments(bbb_trainer *tr, const real *mu, int c) {
  const bbb_net *net = tr->net;
  if (!net->eb) return;
  double *mom = tr->moments + (size_t) c * net->n_groups;
  memset(mom, 0, net->n_groups * sizeof(double));
  posterior_moments(net, mu, &tr->smp, chunk_from(c), chunk_to(net, c), mom);
}

/* New empirical-Bayes scales from the chunks' moments, added in chunk
 * order whatever the threads. */
static void trainer_rescale(bbb_trainer *tr) {
  const bbb_net *net = tr->net;
  if (!net->eb) return;
  int G = net->n_groups;
  double *sum = tr->moments;  /* chunk 0's row becomes the total */
  for (int c = 1; c < tr->n_chunks; c++)
    for (int g = 0; g < G; g++) sum[g] += tr->moments[(size_t) c * G + g];
  eb_rescale(net, sum);
}

static void sample_chunk(int c, void *p) {
  const sample_job *j = (const sample_job *) p;
  const bbb_net *net = j->tr->net;
  int from = chunk_from(c), to = chunk_to(net, c);
  if (j->scales) {
    posterior_scales(net, j->theta + net->n_par, &j->tr->smp, from, to);
    chunk_moments(j->tr, j->theta, c);
  }
  if (net->estimator == EST_WEIGHT)
    posterior_draw(j->theta, &j->tr->smp, chunk_seed(j->seed, c), from, to);
}

/* A fresh sample: sigma from rho (if `scales`, and then the empirical-Bayes
 * scales) and, for the weight estimator, a weight draw. */
BBB_API void trainer_sample(bbb_trainer *tr, const real *theta,
                            uint64_t seed, int scales) {
  sample_job j = {tr, theta, seed, scales};
  run_range(tr->n_chunks, tr->threads, sample_chunk, &j);
  if (scales) trainer_rescale(tr);
}

/* Forward and backward pass on the batch in wk.h[0] and tr->y; returns the
 * summed -log p and adds d/dtau to *dtau. The local estimator draws its
 * noise from `seed`, or uses wk.zeta as given when seed is 0. */
BBB_API double trainer_pass(bbb_trainer *tr, const real *mu, double tau,
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
      for (int l = 1; l <= L; l++) {
        real_norm_fill(&r, wk->zeta[l], rows * net->width[l]);
        work_spread(wk->zeta[l], rows, net->width[l]);
      }
    }
    mlp_forward_local(net, mu, tr->smp.sigma, wk, rows);
  }
  double nll = family_nll(net->family, wk->h[L], tr->y, rows, batch_ld(rows),
                          k, tau, wk->delta, &dt);
  if (!isfinite(nll)) return nll;
  if (net->estimator == EST_WEIGHT)
    mlp_backward(net, tr->smp.w, wk, rows);
  else
    mlp_backward_local(net, mu, tr->smp.sigma, wk, rows);
  *dtau += dt;
  return nll;
}

typedef struct {
  bbb_trainer *tr;
  real *theta, *m, *v;
  const bbb_step *st;
  int add, kl;
  double kl_w, scale;
  uint64_t seed;
} params_job;

static void params_chunk(int c, void *p) {
  const params_job *j = (const params_job *) p;
  bbb_trainer *tr = j->tr;
  const bbb_net *net = tr->net;
  int from = chunk_from(c), to = chunk_to(net, c);
  tr->kl_chunk[c] = 0;
  posterior_pass(net, j->st, j->add, j->kl_w, j->scale, j->theta, j->m, j->v,
                 &tr->smp, &tr->wk, tr->g, from, to, &tr->check_chunk[c],
                 j->kl ? &tr->kl_chunk[c] : NULL);
  if (j->st) {
    posterior_scales(net, j->theta + net->n_par, &tr->smp, from, to);
    chunk_moments(tr, j->theta, c);
  }
  if (j->seed && net->estimator == EST_WEIGHT)
    posterior_draw(j->theta, &tr->smp, chunk_seed(j->seed, c), from, to);
}

/* The fused pass over all chunks (see posterior_pass), then, after an
 * update, the new sigma and, if `seed` is not 0, the weight draw for the
 * next sample or step. If kl is not NULL, *kl receives the unweighted KL
 * term of the sample before the update.
 * *ok is 0 if an update was not finite. */
BBB_API void trainer_params(bbb_trainer *tr, real *theta, real *m, real *v,
                            const bbb_step *st, int add, double kl_w,
                            double scale, uint64_t seed, double *kl,
                            int *ok) {
  params_job j = {tr, theta, m, v, st, add, kl != NULL, kl_w, scale, seed};
  run_range(tr->n_chunks, tr->threads, params_chunk, &j);
  double sum = 0, check = 0;
  for (int c = 0; c < tr->n_chunks; c++) {
    sum += tr->kl_chunk[c];
    check += tr->check_chunk[c];
  }
  if (kl) *kl = sum + eb_penalty(tr->net);
  *ok = check == 0;
  if (st) trainer_rescale(tr);
}

/* One optimiser step on the batch already in wk.h[0] and tr->y, with the
 * first weight draw already made. Returns 0 on success, 1 for a
 * non-finite loss, 2 for a non-finite update; adds the batch's mean
 * -log p to *nll and, if kl is not NULL, puts the mean KL term of the
 * step's samples in *kl. */
static int train_step(bbb_trainer *tr, real *theta, real *m, real *v,
                      double t, int rows, double kl_w, uint64_t base,
                      const bbb_train_control *ctl, double *nll,
                      double *kl) {
  const bbb_net *net = tr->net;
  int P = net->n_par, S = ctl->n_samples, ok = 1;
  double dtau = 0, scale = 1.0 / ((double) S * rows);
  bbb_step st;
  optim_step_setup(&ctl->optim, t, &st);
  if (S > 1) memset(tr->g, 0, 2 * (size_t) P * sizeof(real));
  for (int s = 0; s < S; s++) {
    double nll_s = trainer_pass(tr, theta, theta[2 * P],
                                step_seed(base, t, s, 1), rows, &dtau);
    if (!isfinite(nll_s)) return 1;
    int last = s == S - 1;
    uint64_t next = last ? step_seed(base, t + 1, 0, 0) :
      step_seed(base, t, s + 1, 0);
    double kl_s = 0;
    trainer_params(tr, theta, m, v, last ? &st : NULL, S > 1, kl_w, scale,
                   next, kl ? &kl_s : NULL, &ok);
    if (!isfinite(kl_s)) return 1;
    *nll += nll_s / S;
    if (kl) *kl += kl_s / S;
  }
  if (!ok) return 2;
  if (ctl->learn_tau &&
      !optim_update_one(&st, theta + 2 * P, m + 2 * P, v + 2 * P,
                        dtau * scale))
    return 2;
  return 0;
}

/* KL weight of minibatch i (0-based) of M, of `rows` of the n rows: the
 * share of its rows, so that a short last minibatch does not weigh the KL
 * term more per row than the others. */
static double kl_weight(int blundell, int i, int M, int rows, int n) {
  if (!blundell) return (double) rows / n;
  return ldexp(1.0, -(i + 1)) / (1 - ldexp(1.0, -M));
}

/* A random permutation of 0 .. n-1 (Fisher-Yates from the identity, so
 * that it depends on the random draws only, not on earlier epochs). */
static void shuffle(int *perm, int n, bbb_rng *rng) {
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int) (((rng_next(rng) >> 32) * (uint64_t) (i + 1)) >> 32);
    int tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
}

typedef struct {
  const bbb_data *d;
  const int *idx;
  int rows, ld;
  real *xb;
} gather_job;

static void gather_column(int j, void *p) {
  const gather_job *g = (const gather_job *) p;
  const double *xj = g->d->x + (size_t) j * g->d->n;
  double c = g->d->center[j], s = 1 / g->d->scale[j];
  real *bj = g->xb + (size_t) j * g->ld;
  for (int i = 0; i < g->rows; i++)
    bj[i] = (real) ((xj[g->idx[i]] - c) * s);
}

#ifdef BBB_SINGLE
/* Rows [16 b, 16 b + 16) of the batch from the row-major copy: a
 * transposition, by blocks of 4 rows and 4 columns in vectors where
 * there are vector extensions (element by element it was 4% of (c)'s
 * training time), the rest element by element. */
static void gather_rows(int b, void *p) {
  const gather_job *g = (const gather_job *) p;
  int n = g->rows, ld = g->ld, k = g->d->p, i = 16 * b;
  int to = i + 16 < n ? i + 16 : n;
  float *xb = g->xb;
#if defined(__GNUC__) || defined(__clang__)
  typedef float v4 __attribute__((vector_size(16)));
  typedef int32_t i4 __attribute__((vector_size(16)));
  for (; i + 4 <= to; i += 4) {
    const float *r[4];
    for (int q = 0; q < 4; q++)
      r[q] = g->d->rows + (size_t) g->idx[i + q] * k;
    int j = 0;
    for (; j + 4 <= k; j += 4) {
      v4 a[4], o[4];
      memcpy(&a[0], r[0] + j, sizeof(v4));
      memcpy(&a[1], r[1] + j, sizeof(v4));
      memcpy(&a[2], r[2] + j, sizeof(v4));
      memcpy(&a[3], r[3] + j, sizeof(v4));
      VTRANSPOSE4(i4, a, o);
      float *c = xb + (size_t) j * ld + i;
      memcpy(c, &o[0], sizeof(v4));
      memcpy(c + ld, &o[1], sizeof(v4));
      memcpy(c + 2 * ld, &o[2], sizeof(v4));
      memcpy(c + 3 * ld, &o[3], sizeof(v4));
    }
    for (; j < k; j++)
      for (int q = 0; q < 4; q++) xb[(size_t) j * ld + i + q] = r[q][j];
  }
#endif
  for (; i < to; i++) {
    const float *r = g->d->rows + (size_t) g->idx[i] * k;
    for (int j = 0; j < k; j++) xb[(size_t) j * ld + i] = r[j];
  }
}
#endif

/* The minibatch's rows of x, standardized, in the layout of the batch
 * arrays (bbb.h; the forward pass zeros the extra rows), and of y. From
 * R's matrix each element is a cache miss on a large x (random rows of a
 * column-major matrix), so wide batches are gathered by all threads,
 * column by column; from the row-major copy (single precision) each row
 * is one read. */
static void gather(const bbb_data *d, const int *rows_idx, int rows,
                   real *xb, double *yb, int threads) {
  for (int i = 0; i < rows; i++) yb[i] = d->y[rows_idx[i]];
  gather_job j = {d, rows_idx, rows, batch_ld(rows), xb};
  /* narrow batches on one thread: the region would cost more */
  if ((size_t) rows * d->p < 16384) threads = 1;
#ifdef BBB_SINGLE
  if (d->rows) {
    /* blocks of 16 rows: a thread's writes fill whole cache lines */
    run_range((rows + 15) / 16, threads, gather_rows, &j);
    return;
  }
#endif
  run_range(d->p, threads, gather_column, &j);
}

#ifdef BBB_SINGLE
/* The single engine works in the caller's double arrays (each of len
 * doubles, so room for 2 len floats): its state in floats in the first
 * half, the snapshot of the epoch's start in the second; no float copies
 * of its own, which on a large network would be megabytes more at the
 * fit's peak. Narrowed and widened in place through memcpy (the bytes
 * change type; double i lies at or above float i, so narrowing runs up
 * and widening down). */
static void narrow_in_place(double *x, size_t n) {
  char *b = (char *) x;
  for (size_t i = 0; i < n; i++) {
    double d;
    memcpy(&d, b + 8 * i, 8);
    float f = (float) d;
    memcpy(b + 4 * i, &f, 4);
  }
}

static void widen_in_place(double *x, size_t n) {
  char *b = (char *) x;
  for (size_t i = n; i-- > 0;) {
    float f;
    memcpy(&f, b + 4 * i, 4);
    double d = f;
    memcpy(b + 8 * i, &d, 8);
  }
}
#endif

/* The optimiser state the engine works on (theta, m, v, each of length
 * len), in the caller's double arrays, and a snapshot of the start of the
 * epoch (snap, in the order theta, m, v): its own copy in the double
 * engine, the second halves of the arrays in the single one (see above). */
typedef struct {
  real *theta, *m, *v;
  real *snap[3];
  size_t len;
} bbb_state;

static void state_copy(bbb_state *s, int save) {
  size_t bytes = s->len * sizeof(real);
  real *state[3] = {s->theta, s->m, s->v};
  for (int i = 0; i < 3; i++) {
    if (save) memcpy(s->snap[i], state[i], bytes);
    else memcpy(state[i], s->snap[i], bytes);
  }
}

static void state_save(bbb_state *s) { state_copy(s, 1); }
static void state_restore(bbb_state *s) { state_copy(s, 0); }

/* Runs ctl->epochs epochs. On a non-finite loss or update it stops and
 * puts back the state of the start of that epoch (the last finite one). */
static int train_epochs(bbb_trainer *tr, const bbb_data *d, bbb_state *sv,
                        double *t, const bbb_train_control *ctl,
                        bbb_rng *rng, uint64_t base, double *trace,
                        int *fail_epoch, int *fail_step) {
  int n = d->n, B = ctl->batch_size, M = (n + B - 1) / B;
  real *theta = sv->theta, *m = sv->m, *v = sv->v;
  int *perm = (int *) R_alloc(n, sizeof(int));
  /* A full batch is the same every epoch: gathered once, never shuffled. */
  if (M == 1) {
    for (int i = 0; i < n; i++) perm[i] = i;
    gather(d, perm, n, tr->wk.h[0], tr->y, tr->threads);
  }
  trainer_sample(tr, theta, step_seed(base, *t + 1, 0, 0), 1);
  /* the threads of each step follow the load (threads.h) */
  bbb_team team;
  team_init(&team, tr->threads);
  for (int e = 0; e < ctl->epochs; e++) {
    double nll = 0, kl = 0, t_saved = *t;
    state_save(sv);
    if (M > 1) shuffle(perm, n, rng);
    for (int i = 0; i < M; i++) {
      int from = i * B, rows = (from + B <= n) ? B : n - from;
      tr->threads = tr->wk.threads = team_begin(&team);
      if (M > 1)
        gather(d, perm + from, rows, tr->wk.h[0], tr->y, tr->threads);
      *t += 1;
      /* the KL term is reported from the epoch's last step */
      int status = train_step(tr, theta, m, v, *t, rows,
                              kl_weight(ctl->kl_blundell, i, M, rows, n), base, ctl,
                              &nll, i == M - 1 ? &kl : NULL);
      team_end(&team);
      if (status) {
        state_restore(sv);
        *t = t_saved;
        trainer_sample(tr, theta, step_seed(base, *t + 1, 0, 0), 1);
        *fail_epoch = e + 1;
        *fail_step = i + 1;
        return status;
      }
      R_CheckUserInterrupt();
    }
    trace[e] = nll;
    trace[e + ctl->epochs] = kl;
  }
  team_trace(&team);
  return 0;
}

/* The entry point of this precision (train_run_double or _single): the
 * state theta, m, v (2 n_par + 1 doubles each) is updated in place. */
int TRAIN_RUN(const bbb_net *net, const bbb_data *d, double *theta,
              double *m, double *v, double *t, const bbb_train_control *ctl,
              int threads, bbb_rng *rng, uint64_t base, double *trace,
              int *fail_epoch, int *fail_step) {
  bbb_trainer tr;
  trainer_alloc(&tr, net, ctl->batch_size, threads, ctl->n_samples > 1);
  size_t len = 2 * (size_t) net->n_par + 1;
#ifdef BBB_SINGLE
  narrow_in_place(theta, len);
  narrow_in_place(m, len);
  narrow_in_place(v, len);
  real *ft = (real *) theta, *fm = (real *) m, *fv = (real *) v;
  bbb_state sv = {ft, fm, fv, {ft + len, fm + len, fv + len}, len};
#else
  real *saved = (real *) R_alloc(3 * len, sizeof(real));
  bbb_state sv = {theta, m, v, {saved, saved + len, saved + 2 * len}, len};
#endif
  int status = train_epochs(&tr, d, &sv, t, ctl, rng, base, trace,
                            fail_epoch, fail_step);
#ifdef BBB_SINGLE
  widen_in_place(theta, len);
  widen_in_place(m, len);
  widen_in_place(v, len);
#endif
  return status;
}
