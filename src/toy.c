/* toy.c — 2-D loss surfaces for the optimizer playground, and the loop that runs the
 * trainer's optimizers on them (toy.h). */
#include "lintrain/toy.h"

#include <math.h>
#include <string.h>

#include "lintrain/optim.h"
#include "lintrain/rng.h"
#include "lintrain/schedule.h"

/* Poor conditioning (lecture, "Problems with SGD"): f = (x² + κy²)/2, the Hessian
 * diag(1, κ) has condition number κ; minimum 0 at the origin. */
static double quadratic(const lt_toy_params *p, const double *xy, double *grad)
{
    grad[0] = xy[0];
    grad[1] = p->cond * xy[1];
    return 0.5 * (xy[0] * xy[0] + p->cond * xy[1] * xy[1]);
}

/* Saddle point: f = x² − y², zero gradient at the origin, unbounded below along y. */
static double saddle(const lt_toy_params *p, const double *xy, double *grad)
{
    (void)p;
    grad[0] = 2.0 * xy[0];
    grad[1] = -2.0 * xy[1];
    return xy[0] * xy[0] - xy[1] * xy[1];
}

/* Rosenbrock's valley: f = (1 − x)² + 100(y − x²)², minimum 0 at (1, 1). */
static double rosenbrock(const lt_toy_params *p, const double *xy, double *grad)
{
    (void)p;
    double a = 1.0 - xy[0], b = xy[1] - xy[0] * xy[0];
    grad[0] = -2.0 * a - 400.0 * xy[0] * b;
    grad[1] = 200.0 * b;
    return a * a + 100.0 * b * b;
}

/* A constant slope: f = x + y, ∇f = (1, 1) everywhere, so the step a rule takes is its
 * effective rate (AdaGrad's lr/√t against RMSProp's leaky average). */
static double plane(const lt_toy_params *p, const double *xy, double *grad)
{
    (void)p;
    grad[0] = 1.0;
    grad[1] = 1.0;
    return xy[0] + xy[1];
}

static const lt_toy_function FUNCTIONS[] = {
    {"quadratic", "(x^2 + k*y^2)/2", {-8.0, 1.0}, 0.0, 1, {0.0, 0.0}, quadratic},
    {"saddle", "x^2 - y^2", {-1.0, 1e-3}, 0.0, 0, {0.0, 0.0}, saddle},
    {"rosenbrock", "(1-x)^2 + 100(y-x^2)^2", {-1.5, 2.0}, 0.0, 1, {1.0, 1.0}, rosenbrock},
    /* The "noisy minibatch" problem: the quadratic with N(0, σ²) on each gradient. */
    {"noisy_quadratic", "(x^2 + k*y^2)/2, gradient + N(0, s^2)", {-8.0, 1.0}, 1.0, 1,
     {0.0, 0.0}, quadratic},
    {"plane", "x + y", {0.0, 0.0}, 0.0, 0, {0.0, 0.0}, plane},
};
#define N_FUNCTIONS (sizeof FUNCTIONS / sizeof FUNCTIONS[0])

const lt_toy_function *lt_toy_find(const char *name)
{
    return lt_table_find(FUNCTIONS, N_FUNCTIONS, sizeof FUNCTIONS[0], name);
}

const char *lt_toy_name_at(size_t i)
{
    return lt_table_name_at(FUNCTIONS, N_FUNCTIONS, sizeof FUNCTIONS[0], i);
}

lt_status lt_toy_run(const lt_toy_function *fn, const lt_config *cfg, const lt_toy_opts *o,
                     lt_toy_point *traj, size_t *n_done, lt_error *err)
{
    *n_done = 0;
    const lt_optim_kind *kind = lt_optim_find(cfg->optimizer.name);
    if (!kind || kind->family != LT_OPTIM_FIRST_ORDER) {
        return lt_fail(err, LT_ECONFIG, "optimizer.name: the toy runs first-order optimizers "
                       "only, not \"%s\"", cfg->optimizer.name);
    }
    if (!cfg->schedule_spec.kind) {
        return lt_fail(err, LT_ECONFIG, "schedule.name: unknown \"%s\"", cfg->schedule.name);
    }
    lt_optimizer opt;
    /* Both coordinates count as weights, so AdamW's decay applies to them. */
    if (lt_optimizer_create(&opt, kind, &cfg->optim_params, 2, 2, err) != LT_OK) {
        return LT_ERR;
    }
    lt_rng rng;
    lt_rng_seed(&rng, o->seed, 7);
    float w[2] = {(float)o->start[0], (float)o->start[1]};
    double xy[2] = {w[0], w[1]}, grad[2];
    traj[0] = (lt_toy_point){xy[0], xy[1], fn->eval(&o->params, xy, grad), 0.0};
    lt_status st = LT_OK;
    for (size_t k = 0; k < o->steps; k++) {
        float g[2];
        for (int i = 0; i < 2; i++) {
            double gi = grad[i] + (o->noise > 0 ? o->noise * lt_rng_normal(&rng) : 0.0);
            g[i] = (float)gi;
        }
        lt_schedule_point sp = {(long long)k, 1, (long long)o->steps, cfg->train.batch_size};
        double lr = lt_schedule_lr(&cfg->schedule_spec, &sp);
        lt_optimizer_step(&opt, w, g, lr);
        xy[0] = w[0];
        xy[1] = w[1];
        double f = fn->eval(&o->params, xy, grad);
        traj[k + 1] = (lt_toy_point){xy[0], xy[1], f, lr};
        *n_done = k + 1;
        if (!isfinite(w[0]) || !isfinite(w[1]) || !isfinite(f)) {
            st = lt_fail(err, LT_EDIVERGED, "diverged at update %zu (lower --lr)", k + 1);
            break;
        }
    }
    lt_optimizer_free(&opt);
    return st;
}
