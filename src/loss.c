/* loss.c — softmax cross-entropy and the multiclass SVM hinge (CS231n lecture 3).
 *
 * Per-row work only: the products X·W and Xᵀ·dS that dominate the cost are done by
 * model.c through sgemm. Sums are accumulated in double so that a mean over 49,000
 * rows does not lose float precision. */
#include "lintrain/loss.h"

#include <math.h>
#include <string.h>

/* L_i = −log(e^{s_y} / Σ_j e^{s_j}) = log Σ_j e^{s_j − m} − (s_y − m), m = max_j s_j,
 * so no exponential overflows. dL_i/ds_j = p_j − 1[j = y]. */
static double softmax_sum_and_grad(const float *scores, const uint8_t *y, size_t n, size_t C,
                                   double margin, double scale, float *dscores)
{
    (void)margin;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *s = scores + i * C;
        float max = s[0];
        for (size_t j = 1; j < C; j++) {
            max = s[j] > max ? s[j] : max;
        }
        double sum = 0.0;
        for (size_t j = 0; j < C; j++) {
            sum += exp((double)s[j] - max);
        }
        double log_sum = log(sum);
        total += log_sum - ((double)s[y[i]] - max);
        if (dscores) {
            float *d = dscores + i * C;
            for (size_t j = 0; j < C; j++) {
                double p = exp((double)s[j] - max - log_sum);
                d[j] = (float)(scale * (p - (j == y[i] ? 1.0 : 0.0)));
            }
        }
    }
    return total;
}

/* L_i = Σ_{j≠y} max(0, s_j − s_y + Δ). Where a margin is > 0 it is active:
 * dL_i/ds_j = 1 and dL_i/ds_y loses 1 for each active j. A margin of exactly 0
 * (the kink) counts as inactive. */
static double svm_sum_and_grad(const float *scores, const uint8_t *y, size_t n, size_t C,
                               double margin, double scale, float *dscores)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *s = scores + i * C;
        size_t yi = y[i];
        double sy = s[yi];
        size_t active = 0;
        /* Read every score before writing: dscores may alias scores. */
        double m[256];
        for (size_t j = 0; j < C; j++) {
            m[j] = j == yi ? 0.0 : (double)s[j] - sy + margin;
        }
        for (size_t j = 0; j < C; j++) {
            if (j != yi && m[j] > 0.0) {
                total += m[j];
                active++;
            }
        }
        if (dscores) {
            float *d = dscores + i * C;
            for (size_t j = 0; j < C; j++) {
                d[j] = (j != yi && m[j] > 0.0) ? (float)scale : 0.0f;
            }
            d[yi] = (float)(-scale * (double)active);
        }
    }
    return total;
}

static const lt_loss LOSSES[] = {
    {"softmax", softmax_sum_and_grad},
    {"svm", svm_sum_and_grad},
};
#define N_LOSSES (sizeof LOSSES / sizeof LOSSES[0])

const lt_loss *lt_loss_find(const char *name)
{
    for (size_t i = 0; i < N_LOSSES; i++) {
        if (strcmp(LOSSES[i].name, name) == 0) {
            return &LOSSES[i];
        }
    }
    return NULL;
}

const char *lt_loss_name_at(size_t i)
{
    return i < N_LOSSES ? LOSSES[i].name : NULL;
}

size_t lt_count_correct(const float *scores, const uint8_t *y, size_t n, size_t C)
{
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        const float *s = scores + i * C;
        size_t best = 0;
        for (size_t j = 1; j < C; j++) {
            if (s[j] > s[best]) {
                best = j;
            }
        }
        correct += best == y[i];
    }
    return correct;
}
