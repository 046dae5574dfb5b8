/* Forward and backward pass of the MLP on a batch.
 *
 * Memory layout: h[l] is rows x n_l, column-major with leading dimension
 * ld = batch_ld(rows) (bbb.h); h[0] is the input batch and h[L] the
 * linear predictor eta. The passes compute all ld rows: the input's extra
 * rows are zero (set here), delta's are zero (family_nll), so those rows
 * add exact zeros to the gradient, and every loop and product works in
 * whole vectors. Weights
 * follow the flat layout of bbb.h. Products go through the engine's own
 * kernels (gemm.c) or, as an option, the BLAS (see gemm() below).
 *
 * Weight estimator: Z = H W + 1 b', with W a sampled weight matrix.
 * Local estimator (Kingma, Salimans and Welling 2015): Z = G + S o zeta with
 * G = H mu_W + 1 mu_b', S^2 = (H o H) sigma_W^2 + 1 (sigma_b^2)'.
 * Backward passes write d(-log p)/d mu into wk->gmu and, for the local
 * estimator, d(-log p)/d sigma into wk->gsig. */
#define R_NO_REMAP
#include <R.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include "bbb.h"
#include "blas.h"
#include "gemm.h"
#include "mlp.h"
#include "scratch.h"
#include "threads.h"
#include "vmath.h"

/* Let GCC vectorise loops with selects (see vmath.h). Scoped to this
 * file's functions (single.c includes it beside others); the inline
 * functions of the headers above take it on where they are inlined. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

/* The products C = op(A) op(B) + beta C of the passes (op 0: A, 1: A'),
 * by the engine's own kernels (gemm.c) on the engine's threads, or, with
 * options(bbb.gemm = "blas") (wk->blas), by the BLAS that R uses. The
 * BLAS is called on column blocks shared by the engine's threads, each
 * calling the BLAS single-threaded (bbb keeps OpenBLAS's own threads off
 * while it trains, threads.c: a second pool spins against the engine's).
 * The blocks depend on the shape only, not on the number of threads,
 * because a BLAS may compute an element differently in a narrower product
 * (OpenBLAS does: it has other kernels for small products and for some
 * row tails); the own kernels compute every element the same way in any
 * case. Either way the result does not depend on the threads. */
#ifdef BBB_SINGLE
#define GEMM_OWN gemm_epi_f
#define GEMM_WS gemm_ws_bytes_f
#define GEMM_BLAS blas_gemm_f
#else
#define GEMM_OWN gemm_epi_d
#define GEMM_WS gemm_ws_bytes_d
#define GEMM_BLAS blas_gemm_d
#endif

#define BLAS_SPLIT_MIN (1 << 21)  /* multiply-adds */
#define BLAS_BLOCK_COLS 64
#define BLAS_MAX_BLOCKS 4

static int blas_blocks(int m, int n, int k) {
  if ((double) m * n * k < BLAS_SPLIT_MIN) return 1;
  int b = n / BLAS_BLOCK_COLS;
  return b < 1 ? 1 : b > BLAS_MAX_BLOCKS ? BLAS_MAX_BLOCKS : b;
}

typedef struct {
  int ta, tb, m, n, k, lda, ldb, ldc, blocks, beta;
  const real *a, *b;
  real *c;
} blas_job;

/* Block i of a product, its column boundaries on multiples of 16. */
static void blas_block(int i, void *p) {
  const blas_job *g = (const blas_job *) p;
  int units = (g->n + 15) / 16;
  int from = units * i / g->blocks * 16;
  int to = units * (i + 1) / g->blocks * 16;
  to = to < g->n ? to : g->n;
  const real *bi = !g->tb ? g->b + (size_t) g->ldb * from : g->b + from;
  GEMM_BLAS(g->ta, g->tb, g->m, to - from, g->k, g->a, g->lda, bi, g->ldb,
            g->beta, g->c + (size_t) g->ldc * from, g->ldc);
}

static void gemm(const bbb_work *wk, int ta, int tb, int m, int n, int k,
                 const real *a, int lda, const real *b, int ldb, int beta,
                 real *c, int ldc) {
  if (!wk->blas) {
    GEMM_OWN(GEMM_PLAIN, NULL, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc,
             wk->threads, wk->gemm_ws);
    return;
  }
  blas_job g = {ta, tb, m, n, k, lda, ldb, ldc, blas_blocks(m, n, k), beta,
                a, b, c};
  run_range(g.blocks, wk->threads < g.blocks ? wk->threads : g.blocks,
            blas_block, &g);
}

/* Scratch of the own kernels for every product of a pass (see below) on
 * up to `rows` rows and `threads` threads. */
static size_t gemm_ws_max(const bbb_net *net, int rows, int threads) {
  size_t most = 0;
  rows = batch_ld(rows);
  for (int l = 0; l < net->n_layers; l++) {
    int nin = net->width[l], nout = net->width[l + 1];
    size_t s[3] = {GEMM_WS(rows, nout, nin, threads),
                   GEMM_WS(nin, nout, rows, threads),
                   GEMM_WS(rows, nin, nout, threads)};
    for (int i = 0; i < 3; i++) most = s[i] > most ? s[i] : most;
  }
  return most;
}

BBB_API void work_alloc(bbb_work *wk, const bbb_net *net, int rows,
                        int threads) {
  int L = net->n_layers, ld = batch_ld(rows);
  size_t mw = (size_t) ld * net->max_width;
  wk->rows = rows;
  wk->threads = threads;
  wk->h = (real **) R_alloc(L + 1, sizeof(real *));
  wk->s = (real **) R_alloc(L + 1, sizeof(real *));
  wk->zeta = (real **) R_alloc(L + 1, sizeof(real *));
  for (int l = 0; l <= L; l++) {
    wk->h[l] = real_zeros((size_t) ld * net->width[l]);
    wk->s[l] = wk->zeta[l] = NULL;
    if (l > 0 && net->estimator == EST_LOCAL) {
      wk->s[l] = real_zeros((size_t) ld * net->width[l]);
      wk->zeta[l] = real_zeros((size_t) ld * net->width[l]);
    }
  }
  wk->d1 = real_zeros(mw);
  wk->d2 = real_zeros(mw);
  wk->delta = real_zeros((size_t) ld * net->width[L]);
  wk->gmu = real_zeros(net->n_par);
  /* gsig is read by the local estimator only; otherwise it aliases gmu
   * so that it is still a valid array of the same length */
  wk->gsig = net->estimator == EST_LOCAL ? real_zeros(net->n_par) : wk->gmu;
  wk->tmp = real_zeros(mw);
  wk->e = real_zeros(mw);
  wk->sigma2 = net->estimator == EST_LOCAL ? real_zeros(net->n_par) : NULL;
#ifdef BBB_SINGLE
  wk->blas = net->blas && blas_has_sgemm();
#else
  wk->blas = net->blas;
#endif
  wk->gemm_ws = wk->blas ? NULL : R_alloc(gemm_ws_max(net, rows, threads) +
                                          1, 1);
}

/* Zeros rows [rows, ld) of each of the n columns of a (leading dimension
 * ld). */
static void zero_pad(real *a, int rows, int ld, int n) {
  if (rows == ld) return;
  for (int j = 0; j < n; j++)
    memset(a + (size_t) j * ld + rows, 0, (size_t) (ld - rows) * sizeof(real));
}

BBB_API void work_spread(real *a, int rows, int n) {
  int ld = batch_ld(rows);
  if (rows == ld) return;
  /* last column first: each moves up, past the ones still to move */
  for (int j = n - 1; j > 0; j--)
    memmove(a + (size_t) j * ld, a + (size_t) j * rows,
            (size_t) rows * sizeof(real));
  zero_pad(a, rows, ld, n);
}

static void add_bias(real *z, const real *b, int rows, int n) {
  for (int j = 0; j < n; j++) {
    real bj = b[j];
    real *zj = z + (size_t) j * rows;
#ifdef _OPENMP
#pragma omp simd
#endif
    for (int i = 0; i < rows; i++) zj[i] += bj;
  }
}

/* Column sums, with sixteen running sums per column (one per lane of the
 * widest vector) added up at the end in a fixed tree (lane l + lane l + 8,
 * then l + 4, then (0 + 2) + (1 + 3)), the same on every CPU: one running
 * sum is a chain of dependent additions, and an OpenMP reduction has a
 * fixed cost per loop that dominates on the short columns of small
 * batches. Column by column, the running sums stay in registers and the
 * CPU overlaps the columns' chains itself (sixteen columns at a time with
 * vector shuffles for the tree spilled AVX2's registers: five times
 * slower on 33 columns of 112 rows). */
enum { SUM_LANES = 16 };

static real col_sum_tail(const real *dj, int full, int rows) {
  real tail = 0;
  for (int i = full; i < rows; i++) tail += dj[i];
  return tail;
}

BBB_SIMD_CLONES
static void col_sums(const real *d, int rows, int n, real *out) {
  int full = rows - rows % SUM_LANES;
  for (int j = 0; j < n; j++) {
    const real *dj = d + (size_t) j * rows;
    real acc[SUM_LANES] = {0};
    for (int i = 0; i < full; i += SUM_LANES) {
#ifdef _OPENMP
#pragma omp simd
#endif
      for (int l = 0; l < SUM_LANES; l++) acc[l] += dj[i + l];
    }
    for (int l = 0; l < 8; l++) acc[l] += acc[l + 8];
    for (int l = 0; l < 4; l++) acc[l] += acc[l + 4];
    out[j] = (acc[0] + acc[2]) + (acc[1] + acc[3]) +
      col_sum_tail(dj, full, rows);
  }
}

/* z = a(z + 1 b') for a rows x n matrix z (b NULL: no bias), from the
 * vectorisable exp of vmath.h: tanh(x) = sign(x) (1 - e) / (1 + e) and
 * sigmoid(x) with e = exp(-2|x|), exp(-|x|). Written without branches: a
 * branch per unit of a relu layer is mispredicted half the time. */
BBB_SIMD_CLONES
static void activate(int act, real *z, const real *b, int rows, int n) {
  for (int j = 0; j < n; j++) {
    real *zj = z + (size_t) j * rows, bj = b ? b[j] : 0;
    if (act == ACT_RELU) {
#ifdef _OPENMP
#pragma omp simd
#endif
      for (int i = 0; i < rows; i++) {
        real x = zj[i] + bj;
        zj[i] = x > 0 ? x : 0;
      }
    } else if (act == ACT_TANH) {
#ifdef _OPENMP
#pragma omp simd
#endif
      for (int i = 0; i < rows; i++) {
        real x = zj[i] + bj, a = x < 0 ? -x : x;
        real e = real_exp_neg(-2 * a), t = (1 - e) / (1 + e);
        zj[i] = x < 0 ? -t : t;
      }
    } else {
#ifdef _OPENMP
#pragma omp simd
#endif
      for (int i = 0; i < rows; i++) {
        real x = zj[i] + bj, e = real_exp_neg(x < 0 ? x : -x);
        zj[i] = real_sigmoid_e(x, e);
      }
    }
  }
}

/* d *= a'(z), with the derivative written in terms of h = a(z). */
BBB_SIMD_CLONES
static void activate_grad(int act, const real *h, real *d, size_t n) {
  if (act == ACT_RELU) {
#ifdef _OPENMP
#pragma omp simd
#endif
    for (size_t i = 0; i < n; i++) d[i] = h[i] > 0 ? d[i] : 0;
  } else if (act == ACT_TANH) {
#ifdef _OPENMP
#pragma omp simd
#endif
    for (size_t i = 0; i < n; i++) d[i] *= 1 - h[i] * h[i];
  } else {
#ifdef _OPENMP
#pragma omp simd
#endif
    for (size_t i = 0; i < n; i++) d[i] *= h[i] * (1 - h[i]);
  }
}

/* A product of a relu layer with the step that follows it (epi, e as in
 * gemm.h: bias and relu after the forward product, e the biases; the mask
 * [h > 0] after the backward one, e = h): inside the own kernels' tiles
 * while C is in registers, or after the BLAS as a pass of its own, which
 * computes the same. C is m x n with ldc = m, as in the passes below. */
static void gemm_relu(const bbb_work *wk, int epi, const real *e, int ta,
                      int tb, int m, int n, int k, const real *a, int lda,
                      const real *b, int ldb, real *c) {
  if (!wk->blas) {
    GEMM_OWN(epi, e, ta, tb, m, n, k, a, lda, b, ldb, 0, c, m, wk->threads,
             wk->gemm_ws);
    return;
  }
  gemm(wk, ta, tb, m, n, k, a, lda, b, ldb, 0, c, m);
  if (epi == GEMM_BIAS_RELU) activate(ACT_RELU, c, e, m, n);
  else activate_grad(ACT_RELU, e, c, (size_t) m * n);
}

BBB_API void mlp_forward(const bbb_net *net, const real *w, bbb_work *wk,
                         int rows) {
  int L = net->n_layers, ld = batch_ld(rows);
  zero_pad(wk->h[0], rows, ld, net->width[0]);
  for (int l = 0; l < L; l++) {
    int nin = net->width[l], nout = net->width[l + 1];
    real *z = wk->h[l + 1];
    const real *b = w + net->b_off[l];
    if (l < L - 1 && net->activation == ACT_RELU) {
      gemm_relu(wk, GEMM_BIAS_RELU, b, 0, 0, ld, nout, nin, wk->h[l], ld,
                w + net->w_off[l], nin, z);
      continue;
    }
    gemm(wk, 0, 0, ld, nout, nin, wk->h[l], ld,
         w + net->w_off[l], nin, 0, z, ld);
    if (l < L - 1)
      activate(net->activation, z, b, ld, nout);
    else
      add_bias(z, b, ld, nout);
  }
}

/* Starts from wk->delta; writes d(-log p)/dw into wk->gmu. */
BBB_API void mlp_backward(const bbb_net *net, const real *w, bbb_work *wk,
                          int rows) {
  real *d = wk->delta, *next = wk->d1;
  int ld = batch_ld(rows);
  for (int l = net->n_layers - 1; l >= 0; l--) {
    int nin = net->width[l], nout = net->width[l + 1];
    gemm(wk, 1, 0, nin, nout, ld, wk->h[l], ld, d, ld, 0,
         wk->gmu + net->w_off[l], nin);
    col_sums(d, ld, nout, wk->gmu + net->b_off[l]);
    if (l == 0) break;
    if (net->activation == ACT_RELU) {
      gemm_relu(wk, GEMM_RELU_MASK, wk->h[l], 0, 1, ld, nin, nout, d, ld,
                w + net->w_off[l], nin, next);
    } else {
      gemm(wk, 0, 1, ld, nin, nout, d, ld,
           w + net->w_off[l], nin, 0, next, ld);
      activate_grad(net->activation, wk->h[l], next, (size_t) ld * nin);
    }
    d = next;
    next = (next == wk->d1) ? wk->d2 : wk->d1;
  }
}

static void square_into(const real *x, real *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = x[i] * x[i];
}

/* Expects wk->zeta[l] filled with standard normals (zero in the extra
 * rows: work_spread). */
BBB_API void mlp_forward_local(const bbb_net *net, const real *mu,
                               const real *sigma, bbb_work *wk, int rows) {
  int L = net->n_layers, ld = batch_ld(rows);
  zero_pad(wk->h[0], rows, ld, net->width[0]);
  square_into(sigma, wk->sigma2, net->n_par);
  for (int l = 0; l < L; l++) {
    int nin = net->width[l], nout = net->width[l + 1];
    size_t nz = (size_t) ld * nout;
    real *z = wk->h[l + 1], *s = wk->s[l + 1], *zeta = wk->zeta[l + 1];
    gemm(wk, 0, 0, ld, nout, nin, wk->h[l], ld,
         mu + net->w_off[l], nin, 0, z, ld);
    add_bias(z, mu + net->b_off[l], ld, nout);
    square_into(wk->h[l], wk->tmp, (size_t) ld * nin);
    gemm(wk, 0, 0, ld, nout, nin, wk->tmp, ld,
         wk->sigma2 + net->w_off[l], nin, 0, s, ld);
    add_bias(s, wk->sigma2 + net->b_off[l], ld, nout);
    for (size_t i = 0; i < nz; i++) {
      s[i] = (real) sqrt(fmax(s[i], FLT_MIN));
      z[i] += s[i] * zeta[i];
    }
    if (l < L - 1) activate(net->activation, z, NULL, ld, nout);
  }
}

BBB_API void mlp_backward_local(const bbb_net *net, const real *mu,
                                const real *sigma, bbb_work *wk, int rows) {
  real *d = wk->delta, *next = wk->d1, *e = wk->e;
  int ld = batch_ld(rows);
  for (int l = net->n_layers - 1; l >= 0; l--) {
    int nin = net->width[l], nout = net->width[l + 1];
    size_t nz = (size_t) ld * nout;
    const real *s = wk->s[l + 1], *zeta = wk->zeta[l + 1];
    int wo = net->w_off[l], bo = net->b_off[l];
    /* e = d(-log p)/d S^2 */
    for (size_t i = 0; i < nz; i++) e[i] = d[i] * zeta[i] / (2 * s[i]);
    gemm(wk, 1, 0, nin, nout, ld, wk->h[l], ld, d, ld, 0,
         wk->gmu + wo, nin);
    col_sums(d, ld, nout, wk->gmu + bo);
    square_into(wk->h[l], wk->tmp, (size_t) ld * nin);
    gemm(wk, 1, 0, nin, nout, ld, wk->tmp, ld, e, ld, 0,
         wk->gsig + wo, nin);
    col_sums(e, ld, nout, wk->gsig + bo);
    for (int j = wo; j < bo + nout; j++) wk->gsig[j] *= 2 * sigma[j];
    if (l == 0) break;
    gemm(wk, 0, 1, ld, nin, nout, d, ld, mu + wo, nin, 0,
         next, ld);
    gemm(wk, 0, 1, ld, nin, nout, e, ld, wk->sigma2 + wo,
         nin, 0, wk->tmp, ld);
    const real *h = wk->h[l];
    size_t nh = (size_t) ld * nin;
    for (size_t i = 0; i < nh; i++) next[i] += 2 * h[i] * wk->tmp[i];
    activate_grad(net->activation, h, next, nh);
    d = next;
    next = (next == wk->d1) ? wk->d2 : wk->d1;
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
