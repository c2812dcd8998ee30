/* pool.h — a fork-join pool of threads: lintrain's one threading model.
 *
 * lt_pool_run(pool, fn, ctx) calls fn(ctx, t, n) once for every t in [0, n), t = 0 on
 * the calling thread and the others on the pool's workers, and returns when every
 * call has returned. Which rows a call works on is fn's business: splitting the work
 * by t alone (never by which thread finishes first) keeps results deterministic for
 * a given n.
 *
 * Between runs a worker spins for a short, bounded time (LT_POOL_SPIN_US: a few
 * microseconds of pause instructions, then sched_yield) so that the next step of a
 * training loop starts without a sleep and a wake-up, then sleeps on a condition
 * variable. While a pool with more than one thread exists, the kernels that
 * use it keep OpenBLAS at one thread (kernel.c), so two pools never spin against each
 * other on the same cores. */
#ifndef LINTRAIN_POOL_H
#define LINTRAIN_POOL_H

#include <stddef.h>

#include "lintrain/common.h"

#define LT_POOL_MAX_THREADS 1024 /* train.threads' maximum */
#define LT_POOL_SPIN_US 100

typedef void (*lt_pool_fn)(void *ctx, size_t t, size_t n);

typedef struct lt_pool_shared lt_pool_shared;

typedef struct {
    size_t n;                /* threads, the caller included; >= 1 */
    lt_pool_shared *shared;  /* owned: workers, lock and job; NULL when n is 1 */
} lt_pool;

/* Starts n - 1 worker threads (none when n is 1). n = 0 means one per online CPU. */
lt_status lt_pool_create(lt_pool *p, size_t n, lt_error *err);

/* Runs fn(ctx, t, p->n) for t in [0, p->n) and waits for all of them. Not reentrant:
 * fn must not call lt_pool_run on the same pool. */
void lt_pool_run(lt_pool *p, lt_pool_fn fn, void *ctx);

/* Stops and joins the workers; accepts NULL and an empty pool. */
void lt_pool_free(lt_pool *p);

/* Online CPUs (at least 1). */
size_t lt_pool_cpus(void);

#endif
