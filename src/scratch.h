/* Scratch memory of one .Call: R_alloc'd, so freed when the call returns,
 * also after an error or an interrupt. Never called from a worker thread
 * (R_alloc is R's API). */
#ifndef BBB_SCRATCH_H
#define BBB_SCRATCH_H

#include <stddef.h>
#include "bbb.h"

/* n zeroed reals. */
BBB_API real *real_zeros(size_t n);

#endif
