/* Posterior draws for prediction: for each of nsim weight draws
 * w = mu + sigma eps, the forward pass on all rows of x, and the linear
 * predictor or, on request, the mean on the response scale (identity
 * with a scale and shift, logistic, exp or softmax; for the
 * heteroscedastic gaussian the mean and the noise sd). out is an
 * nsim x n x k array (column-major), the layout R users get from
 * predict(type = "samples").
 *
 * Draws are made in groups whose weights are sampled up front, and rows in
 * blocks: each block of rows goes through every draw of the group, and the
 * group's results for a row are written next to each other, as the output
 * layout wants them. Predictions always sample weights (also for fits
 * trained with the local estimator), so each draw is one coherent function
 * of x.
 *
 * Draws come in antithetic pairs: draw 2j + 1 is w = mu - sigma eps for
 * the eps of draw 2j. Each draw is still a draw from the posterior, and
 * the part of a prediction that is odd in eps (for small sigma, nearly
 * all of it) cancels within a pair, so means and intervals of a given
 * number of draws move much less between seeds. */
#define R_NO_REMAP
#include <R.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "bbb.h"
#include "mlp.h"
#include "predict.h"
#include "rng.h"
#include "trainer.h"

#define BLOCK_ROWS 256   /* a block of hidden units stays in cache */
#define GROUP_MAX 64
#define GROUP_BUDGET (1 << 23) /* weights held at once, in doubles */

/* The response-scale mean of output c of one draw, from its k outputs. */
static double link_inverse(const bbb_link *lk, const double *eta, int k,
                           int c, size_t stride) {
  switch (lk->kind) {
  case LINK_SHIFT: return lk->shift + lk->scale * eta[c * stride];
  case LINK_HETERO:
    return c == 0 ? lk->shift + lk->scale * eta[0] :
      lk->scale * exp(eta[stride]);
  case LINK_LOGIT: return 1 / (1 + exp(-eta[c * stride]));
  case LINK_LOG: return exp(eta[c * stride]);
  case LINK_SOFTMAX: {
    double mx = eta[0], sum = 0;
    for (int j = 1; j < k; j++) mx = fmax(mx, eta[j * stride]);
    for (int j = 0; j < k; j++) sum += exp(eta[j * stride] - mx);
    return exp(eta[c * stride] - mx) / sum;
  }
  default: return eta[c * stride];
  }
}

int link_apply(const bbb_link *lk, const double *eta, size_t m, int k,
               double *out) {
  int bad = 0;
  for (int c = 0; c < k; c++) {
    for (size_t i = 0; i < m; i++) {
      double v = link_inverse(lk, eta + i, k, c, m);
      bad |= !isfinite(v);
      out[i + m * c] = v;
    }
  }
  return bad;
}

/* One group of draws (first, first + count): weights sampled up front,
 * then each block of rows through every draw, the results for a row
 * written next to each other. ws and eta are scratch for this group.
 * Returns 1 if a value is not finite. */
static int predict_group(bbb_trainer *tr, const double *theta,
                         const double *x, int n, int nsim,
                         const uint64_t *seeds, int first, int count,
                         const bbb_link *lk, double *ws, double *eta,
                         double *out) {
  const bbb_net *net = tr->net;
  int L = net->n_layers, p = net->width[0], P = net->n_par;
  int k = net->width[L], block = tr->wk.rows, bad = 0;
  for (int g = 0; g < count; g++) {
    int d = first + g;
    double *w = ws + (size_t) g * P;
    trainer_sample(tr, theta, seeds[d], g == 0);
    if (d & 1) {  /* the antithetic draw: mu - (w - mu) */
      for (int i = 0; i < P; i++) w[i] = 2 * theta[i] - tr->smp.w[i];
    } else {
      memcpy(w, tr->smp.w, P * sizeof(double));
    }
  }
  for (int from = 0; from < n; from += block) {
    int rows = n - from < block ? n - from : block, ld = batch_ld(rows);
    for (int j = 0; j < p; j++)
      memcpy(tr->wk.h[0] + (size_t) j * ld, x + (size_t) j * n + from,
             rows * sizeof(double));
    for (int g = 0; g < count; g++) {
      mlp_forward(net, ws + (size_t) g * P, &tr->wk, rows);
      for (int c = 0; c < k; c++)
        memcpy(eta + (size_t) g * rows * k + (size_t) c * rows,
               tr->wk.h[L] + (size_t) c * ld, rows * sizeof(double));
    }
    for (int c = 0; c < k; c++) {
      for (int i = 0; i < rows; i++) {
        double *o = out + first + (size_t) nsim * (from + i + (size_t) n * c);
        for (int g = 0; g < count; g++) {
          double v = link_inverse(lk, eta + (size_t) g * rows * k + i, k, c,
                                  rows);
          bad |= !isfinite(v);
          o[g] = v;
        }
      }
    }
  }
  return bad;
}

/* All nsim draws, groups spread over `threads` threads (each with its own
 * scratch). Draws 2j and 2j + 1 use the j-th seed of rng whatever the
 * thread, so the
 * numbers do not depend on the number of threads. Returns 1 if a value is
 * not finite. */
int predict_draws(const bbb_net *net, int threads, const double *theta,
                  const double *x, int n, int nsim, bbb_rng *rng,
                  const bbb_link *lk, double *out) {
  int P = net->n_par, k = net->width[net->n_layers];
  int block = n < BLOCK_ROWS ? n : BLOCK_ROWS;
  int group = GROUP_BUDGET / P;
  group = group < 1 ? 1 : group > GROUP_MAX ? GROUP_MAX : group;
  group = group > nsim ? nsim : group;
  int n_groups = (nsim + group - 1) / group;
  threads = threads > n_groups ? n_groups : threads;
  uint64_t *seeds = (uint64_t *) R_alloc(nsim, sizeof(uint64_t));
  /* one seed a pair of draws */
  for (int d = 0; d < nsim; d++)
    seeds[d] = (d & 1) ? seeds[d - 1] : rng_next(rng) | 1;
  bbb_trainer *tr = (bbb_trainer *) R_alloc(threads, sizeof(bbb_trainer));
  double **ws = (double **) R_alloc(threads, sizeof(double *));
  double **eta = (double **) R_alloc(threads, sizeof(double *));
  for (int t = 0; t < threads; t++) {
    trainer_alloc(&tr[t], net, block, 1, 0);
    ws[t] = (double *) R_alloc((size_t) group * P, sizeof(double));
    eta[t] = (double *) R_alloc((size_t) group * block * k, sizeof(double));
  }
  int bad = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic) \
  reduction(| : bad) if (threads > 1)
#endif
  for (int gi = 0; gi < n_groups; gi++) {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    int first = gi * group, count = nsim - first < group ? nsim - first :
      group;
    bad |= predict_group(&tr[t], theta, x, n, nsim, seeds, first, count, lk,
                         ws[t], eta[t], out);
  }
  return bad;
}
