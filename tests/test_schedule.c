/* test_schedule.c — the learning-rate schedules: values worked out by hand from the
 * lecture's formulas, and torch.optim.lr_scheduler.LambdaLR's rate at every update
 * (tests/fixtures/torch_golden.json, made by scripts/torch_golden.py). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"

#include "lintrain/config.h"
#include "lintrain/schedule.h"

#define GOLDEN "tests/fixtures/torch_golden.json"

typedef struct {
    lt_config cfg;
    const lt_schedule_spec *s;
} sched;

static void load(sched *x, const char *const *sets, size_t n)
{
    lt_error err = {{0}};
    if (lt_config_load(&x->cfg, NULL, sets, n, &err) != LT_OK) {
        fail_msg("config: %s", err.msg);
    }
    x->s = &x->cfg.schedule_spec;
    assert_non_null(x->s->kind);
}

/* The rate of update k in a run of epochs × spe updates of batch rows. */
static double lr_at(const sched *x, long long k, long long spe, long long epochs,
                    long long batch)
{
    lt_schedule_point p = {k, spe, spe * epochs, batch};
    return lt_schedule_lr(x->s, &p);
}

static void test_constant(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.lr=0.5"};
    sched x;
    load(&x, sets, 1);
    for (long long k = 0; k < 30; k++) {
        assert_true(lr_at(&x, k, 7, 4, 8) == 0.5);
    }
    lt_config_free(&x.cfg);
}

/* Milestones [2, 5] by epoch, γ 0.1: epochs 0-1 lr0, 2-4 0.1·lr0, 5- 0.01·lr0. */
static void test_step_by_hand(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.lr=1", "schedule.name=step", "schedule.milestones=[2, 5]"};
    sched x;
    load(&x, sets, 3);
    const long long spe = 10;
    assert_true(lr_at(&x, 0, spe, 8, 8) == 1.0);
    assert_true(lr_at(&x, 19, spe, 8, 8) == 1.0);   /* last update of epoch 1 */
    assert_near(lr_at(&x, 20, spe, 8, 8), 0.1, 1e-15);  /* first of epoch 2 */
    assert_near(lr_at(&x, 49, spe, 8, 8), 0.1, 1e-15);
    assert_near(lr_at(&x, 50, spe, 8, 8), 0.01, 1e-15);
    assert_near(lr_at(&x, 79, spe, 8, 8), 0.01, 1e-15);
    lt_config_free(&x.cfg);
}

/* Cosine by step over T = 40 updates: lr0 at k = 0, lr0/2 at k = T/2, and
 * lr0·½(1 + cos(π·39/40)) at the last; by epoch the rate holds within an epoch. */
static void test_cosine_by_hand(void **state)
{
    (void)state;
    const char *by_step[] = {"optimizer.lr=0.2", "schedule.name=cosine", "schedule.unit=step"};
    sched x;
    load(&x, by_step, 3);
    assert_near(lr_at(&x, 0, 10, 4, 8), 0.2, 1e-15);
    assert_near(lr_at(&x, 20, 10, 4, 8), 0.1, 1e-15);
    assert_near(lr_at(&x, 10, 10, 4, 8), 0.1 * (1 + sqrt(0.5)), 1e-15);
    assert_near(lr_at(&x, 39, 10, 4, 8), 0.1 * (1 + cos(3.14159265358979323846 * 39 / 40)), 1e-15);
    lt_config_free(&x.cfg);
    const char *by_epoch[] = {"optimizer.lr=0.2", "schedule.name=cosine"};
    load(&x, by_epoch, 2);
    for (long long k = 20; k < 30; k++) {
        assert_near(lr_at(&x, k, 10, 4, 8), 0.1, 1e-15);  /* epoch 2 of 4 */
    }
    lt_config_free(&x.cfg);
}

/* Linear by epoch over 4 epochs: 1, 0.75, 0.5, 0.25 of lr0; inverse sqrt by step:
 * lr0/√(k+1), so 1/2 at k = 3 and 1/3 at k = 8. */
static void test_linear_and_inverse_sqrt_by_hand(void **state)
{
    (void)state;
    const char *lin[] = {"optimizer.lr=1", "schedule.name=linear"};
    sched x;
    load(&x, lin, 2);
    const double want[4] = {1.0, 0.75, 0.5, 0.25};
    for (long long e = 0; e < 4; e++) {
        assert_near(lr_at(&x, e * 5, 5, 4, 8), want[e], 1e-15);
        assert_near(lr_at(&x, e * 5 + 4, 5, 4, 8), want[e], 1e-15);
    }
    lt_config_free(&x.cfg);
    const char *isq[] = {"optimizer.lr=1", "schedule.name=inverse_sqrt", "schedule.unit=step"};
    load(&x, isq, 3);
    assert_near(lr_at(&x, 0, 5, 4, 8), 1.0, 1e-15);
    assert_near(lr_at(&x, 3, 5, 4, 8), 0.5, 1e-15);
    assert_near(lr_at(&x, 8, 5, 4, 8), 1.0 / 3.0, 1e-15);
    lt_config_free(&x.cfg);
}

/* Warmup of 4 updates on top of a step decay: ¼, ½, ¾, 1 of the schedule's rate, in
 * updates even when the schedule counts epochs. Linear scaling: batch 512 over base 128
 * makes lr0 four times optimizer.lr. */
static void test_warmup_and_scaling_by_hand(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.lr=1", "schedule.name=step", "schedule.milestones=[0]",
                          "schedule.gamma=0.5", "schedule.warmup_steps=4"};
    sched x;
    load(&x, sets, 5);
    assert_near(lr_at(&x, 0, 100, 2, 8), 0.125, 1e-15);
    assert_near(lr_at(&x, 1, 100, 2, 8), 0.25, 1e-15);
    assert_near(lr_at(&x, 2, 100, 2, 8), 0.375, 1e-15);
    assert_near(lr_at(&x, 3, 100, 2, 8), 0.5, 1e-15);
    assert_near(lr_at(&x, 99, 100, 2, 8), 0.5, 1e-15);
    lt_config_free(&x.cfg);
    const char *scaled[] = {"optimizer.lr=0.1", "schedule.lr_scaling_base_batch=128"};
    load(&x, scaled, 2);
    assert_near(lr_at(&x, 0, 10, 2, 512), 0.4, 1e-15);
    assert_near(lt_schedule_base_lr(x.s, 64), 0.05, 1e-15);
    lt_config_free(&x.cfg);
}

static void test_table(void **state)
{
    (void)state;
    const char *want[] = {"constant", "step", "cosine", "linear", "inverse_sqrt"};
    size_t n = 0;
    while (lt_schedule_name_at(n)) {
        assert_string_equal(lt_schedule_name_at(n), want[n]);
        assert_non_null(lt_schedule_find(want[n]));
        n++;
    }
    assert_int_equal(n, 5);
    assert_null(lt_schedule_find("exponential"));
}

/* LambdaLR's rate at every update of each fixture case. */
static void test_torch_lambda_lr(void **state)
{
    (void)state;
    cJSON *root = tu_load_json(GOLDEN);
    int cases = 0;
    const cJSON *cs;
    cJSON_ArrayForEach(cs, cJSON_GetObjectItem(root, "schedules"))
    {
        const char *sets[16];
        size_t n_sets = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(cs, "sets"))
        {
            sets[n_sets++] = s->valuestring;
        }
        sched x;
        load(&x, sets, n_sets);
        long long spe = (long long)cJSON_GetObjectItem(cs, "steps_per_epoch")->valuedouble;
        long long epochs = (long long)cJSON_GetObjectItem(cs, "epochs")->valuedouble;
        long long batch = (long long)cJSON_GetObjectItem(cs, "batch_size")->valuedouble;
        const cJSON *lrs = cJSON_GetObjectItem(cs, "lr");
        assert_int_equal(cJSON_GetArraySize(lrs), spe * epochs);
        for (long long k = 0; k < spe * epochs; k++) {
            double want = cJSON_GetArrayItem(lrs, (int)k)->valuedouble;
            double got = lr_at(&x, k, spe, epochs, batch);
            if (fabs(got - want) > 1e-13 * fabs(want)) {
                fail_msg("case %d (%s %s): update %lld: %.17g, LambdaLR %.17g", cases,
                         sets[1], n_sets > 2 ? sets[2] : "", k, got, want);
            }
        }
        lt_config_free(&x.cfg);
        cases++;
    }
    assert_int_equal(cases, 13);
    cJSON_Delete(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_step_by_hand),
        cmocka_unit_test(test_cosine_by_hand),
        cmocka_unit_test(test_linear_and_inverse_sqrt_by_hand),
        cmocka_unit_test(test_warmup_and_scaling_by_hand),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_torch_lambda_lr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
