/* Shared types of the bbb engine (the prototypes live in a header per
 * concern: mlp.h, posterior.h, trainer.h, ...). Kernels never see a SEXP.
 *
 * Parameter layout: every weight and bias of the network sits in one flat
 * vector of length n_par. Layer l (0-based) has W_l, an n_l x n_{l+1}
 * column-major matrix at w_off[l], followed by b_l (n_{l+1}) at b_off[l].
 * The variational parameters are mu[n_par] and rho[n_par]; the optimiser
 * sees theta = (mu, rho, tau) of length 2 n_par + 1, tau being the log noise
 * sd of the gaussian family.
 *
 * Activations are column-major batch x width matrices with leading dimension
 * equal to the batch size.
 *
 * Precision: the training engine (mlp.c, posterior.c, optim.c, family.c,
 * train.c, scratch.c) is written for `real`. Compiled on their own, real is double;
 * single.c compiles the same files again with BBB_SINGLE defined, real =
 * float, every function static (BBB_API) and one entry point,
 * train_run_single. Parameters cross to R as doubles either way.
 */
#ifndef BBB_H
#define BBB_H

#include <stddef.h>
#include <stdint.h>

#ifdef BBB_SINGLE
typedef float real;
#define BBB_API static
#else
typedef double real;
#define BBB_API
#endif

enum { ACT_RELU = 0, ACT_TANH = 1, ACT_SIGMOID = 2 };
/* FAM_HETERO: gaussian with a learned log noise sd per row, the second
 * of its two outputs. */
enum { FAM_GAUSSIAN = 0, FAM_BINOMIAL = 1, FAM_MULTINOMIAL = 2,
       FAM_POISSON = 3, FAM_HETERO = 4 };
enum { PRIOR_MIXTURE = 0, PRIOR_GAUSSIAN = 1 };
enum { EST_WEIGHT = 0, EST_LOCAL = 1 };
enum { OPT_SGD = 0, OPT_ADAM = 1 };

/* Loops over the parameters are compiled for AVX-512, AVX2 and the
 * baseline, the best chosen at load time (function multiversioning on
 * x86-64). The AVX2 version is x86-64-v3 (AVX2 with FMA) where GCC knows
 * that level (12 and later): plain "avx2" has no FMA, and with it (c)'s
 * epochs on an AVX2 CPU take 0.90 of the time (bench/README.md). The
 * AVX-512 and v3 versions contract to FMA, so results can differ in the
 * last bits between machines with and without them; on one machine they
 * are reproducible. The clones are resolved by an ifunc, which needs
 * the GNU C library's dynamic loader (musl, macOS and Windows have none):
 * elsewhere there is one baseline version (stdint.h above defines
 * __GLIBC__ where the C library is glibc). GCC only: clang 14 makes the
 * resolver of a static function's clones a global symbol, so the double
 * and single engines' copies collide at link time. Built with
 * -DBBB_MAX_AVX2, the package uses no AVX-512 (neither clones nor matrix
 * kernel): for measuring the AVX2 code on an AVX-512 CPU
 * (bench/avx2.sh). */
#if defined(__has_attribute) && defined(__GNUC__) && !defined(__clang__)
#if __has_attribute(target_clones) && defined(__GLIBC__) && \
  defined(__x86_64__) && defined(__ELF__)
#if __GNUC__ >= 12
#define BBB_AVX2_CLONE "arch=x86-64-v3"
#else
#define BBB_AVX2_CLONE "avx2"
#endif
#ifdef BBB_MAX_AVX2
#define BBB_SIMD_CLONES __attribute__((target_clones(BBB_AVX2_CLONE, \
                                                     "default")))
#else
#define BBB_SIMD_CLONES __attribute__((target_clones("avx512f", \
                                                     BBB_AVX2_CLONE, \
                                                     "default")))
#endif
#endif
#endif
#ifndef BBB_SIMD_CLONES
#define BBB_SIMD_CLONES
#endif

/* Parameters are processed in chunks of this many: a chunk is the unit of
 * work of a thread and owns its own random stream, so results do not depend
 * on the number of threads. */
#define BBB_CHUNK 4096

typedef struct {
  int kind;             /* PRIOR_MIXTURE or PRIOR_GAUSSIAN */
  double pi, s1, s2;    /* gaussian uses s1 only */
  double c1, c2;        /* log pi - log s1, log(1 - pi) - log s2 */
  double h1, h2;        /* 1 / (2 s1^2), 1 / (2 s2^2) */
  double log_s1;
} bbb_prior;

typedef struct {
  int n_layers;         /* L, number of weight layers */
  const int *width;     /* n_0 .. n_L */
  int max_width;        /* max over n_0 .. n_L */
  int activation, family, estimator;
  int n_par;
  int *w_off, *b_off;   /* length L */
  const double *mask;   /* n_par 0/1, 0 for a pruned parameter; NULL if
                           none is pruned (the passes skip reading it) */
  /* The parameters fall into groups of consecutive ones in the flat
   * layout, each with a prior of its own (for example the weights, then
   * the biases, of each layer). Group g is [group_from[g],
   * group_from[g + 1]); it has n_kept[g] unpruned parameters.
   * Under empirical Bayes (eb) the gaussian prior of group g is
   * N(0, (s_t eb_rel[g])^2): a relative scale eb_rel[g] times the scale
   * s_t of its tie t = eb_tie[g], which the groups of a tie share and
   * which is the MAP under the hyperprior IG(eb_a[t], eb_b[t]) on s_t^2
   * given the posterior, recomputed as the posterior changes
   * (eb_rescale): prior[] is written while the net is otherwise read-only. */
  int n_groups;
  int *group_from, *n_kept;
  bbb_prior *prior;
  int eb, eb_hold, n_ties;  /* eb_hold: scales at the hyperprior's mode */
  const int *eb_tie;
  const double *eb_rel, *eb_a, *eb_b;
  double *eb_work;      /* 2 n_ties, scratch of eb_rescale */
  int blas;             /* products by the BLAS, not the own kernels */
} bbb_net;

/* Per-step sample of the variational posterior, all of length n_par. */
typedef struct {
  real *sigma;          /* softplus(rho) */
  real *sig;            /* sigmoid(rho) = d sigma / d rho */
  real *eps;            /* standard normal draws (weight estimator) */
  real *w;              /* mu + sigma eps (weight estimator) */
} bbb_sample;

/* The leading dimension of the batch arrays of bbb_work in a pass on
 * `rows` rows: rows rounded up to 16, so that the pass works in whole
 * vectors (16 floats, 8 doubles) and no loop or kernel has a tail. The
 * rows from `rows` to ld of the input, of the noise zeta and of delta are
 * zero; the other arrays hold finite values there, so that they add exact
 * zeros to the gradient. */
static inline int batch_ld(int rows) { return (rows + 15) / 16 * 16; }

/* Scratch for one forward/backward pass on at most `rows` rows; in a pass
 * on r rows, each array of the batch is r rows in ld = batch_ld(r) rows
 * of each column (column-major, leading dimension ld). */
typedef struct {
  int rows;
  int threads;          /* threads sharing the large products */
  real **h;             /* h[l], ld x n_l, l = 0 .. L (h[L] is eta) */
  real **s, **zeta;     /* local estimator: sd and noise of Z_l, l = 1 .. L */
  real *d1, *d2;        /* ld x max_width backward buffers */
  real *delta;          /* ld x n_L, d(-log p)/d eta */
  real *gmu, *gsig;     /* n_par: d(-log p)/d mu and d(-log p)/d sigma */
  real *tmp, *e;        /* ld x max_width (local estimator) */
  real *sigma2;         /* n_par: sigma^2 (local estimator) */
  int blas;             /* products by the BLAS (mlp.c) */
  void *gemm_ws;        /* scratch of the own kernels (gemm.h) */
} bbb_work;

#endif
