/* The engine's threads (threads.c): loops shared by a team of threads,
 * and the guard that keeps the BLAS's own threads off meanwhile. */
#ifndef BBB_THREADS_H
#define BBB_THREADS_H

/* body(i, ctx) for i = 0 .. n-1, shared by `threads` threads (when there
 * are two or more of each). */
void run_range(int n, int threads, void (*body)(int, void *), void *ctx);

/* OpenBLAS's thread count, or 0 if the BLAS is not OpenBLAS. */
int blas_threads_get(void);
/* Sets it; returns the previous count, or 0 if the BLAS is not OpenBLAS. */
int blas_threads_set(int n);
/* Puts back a count returned by blas_threads_set. */
void blas_threads_restore(int old);

#endif
