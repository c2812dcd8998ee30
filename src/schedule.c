/* schedule.c — learning-rate schedules: pure functions of the update index. */
#include "lintrain/schedule.h"

#include <string.h>

static double constant_lr(const lt_config *cfg, double lr0, const lt_schedule_point *p)
{
    (void)cfg, (void)p;
    return lr0;
}

static const lt_schedule SCHEDULES[] = {
    {"constant", constant_lr},
};
#define N_SCHEDULES (sizeof SCHEDULES / sizeof SCHEDULES[0])

const lt_schedule *lt_schedule_find(const char *name)
{
    for (size_t i = 0; i < N_SCHEDULES; i++) {
        if (strcmp(SCHEDULES[i].name, name) == 0) {
            return &SCHEDULES[i];
        }
    }
    return NULL;
}

const char *lt_schedule_name_at(size_t i)
{
    return i < N_SCHEDULES ? SCHEDULES[i].name : NULL;
}

double lt_schedule_lr(const lt_schedule *s, const lt_config *cfg, const lt_schedule_point *p)
{
    return s->lr_at(cfg, cfg->optimizer.lr, p);
}
