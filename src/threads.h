/* The engine's threads (threads.c): loops shared by a team of threads,
 * and the guard that keeps the BLAS's own threads off meanwhile. */
#ifndef BBB_THREADS_H
#define BBB_THREADS_H

/* body(i, ctx) for i = 0 .. n-1, shared by `threads` threads (when there
 * are two or more of each), the items handed out one by one. */
void run_range(int n, int threads, void (*body)(int, void *), void *ctx);
/* The same, body(i, tid, ctx) told which thread (0 .. threads - 1) runs
 * it, for scratch of its own. */
void run_range_tid(int n, int threads, void (*body)(int, int, void *),
                   void *ctx);
/* Stops the team's threads (when the package is unloaded). */
void threads_stop(void);

/* A thread count that follows the load, step by step: the caller's count
 * or one thread, whichever has been faster lately (policy in threads.c). With another busy
 * process on one of two cores, a team of two threads waits at every
 * synchronisation for a time slice of the core it shares; one thread
 * then runs at full speed on the other core. The numbers of the engine do
 * not depend on the count, so switching changes nothing but the time. */
typedef struct {
  int max, cur;         /* the caller's count; the count in use */
  int fixed;            /* the caller's count always (environment variable
                           BBB_THREADS_FIXED=1, for the tests) */
  int trial;            /* the step under way tries the other count */
  int used, steps;      /* this step's count; steps timed since a switch */
  double est[2];        /* smoothed seconds a step on 1 and on max threads,
                           < 0 unknown */
  double start;         /* clock at the start of the step */
  double next_trial;    /* clock from which the other count is tried */
  double backoff;       /* grows with each trial that loses */
  int count[2];         /* steps run on 1 and on max threads */
} bbb_team;

void team_init(bbb_team *t, int threads);
/* The threads for the next step (and its clock starts). */
int team_begin(bbb_team *t);
/* The step is done. */
void team_end(bbb_team *t);
/* With the environment variable BBB_THREADS_TRACE=1, prints to R's error
 * stream how many steps ran on one thread and on the caller's count (for
 * the benchmarks). */
void team_trace(const bbb_team *t);

/* OpenBLAS's thread count, or 0 if the BLAS is not OpenBLAS. */
int blas_threads_get(void);
/* Sets it; returns the previous count, or 0 if the BLAS is not OpenBLAS. */
int blas_threads_set(int n);
/* Puts back a count returned by blas_threads_set. */
void blas_threads_restore(int old);

#endif
