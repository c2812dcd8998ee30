/* test_optim.c — every first-order update rule against values that do not come from
 * lintrain: updates written down by hand on small problems (closed forms), and
 * torch.optim's trajectories on a quadratic (tests/fixtures/torch_golden.json, made by
 * scripts/torch_golden.py; PyTorch is not needed to run this). */
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
#include "lintrain/optim.h"
#include "lintrain/schedule.h"

#define GOLDEN "tests/fixtures/torch_golden.json"
#define MAXN 8

/* A config from --set lines only (no file); the load must succeed. */
static void config_of(lt_config *cfg, const char *const *sets, size_t n)
{
    lt_error err = {{0}};
    lt_status st = lt_config_load(cfg, NULL, sets, n, &err);
    if (st != LT_OK) {
        fail_msg("config: %s", err.msg);
    }
}

/* An optimizer for n weights, the first n_decay of them "W". */
static void make(lt_optimizer *opt, lt_config *cfg, const char *const *sets, size_t n_sets,
                 size_t n, size_t n_decay)
{
    config_of(cfg, sets, n_sets);
    lt_error err = {{0}};
    assert_int_equal(lt_optimizer_create(opt, lt_optim_find(cfg->optimizer.name),
                                         &cfg->optim_params, n, n_decay, &err),
                     LT_OK);
}

static void destroy(lt_optimizer *opt, lt_config *cfg)
{
    lt_optimizer_free(opt);
    lt_config_free(cfg);
}

/* ---- closed forms --------------------------------------------------------------------- */

/* f(w) = ½·a·w²: gradient descent gives w_k = (1 − lr·a)^k · w0. */
static void test_sgd_geometric(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.name=sgd"};
    lt_config cfg;
    lt_optimizer opt;
    make(&opt, &cfg, sets, 1, 1, 1);
    double a = 2.0, lr = 0.125, w0 = 3.0;  /* 1 − lr·a = 0.75: exact in float */
    float w = (float)w0;
    for (int k = 1; k <= 20; k++) {
        float g = (float)(a * w);
        lt_optimizer_step(&opt, &w, &g, lr);
        assert_close(w, w0 * pow(0.75, k), 1e-6);
    }
    destroy(&opt, &cfg);
}

/* v1 = g0, w1 = w0 − lr·g0; v2 = ρ·g0 + g1, w2 = w1 − lr·v2 (gradients given). */
static void test_momentum_by_hand(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.name=momentum", "optimizer.rho=0.5"};
    lt_config cfg;
    lt_optimizer opt;
    make(&opt, &cfg, sets, 2, 1, 1);
    float w = 1.0f, g0 = 0.5f, g1 = -0.25f;
    lt_optimizer_step(&opt, &w, &g0, 0.25);
    assert_float_equal(w, 1.0f - 0.25f * 0.5f, 0);           /* 0.875 */
    lt_optimizer_step(&opt, &w, &g1, 0.25);
    assert_float_equal(w, 0.875f - 0.25f * (0.5f * 0.5f - 0.25f), 0); /* v2 = 0 */
    destroy(&opt, &cfg);
}

/* f(w) = ½wᵀAw − cᵀw on 3 weights; fills g with its gradient at w. */
static const double QA[3][3] = {{2.0, 0.5, 0.0}, {0.5, 1.0, 0.25}, {0.0, 0.25, 0.5}};
static const double QC[3] = {1.0, -1.0, 0.5};

static void quad_grad(const float *w, float *g)
{
    for (int i = 0; i < 3; i++) {
        double s = -QC[i];
        for (int j = 0; j < 3; j++) {
            s += QA[i][j] * w[j];
        }
        g[i] = (float)s;
    }
}

/* The lecture's two forms of momentum give the same w at a constant rate (the velocity
 * form's v is −lr times the other's), and differ once the rate changes. */
static void test_momentum_forms_agree_at_constant_rate(void **state)
{
    (void)state;
    const char *standard[] = {"optimizer.name=momentum", "optimizer.rho=0.9"};
    const char *velocity[] = {"optimizer.name=momentum", "optimizer.rho=0.9",
                              "optimizer.form=velocity"};
    for (int changing = 0; changing <= 1; changing++) {
        lt_config c1, c2;
        lt_optimizer o1, o2;
        make(&o1, &c1, standard, 2, 3, 3);
        make(&o2, &c2, velocity, 3, 3, 3);
        float w1[3] = {1, -2, 0.5}, w2[3] = {1, -2, 0.5}, g[3];
        double max_diff = 0.0;
        for (int k = 0; k < 200; k++) {
            double lr = changing ? 0.1 / (1 + k) : 0.1;
            quad_grad(w1, g);
            lt_optimizer_step(&o1, w1, g, lr);
            quad_grad(w2, g);
            lt_optimizer_step(&o2, w2, g, lr);
            for (int i = 0; i < 3; i++) {
                max_diff = fmax(max_diff, fabs((double)w1[i] - w2[i]));
            }
        }
        if (!changing) {
            assert_true(max_diff < 1e-5);  /* float rounding only */
        } else {
            assert_true(max_diff > 1e-2);  /* the velocity form remembers old rates */
        }
        destroy(&o1, &c1);
        destroy(&o2, &c2);
    }
}

/* Nesterov, change-of-variables form: w1 = w0 − (1+ρ)·lr·g0 (v starts at 0). And its
 * weights are x̃ = x + ρv of the textbook form v = ρv − lr·∇f(x + ρv); x += v, which
 * this test runs alongside in double. */
static void test_nesterov_is_lookahead(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.name=nesterov", "optimizer.rho=0.9"};
    lt_config cfg;
    lt_optimizer opt;
    make(&opt, &cfg, sets, 2, 1, 1);
    float w = 1.0f, g = 0.5f;
    lt_optimizer_step(&opt, &w, &g, 0.25);
    assert_float_equal(w, 1.0f - 1.9f * 0.25f * 0.5f, 1e-7);
    destroy(&opt, &cfg);

    make(&opt, &cfg, sets, 2, 3, 3);
    double x[3] = {1, -2, 0.5}, v[3] = {0, 0, 0}, rho = 0.9, lr = 0.1;
    float wt[3] = {1, -2, 0.5}, gt[3];
    for (int k = 0; k < 100; k++) {
        float look[3];
        for (int i = 0; i < 3; i++) {
            look[i] = (float)(x[i] + rho * v[i]);
        }
        float gl[3];
        quad_grad(look, gl);
        for (int i = 0; i < 3; i++) {
            v[i] = rho * v[i] - lr * gl[i];
            x[i] += v[i];
        }
        quad_grad(wt, gt);
        lt_optimizer_step(&opt, wt, gt, lr);
        for (int i = 0; i < 3; i++) {
            assert_near(wt[i], x[i] + rho * v[i], 2e-5);
        }
    }
    destroy(&opt, &cfg);
}

/* First steps: AdaGrad w −= lr·g/(|g| + eps);
 * RMSProp s = (1−d)g² so w −= lr·g/(√(1−d)|g| + eps). */
static void test_adagrad_rmsprop_first_steps(void **state)
{
    (void)state;
    const char *ada[] = {"optimizer.name=adagrad", "optimizer.eps=1e-7"};
    lt_config cfg;
    lt_optimizer opt;
    make(&opt, &cfg, ada, 2, 2, 2);
    float w[2] = {1.0f, 1.0f}, g[2] = {0.5f, -4.0f};
    lt_optimizer_step(&opt, w, g, 0.01);
    assert_near(w[0], 1.0 - 0.01 * 0.5 / (0.5 + 1e-7), 1e-7);
    assert_near(w[1], 1.0 + 0.01 * 4.0 / (4.0 + 1e-7), 1e-7);
    /* Second step with the same g: s = 2g², step lr/√2 per weight. */
    lt_optimizer_step(&opt, w, g, 0.01);
    assert_near(w[0], 1.0 - 0.01 - 0.01 / sqrt(2.0), 1e-6);
    destroy(&opt, &cfg);

    const char *rms[] = {"optimizer.name=rmsprop", "optimizer.decay_rate=0.99",
                         "optimizer.eps=1e-7"};
    make(&opt, &cfg, rms, 3, 2, 2);
    float v[2] = {1.0f, 1.0f};
    lt_optimizer_step(&opt, v, g, 0.01);
    assert_near(v[0], 1.0 - 0.01 * 0.5 / (sqrt(0.01) * 0.5 + 1e-7), 1e-6); /* ≈ 10·lr */
    destroy(&opt, &cfg);
}

/* Adam on a constant gradient: m_t = (1−β1^t)g and v_t = (1−β2^t)g², so with bias
 * correction every step is lr·g/(|g| + eps) — the closed form w_k = w0 − k·lr·g/(|g|+eps).
 * Without it (the lecture's "Adam (almost)") the first step is lr·(1−β1)/√(1−β2)·sign g
 * ≈ 3.16·lr: the first-step problem the lecture shows. */
static void test_adam_constant_gradient(void **state)
{
    (void)state;
    const char *bc[] = {"optimizer.name=adam"};
    lt_config cfg;
    lt_optimizer opt;
    make(&opt, &cfg, bc, 1, 2, 2);
    float w[2] = {0.0f, 0.0f};
    const float g[2] = {0.25f, -2.0f};
    for (int k = 1; k <= 50; k++) {
        lt_optimizer_step(&opt, w, g, 1e-3);
        assert_near(w[0], -k * 1e-3 * 0.25 / (0.25 + 1e-8), 1e-6);
        assert_near(w[1], k * 1e-3 * 2.0 / (2.0 + 1e-8), 1e-6);
    }
    destroy(&opt, &cfg);

    const char *almost[] = {"optimizer.name=adam", "optimizer.bias_correction=false"};
    make(&opt, &cfg, almost, 2, 2, 2);
    float a[2] = {0.0f, 0.0f};
    lt_optimizer_step(&opt, a, g, 1e-3);
    double first = 1e-3 * 0.1 / sqrt(0.001);
    assert_near(a[0], -first, 1e-7);
    assert_near(a[1], first, 1e-7);
    assert_true(first > 3.16e-3 && first < 3.17e-3);
    destroy(&opt, &cfg);
}

/* AdamW at a zero gradient is pure decoupled decay: W_k = W0·(1 − lr·wd)^k, b unchanged.
 * With a nonzero regularization.lambda the trainer adds λ∇R to g (Adam + L2): the
 * optimizer sees it as gradient and normalises it, unlike the decay. */
static void test_adamw_decay_on_w_only(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.name=adamw", "optimizer.weight_decay=0.5"};
    lt_config cfg;
    lt_optimizer opt;
    make(&opt, &cfg, sets, 2, 3, 2);
    float w[3] = {2.0f, -1.0f, 4.0f};
    const float g[3] = {0, 0, 0};
    for (int k = 1; k <= 10; k++) {
        lt_optimizer_step(&opt, w, g, 0.1);
        assert_near(w[0], 2.0 * pow(0.95, k), 1e-6);
        assert_near(w[1], -1.0 * pow(0.95, k), 1e-6);
        assert_float_equal(w[2], 4.0f, 0);  /* b: no decay */
    }
    destroy(&opt, &cfg);
    /* Plain Adam does not decay. */
    const char *adam[] = {"optimizer.name=adam"};
    make(&opt, &cfg, adam, 1, 3, 2);
    float u[3] = {2.0f, -1.0f, 4.0f};
    lt_optimizer_step(&opt, u, g, 0.1);
    assert_float_equal(u[0], 2.0f, 0);
    destroy(&opt, &cfg);
}

static void test_table(void **state)
{
    (void)state;
    const char *want[] = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                          "adam", "adamw", "lbfgs", "random_search"};
    size_t n = 0;
    while (lt_optim_name_at(n)) {
        assert_string_equal(lt_optim_name_at(n), want[n]);
        const lt_optim_kind *k = lt_optim_find(want[n]);
        assert_non_null(k);
        assert_int_equal(k->step != NULL, k->family == LT_OPTIM_FIRST_ORDER);
        n++;
    }
    assert_int_equal(n, sizeof want / sizeof want[0]);
    assert_null(lt_optim_find("adamax"));
}

/* ---- torch.optim's trajectories --------------------------------------------------------- */

static double num_at(const cJSON *arr, int i)
{
    return cJSON_GetArrayItem(arr, i)->valuedouble;
}

/* Every case of the fixture: the rate our schedule gives each update equals the rate
 * LambdaLR gave, and after each update w equals torch's (float rounding aside). */
static void test_torch_trajectories(void **state)
{
    (void)state;
    cJSON *root = tu_load_json(GOLDEN);
    const cJSON *quad = cJSON_GetObjectItem(root, "quadratic");
    const cJSON *A = cJSON_GetObjectItem(quad, "A"), *c = cJSON_GetObjectItem(quad, "c");
    const cJSON *w0 = cJSON_GetObjectItem(quad, "w0");
    int n = cJSON_GetArraySize(w0);
    size_t n_decay = (size_t)cJSON_GetObjectItem(quad, "n_decay")->valuedouble;
    assert_true(n <= MAXN);
    int cases = 0;
    const cJSON *cs;
    cJSON_ArrayForEach(cs, cJSON_GetObjectItem(root, "optimizers"))
    {
        const char *label = cJSON_GetObjectItem(cs, "label")->valuestring;
        const cJSON *jsets = cJSON_GetObjectItem(cs, "sets");
        const char *sets[32];
        size_t n_sets = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, jsets)
        {
            sets[n_sets++] = s->valuestring;
        }
        lt_config cfg;
        lt_optimizer opt;
        make(&opt, &cfg, sets, n_sets, (size_t)n, n_decay);
        long long steps = (long long)cJSON_GetObjectItem(cs, "steps")->valuedouble;
        long long spe = (long long)cJSON_GetObjectItem(cs, "steps_per_epoch")->valuedouble;
        long long epochs = (long long)cJSON_GetObjectItem(cs, "epochs")->valuedouble;
        long long batch = (long long)cJSON_GetObjectItem(cs, "batch_size")->valuedouble;
        const cJSON *lrs = cJSON_GetObjectItem(cs, "lr"), *traj = cJSON_GetObjectItem(cs, "w");
        float w[MAXN], g[MAXN];
        for (int i = 0; i < n; i++) {
            w[i] = (float)num_at(w0, i);
        }
        for (long long k = 0; k < steps; k++) {
            for (int i = 0; i < n; i++) {
                double sum = -num_at(c, i);
                for (int j = 0; j < n; j++) {
                    sum += num_at(cJSON_GetArrayItem(A, i), j) * w[j];
                }
                g[i] = (float)sum;
            }
            lt_schedule_point p = {k, spe, spe * epochs, batch};
            double lr = lt_schedule_lr(&cfg.schedule_spec, &p);
            if (fabs(lr - num_at(lrs, (int)k)) > 1e-12 * fabs(num_at(lrs, (int)k))) {
                fail_msg("%s: update %lld: lr %.17g, torch %.17g", label, k, lr,
                         num_at(lrs, (int)k));
            }
            lt_optimizer_step(&opt, w, g, lr);
            const cJSON *want = cJSON_GetArrayItem(traj, (int)k);
            for (int i = 0; i < n; i++) {
                double d = fabs(w[i] - num_at(want, i));
                if (d > 2e-5 * fmax(1.0, fabs(num_at(want, i)))) {
                    fail_msg("%s: update %lld, w[%d] = %.9g, torch %.9g", label, k + 1, i,
                             (double)w[i], num_at(want, i));
                }
            }
        }
        destroy(&opt, &cfg);
        cases++;
    }
    assert_true(cases >= 10);
    cJSON_Delete(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_geometric),
        cmocka_unit_test(test_momentum_by_hand),
        cmocka_unit_test(test_momentum_forms_agree_at_constant_rate),
        cmocka_unit_test(test_nesterov_is_lookahead),
        cmocka_unit_test(test_adagrad_rmsprop_first_steps),
        cmocka_unit_test(test_adam_constant_gradient),
        cmocka_unit_test(test_adamw_decay_on_w_only),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_torch_trajectories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
