/* The single-precision training engine: the files of the double engine
 * compiled again with real = float (see bbb.h). Every function is static
 * here but the entry point train_run_single. Its products run on the own
 * kernels in float (gemm.c), so it needs no sgemm from the BLAS, and it
 * streams half the bytes per parameter. */
#define BBB_SINGLE
#include "scratch.c"
#include "family.c"
#include "mlp.c"
#include "optim.c"
#include "posterior.c"
#include "train.c"
