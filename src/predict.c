/* Posterior draws of the linear predictor: for each of nsim weight draws
 * w = mu + sigma eps, the forward pass on all rows of x, in blocks of at
 * most tr->wk.rows rows. out is an nsim x n x k array (column-major), the
 * layout R users get from predict(type = "samples").
 * Predictions always sample weights (also for fits trained with the local
 * estimator), so each draw is one coherent function of x. */
#include <string.h>
#include "bbb.h"
#include "train.h"

void predict_draws(bbb_trainer *tr, const double *theta, const double *x,
                   int n, int nsim, bbb_rng *rng, double *out) {
  const bbb_net *net = tr->net;
  int L = net->n_layers, p = net->width[0];
  int k = net->width[L], block = tr->wk.rows;
  for (int d = 0; d < nsim; d++) {
    trainer_sample(tr, theta, rng_next(rng) | 1, d == 0);
    for (int from = 0; from < n; from += block) {
      int rows = n - from < block ? n - from : block;
      for (int j = 0; j < p; j++)
        memcpy(tr->wk.h[0] + (size_t) j * rows, x + (size_t) j * n + from,
               rows * sizeof(double));
      mlp_forward(net, tr->smp.w, &tr->wk, rows);
      const double *eta = tr->wk.h[L];
      for (int c = 0; c < k; c++)
        for (int i = 0; i < rows; i++)
          out[d + (size_t) nsim * (from + i + (size_t) n * c)] =
            eta[i + (size_t) rows * c];
    }
  }
}
