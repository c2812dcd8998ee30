/* pool.h — a pool of threads that share out numbered tasks: lintrain's one threading
 * model.
 *
 * lt_pool_run(pool, ntasks, fn, ctx) calls fn(ctx, task, thread) once for every task in
 * [0, ntasks) and returns when all have returned. The calling thread works too (as
 * thread 0); the workers are threads 1 .. n - 1. Tasks are claimed one at a time from
 * a shared counter, so a thread the operating system has descheduled holds up at most
 * the task it is on: on a busy machine the others take the rest. Which thread runs a
 * task is not fixed: a task must write only its own outputs (per-thread scratch
 * indexed by `thread` is fine), which keeps results independent of the scheduling and
 * of the number of threads.
 *
 * Between runs a worker spins for a short, bounded time (LT_POOL_SPIN_US: a few
 * microseconds of pause instructions, then sched_yield) so that the next step of a
 * training loop starts without a sleep and a wake-up, then sleeps on a condition
 * variable. While a pool with more than one thread exists, the kernels that use it
 * keep OpenBLAS at one thread (kernel.c), so two pools never spin against each other
 * on the same cores. */
#ifndef LINTRAIN_POOL_H
#define LINTRAIN_POOL_H

#include <stddef.h>

#include "lintrain/common.h"

#define LT_POOL_MAX_THREADS 1024 /* train.threads' maximum */
#define LT_POOL_SPIN_US 100

typedef void (*lt_pool_fn)(void *ctx, size_t task, size_t thread);

typedef struct lt_pool_shared lt_pool_shared;

typedef struct {
    size_t n;                /* threads, the caller included; >= 1 */
    lt_pool_shared *shared;  /* owned: workers, lock and job; NULL when n is 1 */
} lt_pool;

/* Starts n - 1 worker threads (none when n is 1). n = 0 means one per online CPU. */
lt_status lt_pool_create(lt_pool *p, size_t n, lt_error *err);

/* Runs fn(ctx, task, thread) for every task in [0, ntasks) and waits for all of them.
 * ntasks < 2^20. Not reentrant: fn must not call lt_pool_run on the same pool. */
void lt_pool_run(lt_pool *p, size_t ntasks, lt_pool_fn fn, void *ctx);

/* Stops and joins the workers; accepts NULL and an empty pool. */
void lt_pool_free(lt_pool *p);

/* Online CPUs (at least 1). */
size_t lt_pool_cpus(void);

#endif
