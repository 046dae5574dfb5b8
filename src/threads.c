/* The engine's threads: a team of threads that shares loops, a thread
 * count that follows the load, and the guard that keeps the BLAS's own
 * threads off while the engine runs.
 *
 * The team: on POSIX systems a pool of worker threads of our own
 * (pthreads), started when first needed and kept until the package is
 * unloaded. A loop's items are handed out one by one (an atomic counter),
 * so a thread that the system has descheduled holds up at most the item
 * it is on, and a thread that waits -- a worker for the next loop, the
 * caller for the last items -- polls for 20 microseconds and then sleeps,
 * which gives its core back. OpenMP's threads (libgomp) spin much longer
 * at every barrier unless the user exports OMP_WAIT_POLICY=passive, a
 * setting a package must not make for the user; on a busy machine each
 * loop then waited for a time slice of the shared core (10 ms a loop,
 * measured with bench/contention.R). Elsewhere (Windows) the loops go to
 * OpenMP. Items write disjoint results, so who computes which does not
 * change the numbers.
 *
 * The engine wants a single-threaded BLAS meanwhile: a second pool of
 * threads on the same cores (OpenBLAS's own) spins against the first and
 * slows both, often by several times. OpenBLAS is asked through its own
 * API, looked up at run time, so that bbb still works with any BLAS; the
 * count is put back when the engine returns, also after an error or an
 * interrupt (ffi.c). */
#if defined(__unix__) || defined(__APPLE__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#endif
#include <stdlib.h>
#include <time.h>
#include <R_ext/Print.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "threads.h"

static double clock_now(void);

#if (defined(__unix__) || defined(__APPLE__)) && !defined(_WIN32) && \
  !defined(__STDC_NO_ATOMICS__)
#define BBB_POOL 1
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>
#endif

#ifdef BBB_POOL
#define POOL_MAX 63             /* workers; the caller is the 64th thread */
#define POOL_SPIN 20e-6         /* seconds of polling before sleeping */

typedef void (*item_fn)(int i, int tid, void *ctx);

static struct {
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  pthread_t tid[POOL_MAX];
  unsigned first[POOL_MAX];     /* the loop count when each was started */
  int n;                        /* workers started */
  pid_t pid;                    /* by this process (a fork has none) */
  int quit;
  /* the loop under way, set under mu */
  atomic_uint gen;              /* counts the loops */
  item_fn body;
  void *ctx;
  int items, want;              /* workers 0 .. want - 1 take part */
  atomic_int next;              /* the next item to hand out */
  atomic_int busy;              /* workers still in the loop */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .go = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Items of the loop until there are none left. */
static void take_items(item_fn body, void *ctx, int items, int tid) {
  for (;;) {
    int i = atomic_fetch_add_explicit(&pool.next, 1, memory_order_relaxed);
    if (i >= items) return;
    body(i, tid, ctx);
  }
}

/* A poll that gives up after POOL_SPIN seconds (the clock is read every
 * 64 polls): spin_more() relaxes the core once and says whether to poll
 * on. */
typedef struct {
  double until;
  int polls;
} spinner;

static int spin_more(spinner *s) {
  if ((++s->polls & 63) == 0) {
    double now = clock_now();
    if (s->until < 0) s->until = now + POOL_SPIN;
    else if (now > s->until) return 0;
  }
  cpu_relax();
  return 1;
}

static void *worker(void *arg) {
  int id = (int) (intptr_t) arg;
  /* loops from the one after its start (it may start running only
   * after the caller has published the loop it was started for) */
  unsigned seen = pool.first[id];
  for (;;) {
    /* poll for the next loop, then sleep until it comes */
    spinner sp = {-1, 0};
    while (atomic_load_explicit(&pool.gen, memory_order_acquire) == seen &&
           spin_more(&sp)) {
    }
    pthread_mutex_lock(&pool.mu);
    while (atomic_load(&pool.gen) == seen && !pool.quit)
      pthread_cond_wait(&pool.go, &pool.mu);
    if (pool.quit) {
      pthread_mutex_unlock(&pool.mu);
      return NULL;
    }
    seen = atomic_load(&pool.gen);
    int take = id < pool.want;
    item_fn body = pool.body;
    void *ctx = pool.ctx;
    int items = pool.items;
    pthread_mutex_unlock(&pool.mu);
    if (!take) continue;
    take_items(body, ctx, items, id + 1);
    if (atomic_fetch_sub(&pool.busy, 1) == 1) {
      pthread_mutex_lock(&pool.mu);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.mu);
    }
  }
}

/* At least `workers` workers, as far as the system gives them; returns
 * how many there are. Started with every signal blocked: signals are for
 * R's thread. */
static int pool_start(int workers) {
  if (pool.n > 0 && pool.pid != getpid()) {
    /* a forked child: the workers stayed with the parent */
    pool.n = 0;
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.go, NULL);
    pthread_cond_init(&pool.done, NULL);
  }
  if (workers > POOL_MAX) workers = POOL_MAX;
  if (pool.n >= workers) return pool.n;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pool.pid = getpid();
  pool.quit = 0;
  while (pool.n < workers) {
    pool.first[pool.n] = atomic_load(&pool.gen);
    if (pthread_create(&pool.tid[pool.n], NULL, worker,
                       (void *) (intptr_t) pool.n) != 0)
      break;
    pool.n++;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return pool.n;
}

static void pool_run(int items, int threads, item_fn body, void *ctx) {
  int want = (threads < items ? threads : items) - 1;
  int have = pool_start(want);
  want = want < have ? want : have;
  pthread_mutex_lock(&pool.mu);
  pool.body = body;
  pool.ctx = ctx;
  pool.items = items;
  pool.want = want;
  atomic_store(&pool.next, 0);
  atomic_store(&pool.busy, want);
  atomic_fetch_add_explicit(&pool.gen, 1, memory_order_release);
  pthread_cond_broadcast(&pool.go);
  pthread_mutex_unlock(&pool.mu);
  take_items(body, ctx, items, 0);
  /* poll for the workers' last items, then sleep */
  spinner sp = {-1, 0};
  while (atomic_load_explicit(&pool.busy, memory_order_acquire) > 0 &&
         spin_more(&sp)) {
  }
  pthread_mutex_lock(&pool.mu);
  while (atomic_load(&pool.busy) > 0) pthread_cond_wait(&pool.done, &pool.mu);
  pthread_mutex_unlock(&pool.mu);
}

void threads_stop(void) {
  if (pool.n == 0 || pool.pid != getpid()) return;
  pthread_mutex_lock(&pool.mu);
  pool.quit = 1;
  pthread_cond_broadcast(&pool.go);
  pthread_mutex_unlock(&pool.mu);
  for (int i = 0; i < pool.n; i++) pthread_join(pool.tid[i], NULL);
  pool.n = 0;
}
#else
void threads_stop(void) {}
#endif

typedef struct {
  void (*body)(int, void *);
  void *ctx;
} plain_job;

#ifdef BBB_POOL
static void plain_item(int i, int tid, void *p) {
  const plain_job *j = (const plain_job *) p;
  (void) tid;
  j->body(i, j->ctx);
}
#endif

/* A loop runs on the team only when it has two threads or more. */
void run_range(int n, int threads, void (*body)(int, void *), void *ctx) {
  if (threads > 1 && n > 1) {
#ifdef BBB_POOL
    plain_job j = {body, ctx};
    pool_run(n, threads, plain_item, &j);
#else
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic)
#endif
    for (int i = 0; i < n; i++) body(i, ctx);
#endif
  } else {
    for (int i = 0; i < n; i++) body(i, ctx);
  }
}

void run_range_tid(int n, int threads, void (*body)(int, int, void *),
                   void *ctx) {
  if (threads > 1 && n > 1) {
#ifdef BBB_POOL
    pool_run(n, threads, body, ctx);
#else
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (int i = 0; i < n; i++) body(i, omp_get_thread_num(), ctx);
#else
    for (int i = 0; i < n; i++) body(i, 0, ctx);
#endif
#endif
  } else {
    for (int i = 0; i < n; i++) body(i, 0, ctx);
  }
}

/* Wall-clock seconds (monotonic where there is such a clock). */
static double clock_now(void) {
  struct timespec ts;
#if defined(_WIN32)
  timespec_get(&ts, TIME_UTC);
#else
  clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* The policy of bbb_team (threads.h): start on one thread; keep a
 * smoothed time per step of the count in use, and now and then try the
 * other count for one step; switch when that step took less than 85% of
 * the smoothed time. Steps of less than a millisecond on one thread stay
 * on one thread: more threads would save little, and on a busy machine a
 * step of a team costs a time slice of the shared core (milliseconds)
 * per synchronisation. A trial that loses is repeated only after 20
 * times the time it lost (so trials cost at most about 5%), times a
 * factor that doubles with each loss in a row (up to 64); a sudden
 * slowdown of the team in use (a step 4 times its smoothed time: another
 * process has come) brings the next trial of one thread forward. The
 * first step of a call warms the caches and is not counted. */
#define TEAM_WIN 0.85
#define TEAM_COST 20.0
#define TEAM_BACKOFF_MAX 64.0
#define TEAM_JUMP 4.0
#define TEAM_MIN_STEP 1e-3

void team_init(bbb_team *t, int threads) {
  const char *fixed = getenv("BBB_THREADS_FIXED");
  t->max = threads < 1 ? 1 : threads;
  t->fixed = fixed && fixed[0] == '1';
  t->cur = 1;
  t->trial = 0;
  t->used = 1;
  t->steps = -1;
  t->est[0] = t->est[1] = -1;
  t->start = 0;
  t->next_trial = 0;
  t->backoff = 1;
  t->count[0] = t->count[1] = 0;
}

int team_begin(bbb_team *t) {
  if (t->max == 1 || t->fixed) return t->used = t->max;
  t->start = clock_now();
  t->trial = t->steps >= 2 && t->start >= t->next_trial &&
    (t->cur == t->max || t->est[0] >= TEAM_MIN_STEP);
  t->used = t->trial ? (t->cur == 1 ? t->max : 1) : t->cur;
  return t->used;
}

void team_end(bbb_team *t) {
  t->count[t->used > 1]++;
  if (t->max == 1 || t->fixed) return;
  double now = clock_now(), dt = now - t->start;
  int cur = t->cur == 1 ? 0 : 1;
  if (t->steps < 0) {             /* warm-up */
    t->steps = 0;
    return;
  }
  if (t->trial) {
    int other = 1 - cur;
    t->trial = 0;
    if (t->est[cur] > 0 && dt < TEAM_WIN * t->est[cur]) {
      t->est[other] = dt;
      t->cur = t->used;
      t->steps = 0;
      t->backoff = 1;
      /* the count left behind may be tried again soon */
      t->next_trial = now + TEAM_COST * (t->est[cur] - dt);
    } else {
      double lost = t->est[cur] > 0 ? dt - t->est[cur] : dt;
      t->next_trial = now + TEAM_COST * t->backoff * (lost > 0 ? lost : 0);
      t->backoff = t->backoff * 2 < TEAM_BACKOFF_MAX ? t->backoff * 2 :
        TEAM_BACKOFF_MAX;
    }
    return;
  }
  if (cur == 1 && t->est[1] > 0 && dt > TEAM_JUMP * t->est[1]) {
    t->next_trial = now;
    t->backoff = 1;
  }
  t->est[cur] = t->est[cur] < 0 ? dt : 0.8 * t->est[cur] + 0.2 * dt;
  t->steps++;
}

void team_trace(const bbb_team *t) {
  const char *trace = getenv("BBB_THREADS_TRACE");
  if (trace && trace[0] == '1')
    REprintf("bbb threads: %d step(s) on 1 thread, %d on %d\n", t->count[0],
             t->count[1], t->max);
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
