/* gradcheck.h — CS231n's sparse gradient check: the analytic gradient of the
 * configured objective, data loss + λ·R(W), against the centered difference
 * (f(w + h) − f(w − h)) / 2h at K random coordinates of W and of b.
 *
 * Everything is in double precision, as in the lecture: the features and the point
 * (W, b) are the float32 values training uses, converted exactly; scores, losses and
 * both gradients are double. The data loss of each row and its gradient come from
 * the loss table's row function (loss.h), the one training's float path is built on;
 * the penalty's value and gradient from the penalty table (penalty.h). The perturbed
 * weights are rounded to float, and the difference is divided by the exact distance
 * between them, so the step is exact whatever the weight's magnitude.
 *
 * Kinks (the hinge at margin 0, |w| at 0) are handled as follows, all objectives here
 * being convex: a coordinate whose relative error is over the threshold is checked
 * again with steps h/10, h/100, h/1000; when a smaller step passes, the larger one
 * crossed a kink (or was too coarse for the curvature) and the point passes with a
 * note. When none passes and the one-sided slopes at the smallest step differ (a kink
 * at the point itself), the analytic value passes if it lies between them — it is a
 * subgradient — and is left out of the maximum.
 *
 * The relative error is |a − n| / max(|a|, |n|, tiny), tiny being the centered
 * difference's rounding noise over the threshold (see noise_floor in gradcheck.c), so
 * that a gradient that is exactly 0 is judged by an absolute tolerance.
 *
 * Defaults: h = 1e-7 (EECS 498's grad_check_sparse); threshold 1e-6. Measured on the
 * sample with every loss, penalty and preprocessing, 6 seeds x 30 coordinates, the
 * largest relative error of a correct gradient was 6e-8 (README); a gradient off by
 * 1% gives 1e-2. */
#ifndef LINTRAIN_GRADCHECK_H
#define LINTRAIN_GRADCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/config.h"
#include "lintrain/loss.h"
#include "lintrain/penalty.h"

#define LT_GRADCHECK_SAMPLES 100
#define LT_GRADCHECK_CHECKS 10
#define LT_GRADCHECK_H 1e-7
#define LT_GRADCHECK_THRESHOLD 1e-6
#define LT_GRADCHECK_RETRIES 3      /* smaller steps tried: h/10, h/100, h/1000 */

typedef struct {
    size_t samples;    /* N training records, drawn without replacement */
    size_t checks;     /* K coordinates of W, and min(K, C) distinct ones of b */
    double h;          /* step */
    uint64_t seed;     /* draws the records and the coordinates */
    double threshold;  /* every relative error must be at most this */
    /* Test-only hook, NULL otherwise: changes the analytic values (one per checked
     * coordinate) before the comparison, e.g. to prove a wrong gradient fails. */
    void (*tamper)(double *analytic, size_t n);
} lt_gradcheck_opts;

/* The defaults above, with seed 0. */
lt_gradcheck_opts lt_gradcheck_defaults(void);

typedef enum {
    LT_GC_OK,           /* passed at step h */
    LT_GC_SMALLER_STEP, /* failed at h (truncation), passed at a smaller step */
    LT_GC_KINK_CROSSED, /* the step h crossed a kink; a smaller step passed */
    LT_GC_AT_KINK,      /* not differentiable here; the analytic value is a subgradient */
    LT_GC_FAIL
} lt_gradcheck_verdict;

typedef struct {
    int is_bias;        /* 0: W[row][col]; 1: b[col] */
    size_t row, col;
    double analytic;
    double numeric;     /* centered difference at step h_used */
    double rel_error;   /* |a − n| / max(|a|, |n|, 1e-300) */
    double h_used;
    double slope_minus, slope_plus; /* one-sided differences at h_used */
    lt_gradcheck_verdict verdict;
} lt_gradcheck_point;

typedef struct {
    lt_gradcheck_point *points;  /* owned: n_points */
    size_t n_points;
    double max_rel_error;        /* over the points not at a kink */
    size_t n_at_kink;
    int pass;                    /* every point passed */
} lt_gradcheck_result;

/* One objective at one point: rows X (n, D) with labels y, W (D, C), b (C). */
typedef struct {
    const float *X;
    const uint16_t *y;
    size_t n, D, C;
    const float *W, *b;
    const lt_loss *loss;
    double margin;
    const lt_penalty *penalty;
    double lambda, beta;
} lt_gradcheck_problem;

/* Checks the problem's gradient at the coordinates o->seed draws. */
lt_status lt_gradcheck_problem_run(const lt_gradcheck_problem *p, const lt_gradcheck_opts *o,
                                   lt_gradcheck_result *r, lt_error *err);

/* Loads the configured data, fits the preprocessing, initialises the model exactly
 * as training would (model.init, init_weights, train.seed), draws o->samples records
 * of the training split and checks the configured loss and penalty there. */
lt_status lt_gradcheck_run(const lt_config *cfg, const lt_gradcheck_opts *o,
                           lt_gradcheck_result *r, lt_error *err);

void lt_gradcheck_result_free(lt_gradcheck_result *r);

/* "ok", "smaller step", "kink crossed", "at a kink", "FAIL". */
const char *lt_gradcheck_verdict_name(lt_gradcheck_verdict v);

#endif
