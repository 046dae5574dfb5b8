/* The engine's threads: loops shared by a team of OpenMP threads, and the
 * guard that keeps the BLAS's own threads off while the engine runs.
 *
 * The engine runs its own threads (the `threads` argument) over the
 * parameters, the minibatch gather and groups of posterior draws, and
 * wants a single-threaded BLAS meanwhile: a second pool of threads on the
 * same cores (OpenBLAS's own) spins against the first and slows both,
 * often by several times. OpenBLAS is asked through its own API, looked up
 * at run time, so that bbb still works with any BLAS; the count is put
 * back when the engine returns, also after an error or an interrupt
 * (ffi.c). */
#if defined(__unix__) || defined(__APPLE__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#endif
#include "threads.h"

/* A loop is only handed to OpenMP when it will run on two threads or
 * more: an OpenMP region costs a system call even on one thread (the
 * closing barrier wakes its waiters unconditionally), a tenth of a small
 * network's step. */
void run_range(int n, int threads, void (*body)(int, void *), void *ctx) {
  if (threads > 1 && n > 1) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int i = 0; i < n; i++) body(i, ctx);
  } else {
    for (int i = 0; i < n; i++) body(i, ctx);
  }
}

/* The BLAS thread guard. */
#if defined(__unix__) || defined(__APPLE__)
typedef int (*get_fn)(void);
typedef void (*set_fn)(int);

/* A function from the loaded libraries, or NULL. (Copied through void *
 * as POSIX suggests: ISO C has no cast from object to function pointer.) */
static get_fn find_get(void) {
  get_fn f = NULL;
  void *p = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
  if (p) memcpy(&f, &p, sizeof f);
  return f;
}

static set_fn find_set(void) {
  set_fn f = NULL;
  void *p = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  if (p) memcpy(&f, &p, sizeof f);
  return f;
}

/* The current count, or 0 if the BLAS is not OpenBLAS. */
int blas_threads_get(void) {
  get_fn get = find_get();
  return get ? get() : 0;
}

/* Returns the previous count, or 0 if the BLAS is not OpenBLAS. */
int blas_threads_set(int n) {
  get_fn get = find_get();
  set_fn set = find_set();
  if (!get || !set) return 0;
  int old = get();
  if (old != n) set(n);
  return old;
}
#else
int blas_threads_get(void) { return 0; }

int blas_threads_set(int n) {
  (void) n;
  return 0;
}
#endif

void blas_threads_restore(int old) {
  if (old > 0) blas_threads_set(old);
}
