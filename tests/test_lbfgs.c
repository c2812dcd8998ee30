/* test_lbfgs.c — L-BFGS against torch.optim.LBFGS(line_search_fn="strong_wolfe") step()
 * by step() on the Rosenbrock function and a quadratic (tests/fixtures/torch_golden.json,
 * made by scripts/torch_golden.py): the same points, losses and evaluation counts. And
 * closed forms: the quadratic's minimiser A⁻¹c, sufficient decrease at every iteration. */
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

#include "lintrain/lbfgs.h"

/* lbfgs.c is the method alone: its header does not depend on the checkpoint format (the
 * L-BFGS training driver, train_lbfgs.c, saves and restores its state). */
#ifdef LINTRAIN_CHECKPOINT_H
#error "lbfgs.h includes checkpoint.h"
#endif

#define GOLDEN "tests/fixtures/torch_golden.json"
#define MAXN 8

typedef struct {
    int n;
    int quadratic;             /* else Rosenbrock */
    double A[MAXN][MAXN], c[MAXN];
    long long evals;
    double losses[4096];       /* after each iteration */
    int n_losses;
} problem;

/* Rosenbrock: Σ 100(x_{i+1} − x_i²)² + (1 − x_i)². Quadratic: ½xᵀAx − cᵀx. */
static lt_status eval(void *ctx, const double *x, double *f, double *g, lt_error *err)
{
    (void)err;
    problem *p = ctx;
    p->evals++;
    int n = p->n;
    double s = 0.0;
    memset(g, 0, (size_t)n * sizeof *g);
    if (p->quadratic) {
        for (int i = 0; i < n; i++) {
            double ax = 0.0;
            for (int j = 0; j < n; j++) {
                ax += p->A[i][j] * x[j];
            }
            s += 0.5 * x[i] * ax - p->c[i] * x[i];
            g[i] = ax - p->c[i];
        }
    } else {
        for (int i = 0; i + 1 < n; i++) {
            double a = x[i + 1] - x[i] * x[i], b = 1.0 - x[i];
            s += 100.0 * a * a + b * b;
            g[i] += -400.0 * a * x[i] - 2.0 * b;
            g[i + 1] += 200.0 * a;
        }
    }
    *f = s;
    return LT_OK;
}

static void record(void *ctx, const lt_lbfgs_iter *it)
{
    problem *p = ctx;
    assert_true(it->t >= 0.0);
    assert_true(it->evals >= 1);
    if (p->n_losses < 4096) {
        p->losses[p->n_losses++] = it->loss;
    }
}

static void load_quadratic(problem *p, const cJSON *root)
{
    const cJSON *q = cJSON_GetObjectItem(root, "quadratic");
    const cJSON *A = cJSON_GetObjectItem(q, "A"), *c = cJSON_GetObjectItem(q, "c");
    p->n = cJSON_GetArraySize(c);
    p->quadratic = 1;
    for (int i = 0; i < p->n; i++) {
        p->c[i] = cJSON_GetArrayItem(c, i)->valuedouble;
        for (int j = 0; j < p->n; j++) {
            p->A[i][j] = cJSON_GetArrayItem(cJSON_GetArrayItem(A, i), j)->valuedouble;
        }
    }
}

/* Every step() of every fixture case: same n_iter and func_evals (the same branches
 * taken), same point and loss to rounding. */
static void test_torch_lbfgs(void **state)
{
    (void)state;
    cJSON *root = tu_load_json(GOLDEN);
    int cases = 0;
    const cJSON *cs;
    cJSON_ArrayForEach(cs, cJSON_GetObjectItem(root, "lbfgs"))
    {
        static problem p;
        memset(&p, 0, sizeof p);
        const char *fn = cJSON_GetObjectItem(cs, "function")->valuestring;
        if (strcmp(fn, "quadratic") == 0) {
            load_quadratic(&p, root);
        }
        const cJSON *x0 = cJSON_GetObjectItem(cs, "x0");
        p.n = cJSON_GetArraySize(x0);
        double x[MAXN];
        for (int i = 0; i < p.n; i++) {
            x[i] = cJSON_GetArrayItem(x0, i)->valuedouble;
        }
        lt_lbfgs L;
        lt_error err = {{0}};
        assert_int_equal(
            lt_lbfgs_create(&L, (size_t)p.n, (int)cJSON_GetObjectItem(cs, "history")->valuedouble,
                            (long long)cJSON_GetObjectItem(cs, "max_iter")->valuedouble,
                            cJSON_GetObjectItem(cs, "lr")->valuedouble,
                            cJSON_GetObjectItem(cs, "tolerance_grad")->valuedouble,
                            cJSON_GetObjectItem(cs, "tolerance_change")->valuedouble, eval, &p,
                            &err),
            LT_OK);
        L.on_iter = record;
        int call = 0;
        const cJSON *want;
        cJSON_ArrayForEach(want, cJSON_GetObjectItem(cs, "calls"))
        {
            lt_lbfgs_stop stop;
            long long iters;
            assert_int_equal(lt_lbfgs_step(&L, x, &stop, &iters, &err), LT_OK);
            long long n_iter = (long long)cJSON_GetObjectItem(want, "n_iter")->valuedouble;
            long long evals = (long long)cJSON_GetObjectItem(want, "func_evals")->valuedouble;
            if (L.n_iter != n_iter || L.func_evals != evals) {
                fail_msg("case %d (%s), step %d: n_iter %lld, func_evals %lld; torch %lld, %lld",
                         cases, fn, call, L.n_iter, L.func_evals, n_iter, evals);
            }
            const cJSON *wx = cJSON_GetObjectItem(want, "x");
            for (int i = 0; i < p.n; i++) {
                double w = cJSON_GetArrayItem(wx, i)->valuedouble;
                if (fabs(x[i] - w) > 1e-9 * fmax(1.0, fabs(w))) {
                    fail_msg("case %d (%s), step %d: x[%d] = %.17g, torch %.17g", cases, fn,
                             call, i, x[i], w);
                }
            }
            double f, g[MAXN];
            eval(&p, x, &f, g, &err);
            assert_close(f, cJSON_GetObjectItem(want, "loss")->valuedouble, 1e-9);
            call++;
        }
        /* Sufficient decrease: the loss never goes up from one iteration to the next. */
        for (int k = 1; k < p.n_losses; k++) {
            assert_true(p.losses[k] <= p.losses[k - 1]);
        }
        lt_lbfgs_free(&L);
        cases++;
    }
    assert_int_equal(cases, 4);
    cJSON_Delete(root);
}

/* The quadratic's minimiser solves Ax = c: Gaussian elimination here, L-BFGS there. */
static void test_quadratic_minimum(void **state)
{
    (void)state;
    cJSON *root = tu_load_json(GOLDEN);
    static problem p;
    memset(&p, 0, sizeof p);
    load_quadratic(&p, root);
    cJSON_Delete(root);
    int n = p.n;
    double M[MAXN][MAXN + 1], xs[MAXN];
    for (int i = 0; i < n; i++) {
        memcpy(M[i], p.A[i], (size_t)n * sizeof(double));
        M[i][n] = p.c[i];
    }
    for (int k = 0; k < n; k++) {  /* A is positive definite: no pivoting needed */
        for (int i = k + 1; i < n; i++) {
            double r = M[i][k] / M[k][k];
            for (int j = k; j <= n; j++) {
                M[i][j] -= r * M[k][j];
            }
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = M[i][n];
        for (int j = i + 1; j < n; j++) {
            s -= M[i][j] * xs[j];
        }
        xs[i] = s / M[i][i];
    }
    double x[MAXN] = {0};
    lt_lbfgs L;
    lt_error err = {{0}};
    assert_int_equal(lt_lbfgs_create(&L, (size_t)n, 10, 100, 1.0, 1e-10, 0.0, eval, &p, &err),
                     LT_OK);
    lt_lbfgs_stop stop;
    long long iters;
    assert_int_equal(lt_lbfgs_step(&L, x, &stop, &iters, &err), LT_OK);
    /* It ends where f can no longer tell points apart: a distance e from the minimum
     * changes f by about e², below double's resolution of f ≈ −3 once e < 1e-8. */
    assert_true(stop == LT_LBFGS_GRAD || stop == LT_LBFGS_CHANGE);
    for (int i = 0; i < n; i++) {
        assert_near(x[i], xs[i], 1e-7);
    }
    lt_lbfgs_free(&L);
    /* Started at the optimum, it stops at once without an iteration (as torch does). */
    assert_int_equal(lt_lbfgs_create(&L, (size_t)n, 10, 100, 1.0, 1e-6, 0.0, eval, &p, &err),
                     LT_OK);
    memcpy(x, xs, sizeof xs);
    assert_int_equal(lt_lbfgs_step(&L, x, &stop, &iters, &err), LT_OK);
    assert_int_equal(iters, 0);
    assert_int_equal(stop, LT_LBFGS_GRAD);
    lt_lbfgs_free(&L);
}

/* An evaluation that fails stops the step with its status and message. */
static lt_status failing(void *ctx, const double *x, double *f, double *g, lt_error *err)
{
    (void)ctx, (void)x, (void)f, (void)g;
    return lt_fail(err, LT_EDIVERGED, "loss is not finite");
}

static void test_eval_failure(void **state)
{
    (void)state;
    lt_lbfgs L;
    lt_error err = {{0}};
    assert_int_equal(lt_lbfgs_create(&L, 2, 3, 5, 1.0, 1e-7, 1e-9, failing, NULL, &err), LT_OK);
    double x[2] = {1, 2};
    lt_lbfgs_stop stop;
    long long iters;
    assert_int_equal(lt_lbfgs_step(&L, x, &stop, &iters, &err), LT_EDIVERGED);
    assert_string_equal(err.msg, "loss is not finite");
    lt_lbfgs_free(&L);
    lt_lbfgs_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torch_lbfgs),
        cmocka_unit_test(test_quadratic_minimum),
        cmocka_unit_test(test_eval_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
