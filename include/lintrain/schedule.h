/* schedule.h — learning-rate schedules as pure functions of the update index.
 *
 * k is the index of the update (0 for the first). schedule.unit sets what the decay
 * counts: p = the epoch index k / steps_per_epoch (the rate is constant within an
 * epoch) and T = epochs, or p = k and T = total updates. Each schedule is a factor
 * f(p, T) of lr0; linear warmup multiplies by min(1, (k+1)/warmup_steps) on top, in
 * updates whatever the unit; the linear scaling rule makes lr0 = optimizer.lr ·
 * batch / lr_scaling_base_batch. That is torch.optim.lr_scheduler.LambdaLR stepped
 * once per update with the lambda k -> f(p(k), T) · warmup(k). */
#ifndef LINTRAIN_SCHEDULE_H
#define LINTRAIN_SCHEDULE_H

#include <stddef.h>

#include "lintrain/config.h"

typedef struct {
    long long step;            /* k: index of the update, 0 for the first */
    long long steps_per_epoch;
    long long total_steps;     /* steps_per_epoch · epochs */
    long long batch_size;      /* rows per update (the linear scaling rule's batch) */
} lt_schedule_point;

typedef struct {
    const char *name;
    /* f(p, T): the factor of lr0 at position p of a run of length T (p < T). */
    double (*factor)(const lt_config *cfg, double p, double T);
} lt_schedule;

const lt_schedule *lt_schedule_find(const char *name);
const char *lt_schedule_name_at(size_t i);

/* lr0: optimizer.lr, times batch_size / lr_scaling_base_batch when that is not 0. */
double lt_schedule_base_lr(const lt_config *cfg, long long batch_size);

/* The rate the configured schedule gives update p->step. */
double lt_schedule_lr(const lt_schedule *s, const lt_config *cfg, const lt_schedule_point *p);

#endif
