/* The blocked product of gemm.c for one precision: included once with T
 * float and once with T double (S(name) appends the suffix; KERNEL(k),
 * KERNEL_MR(k) and KERNEL_NR(k) are kernel k's function and tile in this
 * precision). */

/* One product as computed (after the choice of C or C'): element (i, p)
 * of op(A) is a[i + p lda] (ta 0) or a[p + i lda] (ta 1), likewise for B;
 * C(i, j) is c[i rs + j cs]. */
typedef struct {
  int ta, tb, m, n, k, lda, ldb, beta, parts, mc, nc;
  const T *a, *b;
  T *c;
  ptrdiff_t rs, cs;
  char *ws;
  size_t part_bytes;
  const gemm_kernel *kr;
} S(gemm_job);

/* Rows [i0, i0 + mc) and columns [p0, p0 + kc) of op(A) into panels of mr
 * rows (see gemm.c), zero beyond row mc. */
static void S(pack_a)(const S(gemm_job) *g, int i0, int mc, int p0, int kc,
                      int mr, T *GEMM_RESTRICT dst) {
  for (int r = 0; r < mc; r += mr) {
    int rows = min_int(mr, mc - r);
    T *d = dst + (size_t) r * kc;
    if (!g->ta) {
      const T *src = g->a + (i0 + r) + (size_t) p0 * g->lda;
      for (int p = 0; p < kc; p++) {
        const T *col = src + (size_t) p * g->lda;
        T *dp = d + (size_t) p * mr;
        for (int i = 0; i < rows; i++) dp[i] = col[i];
        for (int i = rows; i < mr; i++) dp[i] = 0;
      }
    } else {
      for (int i = 0; i < rows; i++) {
        const T *row = g->a + p0 + (size_t) (i0 + r + i) * g->lda;
        for (int p = 0; p < kc; p++) d[(size_t) p * mr + i] = row[p];
      }
      for (int i = rows; i < mr; i++)
        for (int p = 0; p < kc; p++) d[(size_t) p * mr + i] = 0;
    }
  }
}

/* Rows [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into panels of nr
 * columns, zero beyond column nc. */
static void S(pack_b)(const S(gemm_job) *g, int p0, int kc, int j0, int nc,
                      int nr, T *GEMM_RESTRICT dst) {
  for (int s = 0; s < nc; s += nr) {
    int cols = min_int(nr, nc - s);
    T *d = dst + (size_t) s * kc;
    if (!g->tb) {
      for (int j = 0; j < cols; j++) {
        const T *col = g->b + p0 + (size_t) (j0 + s + j) * g->ldb;
        for (int p = 0; p < kc; p++) d[(size_t) p * nr + j] = col[p];
      }
      for (int j = cols; j < nr; j++)
        for (int p = 0; p < kc; p++) d[(size_t) p * nr + j] = 0;
    } else {
      const T *src = g->b + (j0 + s) + (size_t) p0 * g->ldb;
      for (int p = 0; p < kc; p++) {
        const T *row = src + (size_t) p * g->ldb;
        T *dp = d + (size_t) p * nr;
        for (int j = 0; j < cols; j++) dp[j] = row[j];
        for (int j = cols; j < nr; j++) dp[j] = 0;
      }
    }
  }
}

/* Columns [from, to) of C, with the part's scratch. */
static void S(gemm_cols)(const S(gemm_job) *g, int from, int to, char *ws) {
  int mr = KERNEL_MR(g->kr), nr = KERNEL_NR(g->kr);
  int kc_max = min_int(g->k, KC_MAX);
  int mc_max = min_int(round_up(g->m, mr), g->mc);
  T *ap = (T *) align64(ws);
  T *bp = (T *) ((char *) ap + round64((size_t) mc_max * kc_max *
                                       sizeof(T)));
  for (int jc = from; jc < to; jc += g->nc) {
    int nc = min_int(g->nc, to - jc);
    for (int pc = 0; pc < g->k; pc += KC_MAX) {
      int kc = min_int(KC_MAX, g->k - pc), add = pc > 0 || g->beta;
      S(pack_b)(g, pc, kc, jc, nc, nr, bp);
      for (int ic = 0; ic < g->m; ic += g->mc) {
        int mc = min_int(g->mc, g->m - ic);
        S(pack_a)(g, ic, mc, pc, kc, mr, ap);
        for (int jr = 0; jr < nc; jr += nr) {
          const T *b = bp + (size_t) jr * kc;
          T *cj = g->c + (ptrdiff_t) (jc + jr) * g->cs;
          for (int ir = 0; ir < mc; ir += mr)
            KERNEL(g->kr)(kc, ap + (size_t) ir * kc, b, cj + (ic + ir) * g->rs,
                   g->rs, g->cs, add, min_int(mr, mc - ir),
                   min_int(nr, nc - jr));
        }
      }
    }
  }
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
  gemm_plan pl = plan(m, n, k, threads, KERNEL_MR(kr), KERNEL_NR(kr),
                      KC_MAX, sizeof(T));
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
  gemm_plan pl = plan(m, n, k, threads, KERNEL_MR(kr), KERNEL_NR(kr),
                      KC_MAX, sizeof(T));
  S(gemm_job) g;
  g.kr = kr;
  if (!pl.trans) {
    g.ta = ta; g.tb = tb; g.a = a; g.lda = lda; g.b = b; g.ldb = ldb;
    g.rs = 1; g.cs = ldc;
  } else {
    /* C' = op(B)' op(A)' */
    g.ta = !tb; g.tb = !ta; g.a = b; g.lda = ldb; g.b = a; g.ldb = lda;
    g.rs = ldc; g.cs = 1;
  }
  g.m = pl.m; g.n = pl.n; g.k = k; g.beta = beta; g.c = c;
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
