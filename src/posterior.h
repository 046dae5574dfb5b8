/* The variational posterior (posterior.c): sigma, weight draws and the
 * fused gradient/update pass over the parameters, in the engine's
 * precision. */
#ifndef BBB_POSTERIOR_H
#define BBB_POSTERIOR_H

#include "bbb.h"
#include "optim.h"
#include "rng.h"

BBB_API void sample_alloc(bbb_sample *smp, int n_par);
BBB_API void posterior_scales(const bbb_net *net, const real *rho,
                              bbb_sample *smp, int from, int to);
BBB_API void posterior_draw(const real *mu, bbb_sample *smp, uint64_t seed,
                            int from, int to);
BBB_API void real_norm_fill(bbb_vrng *r, real *x, int n);
BBB_API void posterior_moments(const bbb_net *net, const real *mu,
                               const bbb_sample *smp, int from, int to,
                               double *moments);
BBB_API void posterior_pass(const bbb_net *net, const bbb_step *st, int add,
                            double kl_w, double scale, real *theta, real *m,
                            real *v, bbb_sample *smp, const bbb_work *wk,
                            real *g, int from, int to, double *check,
                            double *kl);

#endif
