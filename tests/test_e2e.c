/* test_e2e.c — the lintrain binary end to end on the committed sample: the run folder,
 * determinism, exit statuses and usage, divergence, and that a config error writes
 * nothing (each optimizer's runs: test_optimizer_runs.c).
 * Runs from the repository root (make test does), against ./lintrain. */
#include <math.h>
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

static void test_quickstart_run_folder(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = tu_lintrain("a", "--config configs/quickstart.json --quiet", &out);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    assert_non_null(strstr(out, "test_acc"));
    free(out);
    const char *files[] = {"config.json", "metrics.jsonl", "summary.json", "weights.npy",
                           "bias.npy"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!tu_exists_in("a", files[i])) {
            fail_msg("run folder lacks %s", files[i]);
        }
    }
    cJSON *s = tu_load_json_in("a", "summary.json");
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
    snprintf(path, sizeof path, "%s/a/weights.npy", tu_tmp);
    free(tu_read_file(path, &n));
    assert_int_equal(n, 128 + 3072 * 10 * 4);
    snprintf(path, sizeof path, "%s/a/bias.npy", tu_tmp);
    free(tu_read_file(path, &n));
    assert_int_equal(n, 128 + 10 * 4);
}

static void test_metrics_lines(void **state)
{
    (void)state;
    assert_int_equal(tu_lintrain("m", "--config configs/quickstart.json --quiet "
                                       "--set train.epochs=3 --set train.log_every=5",
                                 NULL),
                     0);
    char path[4096];
    snprintf(path, sizeof path, "%s/m/metrics.jsonl", tu_tmp);
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
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "batch_loss")));
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "lr")));
        }
        cJSON_Delete(j);
    }
    free(text);
    assert_int_equal(epochs, 3);
    cJSON *s = tu_load_json_in("m", "summary.json");
    int total_steps = (int)cJSON_GetObjectItem(s, "steps")->valuedouble;
    cJSON_Delete(s);
    assert_int_equal(steps, total_steps / 5);
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    const char *args = "--config configs/quickstart.json --quiet --set train.epochs=2 "
                       "--set train.threads=1";
    assert_int_equal(tu_lintrain("s1", args, NULL), 0);
    assert_int_equal(tu_lintrain("s2", args, NULL), 0);
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/s1/weights.npy", tu_tmp);
    snprintf(b, sizeof b, "%s/s2/weights.npy", tu_tmp);
    assert_true(tu_same_file(a, b));
    /* A different seed changes the weights: the check above can fail. */
    char args3[512];
    snprintf(args3, sizeof args3, "%s --set train.seed=1", args);
    assert_int_equal(tu_lintrain("s3", args3, NULL), 0);
    snprintf(b, sizeof b, "%s/s3/weights.npy", tu_tmp);
    assert_false(tu_same_file(a, b));
}

/* The resolved config.json is itself a config that reproduces the run. */
static void test_resolved_config_reruns(void **state)
{
    (void)state;
    assert_int_equal(tu_lintrain("r1", "--config configs/quickstart.json --quiet "
                                        "--set train.epochs=1 --set train.threads=1 "
                                        "--set model.loss=svm",
                                 NULL),
                     0);
    cJSON *c = tu_load_json_in("r1", "config.json");
    cJSON *model = cJSON_GetObjectItem(c, "model");
    assert_string_equal(cJSON_GetObjectItem(model, "loss")->valuestring, "svm");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(model, "svm_margin")));
    cJSON_Delete(c);
    char args[4096];
    snprintf(args, sizeof args, "--config '%s/r1/config.json' --quiet", tu_tmp);
    assert_int_equal(tu_lintrain("r2", args, NULL), 0);
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/r1/weights.npy", tu_tmp);
    snprintf(b, sizeof b, "%s/r2/weights.npy", tu_tmp);
    assert_true(tu_same_file(a, b));
}

static void test_config_error_writes_nothing(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = tu_lintrain("bad", "--config configs/quickstart.json --set optimizer.lrr=1", &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "optimizer.lrr"));
    assert_non_null(strstr(out, "optimizer.lr"));
    free(out);
    assert_false(tu_exists_in("bad", NULL));
    /* A size that only the data can refuse is a config error too, still before writing. */
    rc = tu_lintrain("bad", "--config configs/quickstart.json --set train.batch_size=99999", &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "train.batch_size"));
    free(out);
    assert_false(tu_exists_in("bad", NULL));
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
    assert_int_equal(tu_run("./lintrain", &out), 2);
    assert_non_null(strstr(out, "usage:"));
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
    int rc = tu_lintrain("nodata", "--config configs/quickstart.json "
                                   "--set data.dir=/nonexistent/cifar", &out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "scripts/get_cifar10.sh"));
    free(out);
    assert_false(tu_exists_in("nodata", NULL));
}

static void test_divergence_exit_3(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = tu_lintrain("div", "--config configs/quickstart.json --set optimizer.lr=1e30 "
                                "--set data.preprocess=none",
                         &out);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(out, "diverged"));
    free(out);
    cJSON *s = tu_load_json_in("div", "summary.json");
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring, "diverged");
    cJSON_Delete(s);
}

/* lintrain --help: a line per subcommand of main.c's table, each of which answers
 * --help with its own usage; train's help is train's alone. */
static void test_help_lists_subcommands(void **state)
{
    (void)state;
    static const char *const names[] = {"train", "check", "gradcheck", "eval", "predict",
                                        "plot", "toy"};
    char *top = NULL, *out = NULL;
    assert_int_equal(tu_run("./lintrain --help", &top), 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char line[64], cmd[64], head[64];
        snprintf(line, sizeof line, "\n  %-11s ", names[i]);
        if (!strstr(top, line)) {
            fail_msg("lintrain --help has no line for %s:\n%s", names[i], top);
        }
        snprintf(cmd, sizeof cmd, "./lintrain %s --help", names[i]);
        assert_int_equal(tu_run(cmd, &out), 0);
        snprintf(head, sizeof head, "usage: lintrain %s%s", i ? "" : "[", names[i]);
        assert_true(strncmp(out, head, strlen(head)) == 0);
        if (i == 0) {
            assert_null(strstr(out, "lintrain eval"));
        }
        free(out);
    }
    free(top);
}

/* Whether tu_tmp/dir/file is a PNG. */
static int is_png(const char *dir, const char *file)
{
    char *d = tu_join(tu_tmp, dir), *p = tu_join(d, file);
    int png = tu_is_png(p);
    free(p);
    free(d);
    return png;
}

/* softmax_sgd at lr 1e-2 blows the loss up to ~1e8 without a NaN. The
 * bound train.divergence_factor catches it at the first epoch's end: exit 3, summary
 * status "diverged" with a finite (blown-up) train_loss, the one-line hint; 0 turns the
 * bound off. */
#define BLOWUP "--config configs/softmax_sgd.json --set data.dir=data/cifar-10-sample " \
               "--set data.val_size=200 --set optimizer.lr=1e-2 --set train.epochs=3 " \
               "--set train.log_every=0"
static void test_divergence_factor(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_lintrain("blowup", BLOWUP, &out), 3);
    assert_non_null(strstr(out, "diverged at step 8 (epoch 1, lr 0.01): the training loss"));
    assert_non_null(strstr(out, "train.divergence_factor = 1000 times the initial"));
    assert_non_null(strstr(out, "try a lower optimizer.lr"));
    free(out);
    cJSON *s = tu_load_json_in("blowup", "summary.json");
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring, "diverged");
    double loss = cJSON_GetObjectItem(s, "train_loss")->valuedouble;
    double loss0 = cJSON_GetObjectItem(s, "initial_train_loss")->valuedouble;
    assert_true(isfinite(loss) && loss > 1000 * loss0);
    assert_int_equal((int)cJSON_GetObjectItem(s, "epochs")->valuedouble, 1);
    cJSON_Delete(s);
    /* A diverged run gets its curves too. */
    assert_true(is_png("blowup", "curves.png"));
    assert_int_equal(tu_lintrain("blowup_off", BLOWUP " --quiet --set train.divergence_factor=0",
                                 NULL), 0);
}

/* One name per quantity: train_loss = train_data_loss + train_penalty in metrics.jsonl
 * and summary.json, batch_loss on step lines, val_data_loss for the validation split;
 * the console says the same names. */
static void test_loss_names(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_lintrain("names", "--config configs/quickstart.json --set train.epochs=2 "
                                          "--set train.log_every=5",
                                 &out),
                     0);
    assert_non_null(strstr(out, "  batch_loss "));
    assert_non_null(strstr(out, "  train_loss "));
    assert_non_null(strstr(out, "  train_data_loss "));
    assert_non_null(strstr(out, "  val_data_loss "));
    assert_null(strstr(out, "  loss "));
    assert_null(strstr(out, "val_loss"));
    free(out);
    int n;
    cJSON **lines = tu_metrics_lines("names", &n);
    int epochs = 0, steps = 0;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(tu_line_type(lines[i]), "epoch") == 0) {
            epochs++;
            double sum = tu_json_number(lines[i], "train_data_loss") +
                         tu_json_number(lines[i], "train_penalty");
            assert_close(tu_json_number(lines[i], "train_loss"), sum, 1e-6);
            assert_true(tu_json_number(lines[i], "train_penalty") > 0);
            assert_true(isfinite(tu_json_number(lines[i], "val_data_loss")));
            assert_null(cJSON_GetObjectItem(lines[i], "val_loss"));
        } else {
            steps++;
            assert_true(isfinite(tu_json_number(lines[i], "batch_loss")));
            assert_null(cJSON_GetObjectItem(lines[i], "loss"));
        }
    }
    assert_int_equal(epochs, 2);
    assert_true(steps > 0);
    tu_free_lines(lines);
    cJSON *s = tu_load_json_in("names", "summary.json");
    double sum = tu_json_number(s, "train_data_loss") + tu_json_number(s, "train_penalty");
    assert_close(tu_json_number(s, "train_loss"), sum, 1e-9);
    assert_true(isfinite(tu_json_number(s, "val_data_loss")));
    assert_true(isfinite(tu_json_number(s, "test_data_loss")));
    assert_null(cJSON_GetObjectItem(s, "val_loss"));
    assert_null(cJSON_GetObjectItem(s, "test_loss"));
    cJSON_Delete(s);
}

/* curves.png beside templates.png after a run; without gnuplot (LINTRAIN_GNUPLOT names
 * one that is not there) the run still exits 0 and one line says so. */
static void test_curves_every_run(void **state)
{
    (void)state;
    assert_int_equal(tu_lintrain("curves", "--config configs/quickstart.json --quiet", NULL), 0);
    assert_true(is_png("curves", "templates.png"));
    assert_true(is_png("curves", "curves.png"));
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd, "LINTRAIN_GNUPLOT=/nonexistent/gnuplot ./lintrain --out "
             "'%s/nognuplot' --config configs/quickstart.json --quiet 2>&1 >/dev/null", tu_tmp);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_non_null(strstr(out, "gnuplot"));
    assert_non_null(strstr(out, "curves.png not written"));
    char *nl = strchr(out, '\n'); /* the one line */
    assert_true(nl == NULL || nl[1] == '\0');
    free(out);
    assert_true(is_png("nognuplot", "templates.png"));
    assert_false(tu_exists_in("nognuplot", "curves.png"));
}

/* make reproduce on the sample writes under runs/ only; FULL=1 writes the committed
 * docs/lecture/. */
static void test_reproduce_paths(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_run("FULL= scripts/reproduce --print-paths", &out), 0);
    assert_non_null(strstr(out, "report runs/reproduce/README.md"));
    assert_null(strstr(out, "docs/"));
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        const char *path = strchr(line, ' ');
        assert_non_null(path);
        assert_true(strncmp(path + 1, "runs/", 5) == 0 || strncmp(path + 1, "build/", 6) == 0);
    }
    free(out);
    assert_int_equal(tu_run("FULL=1 scripts/reproduce --print-paths", &out), 0);
    assert_non_null(strstr(out, "report docs/lecture/README.md"));
    free(out);
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
        cmocka_unit_test(test_help_lists_subcommands),
        cmocka_unit_test(test_missing_dataset_hint),
        cmocka_unit_test(test_divergence_exit_3),
        cmocka_unit_test(test_divergence_factor),
        cmocka_unit_test(test_loss_names),
        cmocka_unit_test(test_curves_every_run),
        cmocka_unit_test(test_reproduce_paths),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
