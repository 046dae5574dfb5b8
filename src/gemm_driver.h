/* The blocked product of gemm.c for one precision: included once with T
 * float and once with T double (S(name) appends the suffix; KERNEL(k),
 * KERNEL_MR(k), KERNEL_NR(k) and KERNEL_VL(k) are kernel k's function,
 * tile and vector length in this precision). */

/* One product as computed (after the choice of C or C'): element (i, p)
 * of op(A) is a[i + p lda] (ta 0) or a[p + i lda] (ta 1), likewise for B;
 * C(i, j) is c[i rs + j cs]. */
typedef struct {
  int ta, tb, m, n, k, lda, ldb, beta, parts, mc, nc, a_in, b_in;
  const T *a, *b;
  T *c;
  ptrdiff_t rs, cs;
  char *ws;
  size_t part_bytes;
  const gemm_kernel *kr;
} S(gemm_job);

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
        const T *col = src + (size_t) p * g->lda;
        T *dp = d + (size_t) p * w;
        for (int i = 0; i < rows; i++) dp[i] = col[i];
        for (int i = rows; i < w; i++) dp[i] = 0;
      }
    } else {
      for (int i = 0; i < rows; i++) {
        const T *row = g->a + p0 + (size_t) (i0 + r + i) * g->lda;
        for (int p = 0; p < kc; p++) d[(size_t) p * w + i] = row[p];
      }
      for (int i = rows; i < w; i++)
        for (int p = 0; p < kc; p++) d[(size_t) p * w + i] = 0;
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
      for (int j = 0; j < cols; j++) {
        const T *col = g->b + p0 + (size_t) (j0 + s + j) * g->ldb;
        for (int p = 0; p < kc; p++) d[(size_t) p * cols + j] = col[p];
      }
    } else {
      const T *src = g->b + (j0 + s) + (size_t) p0 * g->ldb;
      for (int p = 0; p < kc; p++) {
        const T *row = src + (size_t) p * g->ldb;
        T *dp = d + (size_t) p * cols;
        for (int j = 0; j < cols; j++) dp[j] = row[j];
      }
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
  /* one or two columns: row panels of 4 vectors (tall tiles) */
  if (g->a_in && g->n <= 2) mr = 4 * vl;
  for (int jc = from; jc < to; jc += g->nc) {
    int nc = min_int(g->nc, to - jc);
    for (int pc = 0; pc < g->k; pc += KC_MAX) {
      int kc = min_int(KC_MAX, g->k - pc), add = pc > 0 || g->beta;
      if (!g->b_in) S(pack_b)(g, pc, kc, jc, nc, nr, bp);
      for (int ic = 0; ic < g->m; ic += g->mc) {
        int mc = min_int(g->mc, g->m - ic);
        /* rows [0, full) read in place, the others packed */
        int full = g->a_in ? mc / mr * mr : 0;
        if (full < mc) S(pack_a)(g, ic + full, mc - full, pc, kc, mr, vl, ap);
        for (int jr = 0; jr < nc; jr += nr) {
          int cols = min_int(nr, nc - jr);
          const T *b = g->b_in ?
            g->b + (jc + jr) + (size_t) pc * g->ldb : bp + (size_t) jr * kc;
          ptrdiff_t bs = g->b_in ? g->ldb : cols;
          T *cj = g->c + (ptrdiff_t) (jc + jr) * g->cs;
          for (int ir = 0; ir < mc; ir += mr) {
            int rows = min_int(mr, mc - ir);
            const T *a;
            ptrdiff_t as;
            if (ir < full) {
              a = g->a + (ic + ir) + (size_t) pc * g->lda;
              as = g->lda;
            } else {
              a = ap + (size_t) (ir - full) * kc;
              as = round_up(rows, vl);
            }
            KERNEL(g->kr)((rows + vl - 1) / vl, cols, kc, a, as, b, bs,
                          cj + (ic + ir) * g->rs, g->rs, g->cs, add, rows);
          }
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

void S(gemm_with)(const gemm_kernel *kr, int ta, int tb, int m, int n,
                  int k, const T *a, int lda, const T *b, int ldb, int beta,
                  T *c, int ldc, int threads, void *ws) {
  if (m < 1 || n < 1) return;
  if (k < 1) {
    if (!beta)
      for (int j = 0; j < n; j++) memset(c + (size_t) j * ldc, 0,
                                         m * sizeof(T));
    return;
  }
  if (use_dots(ta, tb, m, n, k)) {
    S(small_dots)(kr, m, n, k, a, lda, b, ldb, beta, c, ldc);
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
  g.a_in = pl.a_in; g.b_in = pl.b_in;
  g.parts = pl.parts;
  g.mc = pl.mc;
  g.nc = pl.nc;
  g.part_bytes = pl.part_bytes;
  g.ws = (char *) ws;
  run_range(g.parts, threads, S(gemm_part), &g);
}

void S(gemm)(int ta, int tb, int m, int n, int k, const T *a, int lda,
             const T *b, int ldb, int beta, T *c, int ldc, int threads,
             void *ws) {
  S(gemm_with)(best, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, threads,
               ws);
}
