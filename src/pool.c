/* pool.c — the task pool: POSIX threads, one 64-bit atomic `claim` that holds the
 * run's generation, its number of tasks and its next unclaimed task, and a count of
 * finished tasks.
 *
 * Protocol. run: publish (fn, ctx), zero `finished`, store claim = (generation + 1,
 * ntasks, 0) under the lock and broadcast `wake`; claim and run tasks like any worker;
 * wait until finished == ntasks. A worker waits for the generation to move past the
 * one it served, then claims tasks with a compare-and-swap of the whole word: it
 * succeeds only while the generation is the one the worker saw and a task is left, so
 * a worker that wakes late never takes a task of a later run, and once it holds a task
 * the run cannot end, which keeps fn and ctx that run's while it reads them. The
 * thread that finishes the last task signals `done` under the lock. Both waits check
 * their condition under the lock before sleeping, so no wake-up is lost; the spins
 * before them only skip the sleep when the condition is already true. */
#include "lintrain/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
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
    _Atomic uint64_t claim;      /* generation << 40 | ntasks << 20 | next task */
    atomic_size_t finished;      /* tasks of this run finished */
    atomic_bool stop;
    /* The current run, written before its generation is published. */
    lt_pool_fn fn;
    void *ctx;
};

#define FIELD 20                          /* bits for ntasks and for the next task */
#define FIELD_MASK ((1u << FIELD) - 1)

typedef struct {
    lt_pool_shared *s;
    size_t t;
} worker_arg;

static uint32_t generation_of(uint64_t claim)
{
    return (uint32_t)(claim >> (2 * FIELD));
}

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

/* Claims and runs tasks of generation gen until none is left (or a later run began). */
static void work(lt_pool_shared *s, uint32_t gen, size_t thread)
{
    for (;;) {
        uint64_t v = atomic_load(&s->claim);
        size_t ntasks = (size_t)((v >> FIELD) & FIELD_MASK), task = (size_t)(v & FIELD_MASK);
        if (generation_of(v) != gen || task >= ntasks) {
            return;
        }
        if (!atomic_compare_exchange_weak(&s->claim, &v, v + 1)) {
            continue;
        }
        s->fn(s->ctx, task, thread);
        if (atomic_fetch_add(&s->finished, 1) + 1 == ntasks) {
            pthread_mutex_lock(&s->lock);
            pthread_cond_signal(&s->done);
            pthread_mutex_unlock(&s->lock);
        }
    }
}

static void *worker_main(void *arg)
{
    worker_arg *a = arg;
    lt_pool_shared *s = a->s;
    size_t t = a->t;
    free(a);
    uint32_t served = 0;
    for (;;) {
        double t0 = now_us();
        unsigned i = 0;
        while (generation_of(atomic_load(&s->claim)) == served && !atomic_load(&s->stop) &&
               spin_step(i++, t0)) {
        }
        pthread_mutex_lock(&s->lock);
        while (generation_of(atomic_load(&s->claim)) == served && !atomic_load(&s->stop)) {
            pthread_cond_wait(&s->wake, &s->lock);
        }
        pthread_mutex_unlock(&s->lock);
        if (atomic_load(&s->stop)) {
            return NULL;
        }
        served = generation_of(atomic_load(&s->claim));
        work(s, served, t);
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
    atomic_init(&s->claim, 0);
    atomic_init(&s->finished, 0);
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

void lt_pool_run(lt_pool *p, size_t ntasks, lt_pool_fn fn, void *ctx)
{
    lt_pool_shared *s = p->shared;
    if (!s || ntasks <= 1) {
        for (size_t task = 0; task < ntasks; task++) {
            fn(ctx, task, 0);
        }
        return;
    }
    s->fn = fn;
    s->ctx = ctx;
    atomic_store(&s->finished, 0);
    pthread_mutex_lock(&s->lock);
    uint32_t gen = (generation_of(atomic_load(&s->claim)) + 1) & 0xffffffu;
    atomic_store(&s->claim, (uint64_t)gen << (2 * FIELD) | (uint64_t)ntasks << FIELD);
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    work(s, gen, 0);
    double t0 = now_us();
    unsigned i = 0;
    while (atomic_load(&s->finished) != ntasks && spin_step(i++, t0)) {
    }
    pthread_mutex_lock(&s->lock);
    while (atomic_load(&s->finished) != ntasks) {
        pthread_cond_wait(&s->done, &s->lock);
    }
    pthread_mutex_unlock(&s->lock);
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
