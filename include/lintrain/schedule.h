/* schedule.h — learning-rate schedules as pure functions of the update index. */
#ifndef LINTRAIN_SCHEDULE_H
#define LINTRAIN_SCHEDULE_H

#include <stddef.h>

#include "lintrain/config.h"

typedef struct {
    long long step;            /* k: index of the update, 0 for the first */
    long long steps_per_epoch;
    long long total_steps;
} lt_schedule_point;

typedef struct {
    const char *name;
    /* Rate of update p.step given the base rate lr0. */
    double (*lr_at)(const lt_config *cfg, double lr0, const lt_schedule_point *p);
} lt_schedule;

const lt_schedule *lt_schedule_find(const char *name);
const char *lt_schedule_name_at(size_t i);

/* The rate the configured schedule gives update p->step. */
double lt_schedule_lr(const lt_schedule *s, const lt_config *cfg, const lt_schedule_point *p);

#endif
