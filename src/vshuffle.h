/* A shuffle of two vectors of GCC's vector extensions (also clang's, whose
 * builtin differs): lanes of (u, w) picked by the constant indices, I the
 * integer vector type of the result's shape (for GCC). */
#ifndef BBB_VSHUFFLE_H
#define BBB_VSHUFFLE_H

#if defined(__clang__)
#define VSHUFFLE(I, u, w, ...) __builtin_shufflevector(u, w, __VA_ARGS__)
#else
#define VSHUFFLE(I, u, w, ...) __builtin_shuffle(u, w, (I) {__VA_ARGS__})
#endif

/* The transpose of a 4 x 4 block in four vectors of 4 lanes: o[q] is
 * lane q of r[0], ..., r[3] (I as above). Two rounds of shuffles. */
#define VTRANSPOSE4(I, r, o)                                                \
  do {                                                                      \
    __typeof__((r)[0]) t0_ = VSHUFFLE(I, (r)[0], (r)[1], 0, 4, 1, 5);       \
    __typeof__((r)[0]) t1_ = VSHUFFLE(I, (r)[0], (r)[1], 2, 6, 3, 7);       \
    __typeof__((r)[0]) t2_ = VSHUFFLE(I, (r)[2], (r)[3], 0, 4, 1, 5);       \
    __typeof__((r)[0]) t3_ = VSHUFFLE(I, (r)[2], (r)[3], 2, 6, 3, 7);       \
    (o)[0] = VSHUFFLE(I, t0_, t2_, 0, 1, 4, 5);                             \
    (o)[1] = VSHUFFLE(I, t0_, t2_, 2, 3, 6, 7);                             \
    (o)[2] = VSHUFFLE(I, t1_, t3_, 0, 1, 4, 5);                             \
    (o)[3] = VSHUFFLE(I, t1_, t3_, 2, 3, 6, 7);                             \
  } while (0)

#endif
