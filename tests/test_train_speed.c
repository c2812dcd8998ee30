/* test_train_speed.c — the binary on the committed sample with the speed-related keys:
 * train.kernel (every implementation trains to the same place), train.threads
 * (results independent of it), train.eval_train_size (a sample for the epoch
 * lines, the whole split in summary.json, training untouched), and their config errors.
 * Runs from the repository root (make test does), against ./lintrain. */
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

#include "lintrain/kernel.h"
#include "lintrain/npy.h"
#include "testutil.h"

/* ./lintrain on the quickstart config, 3 epochs, into tu_tmp/run, with extra arguments;
 * returns the exit status, *output (if non-NULL) what it printed. */
static int train(const char *run, const char *extra, char **output)
{
    char args[4096];
    snprintf(args, sizeof args,
             "--config configs/quickstart.json --quiet --set train.epochs=3 %s", extra);
    return tu_lintrain(run, args, output);
}

static void train_ok(const char *run, const char *extra)
{
    char *out = NULL;
    int rc = train(run, extra, &out);
    if (rc != 0) {
        fail_msg("%s: exit %d: %s", extra, rc, out ? out : "");
    }
    free(out);
}

static float *weights(const char *run, size_t *n)
{
    char *path = tu_path_in(run, "weights.npy");
    float *w = NULL;
    size_t shape[LT_NPY_MAX_DIMS];
    int ndim = 0;
    lt_error err;
    if (lt_npy_read_f32(path, &w, shape, &ndim, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(ndim, 2);
    *n = shape[0] * shape[1];
    free(path);
    return w;
}

static int same_weights(const char *a, const char *b)
{
    size_t na, nb;
    float *x = weights(a, &na), *y = weights(b, &nb);
    int same = na == nb && memcmp(x, y, na * sizeof *x) == 0;
    free(x);
    free(y);
    return same;
}

/* Every implementation trains the sample to nearly the same weights: they compute the
 * same gradient up to float rounding (test_kernel bounds it), and 54 small SGD steps
 * on a convex loss do not amplify differences of that size. */
static void test_kernels_agree(void **state)
{
    (void)state;
    train_ok("sgemm", "--set train.kernel=sgemm --set train.threads=1");
    train_ok("portable", "--set train.kernel=portable --set train.threads=2");
    train_ok("auto", "--set train.threads=1");
    size_t n, m;
    float *ref = weights("sgemm", &n);
    const char *others[] = {"portable", "auto"};
    double scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        scale = fmax(scale, fabs(ref[i]));
    }
    assert_true(scale > 0.0);
    for (int k = 0; k < 2; k++) {
        float *w = weights(others[k], &m);
        assert_int_equal(m, n);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            worst = fmax(worst, fabs((double)w[i] - ref[i]));
        }
        if (worst > 1e-4 * scale) {
            fail_msg("%s: weights differ from sgemm's by %.3g (largest weight %.3g)", others[k],
                     worst, scale);
        }
        free(w);
    }
    free(ref);
    cJSON *c = tu_load_json_in("auto", "config.json");
    cJSON *t = cJSON_GetObjectItem(c, "train");
    assert_string_equal(cJSON_GetObjectItem(t, "kernel")->valuestring, "auto");
    assert_int_equal((int)tu_json_number(t, "eval_train_size"), 5000);
    cJSON_Delete(c);
}

/* One, two or three threads: the same bytes (a batch is cut into shares by its size
 * alone, and the shares' gradients are summed in order). */
static void test_threads_do_not_change_results(void **state)
{
    (void)state;
    train_ok("t1", "--set train.threads=1");
    train_ok("t2", "--set train.threads=2");
    train_ok("t3", "--set train.threads=3 --set train.batch_size=0");
    train_ok("t1full", "--set train.threads=1 --set train.batch_size=0");
    assert_true(same_weights("t1", "t2"));
    assert_true(same_weights("t1full", "t3"));
    assert_false(same_weights("t1", "t1full")); /* the comparison can fail */
}

/* The epoch lines score a sample of 100 training records, summary.json all 1,800, and
 * the sample changes nothing in training. */
static void test_eval_train_sample(void **state)
{
    (void)state;
    train_ok("all", "--set train.threads=1 --set train.eval_train_size=0");
    train_ok("some", "--set train.threads=1 --set train.eval_train_size=100");
    assert_true(same_weights("all", "some"));
    cJSON *a = tu_load_json_in("all", "summary.json"), *b = tu_load_json_in("some", "summary.json");
    assert_true(tu_json_number(a, "train_acc") == tu_json_number(b, "train_acc"));
    assert_true(tu_json_number(a, "train_loss") == tu_json_number(b, "train_loss"));
    assert_int_equal((int)tu_json_number(b, "n_train"), 1800);
    cJSON_Delete(a);
    cJSON_Delete(b);
    int n;
    cJSON **lines = tu_metrics_lines("some", &n);
    int epochs = 0;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(tu_line_type(lines[i]), "epoch") == 0) {
            double acc = tu_json_number(lines[i], "train_acc") * 100.0;
            assert_true(fabs(acc - round(acc)) < 1e-6); /* k correct out of 100 */
            epochs++;
        }
    }
    assert_int_equal(epochs, 3);
    tu_free_lines(lines);
}

static void test_config_errors(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(train("bad1", "--set train.kernel=avx", &out), 2);
    assert_non_null(strstr(out, "train.kernel"));
    assert_non_null(strstr(out, "avx2"));
    free(out);
    assert_int_equal(train("bad2", "--set train.eval_train_size=-1", &out), 2);
    assert_non_null(strstr(out, "train.eval_train_size"));
    free(out);
    if (!lt_kernel_available("avx2")) {
        assert_int_equal(train("bad3", "--set train.kernel=avx2", &out), 2);
        assert_non_null(strstr(out, "AVX2"));
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_agree),
        cmocka_unit_test(test_threads_do_not_change_results),
        cmocka_unit_test(test_eval_train_sample),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
