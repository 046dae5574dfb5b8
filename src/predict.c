/* Posterior draws for prediction: for each of nsim weight draws
 * w = mu + sigma eps, the forward pass on all rows of x, and the linear
 * predictor or, on request, the mean on the response scale (identity
 * with a scale and shift, logistic, exp or softmax). out is an
 * nsim x n x k array (column-major), the layout R users get from
 * predict(type = "samples").
 *
 * Draws are made in groups whose weights are sampled up front, and rows in
 * blocks: each block of rows goes through every draw of the group, and the
 * group's results for a row are written next to each other, as the output
 * layout wants them. Predictions always sample weights (also for fits
 * trained with the local estimator), so each draw is one coherent function
 * of x. */
#define R_NO_REMAP
#include <R.h>
#include <math.h>
#include <string.h>
#include "bbb.h"
#include "train.h"

#define GROUP_MAX 64
#define GROUP_BUDGET (1 << 23) /* weights held at once, in doubles */

/* The response-scale mean of output c of one draw, from its k outputs. */
static double link_inverse(const bbb_link *lk, const double *eta, int k,
                           int c, size_t stride) {
  switch (lk->kind) {
  case LINK_SHIFT: return lk->shift + lk->scale * eta[c * stride];
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

/* Returns 0, or 1 if a value is not finite. */
int predict_draws(bbb_trainer *tr, const double *theta, const double *x,
                  int n, int nsim, bbb_rng *rng, const bbb_link *lk,
                  double *out) {
  const bbb_net *net = tr->net;
  int L = net->n_layers, p = net->width[0], P = net->n_par;
  int k = net->width[L], block = tr->wk.rows;
  int group = GROUP_BUDGET / P;
  group = group < 1 ? 1 : group > GROUP_MAX ? GROUP_MAX : group;
  group = group > nsim ? nsim : group;
  double *ws = (double *) R_alloc((size_t) group * P, sizeof(double));
  double *eta = (double *) R_alloc((size_t) group * block * k,
                                   sizeof(double));
  int bad = 0;
  for (int d0 = 0; d0 < nsim; d0 += group) {
    int g_n = nsim - d0 < group ? nsim - d0 : group;
    for (int g = 0; g < g_n; g++) {
      trainer_sample(tr, theta, rng_next(rng) | 1, d0 + g == 0);
      memcpy(ws + (size_t) g * P, tr->smp.w, P * sizeof(double));
    }
    for (int from = 0; from < n; from += block) {
      int rows = n - from < block ? n - from : block;
      size_t stride = (size_t) rows; /* between outputs of one draw */
      for (int j = 0; j < p; j++)
        memcpy(tr->wk.h[0] + (size_t) j * rows, x + (size_t) j * n + from,
               rows * sizeof(double));
      for (int g = 0; g < g_n; g++) {
        mlp_forward(net, ws + (size_t) g * P, &tr->wk, rows);
        memcpy(eta + (size_t) g * rows * k, tr->wk.h[L],
               (size_t) rows * k * sizeof(double));
      }
      for (int c = 0; c < k; c++) {
        for (int i = 0; i < rows; i++) {
          double *o = out + d0 + (size_t) nsim * (from + i + (size_t) n * c);
          for (int g = 0; g < g_n; g++) {
            double v = link_inverse(lk, eta + (size_t) g * rows * k + i, k,
                                    c, stride);
            bad |= !isfinite(v);
            o[g] = v;
          }
        }
      }
    }
  }
  return bad;
}
