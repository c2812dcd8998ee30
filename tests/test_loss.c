/* test_loss.c — the losses against the lecture's numbers and hand-worked values, and
 * every analytic gradient against centered finite differences.
 *
 * Finite differences in double precision: inputs are dyadic (small multiples of powers
 * of two) so that x·W and s ± h are exact in float, and the losses accumulate in
 * double; f(x + h) − f(x − h) is then free of float rounding. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sgemm_oracle.h"
#include "testutil.h"

#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/penalty.h"
#include "lintrain/rng.h"

/* The lecture's three training examples (cat, car, frog), scores for classes
 * (cat, car, frog), one row per example. */
static const float LECTURE_SCORES[3 * 3] = {
    3.2f, 5.1f, -1.7f,  /* cat image */
    1.3f, 4.9f, 2.0f,   /* car image */
    2.2f, 2.5f, -3.1f,  /* frog image */
};
static const uint16_t LECTURE_LABELS[3] = {0, 1, 2};

static void test_svm_lecture_table(void **state)
{
    (void)state;
    const lt_loss *svm = lt_loss_find("svm");
    assert_non_null(svm);
    /* Per example: max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1) = 2.9; car: 0;
     * frog: (2.2 + 3.1 + 1) + (2.5 + 3.1 + 1) = 12.9. */
    const double expect[3] = {2.9, 0.0, 12.9};
    for (int i = 0; i < 3; i++) {
        double li = svm->sum_and_grad(LECTURE_SCORES + 3 * i, LECTURE_LABELS + i, 1, 3, 1.0, 1.0,
                                      NULL);
        assert_near(li, expect[i], 1e-5);
    }
    double mean = svm->sum_and_grad(LECTURE_SCORES, LECTURE_LABELS, 3, 3, 1.0, 1.0, NULL) / 3;
    assert_near(mean, 15.8 / 3, 1e-5); /* the lecture's 5.27 */
    assert_near(round(mean * 100) / 100, 5.27, 1e-12);
}

static void test_svm_gradient_by_hand(void **state)
{
    (void)state;
    const lt_loss *svm = lt_loss_find("svm");
    float d[9];
    svm->sum_and_grad(LECTURE_SCORES, LECTURE_LABELS, 3, 3, 1.0, 1.0, d);
    /* cat: only car's margin is active → [−1, 1, 0]; car: none; frog: both → [1, 1, −2]. */
    const float expect[9] = {-1, 1, 0, 0, 0, 0, 1, 1, -2};
    for (int k = 0; k < 9; k++) {
        assert_float_equal(d[k], expect[k], 0.0f);
    }
    /* With Delta = 0 and s_car = s_cat, the car margin is exactly 0: the kink counts
     * as inactive, so loss and gradient are 0. */
    const float tie[3] = {1.0f, 1.0f, 0.0f};
    const uint16_t y0 = 0;
    float dt[3];
    assert_near(svm->sum_and_grad(tie, &y0, 1, 3, 0.0, 1.0, dt), 0.0, 0.0);
    assert_float_equal(dt[1], 0.0f, 0.0f);
}

static void test_ovr_squared_hinge_by_hand(void **state)
{
    (void)state;
    const lt_loss *l2 = lt_loss_find("ovr_squared_hinge");
    assert_non_null(l2);
    /* Δ = 1, t = +1 for the label, −1 otherwise, L_i = Σ_j max(0, 1 − t_j s_j)².
     * cat:  (1 + 5.1)² = 37.21 (3.2 and −1.7 are past their margins);
     * car:  (1 + 1.3)² + (1 + 2.0)² = 5.29 + 9 = 14.29;
     * frog: (1 + 2.2)² + (1 + 2.5)² + (1 + 3.1)² = 10.24 + 12.25 + 16.81 = 39.3. */
    const double expect[3] = {37.21, 14.29, 39.3};
    float d[9];
    for (int i = 0; i < 3; i++) {
        double li = l2->sum_and_grad(LECTURE_SCORES + 3 * i, LECTURE_LABELS + i, 1, 3, 1.0,
                                     1.0, d + 3 * i);
        assert_near(li, expect[i], 1e-5);
    }
    /* dL/ds_j = −2 t_j max(0, 1 − t_j s_j). */
    const float grad[9] = {0, 12.2f, 0, 4.6f, 0, 6.0f, 6.4f, 7.0f, -8.2f};
    for (int k = 0; k < 9; k++) {
        assert_near(d[k], grad[k], 1e-5);
    }
    /* A wider margin Δ = 4 wakes the cat's own score: (4 − 3.2)² + 9.1² + 2.3². */
    assert_near(l2->sum_and_grad(LECTURE_SCORES, LECTURE_LABELS, 1, 3, 4.0, 1.0, NULL),
                0.64 + 82.81 + 5.29, 1e-4);
}

static void test_softmax_by_hand(void **state)
{
    (void)state;
    const lt_loss *sm = lt_loss_find("softmax");
    assert_non_null(sm);
    /* Scores ln 1, ln 2, ln 3 give probabilities 1/6, 2/6, 3/6: L = ln 6 for class 0. */
    const float s[3] = {0.0f, (float)log(2.0), (float)log(3.0)};
    const uint16_t y = 0;
    float d[3];
    double l = sm->sum_and_grad(s, &y, 1, 3, 0.0, 1.0, d);
    assert_near(l, log(6.0), 1e-6);
    assert_near(d[0], 1.0 / 6 - 1, 1e-6);
    assert_near(d[1], 2.0 / 6, 1e-6);
    assert_near(d[2], 3.0 / 6, 1e-6);
    /* Equal scores over 10 classes: L = ln 10 whatever the label, even when huge
     * (the max is subtracted before exp). */
    float eq[10];
    for (int j = 0; j < 10; j++) {
        eq[j] = 1000.0f;
    }
    const uint16_t y7 = 7;
    assert_near(sm->sum_and_grad(eq, &y7, 1, 10, 0.0, 1.0, NULL), log(10.0), 1e-9);
    /* The lecture's cat example: L = log(e^3.2 + e^5.1 + e^−1.7) − 3.2 ≈ 2.04. */
    double cat = sm->sum_and_grad(LECTURE_SCORES, LECTURE_LABELS, 1, 3, 0.0, 1.0, NULL);
    assert_near(cat, 2.04, 0.005);
}

static void test_count_correct_ties(void **state)
{
    (void)state;
    /* The first maximum wins a tie. */
    const float s[6] = {1, 1, 0, 0, 2, 2};
    const uint16_t y[2] = {0, 2};
    assert_int_equal(lt_loss_count_correct(s, y, 2, 3), 1);
    assert_int_equal(lt_loss_count_correct(LECTURE_SCORES, LECTURE_LABELS, 3, 3), 1);
}

/* A dyadic value k/64 with k in [-range, range]. */
static float dyadic(lt_rng *r, int range)
{
    return (float)((int)lt_rng_below(r, (uint32_t)(2 * range + 1)) - range) / 64.0f;
}

/* Loss w.r.t. scores: centered differences with h = 2^-7 on dyadic scores. */
static void check_loss_grad_scores(const char *name)
{
    const lt_loss *loss = lt_loss_find(name);
    enum { N = 5, C = 4 };
    float s[N * C], d[N * C];
    uint16_t y[N];
    lt_rng r;
    lt_rng_seed(&r, 7, 0);
    for (int k = 0; k < N * C; k++) {
        /* Multiples of 1/64 plus j/512 for class j: every SVM margin s_j − s_y + 1
         * is then at least 1/512 away from its kink, more than h. */
        s[k] = dyadic(&r, 128) + (float)(k % C) / 512.0f;
    }
    for (int i = 0; i < N; i++) {
        y[i] = (uint16_t)(i % C);
    }
    double scale = 1.0 / N;
    loss->sum_and_grad(s, y, N, C, 1.0, scale, d);
    const float h = 1.0f / 1024.0f;
    for (int k = 0; k < N * C; k++) {
        float keep = s[k];
        s[k] = keep + h;
        double fp = loss->sum_and_grad(s, y, N, C, 1.0, scale, NULL) * scale;
        s[k] = keep - h;
        double fm = loss->sum_and_grad(s, y, N, C, 1.0, scale, NULL) * scale;
        s[k] = keep;
        double numeric = (fp - fm) / (2.0 * h);
        assert_near(d[k], numeric, 1e-5);
    }
}

static void test_loss_gradients_wrt_scores(void **state)
{
    (void)state;
    check_loss_grad_scores("softmax");
    check_loss_grad_scores("svm");
    check_loss_grad_scores("ovr_squared_hinge");
}

/* Objective of the model: mean data loss + lambda * R(W), evaluated in double on
 * exact float scores. */
static double objective(const lt_model *m, const lt_loss *loss, const lt_penalty *pen,
                        const float *X, const uint16_t *y, size_t n, float *scores)
{
    double data = oracle_loss_grad(m, loss, 1.0, X, y, n, scores, NULL, NULL);
    return data + 0.5 * pen->value(m->W, m->D * m->C, 0.5);
}

/* Every parameter of a small model (D = 6, C = 3): analytic gradient of data loss +
 * 0.5·R(W) (beta 0.5) against centered differences. */
static void check_model_grad(const char *loss_name, const char *pen_name)
{
    enum { N = 4, D = 6, C = 3 };
    const lt_loss *loss = lt_loss_find(loss_name);
    const lt_penalty *pen = lt_penalty_find(pen_name);
    assert_non_null(loss);
    assert_non_null(pen);
    lt_model m;
    assert_int_equal(lt_model_create(&m, D, C, NULL), LT_OK);
    float X[N * D], scores[N * C], grad[D * C + C];
    uint16_t y[N] = {0, 1, 2, 1};
    lt_rng r;
    lt_rng_seed(&r, 11, 0);
    for (int k = 0; k < N * D; k++) {
        X[k] = (float)((int)lt_rng_below(&r, 7) - 3); /* integers: exact products */
    }
    for (size_t k = 0; k < m.n_params; k++) {
        /* Nonzero dyadic weights, so |w| has no kink within h. */
        float w = dyadic(&r, 32);
        m.params[k] = w == 0.0f ? 1.0f / 16.0f : w;
    }
    /* Scores are multiples of 1/64; b_j + j/256 keeps every SVM margin at least 1/256
     * from its kink, while one step h moves a score by at most 3h = 3/4096. */
    for (size_t j = 0; j < C; j++) {
        m.b[j] += (float)j / 256.0f;
    }
    oracle_loss_grad(&m, loss, 1.0, X, y, N, scores, grad, NULL);
    pen->add_grad(m.W, D * C, 0.5, 0.5, grad);
    const float h = 1.0f / 4096.0f;
    for (size_t k = 0; k < m.n_params; k++) {
        float keep = m.params[k];
        m.params[k] = keep + h;
        double fp = objective(&m, loss, pen, X, y, N, scores);
        m.params[k] = keep - h;
        double fm = objective(&m, loss, pen, X, y, N, scores);
        m.params[k] = keep;
        double numeric = (fp - fm) / (2.0 * h);
        double rel = fabs(grad[k] - numeric) / fmax(1e-8, fmax(fabs(grad[k]), fabs(numeric)));
        if (rel > 1e-4 && fabs(grad[k] - numeric) > 1e-6) {
            fail_msg("%s + %s: parameter %zu analytic %.9g numeric %.9g", loss_name, pen_name, k,
                     grad[k], numeric);
        }
    }
    lt_model_free(&m);
}

static void test_model_gradients(void **state)
{
    (void)state;
    const char *losses[] = {"softmax", "svm", "ovr_squared_hinge"};
    const char *pens[] = {"none", "l2", "l1", "elastic_net"};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
            check_model_grad(losses[i], pens[j]);
        }
    }
}

static void test_unknown_names(void **state)
{
    (void)state;
    assert_null(lt_loss_find("softmx"));
    assert_string_equal(lt_loss_name_at(0), "softmax");
    assert_string_equal(lt_loss_name_at(1), "svm");
    assert_string_equal(lt_loss_name_at(2), "ovr_squared_hinge");
    assert_null(lt_loss_name_at(3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svm_lecture_table),
        cmocka_unit_test(test_svm_gradient_by_hand),
        cmocka_unit_test(test_ovr_squared_hinge_by_hand),
        cmocka_unit_test(test_softmax_by_hand),
        cmocka_unit_test(test_count_correct_ties),
        cmocka_unit_test(test_loss_gradients_wrt_scores),
        cmocka_unit_test(test_model_gradients),
        cmocka_unit_test(test_unknown_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
