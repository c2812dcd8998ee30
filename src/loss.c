/* loss.c — softmax cross-entropy and the multiclass SVM hinge (CS231n lecture 3), and the
 * one-vs-rest squared hinge (the L2-SVM of Coates, Lee & Ng 2011, LIBLINEAR -s 2).
 *
 * Per-row work only: the products x·W and xᵀ·dS that dominate the cost are the
 * training kernel's (kernel.c), which hands each block of scores to sum_and_grad.
 * Sums are accumulated in double so that a mean over 49,000 rows does not lose float
 * precision. */
#include "lintrain/loss.h"

#include <math.h>
#include <string.h>

#include "lintrain/common.h"

/* L_i = −log(e^{s_y} / Σ_j e^{s_j}) = log Σ_j e^{s_j − m} − (s_y − m), m = max_j s_j,
 * so no exponential overflows. dL_i/ds_j = p_j − 1[j = y]. */
static double softmax_row(const double *s, size_t y, size_t C, double margin, double *ds)
{
    (void)margin;
    double max = s[0];
    for (size_t j = 1; j < C; j++) {
        max = s[j] > max ? s[j] : max;
    }
    double sum = 0.0;
    for (size_t j = 0; j < C; j++) {
        sum += exp(s[j] - max);
    }
    double log_sum = log(sum);
    if (ds) {
        for (size_t j = 0; j < C; j++) {
            ds[j] = exp(s[j] - max - log_sum) - (j == y ? 1.0 : 0.0);
        }
    }
    return log_sum - (s[y] - max);
}

/* L_i = Σ_{j≠y} max(0, s_j − s_y + Δ). Where a margin is > 0 it is active:
 * dL_i/ds_j = 1 and dL_i/ds_y loses 1 for each active j. A margin of exactly 0
 * (the kink) counts as inactive. */
static double svm_row(const double *s, size_t y, size_t C, double margin, double *ds)
{
    double total = 0.0;
    size_t active = 0;
    for (size_t j = 0; j < C; j++) {
        double m = j == y ? 0.0 : s[j] - s[y] + margin;
        if (m > 0.0) {
            total += m;
            active++;
        }
        if (ds) {
            ds[j] = m > 0.0 ? 1.0 : 0.0;
        }
    }
    if (ds) {
        ds[y] = -(double)active;
    }
    return total;
}

/* C binary L2-SVMs, class j against the rest: t_j = +1 for j = y, −1 otherwise, and
 * L_i = Σ_j max(0, Δ − t_j s_j)². Differentiable everywhere:
 * dL_i/ds_j = −2 t_j max(0, Δ − t_j s_j). */
static double ovr_squared_hinge_row(const double *s, size_t y, size_t C, double margin,
                                    double *ds)
{
    double total = 0.0;
    for (size_t j = 0; j < C; j++) {
        double t = j == y ? 1.0 : -1.0;
        double m = margin - t * s[j];
        m = m > 0.0 ? m : 0.0;
        total += m * m;
        if (ds) {
            ds[j] = -2.0 * t * m;
        }
    }
    return total;
}

#define MAX_CLASSES LT_LOSS_MAX_CLASSES

/* The float batch form of a row function: rows go through double, so that the float
 * scores training uses and the double ones the gradient check uses share one formula.
 * dscores may alias scores (a row is read whole before it is written). */
static double batch_f32(lt_loss_row_fn row, const float *scores, const uint16_t *y, size_t n,
                        size_t C, double margin, double scale, float *dscores)
{
    double s[MAX_CLASSES], ds[MAX_CLASSES];
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < C; j++) {
            s[j] = scores[i * C + j];
        }
        total += row(s, y[i], C, margin, dscores ? ds : NULL);
        if (dscores) {
            for (size_t j = 0; j < C; j++) {
                dscores[i * C + j] = (float)(scale * ds[j]);
            }
        }
    }
    return total;
}

static double softmax_sum_and_grad(const float *scores, const uint16_t *y, size_t n, size_t C,
                                   double margin, double scale, float *dscores)
{
    return batch_f32(softmax_row, scores, y, n, C, margin, scale, dscores);
}

static double svm_sum_and_grad(const float *scores, const uint16_t *y, size_t n, size_t C,
                               double margin, double scale, float *dscores)
{
    return batch_f32(svm_row, scores, y, n, C, margin, scale, dscores);
}

static double ovr_squared_hinge_sum_and_grad(const float *scores, const uint16_t *y,
                                             size_t n, size_t C, double margin, double scale,
                                             float *dscores)
{
    return batch_f32(ovr_squared_hinge_row, scores, y, n, C, margin, scale, dscores);
}

static const lt_loss LOSSES[] = {
    {"softmax", softmax_sum_and_grad, softmax_row},
    {"svm", svm_sum_and_grad, svm_row},
    {"ovr_squared_hinge", ovr_squared_hinge_sum_and_grad, ovr_squared_hinge_row},
};
#define N_LOSSES (sizeof LOSSES / sizeof LOSSES[0])

const lt_loss *lt_loss_find(const char *name)
{
    return lt_table_find(LOSSES, N_LOSSES, sizeof LOSSES[0], name);
}

const char *lt_loss_name_at(size_t i)
{
    return lt_table_name_at(LOSSES, N_LOSSES, sizeof LOSSES[0], i);
}

size_t lt_loss_argmax(const float *s, size_t C)
{
    size_t best = 0;
    for (size_t j = 1; j < C; j++) {
        if (s[j] > s[best]) {
            best = j;
        }
    }
    return best;
}

size_t lt_loss_count_correct(const float *scores, const uint16_t *y, size_t n, size_t C)
{
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        correct += lt_loss_argmax(scores + i * C, C) == y[i];
    }
    return correct;
}
