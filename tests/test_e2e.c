/* test_e2e.c — the lintrain binary end to end on the committed sample: the run folder,
 * determinism, exit statuses, and that a config error writes nothing.
 * Runs from the repository root (make test does), against ./lintrain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"

static char *tmp;

static int setup(void **state)
{
    (void)state;
    tmp = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(tmp);
    free(tmp);
    return 0;
}

/* Runs lintrain with args and the run folder tmp/name; returns the exit status. */
static int lintrain(const char *name, const char *args, char **output)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "./lintrain --out '%s/%s' %s", tmp, name, args);
    return tu_run(cmd, output);
}

static cJSON *read_json(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", tmp, dir, file);
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

static int exists(const char *dir, const char *file)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s%s%s", tmp, dir, file ? "/" : "", file ? file : "");
    return stat(path, &st) == 0;
}

static void test_quickstart_run_folder(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = lintrain("a", "--config configs/quickstart.json --quiet", &out);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    assert_non_null(strstr(out, "test_acc"));
    free(out);
    const char *files[] = {"config.json", "metrics.jsonl", "summary.json", "weights.npy", "bias.npy"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!exists("a", files[i])) {
            fail_msg("run folder lacks %s", files[i]);
        }
    }
    cJSON *s = read_json("a", "summary.json");
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring, "ok");
    double test_acc = cJSON_GetObjectItem(s, "test_acc")->valuedouble;
    /* Ten balanced classes: chance is 0.10. */
    if (test_acc <= 0.15) {
        fail_msg("test accuracy %.4f is not above chance", test_acc);
    }
    assert_int_equal((int)cJSON_GetObjectItem(s, "n_test")->valuedouble, 500);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(s, "version")));
    cJSON_Delete(s);
    /* .npy sizes: 128-byte header + 3072·10 floats, and + 10 floats. */
    char path[4096];
    size_t n;
    snprintf(path, sizeof path, "%s/a/weights.npy", tmp);
    free(tu_read_file(path, &n));
    assert_int_equal(n, 128 + 3072 * 10 * 4);
    snprintf(path, sizeof path, "%s/a/bias.npy", tmp);
    free(tu_read_file(path, &n));
    assert_int_equal(n, 128 + 10 * 4);
}

static void test_metrics_lines(void **state)
{
    (void)state;
    assert_int_equal(lintrain("m", "--config configs/quickstart.json --quiet "
                                    "--set train.epochs=3 --set train.log_every=5",
                              NULL),
                     0);
    char path[4096];
    snprintf(path, sizeof path, "%s/m/metrics.jsonl", tmp);
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    int epochs = 0, steps = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        const char *type = cJSON_GetObjectItem(j, "type")->valuestring;
        if (strcmp(type, "epoch") == 0) {
            epochs++;
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "val_acc")));
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "train_acc")));
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "seconds")));
        } else {
            steps++;
            assert_int_equal((int)cJSON_GetObjectItem(j, "step")->valuedouble % 5, 0);
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "loss")));
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "lr")));
        }
        cJSON_Delete(j);
    }
    free(text);
    assert_int_equal(epochs, 3);
    cJSON *s = read_json("m", "summary.json");
    int total_steps = (int)cJSON_GetObjectItem(s, "steps")->valuedouble;
    cJSON_Delete(s);
    assert_int_equal(steps, total_steps / 5);
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    int same = na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    const char *args = "--config configs/quickstart.json --quiet --set train.epochs=2 "
                       "--set train.threads=1";
    assert_int_equal(lintrain("s1", args, NULL), 0);
    assert_int_equal(lintrain("s2", args, NULL), 0);
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/s1/weights.npy", tmp);
    snprintf(b, sizeof b, "%s/s2/weights.npy", tmp);
    assert_true(same_file(a, b));
    /* A different seed changes the weights: the check above can fail. */
    char args3[512];
    snprintf(args3, sizeof args3, "%s --set train.seed=1", args);
    assert_int_equal(lintrain("s3", args3, NULL), 0);
    snprintf(b, sizeof b, "%s/s3/weights.npy", tmp);
    assert_false(same_file(a, b));
}

/* The resolved config.json is itself a config that reproduces the run. */
static void test_resolved_config_reruns(void **state)
{
    (void)state;
    assert_int_equal(lintrain("r1", "--config configs/quickstart.json --quiet "
                                     "--set train.epochs=1 --set train.threads=1 "
                                     "--set model.loss=svm",
                              NULL),
                     0);
    cJSON *c = read_json("r1", "config.json");
    cJSON *model = cJSON_GetObjectItem(c, "model");
    assert_string_equal(cJSON_GetObjectItem(model, "loss")->valuestring, "svm");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(model, "svm_margin")));
    cJSON_Delete(c);
    char args[4096];
    snprintf(args, sizeof args, "--config '%s/r1/config.json' --quiet", tmp);
    assert_int_equal(lintrain("r2", args, NULL), 0);
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/r1/weights.npy", tmp);
    snprintf(b, sizeof b, "%s/r2/weights.npy", tmp);
    assert_true(same_file(a, b));
}

static void test_config_error_writes_nothing(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = lintrain("bad", "--config configs/quickstart.json --set optimizer.lrr=1", &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "optimizer.lrr"));
    assert_non_null(strstr(out, "optimizer.lr"));
    free(out);
    assert_false(exists("bad", NULL));
    /* A size that only the data can refuse is a config error too, still before writing. */
    rc = lintrain("bad", "--config configs/quickstart.json --set train.batch_size=99999", &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "train.batch_size"));
    free(out);
    assert_false(exists("bad", NULL));
}

static void test_usage_errors(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_run("./lintrain --bogus", &out), 2);
    assert_non_null(strstr(out, "--bogus"));
    free(out);
    assert_int_equal(tu_run("./lintrain frobnicate", &out), 2);
    free(out);
    assert_int_equal(tu_run("./lintrain --help", &out), 0);
    assert_non_null(strstr(out, "--config"));
    free(out);
    assert_int_equal(tu_run("./lintrain --version", &out), 0);
    assert_non_null(strstr(out, "lintrain "));
    free(out);
}

static void test_missing_dataset_hint(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = lintrain("nodata", "--config configs/quickstart.json --set data.dir=/nonexistent/cifar",
                      &out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "scripts/get_cifar10.sh"));
    free(out);
    assert_false(exists("nodata", NULL));
}

static void test_divergence_exit_3(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = lintrain("div", "--config configs/quickstart.json --set optimizer.lr=1e30 "
                             "--set data.preprocess=none",
                      &out);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(out, "diverged"));
    free(out);
    cJSON *s = read_json("div", "summary.json");
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring, "diverged");
    cJSON_Delete(s);
}

/* The epoch lines' val_acc, in order; returns how many (at most cap). */
static int epoch_val_accs(const char *dir, double *acc, int cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/metrics.jsonl", tmp, dir);
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        if (strcmp(cJSON_GetObjectItem(j, "type")->valuestring, "epoch") == 0 && n < cap) {
            acc[n++] = cJSON_GetObjectItem(j, "val_acc")->valuedouble;
        }
        cJSON_Delete(j);
    }
    free(text);
    return n;
}

static double summary_number(cJSON *s, const char *key)
{
    cJSON *v = cJSON_GetObjectItem(s, key);
    if (!cJSON_IsNumber(v)) {
        fail_msg("summary.json: %s is not a number", key);
    }
    return v->valuedouble;
}

/* Early stopping stops patience epochs after the best val_acc (the first of equals),
 * and best_weights.npy / best_bias.npy hold that epoch's model: a second run that
 * starts from them with a rate too small to move a float scores the same val and
 * test accuracy as the summary says. */
static void test_early_stopping_and_best_weights(void **state)
{
    (void)state;
    const char *args = "--config configs/quickstart.json --quiet --set train.epochs=40 "
                       "--set optimizer.lr=1e-6 --set train.early_stopping_patience=2 "
                       "--set train.threads=1";
    char *out = NULL;
    int rc = lintrain("es", args, &out);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    free(out);
    double acc[64];
    int n = epoch_val_accs("es", acc, 64);
    int best = 0;
    for (int i = 1; i < n; i++) {
        if (acc[i] > acc[best]) {
            best = i;
        }
    }
    cJSON *s = read_json("es", "summary.json");
    assert_int_equal((int)summary_number(s, "best_epoch"), best + 1);
    assert_int_equal((int)summary_number(s, "epochs"), n);
    assert_true(summary_number(s, "best_val_acc") == acc[best]);
    /* Stopped exactly patience epochs after the best, or ran to the end. */
    int stopped = cJSON_IsTrue(cJSON_GetObjectItem(s, "early_stopped"));
    assert_int_equal(n, stopped ? best + 1 + 2 : 40);
    assert_true(stopped); /* lr 1e-6 on the sample plateaus long before 40 epochs */
    double best_test = summary_number(s, "best_test_acc");
    double best_val = acc[best];
    cJSON_Delete(s);

    char args2[4096];
    snprintf(args2, sizeof args2,
             "--config configs/quickstart.json --quiet --set train.epochs=1 "
             "--set optimizer.lr=1e-30 --set train.threads=1 "
             "--set model.init_weights='\"%s/es/best_weights.npy\"' "
             "--set model.init_bias='\"%s/es/best_bias.npy\"'",
             tmp, tmp);
    rc = lintrain("es2", args2, &out);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    free(out);
    s = read_json("es2", "summary.json");
    assert_true(summary_number(s, "val_acc") == best_val);
    assert_true(summary_number(s, "test_acc") == best_test);
    cJSON_Delete(s);
}

/* Without early stopping every epoch runs, and the best weights are kept all the same. */
static void test_best_weights_without_early_stopping(void **state)
{
    (void)state;
    assert_int_equal(lintrain("nb", "--config configs/quickstart.json --quiet "
                                     "--set train.epochs=3 --set train.threads=1",
                              NULL),
                     0);
    cJSON *s = read_json("nb", "summary.json");
    assert_int_equal((int)summary_number(s, "epochs"), 3);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(s, "early_stopped")));
    cJSON_Delete(s);
    assert_true(exists("nb", "best_weights.npy"));
    assert_true(exists("nb", "best_bias.npy"));
}

static void test_early_stopping_needs_validation(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = lintrain("esv", "--config configs/quickstart.json --set data.val_size=0 "
                             "--set train.early_stopping_patience=3",
                      &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "train.early_stopping_patience"));
    free(out);
    assert_false(exists("esv", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quickstart_run_folder),
        cmocka_unit_test(test_metrics_lines),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_resolved_config_reruns),
        cmocka_unit_test(test_config_error_writes_nothing),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_missing_dataset_hint),
        cmocka_unit_test(test_divergence_exit_3),
        cmocka_unit_test(test_early_stopping_and_best_weights),
        cmocka_unit_test(test_best_weights_without_early_stopping),
        cmocka_unit_test(test_early_stopping_needs_validation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
