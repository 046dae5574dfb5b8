/* Forward and backward passes of one draw (mlp.c), in the engine's
 * precision. */
#ifndef BBB_MLP_H
#define BBB_MLP_H

#include "bbb.h"

/* Scratch for passes on up to `rows` rows, whose products run on
 * `threads` threads. */
BBB_API void work_alloc(bbb_work *wk, const bbb_net *net, int rows,
                        int threads);
/* A rows x n matrix written contiguously at a, spread in place to the
 * layout of the batch arrays (leading dimension batch_ld(rows), extra
 * rows zero); a must have room for batch_ld(rows) x n values. */
BBB_API void work_spread(real *a, int rows, int n);
BBB_API void mlp_forward(const bbb_net *net, const real *w, bbb_work *wk,
                         int rows);
BBB_API void mlp_backward(const bbb_net *net, const real *w, bbb_work *wk,
                          int rows);
BBB_API void mlp_forward_local(const bbb_net *net, const real *mu,
                               const real *sigma, bbb_work *wk, int rows);
BBB_API void mlp_backward_local(const bbb_net *net, const real *mu,
                                const real *sigma, bbb_work *wk, int rows);

#endif
