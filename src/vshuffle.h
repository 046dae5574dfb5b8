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

#endif
