/* test_optimizer_runs.c — each optimizer end to end on the committed sample, against
 * ./lintrain: the same bytes for the same seed, what metrics.jsonl logs (schedules,
 * random search, L-BFGS), batch sizes, refusals, early stopping and the best weights.
 * Runs from the repository root (make test does). */
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
        int rc = tu_lintrain(d1, args, &out);
        if (rc != 0) {
            fail_msg("%s: exit %d: %s", OPTIMIZER_RUNS[i].name, rc, out);
        }
        free(out);
        assert_int_equal(tu_lintrain(d2, args, NULL), 0);
        char *a = weights_path(d1), *b = weights_path(d2);
        if (!tu_same_file(a, b)) {
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
            if (tu_same_file(a, c)) {
                fail_msg("%s and %s wrote the same weights", OPTIMIZER_RUNS[i].name,
                         OPTIMIZER_RUNS[j].name);
            }
            free(c);
        }
        free(a);
        free(b);
    }
}

/* The rate of every update is in metrics.jsonl (log_every 1) and is the schedule's:
 * cosine by step with 5 warmup updates, the sample's 18 updates per epoch, 3 epochs. */
static void test_schedule_rates_logged(void **state)
{
    (void)state;
    assert_int_equal(tu_lintrain("sched", "--config configs/quickstart.json --quiet "
                                           "--set train.epochs=3 --set train.log_every=1 "
                                           "--set optimizer.lr=1e-7 --set schedule.name=cosine "
                                           "--set schedule.unit=step --set schedule.warmup_steps=5",
                                 NULL),
                     0);
    int n;
    cJSON **lines = tu_metrics_lines("sched", &n);
    int steps = 0;
    const double T = 3 * 18;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(tu_line_type(lines[i]), "step") != 0) {
            continue;
        }
        double k = tu_json_number(lines[i], "step") - 1;
        double want = 1e-7 * 0.5 * (1 + cos(3.14159265358979323846 * k / T));
        if (k + 1 < 5) {
            want *= (k + 1) / 5;
        }
        assert_close(tu_json_number(lines[i], "lr"), want, 1e-8 * want);
        steps++;
    }
    assert_int_equal(steps, 54);
    tu_free_lines(lines);
}

/* Random search logs each trial's loss and the best so far, and keeps the best. */
static void test_random_search_log(void **state)
{
    (void)state;
    assert_int_equal(tu_lintrain("rs", "--config configs/quickstart.json --quiet "
                                        "--set optimizer='{\"name\": \"random_search\", "
                                        "\"trials\": 30}' --set train='{\"batch_size\": 0}' "
                                        "--set regularization.lambda=0",
                                 NULL),
                     0);
    int n;
    cJSON **lines = tu_metrics_lines("rs", &n);
    int trials = 0;
    double best = INFINITY;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(tu_line_type(lines[i]), "trial") != 0) {
            continue;
        }
        trials++;
        assert_int_equal((int)tu_json_number(lines[i], "trial"), trials);
        best = fmin(best, tu_json_number(lines[i], "train_loss"));
        assert_true(tu_json_number(lines[i], "best_train_loss") == best);
    }
    assert_int_equal(trials, 30);
    tu_free_lines(lines);
    cJSON *s = tu_load_json_in("rs", "summary.json");
    assert_int_equal((int)cJSON_GetObjectItem(s, "steps")->valuedouble, 30);
    /* The weights kept are the best trial's: their training loss is best_train_loss. */
    assert_close(cJSON_GetObjectItem(s, "train_loss")->valuedouble, best, 1e-6);
    cJSON_Delete(s);
}

/* L-BFGS logs each iteration (lr = the step length) and never raises the loss. */
static void test_lbfgs_log(void **state)
{
    (void)state;
    assert_int_equal(tu_lintrain("lb", "--config configs/quickstart.json --quiet "
                                        "--set optimizer.name=lbfgs --set train.batch_size=0 "
                                        "--set train.epochs=2 --set train.log_every=1 "
                                        "--set optimizer.max_iter=8",
                                 NULL),
                     0);
    int n;
    cJSON **lines = tu_metrics_lines("lb", &n);
    double prev = INFINITY;
    int iters = 0, epochs = 0;
    for (int i = 0; lines[i]; i++) {
        if (strcmp(tu_line_type(lines[i]), "epoch") == 0) {
            epochs++;
            continue;
        }
        iters++;
        assert_true(tu_json_number(lines[i], "batch_loss") <= prev);
        assert_true(tu_json_number(lines[i], "lr") >= 0);
        prev = tu_json_number(lines[i], "batch_loss");
    }
    /* At most max_iter per epoch; fewer when the line searches use up the epoch's
     * max_iter·5/4 evaluations (as in PyTorch). */
    assert_true(iters >= 2 && iters <= 16);
    assert_true(epochs >= 1 && epochs <= 2);
    tu_free_lines(lines);
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
        assert_int_equal(tu_lintrain(dir, args, NULL), 0);
        cJSON *s = tu_load_json_in(dir, "summary.json");
        assert_int_equal((int)cJSON_GetObjectItem(s, "steps")->valuedouble, atoi(cases[i][1]));
        cJSON_Delete(s);
    }
}

/* Refusals that depend on the optimizer or the data: exit 2, nothing written. */
static void test_optimizer_refusals(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = tu_lintrain("lbmini", "--config configs/quickstart.json --set optimizer.name=lbfgs",
                         &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "train.batch_size: optimizer \"lbfgs\" is full-batch"));
    free(out);
    assert_false(tu_exists_in("lbmini", NULL));
    rc = tu_lintrain("warm", "--config configs/quickstart.json --set train.epochs=2 "
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
    int rc = tu_lintrain("es", args, &out);
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
    cJSON *s = tu_load_json_in("es", "summary.json");
    assert_int_equal((int)tu_json_number(s, "best_epoch"), best + 1);
    assert_int_equal((int)tu_json_number(s, "epochs"), n);
    assert_true(tu_json_number(s, "best_val_acc") == acc[best]);
    /* Stopped exactly patience epochs after the best, or ran to the end. */
    int stopped = cJSON_IsTrue(cJSON_GetObjectItem(s, "early_stopped"));
    assert_int_equal(n, stopped ? best + 1 + 2 : 40);
    assert_true(stopped); /* lr 1e-6 on the sample plateaus long before 40 epochs */
    double best_test = tu_json_number(s, "best_test_acc");
    double best_val = acc[best];
    cJSON_Delete(s);

    char args2[4096];
    snprintf(args2, sizeof args2,
             "--config configs/quickstart.json --quiet --set train.epochs=1 "
             "--set optimizer.lr=1e-30 --set train.threads=1 "
             "--set model.init_weights='\"%s/es/best_weights.npy\"' "
             "--set model.init_bias='\"%s/es/best_bias.npy\"'",
             tu_tmp, tu_tmp);
    rc = tu_lintrain("es2", args2, &out);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    free(out);
    s = tu_load_json_in("es2", "summary.json");
    assert_true(tu_json_number(s, "val_acc") == best_val);
    assert_true(tu_json_number(s, "test_acc") == best_test);
    cJSON_Delete(s);
}

/* Without early stopping every epoch runs, and the best weights are kept all the same. */
static void test_best_weights_without_early_stopping(void **state)
{
    (void)state;
    assert_int_equal(tu_lintrain("nb", "--config configs/quickstart.json --quiet "
                                        "--set train.epochs=3 --set train.threads=1",
                                 NULL),
                     0);
    cJSON *s = tu_load_json_in("nb", "summary.json");
    assert_int_equal((int)tu_json_number(s, "epochs"), 3);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(s, "early_stopped")));
    assert_true(tu_exists_in("nb", "best_weights.npy"));
    assert_true(tu_exists_in("nb", "best_bias.npy"));
    /* best_test_acc is the forward path eval takes: eval of the best weights gives it. */
    char cmd[4096], *out = NULL;
    snprintf(cmd, sizeof cmd, "d='%s' && cp -r \"$d/nb\" \"$d/nbbest\" && "
             "cp \"$d/nb/best_weights.npy\" \"$d/nbbest/weights.npy\" && "
             "cp \"$d/nb/best_bias.npy\" \"$d/nbbest/bias.npy\" && "
             "./lintrain eval --run \"$d/nbbest\"", tu_tmp);
    int rc = tu_run(cmd, &out);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    free(out);
    cJSON *e = tu_load_json_in("nbbest", "eval.json");
    cJSON *test = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "splits"), "test");
    assert_true(tu_json_number(test, "accuracy") == tu_json_number(s, "best_test_acc"));
    cJSON_Delete(e);
    cJSON_Delete(s);
}

static void test_early_stopping_needs_validation(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = tu_lintrain("esv", "--config configs/quickstart.json --set data.val_size=0 "
                                "--set train.early_stopping_patience=3",
                         &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "train.early_stopping_patience"));
    free(out);
    assert_false(tu_exists_in("esv", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
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
