/* gradcheck.c — the sparse gradient check of gradcheck.h, in double precision. */
#include "lintrain/gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/featpipe.h"
#include "lintrain/model.h"
#include "lintrain/preprocess.h"
#include "lintrain/rng.h"
#include "lintrain/splits.h"

/* PCG32 streams. STREAM_INIT is train.c's init stream: the check runs at the very
 * point training starts from. */
#define STREAM_INIT LT_STREAM_INIT
#define STREAM_SAMPLES 3
#define STREAM_COORDS 4

#define TINY 1e-300

lt_gradcheck_opts lt_gradcheck_defaults(void)
{
    lt_gradcheck_opts o = {LT_GRADCHECK_SAMPLES, LT_GRADCHECK_CHECKS, LT_GRADCHECK_H, 0,
                           LT_GRADCHECK_THRESHOLD, NULL};
    return o;
}

const char *lt_gradcheck_verdict_name(lt_gradcheck_verdict v)
{
    static const char *const NAMES[] = {"ok", "smaller step", "kink crossed", "at a kink",
                                        "FAIL"};
    return (size_t)v < sizeof NAMES / sizeof NAMES[0] ? NAMES[v] : "?";
}

typedef struct {
    const lt_gradcheck_problem *p;
    double *X;     /* owned: (n, D) the features in double */
    double *S;     /* owned: (n, C) scores at the point */
    double *G;     /* owned: (n, C) d(mean data loss)/dS at the point */
    double *L;     /* owned: (n) each row's loss at the point */
    double mean_abs_L; /* mean |L_i|: the size of what the data loss's changes round */
    double *row;   /* owned: (C) one row of perturbed scores */
} checker;

static void checker_free(checker *c)
{
    free(c->X);
    free(c->S);
    free(c->G);
    free(c->row);
    free(c->L);
}

static lt_status checker_init(checker *c, const lt_gradcheck_problem *p, lt_error *err)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    size_t n = p->n, D = p->D, C = p->C;
    c->X = lt_calloc(n * D, sizeof(double), "gradient check features", err);
    c->S = lt_calloc(n * C, sizeof(double), "gradient check scores", err);
    c->G = lt_calloc(n * C, sizeof(double), "gradient check score gradient", err);
    c->row = lt_calloc(C, sizeof(double), "gradient check row", err);
    c->L = lt_calloc(n, sizeof(double), "gradient check row losses", err);
    if (!c->X || !c->S || !c->G || !c->row || !c->L) {
        checker_free(c);
        return LT_ERR;
    }
    for (size_t k = 0; k < n * D; k++) {
        c->X[k] = p->X[k];
    }
    /* S = X·W + b and G = (1/n) dL/dS, all in double. */
    for (size_t i = 0; i < n; i++) {
        double *s = c->S + i * C;
        for (size_t j = 0; j < C; j++) {
            s[j] = p->b[j];
        }
        for (size_t d = 0; d < D; d++) {
            double x = c->X[i * D + d];
            for (size_t j = 0; j < C; j++) {
                s[j] += x * (double)p->W[d * C + j];
            }
        }
        c->L[i] = p->loss->row(s, p->y[i], C, p->margin, c->G + i * C);
        c->mean_abs_L += fabs(c->L[i]) / (double)n;
        for (size_t j = 0; j < C; j++) {
            c->G[i * C + j] /= (double)n;
        }
    }
    return LT_OK;
}

/* f(point with one coordinate set to value) − f(point), f = mean data loss + λ·R(W):
 * b[col] when is_bias, else W[row][col]. Only changes are summed — row by row, and
 * the changed weight's penalty term (R is a sum over the weights, as every penalty
 * of the table is) — so that rounding in the ~10^4 of λ·R or in the sum over rows
 * does not swamp f(w + h) − f(w − h). */
static double objective_change(checker *c, int is_bias, size_t row, size_t col, float value)
{
    const lt_gradcheck_problem *p = c->p;
    size_t C = p->C;
    float old = is_bias ? p->b[col] : p->W[row * C + col];
    double delta = (double)value - (double)old;
    double data = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        memcpy(c->row, c->S + i * C, C * sizeof(double));
        c->row[col] += is_bias ? delta : delta * c->X[i * p->D + row];
        data += p->loss->row(c->row, p->y[i], C, p->margin, NULL) - c->L[i];
    }
    data /= (double)p->n;
    if (is_bias) {
        return data;
    }
    return data + p->lambda * (p->penalty->value(&value, 1, p->beta) -
                               p->penalty->value(&old, 1, p->beta));
}

/* The analytic derivative at one coordinate: Σ_i x_i,row·G_i,col + λ·dR/dW (W), or
 * Σ_i G_i,col (b). The penalty's gradient comes from its table entry at λ = 1 (exact
 * for L1 and L2: 2·w and sign(w) are exact in float), then is scaled in double. */
static double analytic(const checker *c, int is_bias, size_t row, size_t col)
{
    const lt_gradcheck_problem *p = c->p;
    size_t C = p->C;
    double g = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        g += (is_bias ? 1.0 : c->X[i * p->D + row]) * c->G[i * C + col];
    }
    if (!is_bias) {
        float pg = 0.0f;
        p->penalty->add_grad(&p->W[row * C + col], 1, 1.0, p->beta, &pg);
        g += p->lambda * (double)pg;
    }
    return g;
}

static double rel_error(double a, double n, double tiny)
{
    return fabs(a - n) / fmax(fmax(fabs(a), fabs(n)), tiny);
}

typedef struct {
    double step, numeric, rel, sm, sp;
    double tiny;   /* the relative error's floor at this step */
} difference;

/* A bound on the rounding noise of the centered difference at step h: f's changes
 * are sums of terms the size of mean |L_i| and λ·|r(w)|, each rounded to a few
 * ulps, then divided by 2h. The relative error's floor ("tiny") is this noise over
 * the threshold, so that a disagreement within rounding noise never fails — a
 * gradient that is exactly 0 (a class no margin touches) is then checked too. */
static double noise_floor(const checker *c, const lt_gradcheck_point *pt, float w, double h)
{
    const lt_gradcheck_problem *p = c->p;
    double r = pt->is_bias ? 0.0 : p->lambda * fabs(p->penalty->value(&w, 1, p->beta));
    return 4.0 * DBL_EPSILON * (c->mean_abs_L + r) / (2.0 * h);
}

/* Centered and one-sided differences at step h around the point's value w; false when
 * the step is below float resolution at w. */
static int differences(checker *c, const lt_gradcheck_point *pt, float w, double h,
                       double threshold, difference *out)
{
    float wp = (float)((double)w + h), wm = (float)((double)w - h);
    if (wp == w || wm == w) {
        return 0;
    }
    double fp = objective_change(c, pt->is_bias, pt->row, pt->col, wp);
    double fm = objective_change(c, pt->is_bias, pt->row, pt->col, wm);
    out->step = h;
    out->numeric = (fp - fm) / ((double)wp - (double)wm);
    out->sp = fp / ((double)wp - (double)w);
    out->sm = -fm / ((double)w - (double)wm);
    out->tiny = noise_floor(c, pt, w, h) / threshold;
    out->rel = rel_error(pt->analytic, out->numeric, out->tiny);
    return 1;
}

static void record(lt_gradcheck_point *pt, const difference *d, lt_gradcheck_verdict v)
{
    pt->numeric = d->numeric;
    pt->rel_error = d->rel;
    pt->h_used = d->step;
    pt->slope_minus = d->sm;
    pt->slope_plus = d->sp;
    pt->verdict = v;
}

/* The verdict rules of gradcheck.h. A gap is |slope_plus − slope_minus|: on a smooth
 * objective it shrinks with the step, across a kink it does not. */
static void check_point(checker *c, lt_gradcheck_point *pt, const lt_gradcheck_opts *o)
{
    float w = pt->is_bias ? c->p->b[pt->col] : c->p->W[pt->row * c->p->C + pt->col];
    difference first = {0}, d = {0};
    int have = 0;
    double h = o->h;
    for (int t = 0; t <= LT_GRADCHECK_RETRIES; t++, h /= 10) {
        if (!differences(c, pt, w, h, o->threshold, &d)) {
            break;
        }
        if (d.rel <= o->threshold) {
            lt_gradcheck_verdict v = LT_GC_OK;
            if (have) {
                double smooth_gap = fabs(d.sp - d.sm) * (o->h / d.step);
                v = fabs(first.sp - first.sm) > 3.0 * smooth_gap + TINY ? LT_GC_KINK_CROSSED
                                                                       : LT_GC_SMALLER_STEP;
            }
            record(pt, &d, v);
            return;
        }
        if (!have) {
            first = d;
        }
        have = 1;
    }
    if (!have) {
        pt->verdict = LT_GC_FAIL;
        pt->numeric = NAN;
        pt->rel_error = INFINITY;
        return;
    }
    /* d is the smallest step tried. A kink at the point: the gap stayed (it did not
     * shrink with the step) and the analytic value lies between the slopes. */
    double lo = fmin(d.sm, d.sp), hi = fmax(d.sm, d.sp);
    double tol = o->threshold * fmax(fmax(fabs(lo), fabs(hi)), d.tiny);
    int gap_stays = d.step < o->h && hi - lo > tol && hi - lo >= 0.5 * fabs(first.sp - first.sm);
    if (gap_stays && pt->analytic >= lo - tol && pt->analytic <= hi + tol) {
        record(pt, &d, LT_GC_AT_KINK);
        return;
    }
    record(pt, &first, LT_GC_FAIL);
}

/* Draws the coordinates: K of W (with replacement, as CS231n's grad_check_sparse),
 * then min(K, C) distinct ones of b. */
static lt_status draw_points(const lt_gradcheck_problem *p, const lt_gradcheck_opts *o,
                             lt_gradcheck_result *r, lt_error *err)
{
    size_t nb = o->checks < p->C ? o->checks : p->C;
    r->n_points = o->checks + nb;
    r->points = lt_calloc(r->n_points, sizeof *r->points, "gradient check points", err);
    size_t *classes = lt_calloc(p->C, sizeof *classes, "gradient check classes", err);
    if (!r->points || !classes) {
        free(classes);
        return LT_ERR;
    }
    lt_rng rng;
    lt_rng_seed(&rng, o->seed, STREAM_COORDS);
    for (size_t k = 0; k < o->checks; k++) {
        r->points[k].row = lt_rng_below(&rng, (uint32_t)p->D);
        r->points[k].col = lt_rng_below(&rng, (uint32_t)p->C);
    }
    for (size_t j = 0; j < p->C; j++) {
        classes[j] = j;
    }
    lt_rng_shuffle(&rng, classes, p->C);
    for (size_t k = 0; k < nb; k++) {
        r->points[o->checks + k].is_bias = 1;
        r->points[o->checks + k].col = classes[k];
    }
    free(classes);
    return LT_OK;
}

lt_status lt_gradcheck_problem_run(const lt_gradcheck_problem *p, const lt_gradcheck_opts *o,
                                   lt_gradcheck_result *r, lt_error *err)
{
    memset(r, 0, sizeof *r);
    if (p->n == 0 || o->checks == 0 || !(o->h > 0) || !(o->threshold > 0)) {
        return lt_fail(err, LT_ECONFIG, "gradient check: needs samples, checks, h and a "
                                        "threshold above 0");
    }
    checker c;
    lt_status st = draw_points(p, o, r, err);
    if (st == LT_OK) {
        st = checker_init(&c, p, err);
    }
    if (st != LT_OK) {
        lt_gradcheck_result_free(r);
        return st;
    }
    double *values = lt_calloc(r->n_points, sizeof *values, "analytic values", err);
    if (!values) {
        checker_free(&c);
        lt_gradcheck_result_free(r);
        return LT_ERR;
    }
    for (size_t k = 0; k < r->n_points; k++) {
        values[k] = analytic(&c, r->points[k].is_bias, r->points[k].row, r->points[k].col);
    }
    if (o->tamper) {
        o->tamper(values, r->n_points);
    }
    r->pass = 1;
    for (size_t k = 0; k < r->n_points; k++) {
        lt_gradcheck_point *pt = &r->points[k];
        pt->analytic = values[k];
        check_point(&c, pt, o);
        r->pass = r->pass && pt->verdict != LT_GC_FAIL;
        if (pt->verdict == LT_GC_AT_KINK) {
            r->n_at_kink++;
        } else if (!(pt->rel_error <= r->max_rel_error)) {
            r->max_rel_error = pt->rel_error;
        }
    }
    free(values);
    checker_free(&c);
    return LT_OK;
}

lt_status lt_gradcheck_run(const lt_config *cfg, const lt_gradcheck_opts *o,
                           lt_gradcheck_result *r, lt_error *err)
{
    memset(r, 0, sizeof *r);
    lt_splits data;
    lt_preprocess prep = {0};
    lt_model model = {0};
    size_t *idx = NULL;
    float *X = NULL;
    uint16_t *y = NULL;
    lt_featpipe feat;
    lt_status st = lt_featpipe_splits(cfg, NULL, &feat, &data, NULL, err);
    lt_featpipe_free(&feat);
    if (st != LT_OK) {
        return st;
    }
    size_t n = o->samples;
    if (n == 0 || n > data.train.n) {
        st = lt_fail(err, LT_ECONFIG, "--samples: %zu is not in [1, %zu], the training records",
                     n, data.train.n);
        goto cleanup;
    }
    if ((st = lt_preprocess_fit(&prep, cfg->data.preprocess, &data.train, data.is_image,
                                err)) != LT_OK ||
        (st = lt_model_create(&model, data.train.D, data.C, err)) != LT_OK) {
        goto cleanup;
    }
    lt_rng rng;
    lt_rng_seed(&rng, (uint64_t)cfg->train.seed, STREAM_INIT);
    if ((st = lt_model_init(&model, &cfg->model_init, &rng, err)) != LT_OK) {
        goto cleanup;
    }
    idx = lt_calloc(data.train.n, sizeof *idx, "sample order", err);
    X = lt_calloc2(n, data.train.D, sizeof *X, "sample features", err);
    y = lt_calloc(n, sizeof *y, "sample labels", err);
    if (!idx || !X || !y) {
        st = LT_ERR;
        goto cleanup;
    }
    for (size_t i = 0; i < data.train.n; i++) {
        idx[i] = i;
    }
    lt_rng_seed(&rng, o->seed, STREAM_SAMPLES);
    lt_rng_shuffle(&rng, idx, data.train.n);
    lt_preprocess_rows(&prep, &data.train, idx, 0, n, X);
    for (size_t i = 0; i < n; i++) {
        y[i] = data.train.labels[idx[i]];
    }
    lt_gradcheck_problem p = {X, y, n, data.train.D, data.C, model.W, model.b,
                              lt_loss_find(cfg->model.loss), cfg->model.svm_margin,
                              lt_penalty_find(cfg->regularization.type),
                              cfg->regularization.lambda, cfg->regularization.beta};
    st = lt_gradcheck_problem_run(&p, o, r, err);
cleanup:
    free(idx);
    free(X);
    free(y);
    lt_model_free(&model);
    lt_preprocess_free(&prep);
    lt_splits_free(&data);
    return st;
}

void lt_gradcheck_result_free(lt_gradcheck_result *r)
{
    if (!r) {
        return;
    }
    free(r->points);
    memset(r, 0, sizeof *r);
}
