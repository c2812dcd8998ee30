/* test_gradcheck.c — the gradient check itself: it passes on every loss x penalty,
 * it fails when the gradient is wrong (scaled by 1.01, or by 1 + 1e-5, through the
 * test-only hook) and not when it is off by rounding (1 + 1e-9), it treats kinks as
 * documented (a point on the hinge's kink, a step across |w|'s), and the CLI prints
 * the failure and exits 1. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lintrain/cli.h"
#include "lintrain/gradcheck.h"
#include "testutil.h"

#define N 3
#define D 4
#define C 3

/* Dyadic rows, labels 0, 1, 2; W and b small and dyadic. */
static const float X[N * D] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f, 0.125f, -2.0f,
                               1.0f, 0.5f,  -0.5f, 1.25f};
static const uint16_t Y[N] = {0, 1, 2};
static float W[D * C] = {0.1f, -0.2f, 0.05f, 0.3f, 0.0625f, -0.15f,
                         -0.25f, 0.2f, 0.125f, 0.04f, -0.3f, 0.5f};
static float B[C] = {0.1f, -0.05f, 0.02f};

static lt_gradcheck_problem problem(const char *loss, const char *penalty, double margin)
{
    lt_gradcheck_problem p = {X, Y, N, D, C, W, B, lt_loss_find(loss), margin,
                              lt_penalty_find(penalty), 0.5, 0.25};
    assert_non_null(p.loss);
    assert_non_null(p.penalty);
    return p;
}

static lt_gradcheck_result check(const lt_gradcheck_problem *p, void (*tamper)(double *, size_t))
{
    lt_gradcheck_opts o = lt_gradcheck_defaults();
    o.checks = 8;
    o.tamper = tamper;
    lt_gradcheck_result r;
    lt_error err = {{0}};
    if (lt_gradcheck_problem_run(p, &o, &r, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(r.n_points, 8 + C);
    return r;
}

static void test_every_loss_and_penalty_passes(void **state)
{
    (void)state;
    const char *losses[] = {"softmax", "svm"};
    const char *penalties[] = {"none", "l2", "l1", "elastic_net"};
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < 4; k++) {
            lt_gradcheck_problem p = problem(losses[i], penalties[k], 1.0);
            lt_gradcheck_result r = check(&p, NULL);
            if (!r.pass || r.max_rel_error > 1e-7) {
                fail_msg("%s + %s: pass %d, max relative error %g", losses[i], penalties[k],
                         r.pass, r.max_rel_error);
            }
            lt_gradcheck_result_free(&r);
        }
    }
}

static void times_1_01(double *a, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        a[k] *= 1.01;
    }
}

static void times_1_plus_1e_5(double *a, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        a[k] *= 1.0 + 1e-5;
    }
}

static void times_1_plus_1e_9(double *a, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        a[k] *= 1.0 + 1e-9;
    }
}

static void test_wrong_gradient_fails(void **state)
{
    (void)state;
    lt_gradcheck_problem p = problem("softmax", "l2", 1.0);
    lt_gradcheck_result r = check(&p, times_1_01);
    assert_false(r.pass);
    /* |a − 1.01a| / |1.01a| = 0.01 / 1.01 */
    assert_near(r.max_rel_error, 0.01 / 1.01, 1e-6);
    for (size_t k = 0; k < r.n_points; k++) {
        assert_int_equal(r.points[k].verdict, LT_GC_FAIL);
    }
    lt_gradcheck_result_free(&r);
    r = check(&p, times_1_plus_1e_5);
    assert_false(r.pass);
    lt_gradcheck_result_free(&r);
    /* Off by rounding only: passes. */
    r = check(&p, times_1_plus_1e_9);
    assert_true(r.pass);
    lt_gradcheck_result_free(&r);
    /* The SVM too. */
    p = problem("svm", "l1", 1.0);
    r = check(&p, times_1_01);
    assert_false(r.pass);
    lt_gradcheck_result_free(&r);
}

/* W = 0, b = 0 and Δ = 0: every hinge margin is exactly 0, the kink. The analytic
 * gradient (a margin of 0 is inactive) is 0, a subgradient between the one-sided
 * slopes. */
static void test_point_on_hinge_kink(void **state)
{
    (void)state;
    float zw[D * C] = {0}, zb[C] = {0};
    lt_gradcheck_problem p = problem("svm", "none", 0.0);
    p.W = zw;
    p.b = zb;
    lt_gradcheck_result r = check(&p, NULL);
    assert_true(r.pass);
    assert_true(r.n_at_kink > 0);
    for (size_t k = 0; k < r.n_points; k++) {
        const lt_gradcheck_point *pt = &r.points[k];
        assert_near(pt->analytic, 0.0, 1e-15);
        if (pt->verdict == LT_GC_AT_KINK) {
            assert_true(pt->slope_minus <= 0.0 && pt->slope_plus >= 0.0);
            assert_true(pt->slope_plus - pt->slope_minus > 0.01);
        }
    }
    lt_gradcheck_result_free(&r);
    /* The same point with the analytic value moved outside the slopes fails. */
    r = check(&p, times_1_01);
    assert_true(r.pass); /* 1.01 x 0 is still 0 */
    lt_gradcheck_result_free(&r);
}

/* Every weight at h/2 with an L1 penalty: the step h crosses |w|'s kink at 0, the
 * step h/10 does not. The point is marked and passes. At w = 0 exactly, the centered
 * difference of |w| is 0 = sign(0): it passes at once. */
static void test_step_across_l1_kink(void **state)
{
    (void)state;
    float hw[D * C], zw[D * C] = {0};
    for (size_t k = 0; k < D * C; k++) {
        hw[k] = (float)(LT_GRADCHECK_H / 2);
    }
    lt_gradcheck_problem p = problem("softmax", "l1", 1.0);
    p.W = hw;
    lt_gradcheck_result r = check(&p, NULL);
    assert_true(r.pass);
    size_t crossed = 0;
    for (size_t k = 0; k < r.n_points; k++) {
        crossed += r.points[k].verdict == LT_GC_KINK_CROSSED;
        if (!r.points[k].is_bias) {
            assert_int_equal(r.points[k].verdict, LT_GC_KINK_CROSSED);
            assert_near(r.points[k].h_used, LT_GRADCHECK_H / 10, 1e-20);
        }
    }
    assert_int_equal(crossed, 8);
    lt_gradcheck_result_free(&r);
    p.W = zw;
    r = check(&p, NULL);
    assert_true(r.pass);
    for (size_t k = 0; k < r.n_points; k++) {
        assert_int_equal(r.points[k].verdict, LT_GC_OK);
    }
    lt_gradcheck_result_free(&r);
}

/* Runs the CLI in this process with stdout sent to a file; returns its exit status
 * and the text it printed. */
static int run_cli(int argc, char **argv, void (*tamper)(double *, size_t), char **text)
{
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "out.txt");
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_non_null(freopen(path, "w", stdout));
    int rc = lt_cli_gradcheck_hooked(argc, argv, tamper);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    *text = tu_read_file(path, NULL);
    assert_non_null(*text);
    free(path);
    tu_rmtree(dir);
    free(dir);
    return rc;
}

static void test_cli_reports_and_exits_1(void **state)
{
    (void)state;
    char *argv[] = {"gradcheck", "--config", "configs/quickstart.json", "--samples", "20",
                    "--checks", "5", NULL};
    char *out = NULL;
    assert_int_equal(run_cli(7, argv, NULL, &out), 0);
    assert_non_null(strstr(out, "threshold 1e-06: ok"));
    free(out);
    assert_int_equal(run_cli(7, argv, times_1_01, &out), 1);
    assert_non_null(strstr(out, "FAIL"));
    assert_non_null(strstr(out, "max relative error 9.90e-03"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_loss_and_penalty_passes),
        cmocka_unit_test(test_wrong_gradient_fails),
        cmocka_unit_test(test_point_on_hinge_kink),
        cmocka_unit_test(test_step_across_l1_kink),
        cmocka_unit_test(test_cli_reports_and_exits_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
