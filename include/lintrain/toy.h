/* toy.h — the optimizer playground: 2-D loss surfaces and a run of any first-order
 * optimizer of optim.h on one of them (the lecture's trajectory pictures).
 *
 * The run steps the trainer's own lt_optimizer (no second copy of any update rule)
 * with the rate the configured schedule gives (schedule.h, one update per "epoch"),
 * on w = (x, y). Regularization keys are ignored: the surface is the whole loss. */
#ifndef LINTRAIN_TOY_H
#define LINTRAIN_TOY_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/config.h"

typedef struct {
    double cond;   /* quadratic, noisy_quadratic: condition number κ of f = (x² + κy²)/2 */
} lt_toy_params;

typedef struct {
    const char *name;
    const char *formula;        /* for --help and plots */
    double start[2];            /* where a run starts unless told */
    double default_noise;       /* σ of the gradient noise unless told */
    int has_min;                /* 0: unbounded below (saddle, plane) */
    double min[2];              /* the minimiser when has_min */
    /* f at xy (2); grad (2) gets ∇f. */
    double (*eval)(const lt_toy_params *p, const double *xy, double *grad);
} lt_toy_function;

const lt_toy_function *lt_toy_find(const char *name);
const char *lt_toy_name_at(size_t i);

typedef struct {
    size_t steps;          /* updates */
    double start[2];
    double noise;          /* σ: N(0, σ²) added to each gradient component */
    uint64_t seed;         /* draws the noise */
    lt_toy_params params;
} lt_toy_opts;

/* One row of the trajectory: the point after `step` updates (0: the start), f there,
 * the rate of the update that led to it (0 at the start). */
typedef struct {
    double x, y, f, lr;
} lt_toy_point;

/* Runs cfg's optimizer (first-order family, else LT_ECONFIG) from o->start for
 * o->steps updates; traj gets o->steps + 1 points. Stops early with LT_EDIVERGED when
 * a coordinate leaves the float range (traj then holds *n_done + 1 points). */
lt_status lt_toy_run(const lt_toy_function *fn, const lt_config *cfg, const lt_toy_opts *o,
                     lt_toy_point *traj, size_t *n_done, lt_error *err);

#endif
