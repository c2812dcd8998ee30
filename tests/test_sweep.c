/* test_sweep.c — scripts/sweep and scripts/leaderboard end to end on the committed
 * sample: random sweeps and their leaderboard, reruns, broken and blown-up trials, the
 * Slurm array script run by hand as one task, the spec's draws and errors.
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
#include <unistd.h>
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"

static int setup(void **state)
{
    tu_setup_tmp(state);
    /* The sample, 3 short epochs: every trial takes a fraction of a second. */
    const char *base = "{\"data\": {\"dir\": \"data/cifar-10-sample\", \"val_size\": 200},\n"
                       " \"train\": {\"epochs\": 3, \"batch_size\": 100, \"log_every\": 0}}\n";
    tu_put("base.json", base);
    return 0;
}

/* scripts/sweep with tu_tmp/base.json, tu_tmp/<spec> and the sweep folder tu_tmp/<out>. */
static int sweep(const char *spec, const char *out, const char *extra, char **output)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "scripts/sweep --config '%s/base.json' --spec '%s/%s' --out '%s/%s' %s",
             tu_tmp, tu_tmp, spec, tu_tmp, out, extra);
    return tu_run(cmd, output);
}

static int sweep_ok(const char *spec, const char *out, const char *extra, char **output)
{
    char *text = NULL;
    int rc = sweep(spec, out, extra, &text);
    if (rc != 0) {
        fail_msg("sweep exited %d:\n%s", rc, text);
    }
    if (output) {
        *output = text;
    } else {
        free(text);
    }
    return rc;
}

/* ---- reading what the sweep wrote ----------------------------------------------------- */

#define MAX_ROWS 256
#define MAX_COLS 32

typedef struct {
    char *text;                        /* owned: the file, cut into cells in place */
    int n_rows, n_cols;                /* data rows (the header not counted) */
    char *header[MAX_COLS];
    char *cells[MAX_ROWS][MAX_COLS];
} csv_table;

/* Cuts one field at *p (RFC 4180: "..." with "" for a quote); returns the separator
 * that ended it (',', '\n' or '\0'). */
static char next_field(char **p, char **field)
{
    char *r = *p, *w = *p;
    *field = w;
    if (*r == '"') {
        r++;
        for (;;) {
            if (*r == '"' && r[1] == '"') {
                *w++ = '"';
                r += 2;
            } else if (*r == '"') {
                r++;
                break;
            } else {
                assert_true(*r != '\0');
                *w++ = *r++;
            }
        }
    } else {
        while (*r && *r != ',' && *r != '\n') {
            *w++ = *r++;
        }
    }
    char sep = *r;
    *w = '\0';
    *p = sep ? r + 1 : r;
    return sep;
}

static void csv_read(const char *dir, csv_table *t)
{
    memset(t, 0, sizeof *t);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/leaderboard.csv", tu_tmp, dir);
    t->text = tu_read_file(path, NULL);
    assert_non_null(t->text);
    char *p = t->text;
    for (int row = -1; *p; row++) {
        assert_true(row < MAX_ROWS);
        int col = 0;
        char sep;
        do {
            assert_true(col < MAX_COLS);
            char *field;
            sep = next_field(&p, &field);
            if (row < 0) {
                t->header[col++] = field;
            } else {
                t->cells[row][col++] = field;
            }
        } while (sep == ',');
        if (row < 0) {
            t->n_cols = col;
        } else {
            assert_int_equal(col, t->n_cols);
            t->n_rows = row + 1;
        }
    }
}

static const char *cell(const csv_table *t, int row, const char *column)
{
    for (int c = 0; c < t->n_cols; c++) {
        if (strcmp(t->header[c], column) == 0) {
            return t->cells[row][c];
        }
    }
    fail_msg("leaderboard.csv has no column %s", column);
    return "";
}

static double cell_number(const csv_table *t, int row, const char *column)
{
    const char *s = cell(t, row, column);
    char *end;
    double x = strtod(s, &end);
    if (*s == '\0' || *end != '\0') {
        fail_msg("leaderboard.csv row %d, %s: \"%s\" is not a number", row + 1, column, s);
    }
    return x;
}

/* tu_tmp/<dir>/trials/<trial>/<file>, in buf. */
static const char *trial_file(char *buf, size_t cap, const char *dir, const char *trial,
                              const char *file)
{
    snprintf(buf, cap, "%s/%s/trials/%s/%s", tu_tmp, dir, trial, file);
    return buf;
}

/* The number at path in a nested object: "a.b" is o["a"]["b"]. */
static double json_number(const cJSON *o, const char *path)
{
    char key[128];
    const char *dot = strchr(path, '.');
    if (dot) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        return json_number(cJSON_GetObjectItem(o, key), dot + 1);
    }
    return tu_json_number(o, path);
}

static const char *last_line(char *text)
{
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n') {
        text[--n] = '\0';
    }
    char *nl = strrchr(text, '\n');
    return nl ? nl + 1 : text;
}

static long long mtime_ns(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fail_msg("%s: missing", path);
    }
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

/* ---- the tests ------------------------------------------------------------------------ */

static const char RANDOM_SPEC[] =
    "{\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 3e-6]},\n"
    "            \"regularization.lambda\": {\"log_uniform\": [10, 1e4]}},\n"
    " \"trials\": 4, \"seed\": 7}\n";

/* Every row of the leaderboard is its trial's summary, ranked by val_acc; the values
 * are the ones the trial ran with, inside the spec's ranges. */
static void check_random_leaderboard(const char *dir, const char *output)
{
    csv_table t;
    csv_read(dir, &t);
    assert_int_equal(t.n_rows, 4);
    assert_string_equal(t.header[0], "rank");
    assert_string_equal(t.header[1], "trial");
    assert_string_equal(t.header[2], "status");
    char path[4096];
    for (int r = 0; r < t.n_rows; r++) {
        const char *trial = cell(&t, r, "trial");
        assert_int_equal((int)cell_number(&t, r, "rank"), r + 1);
        assert_string_equal(cell(&t, r, "status"), "ok");
        for (int q = 0; q < r; q++) {
            assert_string_not_equal(trial, cell(&t, q, "trial"));
        }
        if (r > 0) {
            assert_true(cell_number(&t, r - 1, "val_acc") >= cell_number(&t, r, "val_acc"));
        }
        cJSON *s = tu_load_json(trial_file(path, sizeof path, dir, trial, "summary.json"));
        assert_true(cell_number(&t, r, "val_acc") == json_number(s, "val_acc"));
        assert_true(cell_number(&t, r, "test_acc") == json_number(s, "test_acc"));
        assert_true(cell_number(&t, r, "best_val_acc") == json_number(s, "best_val_acc"));
        assert_int_equal((int)cell_number(&t, r, "epochs"), 3);
        assert_true(cell_number(&t, r, "seconds") > 0);
        cJSON_Delete(s);
        /* lintrain's resolved config says the trial ran with the leaderboard's values. */
        cJSON *c = tu_load_json(trial_file(path, sizeof path, dir, trial, "config.json"));
        double lr = cell_number(&t, r, "optimizer.lr");
        double lambda = cell_number(&t, r, "regularization.lambda");
        assert_true(json_number(c, "optimizer.lr") == lr);
        assert_true(json_number(c, "regularization.lambda") == lambda);
        cJSON_Delete(c);
        assert_true(lr >= 1e-7 && lr <= 3e-6);
        assert_true(lambda >= 10 && lambda <= 1e4);
        /* jobs x threads <= cores: 2 jobs here. */
        cJSON *st = tu_load_json(trial_file(path, sizeof path, dir, trial, "status.json"));
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        double threads = json_number(st, "threads");
        assert_true(threads >= 1 && (threads == 1 || 2 * threads <= cores));
        cJSON_Delete(st);
    }
    /* The sweep's last line is the best trial's config, which reruns it. */
    snprintf(path, sizeof path, "%s/%s/trials/%s/config.json", tu_tmp, dir, cell(&t, 0, "trial"));
    char *copy = strdup(output);
    assert_string_equal(last_line(copy), path);
    free(copy);
    snprintf(path, sizeof path, "%s/%s/leaderboard.md", tu_tmp, dir);
    char *md = tu_read_file(path, NULL);
    assert_non_null(md);
    int rows = 0;
    for (char *p = md; (p = strstr(p, "\n| ")); p++) {
        rows++;
    }
    assert_int_equal(rows, 1 + 4); /* the header, then one row per trial */
    assert_non_null(strstr(md, cell(&t, 0, "trial")));
    free(md);
    free(t.text);
}

static void test_random_sweep(void **state)
{
    (void)state;
    tu_put("random.json", RANDOM_SPEC);
    char *out = NULL;
    sweep_ok("random.json", "rs", "--jobs 2", &out);
    assert_non_null(strstr(out, "4 trials"));
    check_random_leaderboard("rs", out);
    free(out);
    /* scripts/leaderboard on its own gives the same files and the same best. */
    char cmd[4096], *lb = NULL;
    snprintf(cmd, sizeof cmd, "scripts/leaderboard '%s/rs'", tu_tmp);
    assert_int_equal(tu_run(cmd, &lb), 0);
    check_random_leaderboard("rs", lb);
    free(lb);
}

static const char *const RUN_FILES[] = {"summary.json", "metrics.jsonl", "weights.npy",
                                        "best_weights.npy", "log.txt"};
#define N_RUN_FILES (sizeof RUN_FILES / sizeof RUN_FILES[0])

/* A rerun retrains nothing: every file of every run keeps its modification time. Then
 * a trial without summary.json and one with a truncated one are retrained, alone. */
static void test_rerun_retrains_nothing(void **state)
{
    (void)state;
    tu_put("random.json", RANDOM_SPEC);
    sweep_ok("random.json", "rr", "--jobs 2", NULL);
    csv_table t;
    csv_read("rr", &t);
    assert_int_equal(t.n_rows, 4);
    long long before[4][N_RUN_FILES];
    char path[4096];
    for (int r = 0; r < 4; r++) {
        for (size_t f = 0; f < N_RUN_FILES; f++) {
            before[r][f] = mtime_ns(trial_file(path, sizeof path, "rr", cell(&t, r, "trial"),
                                               RUN_FILES[f]));
        }
    }
    char *out = NULL;
    sweep_ok("random.json", "rr", "--jobs 2", &out);
    assert_non_null(strstr(out, "4 complete, 0 to run"));
    free(out);
    for (int r = 0; r < 4; r++) {
        for (size_t f = 0; f < N_RUN_FILES; f++) {
            long long now = mtime_ns(trial_file(path, sizeof path, "rr", cell(&t, r, "trial"),
                                                RUN_FILES[f]));
            if (now != before[r][f]) {
                fail_msg("trial %s: %s was written again", cell(&t, r, "trial"), RUN_FILES[f]);
            }
        }
    }
    /* Trial of row 1 lost its summary (killed after its last checkpoint): it is resumed.
     * Row 3's summary is cut short and its checkpoint.bin gone: it is trained afresh,
     * with --force (lintrain refuses to train over a run without it). */
    double val1 = cell_number(&t, 1, "val_acc"), val3 = cell_number(&t, 3, "val_acc");
    assert_int_equal(remove(trial_file(path, sizeof path, "rr", cell(&t, 3, "trial"),
                                       "checkpoint.bin")),
                     0);
    assert_int_equal(remove(trial_file(path, sizeof path, "rr", cell(&t, 1, "trial"),
                                       "summary.json")),
                     0);
    tu_write_file(trial_file(path, sizeof path, "rr", cell(&t, 3, "trial"), "summary.json"),
                  "{\"status\": \"ok\", \"val", strlen("{\"status\": \"ok\", \"val"));
    sweep_ok("random.json", "rr", "--jobs 2", &out);
    assert_non_null(strstr(out, "2 complete, 2 to run"));
    free(out);
    for (int r = 0; r < 4; r++) {
        long long now = mtime_ns(trial_file(path, sizeof path, "rr", cell(&t, r, "trial"),
                                            "weights.npy"));
        assert_true((now != before[r][2]) == (r == 1 || r == 3));
    }
    cJSON *s =
        tu_load_json(trial_file(path, sizeof path, "rr", cell(&t, 1, "trial"), "summary.json"));
    assert_true(json_number(s, "val_acc") == val1); /* same config, same seed, same result */
    cJSON_Delete(s);
    s = tu_load_json(trial_file(path, sizeof path, "rr", cell(&t, 3, "trial"), "summary.json"));
    assert_true(json_number(s, "val_acc") == val3);
    cJSON_Delete(s);
    char *log = tu_read_file(trial_file(path, sizeof path, "rr", cell(&t, 1, "trial"), "log.txt"),
                             NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, " --resume "));
    assert_null(strstr(log, "--force"));
    free(log);
    log = tu_read_file(trial_file(path, sizeof path, "rr", cell(&t, 3, "trial"), "log.txt"), NULL);
    assert_non_null(log);
    assert_null(strstr(log, "--resume"));
    assert_non_null(strstr(log, " --force "));
    assert_non_null(strstr(log, "--force: replacing the run in"));
    free(log);
    free(t.text);
}

/* A trial whose loss blows up without a NaN (the sample at lr 1e-2 with λ 100: ~1e5 after
 * one epoch) is stopped by train.divergence_factor: lintrain exits 3, its summary says
 * "diverged", and the sweep records the trial as diverged, ranked after the ok one. */
static void test_blown_up_trial_diverged(void **state)
{
    (void)state;
    tu_put("blowup.json", "{\"grid\": {\"optimizer.lr\": [1e-7, 1e-2], "
                       "\"regularization.lambda\": [100]}, \"metric\": \"val_data_loss\", "
                       "\"mode\": \"min\"}\n");
    char *out = NULL;
    sweep_ok("blowup.json", "bu", "--jobs 2", &out);
    free(out);
    csv_table t;
    csv_read("bu", &t);
    assert_int_equal(t.n_rows, 2);
    assert_string_equal(cell(&t, 0, "status"), "ok");
    assert_true(cell_number(&t, 0, "optimizer.lr") == 1e-7);
    assert_string_equal(cell(&t, 1, "status"), "diverged");
    assert_non_null(strstr(cell(&t, 1, "error"), "train.divergence_factor"));
    char path[4096];
    cJSON *s =
        tu_load_json(trial_file(path, sizeof path, "bu", cell(&t, 1, "trial"), "summary.json"));
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring, "diverged");
    assert_true(json_number(s, "train_loss") > 1000 * json_number(s, "initial_train_loss"));
    cJSON_Delete(s);
    free(t.text);
}

/* Broken trials are recorded with their status and error line; the others finish and
 * rank first. A divergence is a finished result, not rerun. (A value lintrain refuses
 * is a spec error now: test_sweep_checks.) */
static void test_broken_trials(void **state)
{
    (void)state;
    tu_put("broken.json", "{\"grid\": {\"optimizer.lr\": [3e-7, 1e30, 1e-6]}}\n");
    char *out = NULL;
    sweep_ok("broken.json", "bt", "--jobs 2", &out);
    free(out);
    csv_table t;
    csv_read("bt", &t);
    assert_int_equal(t.n_rows, 3);
    assert_string_equal(cell(&t, 0, "status"), "ok");
    assert_string_equal(cell(&t, 1, "status"), "ok");
    assert_string_equal(cell(&t, 2, "status"), "diverged");
    assert_true(cell_number(&t, 2, "optimizer.lr") == 1e30);
    assert_non_null(strstr(cell(&t, 2, "error"), "diverged"));
    for (int r = 0; r < 2; r++) {
        double lr = cell_number(&t, r, "optimizer.lr");
        assert_true(lr == 3e-7 || lr == 1e-6);
        assert_string_equal(cell(&t, r, "error"), "");
    }
    free(t.text);
    sweep_ok("broken.json", "bt", "--jobs 2", &out);
    assert_non_null(strstr(out, "3 complete, 0 to run"));
    free(out);
}

/* 3 grid points x trials 2 = 6 trials; --slurm writes the job array and runs nothing.
 * One array task, run here as Slurm would run it, trains its trial. */
static void test_slurm_script(void **state)
{
    (void)state;
    tu_put("slurm.json", "{\"grid\": {\"regularization.lambda\": [10, 100, 1000]},\n"
                      " \"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-6]}},\n"
                      " \"trials\": 2, \"seed\": 3}\n");
    char *out = NULL;
    sweep_ok("slurm.json", "sl", "--jobs 3 --slurm", &out);
    free(out);
    char path[4096];
    snprintf(path, sizeof path, "%s/sl/sweep.sbatch", tu_tmp);
    char *script = tu_read_file(path, NULL);
    assert_non_null(script);
    assert_true(access(path, X_OK) == 0);
    assert_non_null(strstr(script, "#!/bin/bash\n"));
    assert_non_null(strstr(script, "\n#SBATCH --array=0-5%3\n"));
    assert_non_null(strstr(script, "\n#SBATCH --cpus-per-task=1\n"));
    assert_non_null(strstr(script, "--trial \"$trial\" --threads \"${SLURM_CPUS_PER_TASK:-1}\""));
    free(script);
    char cmd[8192], *text = NULL;
    snprintf(cmd, sizeof cmd, "bash -n '%s'", path);
    assert_int_equal(tu_run(cmd, NULL), 0);

    /* The trials: each lambda twice, each with its own draw of lr. */
    snprintf(path, sizeof path, "%s/sl/sweep.json", tu_tmp);
    cJSON *m = tu_load_json(path);
    cJSON *trials = cJSON_GetObjectItem(m, "trials");
    assert_int_equal(cJSON_GetArraySize(trials), 6);
    snprintf(path, sizeof path, "%s/sl/slurm_trials.txt", tu_tmp);
    text = tu_read_file(path, NULL);
    assert_non_null(text);
    int i = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), i++) {
        cJSON *trial = cJSON_GetArrayItem(trials, i);
        const char *id = cJSON_GetObjectItem(trial, "id")->valuestring;
        const cJSON *params = cJSON_GetObjectItem(trial, "params");
        double lambda = tu_json_number(params, "regularization.lambda");
        assert_true(lambda == (i < 2 ? 10 : i < 4 ? 100 : 1000));
        double lr = tu_json_number(params, "optimizer.lr");
        assert_true(lr >= 1e-7 && lr <= 1e-6);
        assert_non_null(strstr(line, id));
        snprintf(cmd, sizeof cmd, "%s/trial_config.json", line);
        cJSON *c = tu_load_json(cmd);
        assert_true(json_number(c, "optimizer.lr") == lr);
        cJSON_Delete(c);
        snprintf(cmd, sizeof cmd, "%s/summary.json", line);
        assert_false(access(cmd, F_OK) == 0); /* nothing ran */
    }
    assert_int_equal(i, 6);
    free(text);
    const char *third = cJSON_GetObjectItem(cJSON_GetArrayItem(trials, 2), "id")->valuestring;

    snprintf(cmd, sizeof cmd,
             "SLURM_ARRAY_TASK_ID=2 SLURM_CPUS_PER_TASK=1 bash '%s/sl/sweep.sbatch'",
             tu_tmp);
    if (tu_run(cmd, &text) != 0) {
        fail_msg("array task 2: %s", text);
    }
    free(text);
    assert_true(access(trial_file(path, sizeof path, "sl", third, "summary.json"), F_OK) == 0);
    snprintf(cmd, sizeof cmd, "scripts/leaderboard '%s/sl'", tu_tmp);
    assert_int_equal(tu_run(cmd, &text), 0);
    assert_non_null(strstr(text, "1 ok, 5 pending"));
    free(text);
    /* Asked again, the sweep writes an array of the 5 trials still to run. */
    sweep_ok("slurm.json", "sl", "--jobs 3 --slurm", &out);
    assert_non_null(strstr(out, "1 complete, 5 to run"));
    free(out);
    snprintf(path, sizeof path, "%s/sl/sweep.sbatch", tu_tmp);
    script = tu_read_file(path, NULL);
    assert_non_null(strstr(script, "\n#SBATCH --array=0-4%3\n"));
    free(script);
    cJSON_Delete(m);
}

/* The same spec and seed give the same trials; the draws follow their distributions:
 * half of log-uniform draws on [1e-6, 1e-2] fall below the geometric middle 1e-4, and
 * about 1% of uniform ones; integers and choices stay in their sets. */
static void test_draws(void **state)
{
    (void)state;
    tu_put("draws.json", "{\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-6, 1e-2]},\n"
                      "  \"regularization.lambda\": {\"uniform\": [0, 1e-2]},\n"
                      "  \"train.batch_size\": {\"int_uniform\": [1, 3]},\n"
                      "  \"model.loss\": {\"choice\": [\"svm\", \"softmax\"]}},\n"
                      " \"trials\": 400, \"seed\": 11}\n");
    sweep_ok("draws.json", "d1", "--slurm", NULL);
    sweep_ok("draws.json", "d2", "--slurm", NULL);
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/d1/sweep.json", tu_tmp);
    snprintf(b, sizeof b, "%s/d2/sweep.json", tu_tmp);
    cJSON *m1 = tu_load_json(a), *m2 = tu_load_json(b);
    cJSON *t1 = cJSON_GetObjectItem(m1, "trials"), *t2 = cJSON_GetObjectItem(m2, "trials");
    int n = cJSON_GetArraySize(t1);
    assert_int_equal(n, 400);
    int low_log = 0, low_uniform = 0, ints[4] = {0}, svm = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *p1 = cJSON_GetObjectItem(cJSON_GetArrayItem(t1, i), "params");
        const cJSON *p2 = cJSON_GetObjectItem(cJSON_GetArrayItem(t2, i), "params");
        assert_true(cJSON_Compare(p1, p2, 1));
        double lr = tu_json_number(p1, "optimizer.lr");
        double lambda = tu_json_number(p1, "regularization.lambda");
        double batch = tu_json_number(p1, "train.batch_size");
        const char *loss = cJSON_GetObjectItem(p1, "model.loss")->valuestring;
        assert_true(lr >= 1e-6 && lr <= 1e-2);
        assert_true(lambda >= 0 && lambda <= 1e-2);
        assert_true(batch == 1 || batch == 2 || batch == 3);
        assert_true(strcmp(loss, "svm") == 0 || strcmp(loss, "softmax") == 0);
        low_log += lr < 1e-4;
        low_uniform += lambda < 1e-4;
        ints[(int)batch]++;
        svm += strcmp(loss, "svm") == 0;
    }
    /* Binomial(400, p): sd 10 at p = 1/2, 9.4 at 1/3; sqrt(400 * 0.01) = 2 at 1%. */
    assert_true(abs(low_log - 200) < 40);
    assert_true(low_uniform < 15);
    for (int k = 1; k <= 3; k++) {
        assert_true(abs(ints[k] - 133) < 40);
    }
    assert_true(abs(svm - 200) < 40);
    cJSON_Delete(m1);
    cJSON_Delete(m2);
}

/* Each grid point has its own stream of draws: more trials and another grid value
 * keep every trial of the smaller sweep (same values, same folder). */
static void test_growing_sweep_keeps_trials(void **state)
{
    (void)state;
    tu_put("small.json", "{\"grid\": {\"regularization.lambda\": [10, 100]},\n"
                      " \"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-6]}},\n"
                      " \"trials\": 2}\n");
    tu_put("large.json", "{\"grid\": {\"regularization.lambda\": [10, 100, 1000]},\n"
                      " \"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-6]}},\n"
                      " \"trials\": 3}\n");
    sweep_ok("small.json", "g", "--slurm", NULL);
    char path[4096];
    snprintf(path, sizeof path, "%s/g/sweep.json", tu_tmp);
    cJSON *small = tu_load_json(path);
    char *out = NULL;
    sweep_ok("large.json", "g", "--slurm", &out);
    assert_non_null(strstr(out, "9 trials"));
    free(out);
    cJSON *large = tu_load_json(path);
    const cJSON *ts = cJSON_GetObjectItem(small, "trials");
    const cJSON *tl = cJSON_GetObjectItem(large, "trials");
    assert_int_equal(cJSON_GetArraySize(ts), 4);
    assert_int_equal(cJSON_GetArraySize(tl), 9);
    const cJSON *a;
    cJSON_ArrayForEach(a, ts)
    {
        int found = 0;
        const cJSON *b;
        cJSON_ArrayForEach(b, tl)
        {
            found += cJSON_Compare(a, b, 1);
        }
        assert_int_equal(found, 1);
    }
    cJSON_Delete(small);
    cJSON_Delete(large);
}

/* Spec and command-line errors exit 2 with one line naming the problem, and write no
 * sweep folder. */
static void test_spec_errors(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *expect;
    } cases[] = {
        {"{\"grd\": {\"optimizer.lr\": [1]}}", "did you mean \"grid\""},
        {"{\"grid\": {}}", "nothing to sweep"},
        {"{\"grid\": {\"optimizer.lr\": []}}", "grid.optimizer.lr: must be a non-empty list"},
        {"{\"random\": {\"optimizer.lr\": {\"log_uniform\": [0, 1]}}}", "lo must be > 0"},
        {"{\"random\": {\"optimizer.lr\": {\"log_unform\": [1, 2]}}}",
         "did you mean \"log_uniform\""},
        {"{\"random\": {\"train.epochs\": {\"int_uniform\": [1, 2.5]}}}", "two integers"},
        {"{\"random\": {\"optimizer.lr\": {\"uniform\": [2, 1]}}}", "above hi"},
        {"{\"grid\": {\"optimizer.lr\": [1]}, \"trials\": 3}", "need a random section"},
        {"{\"grid\": {\"output.dir\": [\"x\"]}}", "set by the sweep"},
        {"{\"grid\": {\"optimizer.lr\": [1]}, \"metric\": \"val_ac\"}", "did you mean \"val_acc\""},
        {"{\"grid\": {\"optimizer.lr\": [1]}, \"mode\": \"best\"}", "mode: must be"},
        /* The old name of the validation data loss: refused, with the new one. */
        {"{\"grid\": {\"optimizer.lr\": [1]}, \"metric\": \"val_loss\"}",
         "\"val_loss\" is now called \"val_data_loss\""},
        {"{\"grid\": {\"optimizer.lr\": [1], \"optimizer.lr\": [2]}}", "duplicate key"},
        {"{\"grid\": {\"optimizer.lr\": [1]},}", "invalid JSON at line 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_put("bad.json", cases[i].spec);
        char *out = NULL;
        int rc = sweep("bad.json", "bad", "--slurm", &out);
        if (rc != 2 || !strstr(out, cases[i].expect)) {
            fail_msg("spec %s: exit %d, output:\n%s\nexpected exit 2 and \"%s\"", cases[i].spec,
                     rc, out, cases[i].expect);
        }
        free(out);
        char path[4096];
        snprintf(path, sizeof path, "%s/bad", tu_tmp);
        assert_false(access(path, F_OK) == 0);
    }
    /* A key path through a value that is not a section: found before writing. */
    tu_put("bad.json", "{\"grid\": {\"data.dir.kind\": [1]}}");
    char *out = NULL;
    assert_int_equal(sweep("bad.json", "bad", "", &out), 2);
    assert_non_null(strstr(out, "data.dir is not a section"));
    free(out);
    char path[4096];
    snprintf(path, sizeof path, "%s/bad", tu_tmp);
    assert_false(access(path, F_OK) == 0);
    assert_int_equal(
        tu_run("scripts/sweep --config c.json --spec s.json --out o --jobs 0", &out), 2);
    assert_non_null(strstr(out, "--jobs"));
    free(out);
    assert_int_equal(tu_run("scripts/sweep --spec x.json", &out), 2);
    assert_non_null(strstr(out, "--config"));
    free(out);
    assert_int_equal(tu_run("scripts/leaderboard /nonexistent/sweep", &out), 2);
    assert_non_null(strstr(out, "sweep.json"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sweep),
        cmocka_unit_test(test_rerun_retrains_nothing),
        cmocka_unit_test(test_broken_trials),
        cmocka_unit_test(test_blown_up_trial_diverged),
        cmocka_unit_test(test_slurm_script),
        cmocka_unit_test(test_draws),
        cmocka_unit_test(test_growing_sweep_keeps_trials),
        cmocka_unit_test(test_spec_errors),
    };
    return cmocka_run_group_tests(tests, setup, tu_teardown_tmp);
}
