/* Square roots of short arrays by the CPU's own instruction (sqrt_block.c).
 *
 * The loops over the parameters cannot use it: GCC vectorises sqrt only
 * under -fno-math-errno, which a package may not set (and `#pragma GCC
 * optimize` does not give it), so they take sqrt by Newton's iteration
 * (vmath.h), a dozen dependent instructions. Where a loop needs many
 * square roots it stores their arguments in a block and calls these.
 * The results are correctly rounded on every x86-64 CPU (IEEE 754 sqrt),
 * so they do not depend on which instruction set is used; elsewhere they
 * come from vmath.h's vsqrt and vsqrtf. */
#ifndef BBB_SQRT_BLOCK_H
#define BBB_SQRT_BLOCK_H

/* The longest block the callers pass (a multiple of 16). */
#define SQRT_BLOCK 256

/* Chooses the widest version this CPU runs; called once, when the package
 * loads (before it, the baseline version is used). */
void sqrt_block_init(void);

/* y[i] = sqrt(x[i]) for i < n (n <= SQRT_BLOCK; x >= 0 or NaN); y may be
 * x. */
void sqrt_block_f(float *y, const float *x, int n);
void sqrt_block_d(double *y, const double *x, int n);

/* The same by the version named, for the tests: "sse", "avx", "avx512"
 * (x86-64) or "newton" (everywhere); 0 if this build or CPU has none
 * such, else 1 with y set. */
int sqrt_block_with(const char *name, int single, double *y, const double *x,
                    int n);

#ifdef BBB_SINGLE
#define real_sqrt_block sqrt_block_f
#else
#define real_sqrt_block sqrt_block_d
#endif

#endif
