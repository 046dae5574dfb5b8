/* Prior constants, per group of parameters. The per-parameter prior terms
 * are inline in prior.h; everything stays in log space: the scale mixture
 * is a logsumexp of its two components with the larger one taken out,
 * never exp-then-log.
 *
 * Empirical Bayes (gaussian prior): the KL term of a group of n
 * parameters sharing N(0, s^2) is
 *   KL(s) = sum_j log(s / sigma_j) + (sigma_j^2 + mu_j^2) / (2 s^2) - 1/2,
 * and with the hyperprior IG(a, b) on s^2 (-log density (a + 1) log s^2 +
 * b / s^2 + const) the objective in s^2 is minimised at
 *   s^2 = (b + S / 2) / (a + n / 2 + 1),  S = sum_j (mu_j^2 + sigma_j^2).
 * At that minimum the gradient of the objective in (mu, rho) is the
 * fixed-prior gradient at s (envelope theorem), so the passes need nothing
 * but the new constants. */
#define R_NO_REMAP
#include <R.h>
#include <Rmath.h>
#include <math.h>
#include "prior.h"

void prior_setup(bbb_prior *p, int kind, double pi, double s1, double s2) {
  p->kind = kind;
  p->pi = pi;
  p->s1 = s1;
  p->s2 = s2;
  p->h1 = 1 / (2 * s1 * s1);
  p->h2 = 1 / (2 * s2 * s2);
  p->c1 = log(pi) - log(s1);
  p->c2 = log1p(-pi) - log(s2);
  p->log_s1 = log(s1);
}

/* The groups of parameters sharing a prior: [from[g], from[g + 1]) for
 * g < n_groups, increasing from 0 to n_par (checked by the caller), and
 * their unpruned counts; every group starts with a copy of net->prior[0],
 * which the caller has set. */
void prior_groups(bbb_net *net, const int *from, int n_groups) {
  net->n_groups = n_groups;
  net->group_from = (int *) R_alloc(n_groups + 1, sizeof(int));
  net->n_kept = (int *) R_alloc(n_groups, sizeof(int));
  bbb_prior first = net->prior[0];
  bbb_prior *pr = (bbb_prior *) R_alloc(n_groups, sizeof(bbb_prior));
  for (int g = 0; g <= n_groups; g++) net->group_from[g] = from[g];
  for (int g = 0; g < n_groups; g++) {
    pr[g] = first;
    int n = 0;
    for (int j = from[g]; j < from[g + 1]; j++)
      n += net->mask ? net->mask[j] != 0 : 1;
    net->n_kept[g] = n;
  }
  net->prior = pr;
}

/* New empirical-Bayes scales from moments[g] = sum over group g of
 * mu^2 + sigma^2 (pruned parameters add 0 and are not counted): for each
 * tie t, s_t^2 = (b + sum_g moments[g] / (2 rel_g^2)) / (a + sum_g n_g / 2
 * + 1) over its groups g, the minimum of the KL terms of its groups plus
 * -log IG(s_t^2 | a, b). */
void eb_rescale(const bbb_net *net, const double *moments) {
  if (!net->eb) return;
  double *num = net->eb_work, *den = num + net->n_ties;
  for (int t = 0; t < net->n_ties; t++) {
    num[t] = net->eb_b[t];
    den[t] = net->eb_a[t] + 1;
  }
  for (int g = 0; g < net->n_groups; g++) {
    int t = net->eb_tie[g];
    double r = net->eb_rel[g];
    num[t] += 0.5 * moments[g] / (r * r);
    den[t] += 0.5 * net->n_kept[g];
  }
  if (net->eb_hold) {
    /* held at the hyperprior's mode b / (a + 1), as in a warm-up */
    for (int t = 0; t < net->n_ties; t++) {
      num[t] = net->eb_b[t];
      den[t] = net->eb_a[t] + 1;
    }
  }
  for (int g = 0; g < net->n_groups; g++) {
    int t = net->eb_tie[g];
    double s = sqrt(num[t] / den[t]) * net->eb_rel[g];
    prior_setup(&net->prior[g], PRIOR_GAUSSIAN, 0.5, s, s);
  }
}

/* -log p(s_t^2) of every tie's scale under its hyperprior IG(a, b): the
 * term that, with the KL term, empirical Bayes minimises (0 without it). */
double eb_penalty(const bbb_net *net) {
  if (!net->eb) return 0;
  double pen = 0;
  for (int t = 0; t < net->n_ties; t++) {
    int g = 0;
    while (net->eb_tie[g] != t) g++;  /* a group of the tie */
    double a = net->eb_a[t], b = net->eb_b[t];
    double st = net->prior[g].s1 / net->eb_rel[g], s2 = st * st;
    pen += -a * log(b) + lgammafn(a) + (a + 1) * log(s2) + b / s2;
  }
  return pen;
}
