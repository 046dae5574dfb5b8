/* The .Call entry points: unpack and re-check every argument, call the
 * kernels, pack the result. Inputs are never modified: parameters and
 * optimiser state are copied into fresh vectors that are returned. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include "bbb.h"
#include "data.h"
#include "mlp.h"
#include "objective.h"
#include "posterior.h"
#include "predict.h"
#include "posterior.h"
#include "prior.h"
#include "sqrt_block.h"
#include "rng.h"
#include "scratch.h"
#include "threads.h"
#include "train.h"
#include "trainer.h"

/* The element `name` of a list, or NULL (C) if there is none. */
static SEXP list_find(SEXP list, const char *name) {
  if (TYPEOF(list) != VECSXP) Rf_error("expected a list for '%s'", name);
  SEXP names = Rf_getAttrib(list, R_NamesSymbol);
  if (TYPEOF(names) == STRSXP && XLENGTH(names) == XLENGTH(list)) {
    for (R_xlen_t i = 0; i < XLENGTH(list); i++)
      if (strcmp(CHAR(STRING_ELT(names, i)), name) == 0)
        return VECTOR_ELT(list, i);
  }
  return NULL;
}

static SEXP list_get(SEXP list, const char *name) {
  SEXP x = list_find(list, name);
  if (!x) Rf_error("element '%s' is missing", name);
  return x;
}

static int get_int(SEXP list, const char *name, int lo, int hi) {
  SEXP x = list_get(list, name);
  if (TYPEOF(x) != INTSXP || XLENGTH(x) != 1 || INTEGER(x)[0] < lo ||
      INTEGER(x)[0] > hi)
    Rf_error("'%s' must be one integer in [%d, %d]", name, lo, hi);
  return INTEGER(x)[0];
}

static double get_dbl(SEXP list, const char *name, double lo, double hi) {
  SEXP x = list_get(list, name);
  if (TYPEOF(x) != REALSXP || XLENGTH(x) != 1 || !(REAL(x)[0] >= lo) ||
      !(REAL(x)[0] <= hi))
    Rf_error("'%s' must be one number in [%g, %g]", name, lo, hi);
  return REAL(x)[0];
}

static void check_finite(SEXP x, R_xlen_t len, const char *what) {
  if (TYPEOF(x) != REALSXP || XLENGTH(x) != len)
    Rf_error("'%s' must be a double vector of length %lld", what,
             (long long) len);
  ptrdiff_t big;
  if (scan_values(REAL(x), len, INFINITY, &big))
    Rf_error("'%s' has a non-finite value", what);
}

/* Offsets of W_l and b_l in the flat layout (bbb.h). */
static void net_offsets(bbb_net *net) {
  int off = 0, L = net->n_layers;
  net->w_off = (int *) R_alloc(L, sizeof(int));
  net->b_off = (int *) R_alloc(L, sizeof(int));
  net->max_width = net->width[0];
  for (int l = 0; l < L; l++) {
    net->w_off[l] = off;
    off += net->width[l] * net->width[l + 1];
    net->b_off[l] = off;
    off += net->width[l + 1];
    if (net->width[l + 1] > net->max_width)
      net->max_width = net->width[l + 1];
  }
  net->n_par = off;
}

/* The groups of parameters that share a prior: `groups`, the first
 * parameter of each (0-based, increasing from 0), n_par closing it. */
static void unpack_groups(SEXP spec, bbb_net *net) {
  SEXP from = list_get(spec, "groups");
  R_xlen_t n = XLENGTH(from);
  if (TYPEOF(from) != INTSXP || n < 2 || n > (R_xlen_t) net->n_par + 1)
    Rf_error("'groups' must be an integer vector of length 2 to n_par + 1");
  const int *f = INTEGER(from);
  if (f[0] != 0 || f[n - 1] != net->n_par)
    Rf_error("'groups' must run from 0 to n_par");
  for (R_xlen_t g = 1; g < n; g++)
    if (f[g] <= f[g - 1]) Rf_error("'groups' must be increasing");
  prior_groups(net, f, (int) n - 1);
}

/* Empirical Bayes: whether the gaussian prior's scales are learned
 * (prior_eb), the tie (0-based) and relative scale of each group
 * (eb_tie, eb_rel), and the hyperprior IG(eb_a[t], eb_b[t]) of each tie
 * (see bbb_net), and the scratch of eb_rescale. */
static void unpack_eb(SEXP spec, bbb_net *net, int prior) {
  net->eb = get_int(spec, "prior_eb", 0, 1);
  net->eb_hold = 0;
  net->n_ties = 0;
  net->eb_tie = NULL;
  net->eb_rel = net->eb_a = net->eb_b = NULL;
  if (!net->eb) return;
  if (prior != PRIOR_GAUSSIAN)
    Rf_error("empirical Bayes needs the gaussian prior");
  int G = net->n_groups;
  SEXP tie = list_get(spec, "eb_tie"), rel = list_get(spec, "eb_rel");
  if (TYPEOF(tie) != INTSXP || XLENGTH(tie) != G || TYPEOF(rel) != REALSXP ||
      XLENGTH(rel) != G)
    Rf_error("'eb_tie' and 'eb_rel' must be vectors of length %d", G);
  int T = 0;
  for (int g = 0; g < G; g++) {
    int t = INTEGER(tie)[g];
    /* ties numbered in order of first appearance: 0, then at most +1 */
    if (t < 0 || t > T) Rf_error("'eb_tie' must number the ties from 0");
    if (t == T) T++;
    if (!(REAL(rel)[g] >= 1e-6 && REAL(rel)[g] <= 1e6))
      Rf_error("'eb_rel' must be in [1e-6, 1e6]");
  }
  SEXP a = list_get(spec, "eb_a"), b = list_get(spec, "eb_b");
  if (TYPEOF(a) != REALSXP || XLENGTH(a) != T || TYPEOF(b) != REALSXP ||
      XLENGTH(b) != T)
    Rf_error("'eb_a' and 'eb_b' must be double vectors of length %d", T);
  for (int t = 0; t < T; t++)
    if (!(REAL(a)[t] >= 1e-6 && REAL(a)[t] <= 1e6 &&
          REAL(b)[t] >= 1e-12 && REAL(b)[t] <= 1e6))
      Rf_error("'eb_a' must be in [1e-6, 1e6] and 'eb_b' in [1e-12, 1e6]");
  net->n_ties = T;
  net->eb_tie = INTEGER(tie);
  net->eb_rel = REAL(rel);
  net->eb_a = REAL(a);
  net->eb_b = REAL(b);
  net->eb_work = (double *) R_alloc(2 * (size_t) T, sizeof(double));
}

/* options(bbb.gemm = "blas") computes the products by the BLAS that R
 * uses instead of the engine's own kernels (mlp.c); unset or "own": the
 * own kernels. */
static int gemm_option(void) {
  SEXP o = Rf_GetOption1(Rf_install("bbb.gemm"));
  if (o == R_NilValue) return 0;
  if (TYPEOF(o) != STRSXP || XLENGTH(o) != 1 ||
      (strcmp(CHAR(STRING_ELT(o, 0)), "own") &&
       strcmp(CHAR(STRING_ELT(o, 0)), "blas")))
    Rf_error("option 'bbb.gemm' must be \"own\" or \"blas\"");
  return strcmp(CHAR(STRING_ELT(o, 0)), "blas") == 0;
}

/* Builds the network description from the R list made by net_spec(). */
static void unpack_net(SEXP spec, bbb_net *net) {
  SEXP width = list_get(spec, "width");
  if (TYPEOF(width) != INTSXP || XLENGTH(width) < 2 || XLENGTH(width) > 1000)
    Rf_error("'width' must be an integer vector of length 2 to 1000");
  double n_par = 0;
  for (R_xlen_t l = 0; l < XLENGTH(width); l++) {
    int w = INTEGER(width)[l];
    if (w < 1 || w > 1000000) Rf_error("'width' must be in [1, 1e6]");
    if (l > 0) n_par += ((double) INTEGER(width)[l - 1] + 1) * w;
  }
  if (n_par > 1e8) Rf_error("the network has more than 1e8 parameters");
  net->n_layers = (int) XLENGTH(width) - 1;
  net->width = INTEGER(width);
  net->activation = get_int(spec, "activation", 0, 2);
  net->family = get_int(spec, "family", 0, 4);
  net->estimator = get_int(spec, "estimator", 0, 1);
  int prior = get_int(spec, "prior", 0, 1);
  double pi = get_dbl(spec, "prior_pi", 0, 1);
  double s1 = get_dbl(spec, "prior_sigma1", 1e-300, 1e300);
  double s2 = get_dbl(spec, "prior_sigma2", 1e-300, 1e300);
  if (prior == PRIOR_MIXTURE && !(pi > 0 && pi < 1))
    Rf_error("'prior_pi' must be in (0, 1)");
  if (net->estimator == EST_LOCAL && prior != PRIOR_GAUSSIAN)
    Rf_error("the local estimator needs the gaussian prior");
  int k = INTEGER(width)[net->n_layers];
  if (net->family == FAM_HETERO) {
    if (k != 2) Rf_error("the heteroscedastic gaussian needs two output units");
  } else if (net->family != FAM_MULTINOMIAL) {
    if (k != 1) Rf_error("this family needs one output unit");
  } else if (k < 2) {
    Rf_error("the multinomial family needs at least two output units");
  }
  net->prior = (bbb_prior *) R_alloc(1, sizeof(bbb_prior));
  prior_setup(net->prior, prior, pi, s1, s2);
  net_offsets(net);
  net->blas = gemm_option();
  SEXP mask = list_find(spec, "mask");
  if (!mask || mask == R_NilValue) {
    net->mask = NULL;
  } else {
    if (TYPEOF(mask) != REALSXP || XLENGTH(mask) != net->n_par)
      Rf_error("'mask' must be a double vector of length %d", net->n_par);
    for (int j = 0; j < net->n_par; j++)
      if (REAL(mask)[j] != 0 && REAL(mask)[j] != 1)
        Rf_error("'mask' must hold only 0 and 1");
    net->mask = REAL(mask);
  }
  unpack_groups(spec, net);
  unpack_eb(spec, net, prior);
}

static void check_x(SEXP x, const bbb_net *net, int *n) {
  SEXP dim = Rf_getAttrib(x, R_DimSymbol);
  if (TYPEOF(x) != REALSXP || TYPEOF(dim) != INTSXP || XLENGTH(dim) != 2)
    Rf_error("'x' must be a double matrix");
  *n = INTEGER(dim)[0];
  if (INTEGER(dim)[1] != net->width[0])
    Rf_error("'x' must have %d columns", net->width[0]);
  if (*n < 1) Rf_error("'x' must have at least one row");
  check_finite(x, XLENGTH(x), "x");
}

static void check_y(SEXP y, const bbb_net *net, int n) {
  check_finite(y, n, "y");
  const double *p = REAL(y);
  int k = net->width[net->n_layers];
  for (int i = 0; i < n; i++) {
    int bad = 0;
    switch (net->family) {
    case FAM_BINOMIAL: bad = p[i] < 0 || p[i] > 1; break;
    case FAM_POISSON: bad = p[i] < 0; break;
    case FAM_MULTINOMIAL:
      bad = p[i] < 0 || p[i] > k - 1 || p[i] != floor(p[i]);
      break;
    }
    if (bad) Rf_error("'y' has a value outside the family's support");
  }
}

static void unpack_optim(SEXP ctrl, bbb_optim *o) {
  o->kind = get_int(ctrl, "optimizer", 0, 1);
  o->lr = get_dbl(ctrl, "lr", 1e-300, 1e300);
  o->momentum = get_dbl(ctrl, "momentum", 0, 1);
  o->beta1 = get_dbl(ctrl, "beta1", 0, 1 - 1e-12);
  o->beta2 = get_dbl(ctrl, "beta2", 0, 1 - 1e-12);
  o->eps = get_dbl(ctrl, "eps", 0, 1e300);
  o->rho_rate = get_dbl(ctrl, "rho_rate", 0, 1);
}

static SEXP named_list(int n, const char **names) {
  SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
  SEXP nm = PROTECT(Rf_allocVector(STRSXP, n));
  for (int i = 0; i < n; i++) SET_STRING_ELT(nm, i, Rf_mkChar(names[i]));
  Rf_setAttrib(out, R_NamesSymbol, nm);
  UNPROTECT(2);
  return out;
}

static SEXP copy_finite(SEXP x, R_xlen_t len, const char *what) {
  check_finite(x, len, what);
  return Rf_duplicate(x);
}

/* The optimiser's moments: a copy, or zeros for NULL (a fresh fit, which
 * so holds no vectors of zeros of its own). */
static SEXP copy_moments(SEXP x, R_xlen_t len, const char *what) {
  if (x != R_NilValue) return copy_finite(x, len, what);
  SEXP out = PROTECT(Rf_allocVector(REALSXP, len));
  memset(REAL(out), 0, (size_t) len * sizeof(double));
  UNPROTECT(1);
  return out;
}

/* The engine's random state across the calls of one fit: the master
 * stream (shuffles) and the base seed of the per-step draws, continued
 * from `state` (a raw vector returned by an earlier call) or seeded from
 * R's RNG when it is NULL. */
typedef struct {
  bbb_rng master;
  uint64_t base;
} engine_state;

static void rng_resume(engine_state *es, SEXP state) {
  if (state == R_NilValue) {
    GetRNGstate();
    rng_seed_from_r(&es->master);
    PutRNGstate();
    es->base = rng_next(&es->master);
    return;
  }
  if (TYPEOF(state) != RAWSXP || XLENGTH(state) != sizeof *es)
    Rf_error("'rng_state' must be NULL or a raw vector of length %d",
             (int) sizeof *es);
  memcpy(es, RAW(state), sizeof *es);
  const uint64_t *s = es->master.s;
  if (!(s[0] | s[1] | s[2] | s[3]))
    Rf_error("'rng_state' must not be all zero");
}

static SEXP rng_save(const engine_state *es) {
  SEXP out = Rf_allocVector(RAWSXP, sizeof *es);
  memcpy(RAW(out), es, sizeof *es);
  return out;
}

/* One engine run, in a form that R_ExecWithCleanup can call. */
typedef struct {
  const bbb_net *net;
  bbb_data data;
  double *theta, *m, *v, *t;
  const bbb_train_control *ctl;
  int threads, single;
  engine_state es;
  double *trace;
  int status, fail_epoch, fail_step;
} train_call;

static SEXP train_call_run(void *p) {
  train_call *c = (train_call *) p;
  c->status = (c->single ? train_run_single : train_run_double)(
    c->net, &c->data, c->theta, c->m, c->v, c->t, c->ctl, c->threads,
    &c->es.master, c->es.base, c->trace, &c->fail_epoch, &c->fail_step);
  return R_NilValue;
}

static void blas_threads_cleanup(void *p) { blas_threads_restore(*(int *) p); }

SEXP bbb_train(SEXP spec, SEXP theta_, SEXP m_, SEXP v_, SEXP t_, SEXP x,
               SEXP y, SEXP ctrl, SEXP rng_state) {
  bbb_net net;
  bbb_train_control ctl;
  unpack_net(spec, &net);
  int n, P = net.n_par;
  R_xlen_t len = 2 * (R_xlen_t) P + 1;
  check_x(x, &net, &n);
  check_y(y, &net, n);
  ctl.epochs = get_int(ctrl, "epochs", 1, 1000000000);
  ctl.batch_size = get_int(ctrl, "batch_size", 1, n);
  ctl.n_samples = get_int(ctrl, "n_samples", 1, 1000000);
  ctl.kl_blundell = get_int(ctrl, "kl_blundell", 0, 1);
  ctl.learn_tau = get_int(ctrl, "learn_tau", 0, 1);
  net.eb_hold = net.eb && get_int(ctrl, "eb_hold", 0, 1);
  int threads = get_int(ctrl, "threads", 1, 1024);
  int single = get_int(ctrl, "single", 0, 1);
  /* the single engine holds the prior's 1 / (2 s^2) in a float */
  if (single && !net.eb)
    for (int g = 0; g < net.n_groups; g++)
      if (!(net.prior[g].h1 <= FLT_MAX && net.prior[g].h2 <= FLT_MAX))
        Rf_error("the prior's scales are too small for single precision");
  unpack_optim(ctrl, &ctl.optim);
  if (TYPEOF(t_) != REALSXP || XLENGTH(t_) != 1 || !(REAL(t_)[0] >= 0))
    Rf_error("'t' must be one non-negative number");
  double t = REAL(t_)[0];

  SEXP theta = PROTECT(copy_finite(theta_, len, "theta"));
  SEXP m = PROTECT(copy_moments(m_, len, "m"));
  SEXP v = PROTECT(copy_moments(v_, len, "v"));
  SEXP trace = PROTECT(Rf_allocMatrix(REALSXP, ctl.epochs, 2));
  for (R_xlen_t i = 0; i < 2 * (R_xlen_t) ctl.epochs; i++)
    REAL(trace)[i] = NA_REAL;

  SEXP center = list_get(ctrl, "center"), scale = list_get(ctrl, "scale");
  check_finite(center, net.width[0], "center");
  check_finite(scale, net.width[0], "scale");
  for (int j = 0; j < net.width[0]; j++)
    if (!(REAL(scale)[j] > 0)) Rf_error("'scale' must be positive");
  /* optional: x standardized row by row (bbb_design_rows), single only */
  SEXP rows = list_find(ctrl, "rows");
  const float *rows_ptr = NULL;
  if (rows && rows != R_NilValue) {
    if (TYPEOF(rows) != RAWSXP || !single ||
        XLENGTH(rows) != (R_xlen_t) n * net.width[0] *
                           (R_xlen_t) sizeof(float))
      Rf_error("'rows' must be NULL or the rows of 'x' for single "
               "precision");
    rows_ptr = (const float *) RAW(rows);
  }
  train_call call = {&net,
                     {REAL(x), REAL(y), n, net.width[0], REAL(center),
                      REAL(scale), rows_ptr},
                     REAL(theta), REAL(m), REAL(v), &t, &ctl, threads, single,
                     {{{0}}, 0}, REAL(trace), 0, 0, 0};
  rng_resume(&call.es, rng_state);
  int blas_old = blas_threads_set(1);
  R_ExecWithCleanup(train_call_run, &call, blas_threads_cleanup, &blas_old);
  int status = call.status, fail_epoch = call.fail_epoch;
  int fail_step = call.fail_step;
  const engine_state es = call.es;

  const char *names[] = {"theta", "m", "v", "t", "trace", "status",
                         "fail_epoch", "fail_step", "rng_state"};
  SEXP out = PROTECT(named_list(9, names));
  SET_VECTOR_ELT(out, 0, theta);
  SET_VECTOR_ELT(out, 1, m);
  SET_VECTOR_ELT(out, 2, v);
  SET_VECTOR_ELT(out, 3, Rf_ScalarReal(t));
  SET_VECTOR_ELT(out, 4, trace);
  SET_VECTOR_ELT(out, 5, Rf_ScalarInteger(status));
  SET_VECTOR_ELT(out, 6, Rf_ScalarInteger(fail_epoch));
  SET_VECTOR_ELT(out, 7, Rf_ScalarInteger(fail_step));
  SET_VECTOR_ELT(out, 8, rng_save(&es));
  UNPROTECT(5);
  return out;
}

SEXP bbb_objective(SEXP spec, SEXP theta_, SEXP x, SEXP y, SEXP noise,
                   SEXP kl_weight) {
  bbb_net net;
  unpack_net(spec, &net);
  int n, P = net.n_par;
  check_x(x, &net, &n);
  check_y(y, &net, n);
  R_xlen_t n_noise = P;
  if (net.estimator == EST_LOCAL) {
    n_noise = 0;
    for (int l = 1; l <= net.n_layers; l++)
      n_noise += (R_xlen_t) n * net.width[l];
  }
  check_finite(noise, n_noise, "noise");
  check_finite(kl_weight, 1, "kl_weight");
  SEXP theta = PROTECT(copy_finite(theta_, 2 * (R_xlen_t) P + 1, "theta"));

  bbb_trainer tr;
  trainer_alloc(&tr, &net, n, 1, 1);
  memcpy(tr.wk.h[0], REAL(x), (size_t) n * net.width[0] * sizeof(double));
  work_spread(tr.wk.h[0], n, net.width[0]);
  memcpy(tr.y, REAL(y), (size_t) n * sizeof(double));
  double nll, kl;
  double f = objective_eval(&tr, REAL(theta), REAL(noise), n,
                            REAL(kl_weight)[0], &nll, &kl);

  SEXP grad = PROTECT(Rf_allocVector(REALSXP, 2 * (R_xlen_t) P + 1));
  memcpy(REAL(grad), tr.g, (2 * (size_t) P + 1) * sizeof(double));
  const char *names[] = {"value", "nll", "kl", "gradient"};
  SEXP out = PROTECT(named_list(4, names));
  SET_VECTOR_ELT(out, 0, Rf_ScalarReal(f));
  SET_VECTOR_ELT(out, 1, Rf_ScalarReal(nll));
  SET_VECTOR_ELT(out, 2, Rf_ScalarReal(kl));
  SET_VECTOR_ELT(out, 3, grad);
  UNPROTECT(3);
  return out;
}

/* One prediction run, in a form that R_ExecWithCleanup can call. */
typedef struct {
  const bbb_net *net;
  int threads;
  const double *theta, *x;
  int n, nsim;
  bbb_rng *rng;
  const bbb_link *lk;
  double *out;
  int bad;
} predict_call;

static SEXP predict_call_run(void *p) {
  predict_call *c = (predict_call *) p;
  c->bad = predict_draws(c->net, c->threads, c->theta, c->x, c->n, c->nsim,
                         c->rng, c->lk, c->out);
  return R_NilValue;
}

/* The link of bbb_predict and bbb_inverse_link: list(kind, shift, scale),
 * see bbb_link; NULL for none. */
static bbb_link unpack_link(SEXP link) {
  bbb_link lk = {LINK_NONE, 0, 1};
  if (link != R_NilValue) {
    lk.kind = get_int(link, "kind", 0, 5);
    lk.shift = get_dbl(link, "shift", -1e300, 1e300);
    lk.scale = get_dbl(link, "scale", -1e300, 1e300);
  }
  return lk;
}

/* The generator of a prediction: seeded by `seed` (a whole number, as a
 * double) or, when it is NULL, from R's RNG. */
static void predict_seed(bbb_rng *rng, SEXP seed) {
  if (seed == R_NilValue) {
    GetRNGstate();
    rng_seed_from_r(rng);
    PutRNGstate();
    return;
  }
  if (TYPEOF(seed) != REALSXP || XLENGTH(seed) != 1 ||
      !(fabs(REAL(seed)[0]) <= 9007199254740992.0) ||
      REAL(seed)[0] != floor(REAL(seed)[0]))
    Rf_error("'seed' must be NULL or one whole number");
  rng_seed(rng, (uint64_t) (int64_t) REAL(seed)[0]);
}

/* Draws of the linear predictor (link NULL) or of the mean on the response
 * scale (link = list(kind, shift, scale), see bbb_link), from the weight
 * draws of `seed` (see predict_seed): the same seed and nsim give the same
 * draws of the weights whatever x. A non-finite value is not an error
 * here: the result then has the attribute "nonfinite" (TRUE), for the R
 * side to report. */
SEXP bbb_predict(SEXP spec, SEXP theta, SEXP x, SEXP nsim_, SEXP threads_,
                 SEXP link, SEXP seed) {
  bbb_net net;
  unpack_net(spec, &net);
  net.estimator = EST_WEIGHT;
  net.eb = 0; /* the prior plays no part, and threads share the net */
  int n, P = net.n_par, k = net.width[net.n_layers];
  check_x(x, &net, &n);
  check_finite(theta, 2 * (R_xlen_t) P + 1, "theta");
  if (TYPEOF(nsim_) != INTSXP || XLENGTH(nsim_) != 1 ||
      INTEGER(nsim_)[0] < 1)
    Rf_error("'nsim' must be one positive integer");
  /* Bounded as in bbb_train: libgomp puts per-thread start data on the C
   * stack, so an absurd count overflows it (a segfault). */
  if (TYPEOF(threads_) != INTSXP || XLENGTH(threads_) != 1 ||
      INTEGER(threads_)[0] < 1 || INTEGER(threads_)[0] > 1024)
    Rf_error("'threads' must be one integer in [1, 1024]");
  int nsim = INTEGER(nsim_)[0];
  if ((double) nsim * n * k > 4e9)
    Rf_error("%d draws for %d rows would need more than 4e9 numbers", nsim,
             n);

  bbb_link lk = unpack_link(link);
  if (link != R_NilValue &&
      ((lk.kind == LINK_SOFTMAX) != (net.family == FAM_MULTINOMIAL) ||
       (lk.kind == LINK_HETERO) != (net.family == FAM_HETERO)))
    Rf_error("the softmax (heteroscedastic) link goes with the multinomial "
             "(heteroscedastic) family only");

  bbb_rng rng;
  predict_seed(&rng, seed);
  SEXP out = PROTECT(Rf_alloc3DArray(REALSXP, nsim, n, k));
  predict_call call = {&net, INTEGER(threads_)[0], REAL(theta), REAL(x),
                       n, nsim, &rng, &lk, REAL(out), 0};
  int blas_old = blas_threads_set(1);
  /* predict_draws allocates (R_alloc): an error there must not leave the
   * BLAS single-threaded */
  R_ExecWithCleanup(predict_call_run, &call, blas_threads_cleanup,
                    &blas_old);
  if (call.bad)
    Rf_setAttrib(out, Rf_install("nonfinite"), Rf_ScalarLogical(1));
  UNPROTECT(1);
  return out;
}

/* The mean on the response scale of draws of the linear predictor eta (an
 * array whose last dimension holds the k outputs), by the engine's inverse
 * link: the one implementation that predict() and bbb_evaluate() use. A
 * non-finite result sets the attribute "nonfinite" as in bbb_predict. */
SEXP bbb_inverse_link(SEXP eta, SEXP k_, SEXP link) {
  if (TYPEOF(k_) != INTSXP || XLENGTH(k_) != 1 || INTEGER(k_)[0] < 1)
    Rf_error("'k' must be one positive integer");
  int k = INTEGER(k_)[0];
  if (TYPEOF(eta) != REALSXP || XLENGTH(eta) % k != 0)
    Rf_error("'eta' must be a double array with a multiple of k values");
  bbb_link lk = unpack_link(link);
  if (lk.kind == LINK_HETERO ? k != 2 :
      (lk.kind == LINK_SOFTMAX) != (k > 1))
    Rf_error("the link does not go with %d output(s)", k);
  SEXP out = PROTECT(Rf_duplicate(eta));
  if (link_apply(&lk, REAL(eta), (size_t) (XLENGTH(eta) / k), k, REAL(out)))
    Rf_setAttrib(out, Rf_install("nonfinite"), Rf_ScalarLogical(1));
  UNPROTECT(1);
  return out;
}

/* For the tests of what training applies: the noise that step t (counted
 * over the fit, from 1) and sample s (from 0) of a training run draws,
 * for the engine state `rng_state` as bbb_train takes it (NULL: seeded
 * from R's RNG, exactly as bbb_train does). eps: the standard normals of
 * the weight draw in the flat layout (n_par); zeta: the local estimator's
 * noise of layers 1 .. L, each rows x n_l, one after the other. */
SEXP bbb_train_noise(SEXP spec, SEXP rng_state, SEXP t_, SEXP s_,
                     SEXP rows_) {
  bbb_net net;
  unpack_net(spec, &net);
  /* bounded as the engine's own step counts and samples are */
  if (TYPEOF(t_) != REALSXP || XLENGTH(t_) != 1 || !(REAL(t_)[0] >= 1) ||
      !(REAL(t_)[0] <= 9007199254740992.0))
    Rf_error("'t' must be one number in [1, 2^53]");
  if (TYPEOF(s_) != INTSXP || XLENGTH(s_) != 1 || INTEGER(s_)[0] < 0 ||
      INTEGER(s_)[0] >= 1000000)
    Rf_error("'s' must be one integer in [0, 1e6)");
  if (TYPEOF(rows_) != INTSXP || XLENGTH(rows_) != 1 ||
      INTEGER(rows_)[0] < 1 || INTEGER(rows_)[0] > 1000000)
    Rf_error("'rows' must be one integer in [1, 1e6]");
  int P = net.n_par, rows = INTEGER(rows_)[0], s = INTEGER(s_)[0];
  double t = REAL(t_)[0];
  engine_state es;
  rng_resume(&es, rng_state);
  R_xlen_t n_zeta = 0;
  for (int l = 1; l <= net.n_layers; l++)
    n_zeta += (R_xlen_t) rows * net.width[l];
  SEXP eps = PROTECT(Rf_allocVector(REALSXP, P));
  SEXP zeta = PROTECT(Rf_allocVector(REALSXP, n_zeta));
  /* a zero theta: the draw is then w = eps, and sample.eps is what the
   * engine multiplies by sigma */
  double *theta = real_zeros(2 * (size_t) P + 1);
  bbb_trainer tr;
  trainer_alloc(&tr, &net, 1, 1, 0);
  net.estimator = EST_WEIGHT;
  trainer_sample(&tr, theta, train_step_seed(es.base, t, s, 0), 1);
  memcpy(REAL(eps), tr.smp.eps, (size_t) P * sizeof(double));
  bbb_vrng r;
  vrng_seed(&r, train_step_seed(es.base, t, s, 1));
  double *z = REAL(zeta);
  for (int l = 1; l <= net.n_layers; l++) {
    real_norm_fill(&r, z, rows * net.width[l]);
    z += (size_t) rows * net.width[l];
  }
  const char *names[] = {"eps", "zeta"};
  SEXP out = PROTECT(named_list(2, names));
  SET_VECTOR_ELT(out, 0, eps);
  SET_VECTOR_ELT(out, 1, zeta);
  UNPROTECT(3);
  return out;
}

/* n standard normals from the engine's bulk generator (Box-Muller in
 * float, used by the engine; returned as doubles), for the tests. */
SEXP bbb_rnorm(SEXP n_) {
  if (TYPEOF(n_) != INTSXP || XLENGTH(n_) != 1 || INTEGER(n_)[0] < 0)
    Rf_error("'n' must be one non-negative integer");
  int n = INTEGER(n_)[0];
  SEXP out = PROTECT(Rf_allocVector(REALSXP, n));
  bbb_rng rng;
  GetRNGstate();
  rng_seed_from_r(&rng);
  PutRNGstate();
  bbb_vrng v;
  vrng_seed(&v, rng_next(&rng));
  float *f = (float *) R_alloc(n > 0 ? n : 1, sizeof(float));
  vrng_norm_fill(&v, f, n);
  for (int i = 0; i < n; i++) REAL(out)[i] = f[i];
  UNPROTECT(1);
  return out;
}

/* sqrt(x) by the version of sqrt_block.c named `version`, in double or
 * (single) in float, for the tests; NULL if this build or CPU has no such
 * version. */
SEXP bbb_sqrt_block(SEXP x, SEXP version, SEXP single_) {
  if (TYPEOF(x) != REALSXP || XLENGTH(x) > SQRT_BLOCK)
    Rf_error("'x' must be a double vector of length at most %d",
             SQRT_BLOCK);
  if (TYPEOF(version) != STRSXP || XLENGTH(version) != 1 ||
      STRING_ELT(version, 0) == NA_STRING)
    Rf_error("'version' must be one string");
  if (TYPEOF(single_) != LGLSXP || XLENGTH(single_) != 1 ||
      LOGICAL(single_)[0] == NA_LOGICAL)
    Rf_error("'single' must be TRUE or FALSE");
  int n = (int) XLENGTH(x);
  SEXP out = PROTECT(Rf_allocVector(REALSXP, n));
  int ok = sqrt_block_with(CHAR(STRING_ELT(version, 0)), LOGICAL(single_)[0],
                           REAL(out), REAL(x), n);
  UNPROTECT(1);
  return ok ? out : R_NilValue;
}

/* OpenBLAS's thread count (0 for another BLAS), for the tests. */
SEXP bbb_blas_threads(void) { return Rf_ScalarInteger(blas_threads_get()); }
