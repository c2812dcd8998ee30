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

typedef struct {
    long long step;            /* k: index of the update, 0 for the first */
    long long steps_per_epoch;
    long long total_steps;     /* steps_per_epoch · epochs */
    long long batch_size;      /* rows per update (the linear scaling rule's batch) */
} lt_schedule_point;

/* What schedule.unit counts. */
typedef enum {
    LT_SCHEDULE_BY_EPOCH, /* p = epoch index, T = epochs */
    LT_SCHEDULE_BY_STEP   /* p = k, T = total updates */
} lt_schedule_unit;

typedef struct lt_schedule lt_schedule;

/* The numbers a schedule takes, resolved from the config's optimizer.lr and
 * schedule.* keys (a key the schedule does not use is 0). */
typedef struct {
    const lt_schedule *kind;   /* schedule.name's entry; NULL: no schedule (lbfgs,
                                * random_search) */
    double lr;                 /* optimizer.lr: the base rate */
    lt_schedule_unit unit;
    const double *milestones;  /* step: values of p where the rate drops (borrowed) */
    size_t n_milestones;
    double gamma;              /* step: factor per milestone passed */
    long long warmup_steps;    /* linear warmup, in updates; 0 = none */
    long long lr_scaling_base_batch; /* linear scaling rule; 0 = off */
} lt_schedule_spec;

struct lt_schedule {
    const char *name;
    /* f(p, T): the factor of lr0 at position p of a run of length T (p < T). */
    double (*factor)(const lt_schedule_spec *s, double p, double T);
};

const lt_schedule *lt_schedule_find(const char *name);
const char *lt_schedule_name_at(size_t i);

/* lr0: s->lr, times batch_size / lr_scaling_base_batch when that is not 0. */
double lt_schedule_base_lr(const lt_schedule_spec *s, long long batch_size);

/* The rate schedule s gives update p->step (s->kind not NULL). */
double lt_schedule_lr(const lt_schedule_spec *s, const lt_schedule_point *p);

#endif
