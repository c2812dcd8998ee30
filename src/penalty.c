/* penalty.c — R(W) of the lecture: L2 ΣW², L1 Σ|W|, elastic net Σ(βW² + |W|).
 * Gradients: L2 2λW; L1 λ·sign(W) with sign(0) = 0 (a subgradient). */
#include "lintrain/penalty.h"

#include <math.h>
#include <string.h>

#include "lintrain/common.h"

static float sign_of(float w)
{
    return (float)((w > 0.0f) - (w < 0.0f));
}

static double none_value(const float *w, size_t n, double beta)
{
    (void)w, (void)n, (void)beta;
    return 0.0;
}

static void none_add_grad(const float *w, size_t n, double lambda, double beta, float *g)
{
    (void)w, (void)n, (void)lambda, (void)beta, (void)g;
}

static double l2_value(const float *w, size_t n, double beta)
{
    (void)beta;
    double r = 0.0;
    for (size_t i = 0; i < n; i++) {
        r += (double)w[i] * w[i];
    }
    return r;
}

static void l2_add_grad(const float *w, size_t n, double lambda, double beta, float *g)
{
    (void)beta;
    float k = (float)(2.0 * lambda);
    for (size_t i = 0; i < n; i++) {
        g[i] += k * w[i];
    }
}

static double l1_value(const float *w, size_t n, double beta)
{
    (void)beta;
    double r = 0.0;
    for (size_t i = 0; i < n; i++) {
        r += fabs((double)w[i]);
    }
    return r;
}

static void l1_add_grad(const float *w, size_t n, double lambda, double beta, float *g)
{
    (void)beta;
    float k = (float)lambda;
    for (size_t i = 0; i < n; i++) {
        g[i] += k * sign_of(w[i]);
    }
}

static double elastic_value(const float *w, size_t n, double beta)
{
    return beta * l2_value(w, n, 0.0) + l1_value(w, n, 0.0);
}

static void elastic_add_grad(const float *w, size_t n, double lambda, double beta, float *g)
{
    float k2 = (float)(2.0 * lambda * beta), k1 = (float)lambda;
    for (size_t i = 0; i < n; i++) {
        g[i] += k2 * w[i] + k1 * sign_of(w[i]);
    }
}

static const lt_penalty PENALTIES[] = {
    {"none", none_value, none_add_grad},
    {"l2", l2_value, l2_add_grad},
    {"l1", l1_value, l1_add_grad},
    {"elastic_net", elastic_value, elastic_add_grad},
};
#define N_PENALTIES (sizeof PENALTIES / sizeof PENALTIES[0])

const lt_penalty *lt_penalty_find(const char *name)
{
    return lt_table_find(PENALTIES, N_PENALTIES, sizeof PENALTIES[0], name);
}

const char *lt_penalty_name_at(size_t i)
{
    return lt_table_name_at(PENALTIES, N_PENALTIES, sizeof PENALTIES[0], i);
}
