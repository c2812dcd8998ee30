/* pool.c — the fork-join pool: POSIX threads, a generation counter and a count of
 * calls still running, each with a bounded spin before a condition-variable sleep.
 *
 * Protocol. run: publish (fn, ctx), set pending = n - 1, bump `generation` under the
 * lock and broadcast `wake`; do call 0; wait until pending is 0. A worker waits for
 * the generation to move past the one it last served, does its call, and decrements
 * pending; the one that reaches 0 signals `done` under the lock. Both waits check
 * their condition under the lock before sleeping, so no wake-up is lost; the spins
 * before them only skip the sleep when the condition is already true. */
#include "lintrain/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct lt_pool_shared {
    size_t n;
    pthread_t *threads;          /* (n - 1) workers */
    size_t started;              /* workers actually started (for cleanup) */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    atomic_ulong generation;     /* bumped once per run */
    atomic_size_t pending;       /* worker calls of this run not finished yet */
    atomic_bool stop;
    lt_pool_fn fn;               /* the current job; written before the bump */
    void *ctx;
};

typedef struct {
    lt_pool_shared *s;
    size_t t;
} worker_arg;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e6 * (double)ts.tv_sec + 1e-3 * (double)ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* One step of a bounded spin: a pause for the first PAUSES steps, then a yield, so a
 * thread that waits longer than a few microseconds leaves its core to whoever is
 * runnable (on a busy machine, often the thread it waits for). False once the spin
 * has lasted LT_POOL_SPIN_US. */
#define PAUSES 512
static bool spin_step(unsigned i, double t0)
{
    if (i < PAUSES) {
        cpu_relax();
        return true;
    }
    sched_yield();
    return now_us() - t0 <= LT_POOL_SPIN_US;
}

/* Spins while *gen == seen; true when it moved, false when the spin ran out. */
static bool spin_until_moved(const atomic_ulong *gen, unsigned long seen)
{
    double t0 = now_us();
    for (unsigned i = 0; spin_step(i, t0); i++) {
        if (atomic_load_explicit(gen, memory_order_acquire) != seen) {
            return true;
        }
    }
    return false;
}

/* Spins while *pending != 0; true when it reached 0, false when the spin ran out. */
static bool spin_until_zero(const atomic_size_t *pending)
{
    double t0 = now_us();
    for (unsigned i = 0; spin_step(i, t0); i++) {
        if (atomic_load_explicit(pending, memory_order_acquire) == 0) {
            return true;
        }
    }
    return false;
}

static void *worker_main(void *arg)
{
    worker_arg *a = arg;
    lt_pool_shared *s = a->s;
    size_t t = a->t;
    free(a);
    unsigned long served = 0;
    for (;;) {
        if (!spin_until_moved(&s->generation, served)) {
            pthread_mutex_lock(&s->lock);
            while (atomic_load(&s->generation) == served && !atomic_load(&s->stop)) {
                pthread_cond_wait(&s->wake, &s->lock);
            }
            pthread_mutex_unlock(&s->lock);
        }
        if (atomic_load(&s->stop)) {
            return NULL;
        }
        served = atomic_load(&s->generation);
        s->fn(s->ctx, t, s->n);
        if (atomic_fetch_sub(&s->pending, 1) == 1) {
            pthread_mutex_lock(&s->lock);
            pthread_cond_signal(&s->done);
            pthread_mutex_unlock(&s->lock);
        }
    }
}

size_t lt_pool_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

lt_status lt_pool_create(lt_pool *p, size_t n, lt_error *err)
{
    memset(p, 0, sizeof *p);
    if (n == 0) {
        n = lt_pool_cpus();
    }
    if (n > LT_POOL_MAX_THREADS) {
        return lt_fail(err, LT_ERR, "thread pool: %zu threads is more than %d", n,
                       LT_POOL_MAX_THREADS);
    }
    p->n = n;
    if (n == 1) {
        return LT_OK;
    }
    lt_pool_shared *s = lt_calloc(1, sizeof *s, "thread pool", err);
    if (!s) {
        return LT_ERR;
    }
    s->n = n;
    s->threads = lt_calloc(n - 1, sizeof *s->threads, "thread pool", err);
    if (!s->threads) {
        free(s);
        return LT_ERR;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->done, NULL);
    atomic_init(&s->generation, 0);
    atomic_init(&s->pending, 0);
    atomic_init(&s->stop, false);
    p->shared = s;
    for (size_t t = 1; t < n; t++) {
        worker_arg *a = lt_calloc(1, sizeof *a, "thread pool", err);
        if (!a) {
            lt_pool_free(p);
            return LT_ERR;
        }
        a->s = s;
        a->t = t;
        if (pthread_create(&s->threads[t - 1], NULL, worker_main, a) != 0) {
            free(a);
            lt_pool_free(p);
            return lt_fail(err, LT_ERR, "thread pool: cannot start thread %zu of %zu", t + 1, n);
        }
        s->started++;
    }
    return LT_OK;
}

void lt_pool_run(lt_pool *p, lt_pool_fn fn, void *ctx)
{
    lt_pool_shared *s = p->shared;
    if (!s) {
        fn(ctx, 0, 1);
        return;
    }
    s->fn = fn;
    s->ctx = ctx;
    atomic_store(&s->pending, s->n - 1);
    pthread_mutex_lock(&s->lock);
    atomic_fetch_add(&s->generation, 1);
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    fn(ctx, 0, s->n);
    if (!spin_until_zero(&s->pending)) {
        pthread_mutex_lock(&s->lock);
        while (atomic_load(&s->pending) != 0) {
            pthread_cond_wait(&s->done, &s->lock);
        }
        pthread_mutex_unlock(&s->lock);
    }
}

void lt_pool_free(lt_pool *p)
{
    if (!p || !p->shared) {
        return;
    }
    lt_pool_shared *s = p->shared;
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stop, true);
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    for (size_t t = 0; t < s->started; t++) {
        pthread_join(s->threads[t], NULL);
    }
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->lock);
    free(s->threads);
    free(s);
    memset(p, 0, sizeof *p);
}
