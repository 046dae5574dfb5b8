/* The blocked product of gemm.c for one precision: included once with T
 * float and once with T double (TI the integer type of T's size, S(name)
 * appends the suffix; KERNEL(k), KERNEL_MR(k), KERNEL_NR(k) and
 * KERNEL_VL(k) are kernel k's function, tile and vector length in this
 * precision, KERNEL_THIN(k) its thin kernel or NULL). */

/* One product as computed (after the choice of C or C'): element (i, p)
 * of op(A) is a[i + p lda] (ta 0) or a[p + i lda] (ta 1), likewise for B;
 * C(i, j) is c[i rs + j cs]. */
typedef struct {
  int ta, tb, m, n, k, lda, ldb, beta, parts, mc, nc, a_in, b_in, epi;
  const T *a, *b, *e;   /* e: of the epilogue epi (gemm.h) */
  T *c;
  ptrdiff_t rs, cs;
  char *ws;
  size_t part_bytes;
  const gemm_kernel *kr;
} S(gemm_job);

/* n <= 32 values copied or zeroed by moves of a constant size: a loop
 * would become a call of memcpy or memset (GCC's loop distribution), a
 * call per step of a panel. */
GEMM_INLINE void S(copy_small)(T *GEMM_RESTRICT d, const T *GEMM_RESTRICT s,
                                 int n) {
  switch (n) {
#define COPY_CASE(c) case c: __builtin_memcpy(d, s, c * sizeof(T)); break;
    COPY_CASE(1) COPY_CASE(2) COPY_CASE(3) COPY_CASE(4) COPY_CASE(5)
    COPY_CASE(6) COPY_CASE(7) COPY_CASE(8) COPY_CASE(9) COPY_CASE(10)
    COPY_CASE(11) COPY_CASE(12) COPY_CASE(13) COPY_CASE(14) COPY_CASE(15)
    COPY_CASE(16) COPY_CASE(32)
#undef COPY_CASE
  default:
    for (int i = 0; i < n; i++) d[i] = s[i];
  }
}

GEMM_INLINE void S(zero_small)(T *d, int n) {
  static const T zeros[32];
  S(copy_small)(d, zeros, n);
}

/* A transposition into a panel: d[p w + i] = s[p + i ld] for p < kc and
 * i < n (n <= w). By blocks of 4 x 4 in vectors where there are vector
 * extensions (element by element, these copies were 6% of a (c) profile
 * on an AVX2 CPU): four loads of 4 steps of 4 columns, a transposition in
 * registers, four stores of 4 columns of a step. A last block of columns
 * overlaps the one before (its values are written twice); columns of a
 * panel narrower than 4, and the steps beyond the last whole block, are
 * copied one by one. */
static void S(transpose_panel)(T *GEMM_RESTRICT d, const T *GEMM_RESTRICT s,
                               ptrdiff_t ld, int kc, int n, int w) {
  int p0 = 0;
#ifdef GEMM_VECTOR
  typedef T v4 __attribute__((vector_size(4 * sizeof(T))));
  typedef TI i4 __attribute__((vector_size(4 * sizeof(T))));
  if (n >= 4) {
    for (; p0 + 4 <= kc; p0 += 4) {
      for (int i0 = 0; i0 < n; i0 += 4) {
        int i = i0 + 4 <= n ? i0 : n - 4;
        v4 r[4];
        GEMM_PRAGMA(GCC unroll 4)
        for (int q = 0; q < 4; q++)
          __builtin_memcpy(&r[q], s + p0 + (ptrdiff_t) (i + q) * ld,
                           sizeof(v4));
        v4 o[4];
        VTRANSPOSE4(i4, r, o);
        GEMM_PRAGMA(GCC unroll 4)
        for (int q = 0; q < 4; q++)
          __builtin_memcpy(d + (size_t) (p0 + q) * w + i, &o[q],
                           sizeof(v4));
      }
    }
  }
#endif
  for (int p = p0; p < kc; p++)
    for (int i = 0; i < n; i++) d[(size_t) p * w + i] = s[p + i * ld];
}

/* Rows [i0, i0 + mc) and columns [p0, p0 + kc) of op(A) into panels of mr
 * rows (see gemm.c); the last panel, of fewer rows, holds them in whole
 * vectors of vl (zero beyond the edge). */
static void S(pack_a)(const S(gemm_job) *g, int i0, int mc, int p0, int kc,
                      int mr, int vl, T *GEMM_RESTRICT dst) {
  for (int r = 0; r < mc; r += mr) {
    int rows = min_int(mr, mc - r), w = round_up(rows, vl);
    T *d = dst + (size_t) r * kc;
    if (!g->ta) {
      const T *src = g->a + (i0 + r) + (size_t) p0 * g->lda;
      for (int p = 0; p < kc; p++) {
        T *dp = d + (size_t) p * w;
        S(copy_small)(dp, src + (size_t) p * g->lda, rows);
        if (rows < w) S(zero_small)(dp + rows, w - rows);
      }
    } else {
      S(transpose_panel)(d, g->a + p0 + (size_t) (i0 + r) * g->lda,
                         g->lda, kc, rows, w);
      if (rows < w)
        for (int p = 0; p < kc; p++)
          S(zero_small)(d + (size_t) p * w + rows, w - rows);
    }
  }
}

/* Rows [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into panels of nr
 * columns; the last panel, of fewer columns, holds just them. */
static void S(pack_b)(const S(gemm_job) *g, int p0, int kc, int j0, int nc,
                      int nr, T *GEMM_RESTRICT dst) {
  for (int s = 0; s < nc; s += nr) {
    int cols = min_int(nr, nc - s);
    T *d = dst + (size_t) s * kc;
    if (!g->tb) {
      S(transpose_panel)(d, g->b + p0 + (size_t) (j0 + s) * g->ldb,
                         g->ldb, kc, cols, cols);
    } else {
      const T *src = g->b + (j0 + s) + (size_t) p0 * g->ldb;
      for (int p = 0; p < kc; p++)
        S(copy_small)(d + (size_t) p * cols, src + (size_t) p * g->ldb,
                      cols);
    }
  }
}

/* Columns [from, to) of C, with the part's scratch. */
static void S(gemm_cols)(const S(gemm_job) *g, int from, int to, char *ws) {
  int mr = KERNEL_MR(g->kr), nr = KERNEL_NR(g->kr), vl = KERNEL_VL(g->kr);
  int kc_max = min_int(g->k, KC_MAX);
  int mc_max = min_int(round_up(g->m, vl), g->mc);
  T *ap = (T *) align64(ws);
  T *bp = (T *) ((char *) ap + round64((size_t) mc_max * kc_max *
                                       sizeof(T)));
  /* A read in place: tiles of up to MR rows (8 vectors with one column,
   * 4 with two: more chains of additions at once), the rows beyond the
   * last whole vector packed into one vector */
  int step = !g->a_in ? mr : g->n == 1 ? 8 * vl : g->n == 2 ? 4 * vl : mr;
  for (int jc = from; jc < to; jc += g->nc) {
    int nc = min_int(g->nc, to - jc);
    for (int pc = 0; pc < g->k; pc += KC_MAX) {
      int kc = min_int(KC_MAX, g->k - pc), add = pc > 0 || g->beta;
      /* the epilogue on the last block of the sums only */
      int epi = pc + kc == g->k ? g->epi : GEMM_PLAIN;
      if (!g->b_in) S(pack_b)(g, pc, kc, jc, nc, nr, bp);
      for (int ic = 0; ic < g->m; ic += g->mc) {
        int mc = min_int(g->mc, g->m - ic);
        /* rows [0, full) read in place, the others packed; or, when C is
         * written, not added to, a last whole vector of rows in place
         * that overlaps the one before (its rows are computed again by
         * the same operations and written again with the same value) */
        int full = g->a_in ? mc / vl * vl : 0;
        int overlap = full < mc && full > 0 && !add;
        if (full < mc && !overlap)
          S(pack_a)(g, ic + full, mc - full, pc, kc, mr, vl, ap);
        for (int jr = 0; jr < nc; jr += nr) {
          int cols = min_int(nr, nc - jr);
          const T *b = g->b_in ?
            g->b + (jc + jr) + (size_t) pc * g->ldb : bp + (size_t) jr * kc;
          ptrdiff_t bs = g->b_in ? g->ldb : cols;
          T *cj = g->c + (ptrdiff_t) (jc + jr) * g->cs;
          T *ci = cj + ic * g->rs;
          const T *ai = g->a + ic + (size_t) pc * g->lda;
          /* the tile's biases (by the column of C) or mask (C's layout) */
#define TILE_E(r0)                                                          \
  (epi == GEMM_BIAS_RELU ? g->e + (g->rs == 1 ? jc + jr : ic + (r0)) :      \
   epi == GEMM_RELU_MASK ? g->e + (ci + (ptrdiff_t) (r0) * g->rs - g->c) :  \
   NULL)
#define TILE(r0, rows, a, as)                                               \
  KERNEL(g->kr)(((rows) + vl - 1) / vl, cols, kc, a, as, b, bs,             \
                ci + (ptrdiff_t) (r0) * g->rs, g->rs, g->cs, add, rows,     \
                epi, TILE_E(r0))
          int rows;
          for (int ir = 0; ir < full; ir += rows) {
            rows = min_int(step, full - ir);
            TILE(ir, rows, ai + ir, g->lda);
          }
          if (overlap) {
            TILE(mc - vl, vl, ai + (mc - vl), g->lda);
          } else {
            for (int ir = full; ir < mc; ir += rows) {
              rows = min_int(mr, mc - ir);
              TILE(ir, rows, ap + (size_t) (ir - full) * kc,
                   round_up(rows, vl));
            }
          }
#undef TILE
#undef TILE_E
        }
      }
    }
  }
}

/* op(A) = A' times B as dot products of columns, in blocks of 4 x 4. */
static void S(small_dots)(const gemm_kernel *kr, int m, int n, int k,
                          const T *a, int lda, const T *b, int ldb,
                          int beta, T *c, int ldc) {
  for (int j = 0; j < n; j += 4)
    for (int i = 0; i < m; i += 4)
      DOTS(kr)(min_int(4, m - i), min_int(4, n - j), k,
               a + (size_t) i * lda, lda, b + (size_t) j * ldb, ldb,
               c + i + (size_t) j * ldc, ldc, beta);
}

/* A thin product (gemm.c), its columns shared by the threads. */
typedef struct {
  int m, n, k, parts, beta, epi;
  const T *a, *b, *e;
  T *c;
  ptrdiff_t lda, bps, bjs, ldc;
  const gemm_kernel *kr;
} S(thin_job);

static void S(thin_part)(int t, void *p) {
  const S(thin_job) *g = (const S(thin_job) *) p;
  int from = (int) ((long long) g->n * t / g->parts);
  int to = (int) ((long long) g->n * (t + 1) / g->parts);
  const T *e = g->epi == GEMM_BIAS_RELU ? g->e + from :
    g->epi == GEMM_RELU_MASK ? g->e + from * g->ldc : NULL;
  if (from < to)
    KERNEL_THIN(g->kr)(g->m, to - from, g->k, g->a, g->lda,
                       g->b + from * g->bjs, g->bps, g->bjs,
                       g->c + from * g->ldc, g->ldc, g->beta, g->epi, e);
}

static void S(gemm_thin)(const gemm_kernel *kr, int epi, const T *e, int tb,
                         int m, int n, int k, const T *a, int lda,
                         const T *b, int ldb, int beta, T *c, int ldc,
                         int threads) {
  S(thin_job) g = {m, n, k, 1, beta, epi, a, b, e, c, lda,
                   tb ? ldb : 1, tb ? 1 : ldb, ldc, kr};
  if (threads > 1 && (double) m * n * k >= GEMM_SPLIT_MIN)
    g.parts = min_int(min_int(threads, n), GEMM_MAX_PARTS);
  run_range(g.parts, threads, S(thin_part), &g);
}

static void S(gemm_part)(int t, void *p) {
  const S(gemm_job) *g = (const S(gemm_job) *) p;
  int nr = KERNEL_NR(g->kr), units = (g->n + nr - 1) / nr;
  int from = (int) ((long long) units * t / g->parts) * nr;
  int to = min_int((int) ((long long) units * (t + 1) / g->parts) * nr,
                   g->n);
  if (from < to)
    S(gemm_cols)(g, from, to, g->ws + (size_t) t * g->part_bytes);
}

size_t S(gemm_ws_bytes_with)(const gemm_kernel *kr, int m, int n, int k,
                             int threads) {
  if (m < 1 || n < 1 || k < 1) return 0;
  /* the sizes do not depend on the transposes */
  gemm_plan pl = plan(0, 0, m, n, k, threads, KERNEL_MR(kr), KERNEL_NR(kr),
                      KERNEL_VL(kr), KC_MAX, sizeof(T));
  return pl.parts * pl.part_bytes;
}

size_t S(gemm_ws_bytes)(int m, int n, int k, int threads) {
  return S(gemm_ws_bytes_with)(best, m, n, k, threads);
}

/* The epilogue as a pass of its own over C (m x n), for the products
 * that are not made by tiles. */
static void S(epilogue)(int epi, const T *e, int m, int n, T *c, int ldc) {
  if (epi == GEMM_PLAIN) return;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      T *cij = c + i + (size_t) j * ldc;
      *cij = EPI_SCALAR(epi, *cij, epi == GEMM_BIAS_RELU ? e[j] : 0,
                        epi == GEMM_RELU_MASK ? e[i + (size_t) j * ldc] : 0);
    }
}

void S(gemm_epi_with)(const gemm_kernel *kr, int epi, const T *e, int ta,
                      int tb, int m, int n, int k, const T *a, int lda,
                      const T *b, int ldb, int beta, T *c, int ldc,
                      int threads, void *ws) {
  if (m < 1 || n < 1) return;
  if (k < 1) {
    if (!beta)
      for (int j = 0; j < n; j++) memset(c + (size_t) j * ldc, 0,
                                         m * sizeof(T));
    S(epilogue)(epi, e, m, n, c, ldc);
    return;
  }
  if (KERNEL_THIN(kr) && use_thin(ta, m, n, k, KERNEL_VL(kr))) {
    S(gemm_thin)(kr, epi, e, tb, m, n, k, a, lda, b, ldb, beta, c, ldc,
                 threads);
    return;
  }
  if (use_dots(ta, tb, m, n, k)) {
    S(small_dots)(kr, m, n, k, a, lda, b, ldb, beta, c, ldc);
    S(epilogue)(epi, e, m, n, c, ldc);
    return;
  }
  gemm_plan pl = plan(ta, tb, m, n, k, threads, KERNEL_MR(kr), KERNEL_NR(kr),
                      KERNEL_VL(kr), KC_MAX, sizeof(T));
  S(gemm_job) g;
  g.kr = kr;
  if (!pl.trans) {
    g.a = a; g.lda = lda; g.b = b; g.ldb = ldb;
    g.rs = 1; g.cs = ldc;
  } else {
    /* C' = op(B)' op(A)' */
    g.a = b; g.lda = ldb; g.b = a; g.ldb = lda;
    g.rs = ldc; g.cs = 1;
  }
  g.ta = pl.ta; g.tb = pl.tb; g.m = pl.m; g.n = pl.n; g.k = k;
  g.beta = beta; g.c = c;
  g.epi = epi; g.e = e;
  g.a_in = pl.a_in; g.b_in = pl.b_in;
  g.parts = pl.parts;
  g.mc = pl.mc;
  g.nc = pl.nc;
  g.part_bytes = pl.part_bytes;
  g.ws = (char *) ws;
  run_range(g.parts, threads, S(gemm_part), &g);
}

void S(gemm_with)(const gemm_kernel *kr, int ta, int tb, int m, int n,
                  int k, const T *a, int lda, const T *b, int ldb, int beta,
                  T *c, int ldc, int threads, void *ws) {
  S(gemm_epi_with)(kr, GEMM_PLAIN, NULL, ta, tb, m, n, k, a, lda, b, ldb,
                   beta, c, ldc, threads, ws);
}

void S(gemm)(int ta, int tb, int m, int n, int k, const T *a, int lda,
             const T *b, int ldb, int beta, T *c, int ldc, int threads,
             void *ws) {
  S(gemm_with)(best, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, threads,
               ws);
}

void S(gemm_epi)(int epi, const T *e, int ta, int tb, int m, int n, int k,
                 const T *a, int lda, const T *b, int ldb, int beta, T *c,
                 int ldc, int threads, void *ws) {
  S(gemm_epi_with)(best, epi, e, ta, tb, m, n, k, a, lda, b, ldb, beta, c,
                   ldc, threads, ws);
}
