/* The trainer: network, scratch and per-chunk results of one .Call. */
#ifndef BBB_TRAIN_H
#define BBB_TRAIN_H

#include "bbb.h"
#include "optim.h"

typedef struct {
  const double *x, *y;  /* x: n x p column-major; y: n */
  int n, p;
  const double *center, *scale; /* standardisation of the columns of x */
  const float *rows;    /* NULL, or x standardized, row-major (n x p) */
} bbb_data;

typedef struct {
  int epochs, batch_size, n_samples, kl_blundell, learn_tau;
  bbb_optim optim;
} bbb_train_control;

typedef struct {
  const bbb_net *net;
  int threads, n_chunks;
  bbb_work wk;
  bbb_sample smp;
  real *g;              /* gradient of theta = (mu, rho, tau), if summed */
  double *kl_chunk, *check_chunk;
  double *moments;      /* empirical Bayes: n_chunks x n_groups sums */
  double *y;            /* the batch response */
} bbb_trainer;

BBB_API void trainer_alloc(bbb_trainer *tr, const bbb_net *net, int rows,
                           int threads, int sum_grad);
BBB_API void trainer_sample(bbb_trainer *tr, const real *theta,
                            uint64_t seed, int scales);
BBB_API double trainer_pass(bbb_trainer *tr, const real *mu, double tau,
                            uint64_t seed, int rows, double *dtau);
BBB_API void trainer_params(bbb_trainer *tr, real *theta, real *m, real *v,
                            const bbb_step *st, int add, double kl_w,
                            double scale, uint64_t seed, double *kl,
                            int *ok);

/* train.c, compiled once per precision (single.c). */
#define TRAIN_RUN_ARGS                                                  \
  const bbb_net *net, const bbb_data *d, double *theta, double *m,     \
    double *v, double *t, const bbb_train_control *ctl, int threads,   \
    bbb_rng *rng, uint64_t base, double *trace, int *fail_epoch,      \
    int *fail_step
int train_run_double(TRAIN_RUN_ARGS);
int train_run_single(TRAIN_RUN_ARGS);
int have_sgemm(void);

/* blas_threads.c */
int blas_threads_get(void);
int blas_threads_set(int n);
void blas_threads_restore(int old);

int gemm_bench_double(const char *ta, const char *tb, int m, int n, int k,
                      int reps, int threads);
int gemm_bench_single(const char *ta, const char *tb, int m, int n, int k,
                      int reps, int threads);
#ifdef BBB_SINGLE
#define TRAIN_RUN train_run_single
#define GEMM_BENCH gemm_bench_single
#else
#define TRAIN_RUN train_run_double
#define GEMM_BENCH gemm_bench_double
#endif

/* objective.c */
double objective_eval(bbb_trainer *tr, double *theta, const double *noise,
                      int rows, double kl_w, double *nll, double *kl);

/* predict.c */
enum { LINK_NONE = 0, LINK_SHIFT = 1, LINK_LOGIT = 2, LINK_LOG = 3,
       LINK_SOFTMAX = 4 };
typedef struct {
  int kind;
  double shift, scale; /* LINK_SHIFT: shift + scale eta */
} bbb_link;
int predict_draws(const bbb_net *net, int threads, const double *theta,
                  const double *x, int n, int nsim, bbb_rng *rng,
                  const bbb_link *lk, double *out);

#endif
