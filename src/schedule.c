/* schedule.c — learning-rate schedules of the lecture: pure functions of the update
 * index (see schedule.h for p, T, warmup and the linear scaling rule). */
#include "lintrain/schedule.h"

#include <math.h>

#include "lintrain/common.h"

#define PI 3.14159265358979323846

/* lr0 */
static double constant_factor(const lt_schedule_spec *s, double p, double T)
{
    (void)s, (void)p, (void)T;
    return 1.0;
}

/* Step decay: lr0·γ^(number of milestones ≤ p), = torch's MultiStepLR (a milestone
 * listed twice counts twice). */
static double step_factor(const lt_schedule_spec *s, double p, double T)
{
    (void)T;
    double f = 1.0;
    for (size_t i = 0; i < s->n_milestones; i++) {
        if (s->milestones[i] <= p) {
            f *= s->gamma;
        }
    }
    return f;
}

/* Cosine: lr0·½(1 + cos(πp/T)). */
static double cosine_factor(const lt_schedule_spec *s, double p, double T)
{
    (void)s;
    return 0.5 * (1.0 + cos(PI * p / T));
}

/* Linear: lr0·(1 − p/T). */
static double linear_factor(const lt_schedule_spec *s, double p, double T)
{
    (void)s;
    return 1.0 - p / T;
}

/* Inverse sqrt: lr0/√(p+1). */
static double inverse_sqrt_factor(const lt_schedule_spec *s, double p, double T)
{
    (void)s, (void)T;
    return 1.0 / sqrt(p + 1.0);
}

static const lt_schedule SCHEDULES[] = {
    {"constant", constant_factor},
    {"step", step_factor},
    {"cosine", cosine_factor},
    {"linear", linear_factor},
    {"inverse_sqrt", inverse_sqrt_factor},
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

double lt_schedule_base_lr(const lt_schedule_spec *s, long long batch_size)
{
    double lr0 = s->lr;
    if (s->lr_scaling_base_batch > 0) {
        lr0 = lr0 * (double)batch_size / (double)s->lr_scaling_base_batch;
    }
    return lr0;
}

double lt_schedule_lr(const lt_schedule_spec *s, const lt_schedule_point *p)
{
    double lr0 = lt_schedule_base_lr(s, p->batch_size);
    /* A constant schedule has no unit key (epoch, then); its factor ignores p and T. */
    double pos, T;
    if (s->unit == LT_SCHEDULE_BY_STEP) {
        pos = (double)p->step;
        T = (double)p->total_steps;
    } else {
        long long spe = p->steps_per_epoch > 0 ? p->steps_per_epoch : 1;
        pos = (double)(p->step / spe);
        T = (double)(p->total_steps / spe);
    }
    double lr = lr0 * s->kind->factor(s, pos, T);
    long long warm = s->warmup_steps;
    if (warm > 0 && p->step + 1 < warm) {
        lr *= (double)(p->step + 1) / (double)warm;
    }
    return lr;
}
