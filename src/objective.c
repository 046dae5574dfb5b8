/* The objective f = -log p(D | w) + k (log q(w) - log P(w)) (closed-form
 * KL for the gaussian prior) at given noise, and its analytic gradient in
 * theta = (mu, rho, tau), left in tr->g. Under empirical Bayes the KL
 * term is taken at the scales that minimise it with the hyperprior term
 * (added to it) for these mu and rho, so f is the profiled objective and
 * its gradient the fixed-prior one at those scales. This is what bbb_gradient()
 * exposes so that anyone can check the gradients by finite differences.
 * noise: eps in the flat layout (weight estimator), or zeta of layers
 * 1 .. L, each rows x n_l, one after the other (local estimator). */
#define R_NO_REMAP
#include <R.h>
#include <string.h>
#include "bbb.h"
#include "mlp.h"
#include "objective.h"
#include "posterior.h"
#include "prior.h"
#include "trainer.h"

double objective_eval(bbb_trainer *tr, double *theta, const double *noise,
                      int rows, double kl_w, double *nll, double *kl) {
  const bbb_net *net = tr->net;
  int P = net->n_par, L = net->n_layers, ok;
  double *mu = theta, dtau = 0;
  posterior_scales(net, theta + P, &tr->smp, 0, P);
  if (net->eb) {
    /* the scales of empirical Bayes at these parameters (prior.c) */
    double *mom = (double *) R_alloc(net->n_groups, sizeof(double));
    memset(mom, 0, net->n_groups * sizeof(double));
    posterior_moments(net, mu, &tr->smp, 0, P, mom);
    eb_rescale(net, mom);
  }
  if (net->estimator == EST_WEIGHT) {
    for (int j = 0; j < P; j++) {
      tr->smp.eps[j] = noise[j];
      tr->smp.w[j] = mu[j] + tr->smp.sigma[j] * noise[j];
    }
  } else {
    for (int l = 1; l <= L; l++) {
      size_t len = (size_t) rows * net->width[l];
      memcpy(tr->wk.zeta[l], noise, len * sizeof(double));
      work_spread(tr->wk.zeta[l], rows, net->width[l]);
      noise += len;
    }
  }
  memset(tr->g, 0, (2 * (size_t) P + 1) * sizeof(double));
  *nll = trainer_pass(tr, mu, theta[2 * P], 0, rows, &dtau);
  trainer_params(tr, theta, NULL, NULL, NULL, 0, kl_w, 0, 0, kl, &ok);
  tr->g[2 * P] = dtau;
  return *nll + kl_w * *kl;
}
