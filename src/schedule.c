/* schedule.c — learning-rate schedules: pure functions of the update index. */
#include "lintrain/schedule.h"

#include <string.h>

#include "lintrain/common.h"

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
    return lt_table_find(SCHEDULES, N_SCHEDULES, sizeof SCHEDULES[0], name);
}

const char *lt_schedule_name_at(size_t i)
{
    return lt_table_name_at(SCHEDULES, N_SCHEDULES, sizeof SCHEDULES[0], i);
}

double lt_schedule_lr(const lt_schedule *s, const lt_config *cfg, const lt_schedule_point *p)
{
    return s->lr_at(cfg, cfg->optimizer.lr, p);
}
