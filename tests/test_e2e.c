/* test_e2e.c — the lintrain binary end to end on the committed sample: the run folder,
 * determinism, exit statuses, and that a config error writes nothing.
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


/* Runs lintrain with args and the run folder tu_tmp/name; returns the exit status. */
static int lintrain(const char *name, const char *args, char **output)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "./lintrain --out '%s/%s' %s", tu_tmp, name, args);
    return tu_run(cmd, output);
}

static cJSON *read_json(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", tu_tmp, dir, file);
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
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
        if (!tu_exists_in("a", files[i])) {
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
    assert_int_equal(lintrain("m", "--config configs/quickstart.json --quiet "
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
    snprintf(a, sizeof a, "%s/s1/weights.npy", tu_tmp);
    snprintf(b, sizeof b, "%s/s2/weights.npy", tu_tmp);
    assert_true(same_file(a, b));
    /* A different seed changes the weights: the check above can fail. */
    char args3[512];
    snprintf(args3, sizeof args3, "%s --set train.seed=1", args);
    assert_int_equal(lintrain("s3", args3, NULL), 0);
    snprintf(b, sizeof b, "%s/s3/weights.npy", tu_tmp);
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
    snprintf(args, sizeof args, "--config '%s/r1/config.json' --quiet", tu_tmp);
    assert_int_equal(lintrain("r2", args, NULL), 0);
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/r1/weights.npy", tu_tmp);
    snprintf(b, sizeof b, "%s/r2/weights.npy", tu_tmp);
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
    assert_false(tu_exists_in("bad", NULL));
    /* A size that only the data can refuse is a config error too, still before writing. */
    rc = lintrain("bad", "--config configs/quickstart.json --set train.batch_size=99999", &out);
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
    int rc = lintrain("nodata", "--config configs/quickstart.json --set data.dir=/nonexistent/cifar",
                      &out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "scripts/get_cifar10.sh"));
    free(out);
    assert_false(tu_exists_in("nodata", NULL));
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

/* What each optimizer needs on the sample for a short run. */
static const struct {
    const char *name;
    const char *args;
} OPTIMIZER_RUNS[] = {
    {"sgd", "--set optimizer.name=sgd --set optimizer.lr=1e-7"},
    {"momentum", "--set optimizer.name=momentum --set optimizer.lr=1e-8"},
    {"momentum_v", "--set optimizer.name=momentum --set optimizer.lr=1e-8 "
                   "--set optimizer.form=velocity"},
    {"nesterov", "--set optimizer.name=nesterov --set optimizer.lr=1e-8"},
    {"adagrad", "--set optimizer.name=adagrad --set optimizer.lr=1e-5"},
    {"rmsprop", "--set optimizer.name=rmsprop --set optimizer.lr=1e-6"},
    {"adam", "--set optimizer.name=adam --set optimizer.lr=1e-6"},
    {"adamw", "--set optimizer.name=adamw --set optimizer.lr=1e-6 "
              "--set optimizer.weight_decay=10 --set regularization.type=none"},
    {"lbfgs", "--set optimizer.name=lbfgs --set optimizer.max_iter=5 --set train.batch_size=0"},
    /* The sample config's optimizer.lr and train.epochs do not apply: replace the
     * sections whole. */
    {"random_search", "--set optimizer='{\"name\": \"random_search\", \"trials\": 20}' "
                      "--set train='{\"batch_size\": 0, \"threads\": 1}'"},
};

static char *weights_path(const char *dir)
{
    char name[256];
    snprintf(name, sizeof name, "%s/weights.npy", dir);
    return tu_join(tu_tmp, name);
}

/* Same config and seed: the same weights.npy, byte for byte, for every optimizer; and
 * each optimizer's weights differ from the others' (none falls back to another) — but
 * for the two forms of momentum, equal at a constant rate up to rounding. */
static void test_every_optimizer_deterministic(void **state)
{
    (void)state;
    size_t n = sizeof OPTIMIZER_RUNS / sizeof OPTIMIZER_RUNS[0];
    for (size_t i = 0; i < n; i++) {
        const char *base = "--config configs/quickstart.json --quiet --set train.epochs=2 "
                           "--set train.threads=1";
        if (strcmp(OPTIMIZER_RUNS[i].name, "random_search") == 0) {
            base = "--config configs/quickstart.json --quiet";
        }
        char args[2048], d1[128], d2[128];
        snprintf(args, sizeof args, "%s %s", base, OPTIMIZER_RUNS[i].args);
        snprintf(d1, sizeof d1, "det_%s_1", OPTIMIZER_RUNS[i].name);
        snprintf(d2, sizeof d2, "det_%s_2", OPTIMIZER_RUNS[i].name);
        char *out = NULL;
        int rc = lintrain(d1, args, &out);
        if (rc != 0) {
            fail_msg("%s: exit %d: %s", OPTIMIZER_RUNS[i].name, rc, out);
        }
        free(out);
        assert_int_equal(lintrain(d2, args, NULL), 0);
        char *a = weights_path(d1), *b = weights_path(d2);
        if (!same_file(a, b)) {
            fail_msg("%s: two runs of one config wrote different weights", OPTIMIZER_RUNS[i].name);
        }
        for (size_t j = 0; j < i; j++) {
            if (strncmp(OPTIMIZER_RUNS[i].name, "momentum", 8) == 0 &&
                strncmp(OPTIMIZER_RUNS[j].name, "momentum", 8) == 0) {
                continue;
            }
            char dj[128];
            snprintf(dj, sizeof dj, "det_%s_1", OPTIMIZER_RUNS[j].name);
            char *c = weights_path(dj);
            if (same_file(a, c)) {
                fail_msg("%s and %s wrote the same weights", OPTIMIZER_RUNS[i].name,
                         OPTIMIZER_RUNS[j].name);
            }
            free(c);
        }
        free(a);
        free(b);
    }
}

/* Reads metrics.jsonl of run dir: one cJSON per line, in a NULL-ended array. */
static cJSON **metrics_lines(const char *dir, int *count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/metrics.jsonl", tu_tmp, dir);
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    size_t cap = 16, n = 0;
    cJSON **lines = malloc(cap * sizeof *lines);
    assert_non_null(lines);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (n + 2 > cap) {
            cap *= 2;
            lines = realloc(lines, cap * sizeof *lines);
            assert_non_null(lines);
        }
        lines[n] = cJSON_Parse(line);
        assert_non_null(lines[n]);
        n++;
    }
    lines[n] = NULL;
    free(text);
    *count = (int)n;
    return lines;
}

static void free_lines(cJSON **lines)
{
    for (int i = 0; lines[i]; i++) {
        cJSON_Delete(lines[i]);
    }
    free(lines);
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const char *type_of(const cJSON *o)
{
    return cJSON_GetObjectItem(o, "type")->valuestring;
}

/* The rate of every update is in metrics.jsonl (log_every 1) and is the schedule's:
 * cosine by step with 5 warmup updates, the sample's 18 updates per epoch, 3 epochs. */
static void test_schedule_rates_logged(void **state)
{
    (void)state;
    assert_int_equal(lintrain("sched", "--config configs/quickstart.json --quiet "
                                        "--set train.epochs=3 --set train.log_every=1 "
                                        "--set optimizer.lr=1e-7 --set schedule.name=cosine "
                                        "--set schedule.unit=step --set schedule.warmup_steps=5",
                              NULL),
                     0);
    int n;
    cJSON **lines = metrics_lines("sched", &n);
    int steps = 0;
    const double T = 3 * 18;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(type_of(lines[i]), "step") != 0) {
            continue;
        }
        double k = num(lines[i], "step") - 1;
        double want = 1e-7 * 0.5 * (1 + cos(3.14159265358979323846 * k / T));
        if (k + 1 < 5) {
            want *= (k + 1) / 5;
        }
        assert_close(num(lines[i], "lr"), want, 1e-8 * want);
        steps++;
    }
    assert_int_equal(steps, 54);
    free_lines(lines);
}

/* Random search logs each trial's loss and the best so far, and keeps the best. */
static void test_random_search_log(void **state)
{
    (void)state;
    assert_int_equal(lintrain("rs", "--config configs/quickstart.json --quiet "
                                     "--set optimizer='{\"name\": \"random_search\", "
                                     "\"trials\": 30}' --set train='{\"batch_size\": 0}' "
                                     "--set regularization.lambda=0",
                              NULL),
                     0);
    int n;
    cJSON **lines = metrics_lines("rs", &n);
    int trials = 0;
    double best = INFINITY;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(type_of(lines[i]), "trial") != 0) {
            continue;
        }
        trials++;
        assert_int_equal((int)num(lines[i], "trial"), trials);
        best = fmin(best, num(lines[i], "train_loss"));
        assert_true(num(lines[i], "best_train_loss") == best);
    }
    assert_int_equal(trials, 30);
    free_lines(lines);
    cJSON *s = read_json("rs", "summary.json");
    assert_int_equal((int)cJSON_GetObjectItem(s, "steps")->valuedouble, 30);
    /* The weights kept are the best trial's: their training loss is best_train_loss. */
    assert_close(cJSON_GetObjectItem(s, "train_loss")->valuedouble, best, 1e-6);
    cJSON_Delete(s);
}

/* L-BFGS logs each iteration (lr = the step length) and never raises the loss. */
static void test_lbfgs_log(void **state)
{
    (void)state;
    assert_int_equal(lintrain("lb", "--config configs/quickstart.json --quiet "
                                     "--set optimizer.name=lbfgs --set train.batch_size=0 "
                                     "--set train.epochs=2 --set train.log_every=1 "
                                     "--set optimizer.max_iter=8",
                              NULL),
                     0);
    int n;
    cJSON **lines = metrics_lines("lb", &n);
    double prev = INFINITY;
    int iters = 0, epochs = 0;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(type_of(lines[i]), "epoch") == 0) {
            epochs++;
            continue;
        }
        iters++;
        assert_true(num(lines[i], "batch_loss") <= prev);
        assert_true(num(lines[i], "lr") >= 0);
        prev = num(lines[i], "batch_loss");
    }
    /* At most max_iter per epoch; fewer when the line searches use up the epoch's
     * max_iter·5/4 evaluations (as in PyTorch). */
    assert_true(iters >= 2 && iters <= 16);
    assert_true(epochs >= 1 && epochs <= 2);
    free_lines(lines);
}

/* batch_size 1 is true per-sample SGD (one update per image), 0 full-batch gradient
 * descent (one update per epoch). */
static void test_batch_sizes(void **state)
{
    (void)state;
    const char *cases[][2] = {{"1", "50"}, {"0", "3"}};
    for (int i = 0; i < 2; i++) {
        char args[512];
        snprintf(args, sizeof args,
                 "--config configs/quickstart.json --quiet --set data.limit_train=50 "
                 "--set train.epochs=3 --set train.batch_size=%s --set train.epochs=%s",
                 cases[i][0], i == 0 ? "1" : "3");
        const char *dir = i == 0 ? "bs1" : "bs0"; /* a folder each: a run is never replaced */
        assert_int_equal(lintrain(dir, args, NULL), 0);
        cJSON *s = read_json(dir, "summary.json");
        assert_int_equal((int)cJSON_GetObjectItem(s, "steps")->valuedouble, atoi(cases[i][1]));
        cJSON_Delete(s);
    }
}

/* Refusals that depend on the optimizer or the data: exit 2, nothing written. */
static void test_optimizer_refusals(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = lintrain("lbmini", "--config configs/quickstart.json --set optimizer.name=lbfgs",
                      &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "train.batch_size: optimizer \"lbfgs\" is full-batch"));
    free(out);
    assert_false(tu_exists_in("lbmini", NULL));
    rc = lintrain("warm", "--config configs/quickstart.json --set train.epochs=2 "
                          "--set schedule.warmup_steps=37", &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "schedule.warmup_steps: 37 is more than the run's 36 updates"));
    free(out);
    assert_false(tu_exists_in("warm", NULL));
}

/* The epoch lines' val_acc, in order; returns how many (at most cap). */
static int epoch_val_accs(const char *dir, double *acc, int cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/metrics.jsonl", tu_tmp, dir);
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
             tu_tmp, tu_tmp);
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
    assert_true(tu_exists_in("nb", "best_weights.npy"));
    assert_true(tu_exists_in("nb", "best_bias.npy"));
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
    assert_false(tu_exists_in("esv", NULL));
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

/* The case: softmax_sgd at lr 1e-2 blows the loss up to ~1e8 without a NaN. The
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
    assert_int_equal(lintrain("blowup", BLOWUP, &out), 3);
    assert_non_null(strstr(out, "diverged at step 8 (epoch 1, lr 0.01): the training loss"));
    assert_non_null(strstr(out, "train.divergence_factor = 1000 times the initial"));
    assert_non_null(strstr(out, "try a lower optimizer.lr"));
    free(out);
    cJSON *s = read_json("blowup", "summary.json");
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring, "diverged");
    double loss = cJSON_GetObjectItem(s, "train_loss")->valuedouble;
    double loss0 = cJSON_GetObjectItem(s, "initial_train_loss")->valuedouble;
    assert_true(isfinite(loss) && loss > 1000 * loss0);
    assert_int_equal((int)cJSON_GetObjectItem(s, "epochs")->valuedouble, 1);
    cJSON_Delete(s);
    /* A diverged run gets its curves too. */
    assert_true(is_png("blowup", "curves.png"));
    assert_int_equal(lintrain("blowup_off", BLOWUP " --quiet --set train.divergence_factor=0",
                              NULL), 0);
}

/* One name per quantity: train_loss = train_data_loss + train_penalty in metrics.jsonl
 * and summary.json, batch_loss on step lines, val_data_loss for the validation split;
 * the console says the same names. */
static void test_loss_names(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(lintrain("names", "--config configs/quickstart.json --set train.epochs=2 "
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
    cJSON **lines = metrics_lines("names", &n);
    int epochs = 0, steps = 0;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(type_of(lines[i]), "epoch") == 0) {
            epochs++;
            assert_close(num(lines[i], "train_loss"),
                         num(lines[i], "train_data_loss") + num(lines[i], "train_penalty"), 1e-6);
            assert_true(num(lines[i], "train_penalty") > 0);
            assert_true(isfinite(num(lines[i], "val_data_loss")));
            assert_null(cJSON_GetObjectItem(lines[i], "val_loss"));
        } else {
            steps++;
            assert_true(isfinite(num(lines[i], "batch_loss")));
            assert_null(cJSON_GetObjectItem(lines[i], "loss"));
        }
    }
    assert_int_equal(epochs, 2);
    assert_true(steps > 0);
    free_lines(lines);
    cJSON *s = read_json("names", "summary.json");
    assert_close(num(s, "train_loss"), num(s, "train_data_loss") + num(s, "train_penalty"), 1e-9);
    assert_true(isfinite(num(s, "val_data_loss")) && isfinite(num(s, "test_data_loss")));
    assert_null(cJSON_GetObjectItem(s, "val_loss"));
    assert_null(cJSON_GetObjectItem(s, "test_loss"));
    cJSON_Delete(s);
}

/* curves.png beside templates.png after a run; without gnuplot (LINTRAIN_GNUPLOT names
 * one that is not there) the run still exits 0 and one line says so. */
static void test_curves_every_run(void **state)
{
    (void)state;
    assert_int_equal(lintrain("curves", "--config configs/quickstart.json --quiet", NULL), 0);
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
        cmocka_unit_test(test_missing_dataset_hint),
        cmocka_unit_test(test_divergence_exit_3),
        cmocka_unit_test(test_divergence_factor),
        cmocka_unit_test(test_loss_names),
        cmocka_unit_test(test_curves_every_run),
        cmocka_unit_test(test_reproduce_paths),
        cmocka_unit_test(test_every_optimizer_deterministic),
        cmocka_unit_test(test_schedule_rates_logged),
        cmocka_unit_test(test_random_search_log),
        cmocka_unit_test(test_lbfgs_log),
        cmocka_unit_test(test_batch_sizes),
        cmocka_unit_test(test_optimizer_refusals),
        cmocka_unit_test(test_early_stopping_and_best_weights),
        cmocka_unit_test(test_best_weights_without_early_stopping),
        cmocka_unit_test(test_early_stopping_needs_validation),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
