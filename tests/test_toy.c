/* test_toy.c — the optimizer playground: each surface's gradient against centered
 * differences, trajectories against updates worked out by hand (SGD, AdaGrad on a
 * constant slope, the first step of Adam with and without bias correction), the two
 * momentum forms against each other, and `lintrain toy` end to end. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lintrain/config.h"
#include "lintrain/toy.h"
#include "testutil.h"

/* Runs fn with the config made of sets; traj gets steps + 1 points. */
static void run_toy(const char *fn_name, const char *const *sets, size_t n_sets,
                    size_t steps, const double *start, lt_toy_point *traj)
{
    lt_config cfg;
    lt_error err = {{0}};
    assert_int_equal(lt_config_load(&cfg, NULL, sets, n_sets, &err), LT_OK);
    const lt_toy_function *fn = lt_toy_find(fn_name);
    assert_non_null(fn);
    lt_toy_opts o = {.steps = steps, .params = {.cond = 10.0}};
    o.start[0] = start ? start[0] : fn->start[0];
    o.start[1] = start ? start[1] : fn->start[1];
    size_t done = 0;
    assert_int_equal(lt_toy_run(fn, &cfg, &o, traj, &done, &err), LT_OK);
    assert_int_equal(done, steps);
    lt_config_free(&cfg);
}

static void test_gradients_match_differences(void **state)
{
    (void)state;
    const double pts[][2] = {{-1.3, 0.7}, {0.4, -2.1}, {1.1, 1.2}};
    lt_toy_params p = {.cond = 25.0};
    for (size_t i = 0; lt_toy_name_at(i); i++) {
        const lt_toy_function *fn = lt_toy_find(lt_toy_name_at(i));
        for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++) {
            double g[2], scratch[2], h = 1e-6;
            fn->eval(&p, pts[k], g);
            for (int d = 0; d < 2; d++) {
                double a[2] = {pts[k][0], pts[k][1]}, b[2] = {pts[k][0], pts[k][1]};
                a[d] += h;
                b[d] -= h;
                double num = (fn->eval(&p, a, scratch) - fn->eval(&p, b, scratch)) / (2 * h);
                assert_close(g[d], num, 1e-6);
            }
        }
        if (fn->has_min) {
            double g[2];
            assert_near(fn->eval(&p, fn->min, g), 0.0, 1e-15);
            assert_near(g[0], 0.0, 1e-15);
            assert_near(g[1], 0.0, 1e-15);
        }
    }
}

/* f = (x² + 10y²)/2 from (−8, 1), lr 0.1: x1 = −8 + 0.8 = −7.2, y1 = 1 − 0.1·10 = 0,
 * then x2 = −7.2·0.9 = −6.48, y2 = 0. */
static void test_sgd_by_hand(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.name=sgd", "optimizer.lr=0.1"};
    lt_toy_point t[3];
    run_toy("quadratic", sets, 2, 2, NULL, t);
    assert_near(t[0].f, 37.0, 1e-12);
    assert_near(t[1].x, -7.2, 1e-6);
    assert_near(t[1].y, 0.0, 1e-7);
    assert_near(t[2].x, -6.48, 1e-6);
    assert_near(t[2].lr, 0.1, 1e-15);
}

/* With ∇f = (1, 1) AdaGrad's k-th step is lr·1/(√k + eps): its rate decays as 1/√k;
 * RMSProp's is lr/(√(1 − d^k) + eps), which tends to lr. */
static void test_adagrad_rmsprop_on_a_slope(void **state)
{
    (void)state;
    const char *ada[] = {"optimizer.name=adagrad", "optimizer.lr=1"};
    const char *rms[] = {"optimizer.name=rmsprop", "optimizer.lr=1"};
    enum { N = 400 };
    lt_toy_point *t = calloc(N + 1, sizeof *t);
    run_toy("plane", ada, 2, N, NULL, t);
    for (size_t k = 1; k <= N; k *= 4) {
        assert_close(t[k - 1].x - t[k].x, 1.0 / (sqrt((double)k) + 1e-7), 1e-4);
    }
    run_toy("plane", rms, 2, N, NULL, t);
    assert_close(t[N - 1].x - t[N].x, 1.0 / (sqrt(1.0 - pow(0.99, N)) + 1e-7), 1e-4);
    free(t);
}

/* "Adam (almost)": m1 = (1−β1)g, v1 = (1−β2)g², so the first step is
 * lr·(1−β1)/√(1−β2) = lr·0.1/√0.001 ≈ 3.162·lr; bias-corrected it is lr. */
static void test_adam_first_step(void **state)
{
    (void)state;
    const char *almost[] = {"optimizer.name=adam", "optimizer.lr=0.01",
                            "optimizer.bias_correction=false"};
    lt_toy_point t[2];
    run_toy("rosenbrock", almost, 3, 1, NULL, t);
    assert_close(fabs(t[1].x - t[0].x), 0.01 * 0.1 / sqrt(0.001), 1e-5);
    run_toy("rosenbrock", almost, 2, 1, NULL, t);
    assert_close(fabs(t[1].x - t[0].x), 0.01, 1e-5);
}

/* v = ρv + g; w −= lr·v and v = ρv − lr·g; w += v give one sequence at a constant
 * rate (up to float rounding). */
static void test_momentum_forms_agree(void **state)
{
    (void)state;
    const char *std[] = {"optimizer.name=momentum", "optimizer.lr=0.02"};
    const char *vel[] = {"optimizer.name=momentum", "optimizer.lr=0.02",
                         "optimizer.form=velocity"};
    enum { N = 200 };
    lt_toy_point *a = calloc(N + 1, sizeof *a), *b = calloc(N + 1, sizeof *b);
    run_toy("quadratic", std, 2, N, NULL, a);
    run_toy("quadratic", vel, 3, N, NULL, b);
    for (size_t k = 0; k <= N; k++) {
        assert_near(a[k].x, b[k].x, 1e-5);
        assert_near(a[k].y, b[k].y, 1e-5);
    }
    assert_true(fabs(a[N].x) < 1e-2); /* it got somewhere */
    free(a);
    free(b);
}

static void test_cli(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_run("./lintrain toy --function saddle --optimizer nesterov "
                            "--steps 7 --lr 0.01", &out), 0);
    size_t lines = 0;
    for (char *p = out; *p; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, 1 + 8);
    assert_non_null(strstr(out, "step,x,y,f,lr\n0,-1,0.001"));
    free(out);
    assert_int_equal(tu_run("./lintrain toy --function nope --optimizer sgd", NULL), 2);
    assert_int_equal(tu_run("./lintrain toy --function saddle --optimizer lbfgs", NULL), 2);
    assert_int_equal(tu_run("./lintrain toy --function saddle", NULL), 2);
    assert_int_equal(tu_run("./lintrain toy --function saddle --optimizer sgd --start 1", NULL),
                     2);
    /* lr 1.5 on κ = 10: y is multiplied by 1 − 15 each step until it overflows */
    assert_int_equal(tu_run("./lintrain toy --function quadratic --optimizer sgd --lr 1.5 "
                            "--steps 1000", NULL), 3);
}

/* A full-batch optimizer is refused with one message, not first with the batch size
 * that the trainer would need. */
static void test_cli_refuses_full_batch_optimizers(void **state)
{
    (void)state;
    const char *names[] = {"lbfgs", "random_search"};
    for (size_t i = 0; i < 2; i++) {
        char cmd[128], *out = NULL;
        snprintf(cmd, sizeof cmd, "./lintrain toy --function saddle --optimizer %s", names[i]);
        assert_int_equal(tu_run(cmd, &out), 2);
        assert_non_null(strstr(out, "the toy runs first-order optimizers only"));
        assert_null(strstr(out, "batch_size"));
        assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients_match_differences),
        cmocka_unit_test(test_sgd_by_hand),
        cmocka_unit_test(test_adagrad_rmsprop_on_a_slope),
        cmocka_unit_test(test_adam_first_step),
        cmocka_unit_test(test_momentum_forms_agree),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_cli_refuses_full_batch_optimizers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
