/* test_sweep_optuna.c — scripts/sweep with Optuna's samplers and pruners, end to end on
 * the committed sample: a TPE + ASHA sweep against the random sweep of the same space
 * (pruned trials, epochs saved, best validation accuracy), pruned trials in status.json
 * and the leaderboard, a pruned trial's folder resumed by lintrain, a pruner on a random
 * spec (the same trials), --storage, Ctrl-C and a rerun, the spec's errors, and the
 * Slurm array of workers that --slurm writes (its tasks run by hand, as Slurm would).
 * One worker (--jobs 1) where decisions must repeat: the pruner then sees the trials in
 * one order. Runs from the repository root (make test does), against ./lintrain. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"

/* The sample, 8 epochs of 100-image batches, 200 validation images. */
static int setup(void **state)
{
    tu_setup_tmp(state);
    const char *base = "{\"data\": {\"dir\": \"data/cifar-10-sample\", \"val_size\": 200},\n"
                       " \"train\": {\"epochs\": 8, \"batch_size\": 100, \"log_every\": 0}}\n";
    tu_put("base.json", base);
    return 0;
}

/* Writes tu_tmp/<name>: the spec {body extra}. */
static void put_spec(const char *name, const char *body, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text, "{%s%s}\n", body, extra);
    tu_put(name, text);
}

/* The command line of a sweep of tu_tmp/<base>, tu_tmp/<spec> into tu_tmp/<out>. */
static void sweep_cmd(char *buf, size_t cap, const char *base, const char *spec, const char *out,
                      const char *extra)
{
    snprintf(buf, cap, "scripts/sweep --config '%s/%s' --spec '%s/%s' --out '%s/%s' %s", tu_tmp,
             base, tu_tmp, spec, tu_tmp, out, extra);
}

/* Runs the sweep; fails the test unless it exits with want. The output, in *output. */
static void run_sweep(const char *spec, const char *out, const char *extra, int want,
                      char **output)
{
    char cmd[8192], *text = NULL;
    sweep_cmd(cmd, sizeof cmd, "base.json", spec, out, extra);
    int rc = tu_run(cmd, &text);
    if (rc != want) {
        fail_msg("%s: exit %d, not %d:\n%s", cmd, rc, want, text);
    }
    if (output) {
        *output = text;
    } else {
        free(text);
    }
}

/* ---- the leaderboard, as the tests need it ---------------------------------------------- */

#define MAX_TRIALS 32

typedef tu_board_row lb_row;

/* The rows of tu_tmp/<dir>/leaderboard.csv, in rank order; returns their number. */
static int read_leaderboard(const char *dir, lb_row *rows)
{
    return tu_read_board(dir, rows, MAX_TRIALS);
}

/* tu_load_json of tu_tmp/<dir>/trials/<trial>/<file>. */
static cJSON *trial_json(const char *dir, const char *trial, const char *file)
{
    char rel[512];
    snprintf(rel, sizeof rel, "trials/%s/%s", trial, file);
    return tu_load_json_in(dir, rel);
}

static long long mtime_ns(const char *dir, const char *trial, const char *file)
{
    char rel[512];
    snprintf(rel, sizeof rel, "trials/%s/%s", trial, file);
    char *path = tu_path_in(dir, rel);
    struct stat st;
    if (stat(path, &st) != 0) {
        fail_msg("%s: missing", path);
    }
    free(path);
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

/* val_acc of the epoch line of epoch e in the trial's metrics.jsonl (NAN if none). */
static double epoch_val_acc(const char *dir, const char *trial, int e)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/trials/%s", dir, trial);
    int n = 0;
    cJSON **lines = tu_metrics_lines(rel, &n);
    double v = NAN;
    for (int i = 0; i < n; i++) {
        const cJSON *type = cJSON_GetObjectItem(lines[i], "type");
        if (strcmp(type->valuestring, "epoch") == 0 && tu_json_number(lines[i], "epoch") == e) {
            v = tu_json_number(lines[i], "val_acc");
        }
    }
    tu_free_lines(lines);
    return v;
}

static double best_ok(const lb_row *rows, int n)
{
    double best = -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(rows[i].status, "ok") == 0 && rows[i].val_acc > best) {
            best = rows[i].val_acc;
        }
    }
    return best;
}

/* ---- the tests ------------------------------------------------------------------------- */

#define SPACE                                                          \
    "\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-8, 1e-3]},\n" \
    "           \"regularization.lambda\": {\"log_uniform\": [1, 1e4]}},\n"

static const char TPE_SPEC[] =
    "{" SPACE " \"trials\": 8, \"seed\": 0, \"sampler\": \"tpe\",\n"
    " \"sampler_args\": {\"n_startup_trials\": 3},\n"
    " \"pruner\": \"asha\", \"pruner_args\": {\"min_resource\": 1, \"reduction_factor\": 3}}\n";
static const char RANDOM_SPEC[] = "{" SPACE " \"trials\": 8, \"seed\": 0}\n";

/* A pruned row: status.json says pruned at the row's epoch with the row's val_acc, which
 * is the val_acc of that epoch's line in metrics.jsonl; lintrain ran at least that far,
 * not to the end; returns the epochs it ran. */
static int check_pruned(const char *dir, const lb_row *r)
{
    cJSON *st = trial_json(dir, r->trial, "status.json");
    assert_string_equal(cJSON_GetObjectItem(st, "status")->valuestring, "pruned");
    assert_int_equal((int)tu_json_number(st, "epoch"), r->epochs);
    assert_true(tu_json_number(st, "value") == r->val_acc);
    assert_true(epoch_val_acc(dir, r->trial, r->epochs) == r->val_acc);
    assert_int_equal((int)tu_json_number(st, "exit"), 143); /* stopped by SIGTERM */
    int run = (int)tu_json_number(st, "epochs_run");
    assert_true(run >= r->epochs && run < 8);
    cJSON_Delete(st);
    return run;
}

/* Running the sweep again runs nothing; a pruned trial's folder is an interrupted
 * lintrain run that --resume finishes. */
static void check_rerun_and_resume(void)
{
    lb_row t[MAX_TRIALS];
    int n = read_leaderboard("tpe", t);
    long long before[MAX_TRIALS];
    for (int i = 0; i < n; i++) {
        before[i] = mtime_ns("tpe", t[i].trial, "metrics.jsonl");
    }
    char *out = NULL;
    run_sweep("tpe.json", "tpe", "--jobs 1", 0, &out);
    assert_non_null(strstr(out, "nothing to run"));
    free(out);
    for (int i = 0; i < n; i++) {
        assert_true(mtime_ns("tpe", t[i].trial, "metrics.jsonl") == before[i]);
    }
    const lb_row *p = &t[n - 1];
    assert_string_equal(p->status, "pruned");
    char *dir = tu_path_in("tpe", "trials");
    assert_int_equal(tu_runf(&out, "./lintrain --resume '%s/%s' --quiet", dir, p->trial), 0);
    free(out);
    free(dir);
    cJSON *s = trial_json("tpe", p->trial, "summary.json");
    assert_int_equal((int)tu_json_number(s, "epochs"), 8);
    cJSON_Delete(s);
}

/* TPE + ASHA prunes, runs at most 70% of the epochs and finds a validation accuracy no
 * worse than the random sweep's over the same space with every epoch. The leaderboard
 * ranks the ok trials, then the pruned ones by the epoch they reached. */
static void test_tpe_asha_against_random(void **state)
{
    (void)state;
    tu_put("tpe.json", TPE_SPEC);
    tu_put("random.json", RANDOM_SPEC);
    run_sweep("tpe.json", "tpe", "--jobs 1", 0, NULL);
    run_sweep("random.json", "rnd", "--jobs 1", 0, NULL);
    lb_row t[MAX_TRIALS], r[MAX_TRIALS];
    int nt = read_leaderboard("tpe", t), nr = read_leaderboard("rnd", r);
    assert_int_equal(nt, 8);
    assert_int_equal(nr, 8);
    int pruned = 0, epochs = 0;
    for (int i = 0; i < nt; i++) {
        if (strcmp(t[i].status, "ok") == 0) {
            assert_int_equal(pruned, 0); /* every ok row comes first */
            assert_int_equal(t[i].epochs, 8);
            epochs += 8;
            continue;
        }
        assert_string_equal(t[i].status, "pruned");
        if (pruned++ > 0) {
            assert_true(t[i - 1].epochs >= t[i].epochs);
        }
        epochs += check_pruned("tpe", &t[i]);
    }
    assert_true(pruned >= 1);
    assert_true(epochs <= 0.7 * 8 * 8);
    assert_true(best_ok(t, nt) >= best_ok(r, nr));
    print_message("tpe+asha: %d pruned, %d of 64 epochs, best val_acc %.3f; random %.3f\n",
                  pruned, epochs, best_ok(t, nt), best_ok(r, nr));
    check_rerun_and_resume();
}

/* The trials of tu_tmp/<dir>/sweep.json (a cJSON array, owned by *manifest). */
static const cJSON *manifest_trials(const char *dir, cJSON **manifest)
{
    *manifest = tu_load_json_in(dir, "sweep.json");
    const cJSON *trials = cJSON_GetObjectItem(*manifest, "trials");
    assert_non_null(trials);
    return trials;
}

/* "sampler": "random" and "grid" name what specs without a sampler do: the same trials
 * (ids and values). A pruner on a random spec runs those same trials, each reporting to
 * the study, two workers at a time; every trial ends ok or pruned. */
static void test_pruner_keeps_random_trials(void **state)
{
    (void)state;
    const char *body = "\"grid\": {\"regularization.lambda\": [10, 1000]},\n"
                       " \"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-8, 1e-3]}},\n"
                       " \"trials\": 3, \"seed\": 5";
    put_spec("plain.json", body, "");
    put_spec("named.json", body, ", \"sampler\": \"random\"");
    put_spec("median.json", body, ", \"pruner\": \"median\", \"pruner_args\": "
                                  "{\"n_startup_trials\": 2}");
    run_sweep("plain.json", "plain", "--slurm", 0, NULL);
    run_sweep("named.json", "named", "--slurm", 0, NULL);
    run_sweep("median.json", "median", "--jobs 2", 0, NULL);
    cJSON *a, *b, *c;
    const cJSON *ta = manifest_trials("plain", &a), *tb = manifest_trials("named", &b);
    const cJSON *tc = manifest_trials("median", &c);
    assert_int_equal(cJSON_GetArraySize(ta), 6);
    assert_true(cJSON_Compare(ta, tb, 1));
    assert_true(cJSON_Compare(ta, tc, 1));
    const cJSON *t;
    cJSON_ArrayForEach(t, tc)
    {
        cJSON *st = trial_json("median", cJSON_GetObjectItem(t, "id")->valuestring,
                               "status.json");
        const char *s = cJSON_GetObjectItem(st, "status")->valuestring;
        assert_true(strcmp(s, "ok") == 0 || strcmp(s, "pruned") == 0);
        cJSON_Delete(st);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    tu_put("grid.json", "{\"grid\": {\"optimizer.lr\": [1e-7, 1e-6]}, \"sampler\": \"grid\"}\n");
    tu_put("grid0.json", "{\"grid\": {\"optimizer.lr\": [1e-7, 1e-6]}}\n");
    run_sweep("grid.json", "grid", "--slurm", 0, NULL);
    run_sweep("grid0.json", "grid0", "--slurm", 0, NULL);
    ta = manifest_trials("grid", &a);
    tb = manifest_trials("grid0", &b);
    assert_true(cJSON_Compare(ta, tb, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* --storage puts the study in a database (SQLite here) instead of study.journal; the
 * same command again finds every result there. */
static void test_storage_url(void **state)
{
    (void)state;
    tu_put("small.json", "{\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-5]}},\n"
                      " \"trials\": 3, \"sampler\": \"tpe\"}\n");
    char extra[4096], *out = NULL;
    snprintf(extra, sizeof extra, "--jobs 1 --storage 'sqlite:///%s/study.db'", tu_tmp);
    run_sweep("small.json", "db", extra, 0, NULL);
    assert_true(tu_exists_in("study.db", NULL));
    assert_false(tu_exists_in("db", "study.journal"));
    lb_row t[MAX_TRIALS];
    assert_int_equal(read_leaderboard("db", t), 3);
    run_sweep("small.json", "db", extra, 0, &out);
    assert_non_null(strstr(out, "nothing to run"));
    free(out);
}

/* Starts `sh -c cmd` as the leader of a process group of its own, as a shell starts a
 * job; returns its pid (the group's id). */
static pid_t start_job(const char *cmd)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        /* A shell that starts a job in the background (CI's `make test &`) leaves SIGINT
         * ignored, and an ignored SIGINT stays ignored through exec: the sweep would
         * never see the Ctrl-C this test sends. */
        signal(SIGINT, SIG_DFL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

/* The trials of tu_tmp/<dir>/sweep.json whose summary.json says ok, into ids (their
 * number returned), with weights.npy's modification time in mtimes. */
static int finished(const char *dir, char ids[][32], long long *mtimes)
{
    if (!tu_exists_in(dir, "sweep.json")) {
        return 0;
    }
    cJSON *m;
    const cJSON *trials = manifest_trials(dir, &m), *t;
    int n = 0;
    cJSON_ArrayForEach(t, trials)
    {
        const char *id = cJSON_GetObjectItem(t, "id")->valuestring;
        char rel[512];
        snprintf(rel, sizeof rel, "trials/%s/summary.json", id);
        if (n < MAX_TRIALS && tu_exists_in(dir, rel)) {
            snprintf(ids[n], 32, "%s", id);
            mtimes[n++] = mtime_ns(dir, id, "weights.npy");
        }
    }
    cJSON_Delete(m);
    return n;
}

/* A sweep stopped by Ctrl-C (SIGINT to its process group) while a trial runs, and run
 * again: it finishes every trial and trains none that had finished. */
static void interrupt_and_rerun(const char *spec, const char *dir, int n_trials)
{
    char cmd[8192], run[8300], ids[MAX_TRIALS][32];
    long long mtimes[MAX_TRIALS];
    sweep_cmd(cmd, sizeof cmd, "base40.json", spec, dir, "--jobs 1");
    snprintf(run, sizeof run, "exec %s >/dev/null 2>&1", cmd);
    pid_t pid = start_job(run);
    int done = 0;
    for (int i = 0; i < 1200 && done == 0; i++) { /* up to 2 minutes */
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        done = finished(dir, ids, mtimes);
    }
    assert_true(done >= 1);
    struct timespec ts = {0, 500000000}; /* into the next trial */
    nanosleep(&ts, NULL);
    done = finished(dir, ids, mtimes);
    assert_int_equal(kill(-pid, SIGINT), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(done < n_trials);
    char *out = NULL;
    assert_int_equal(tu_run(cmd, &out), 0);
    free(out);
    lb_row rows[MAX_TRIALS];
    int n = read_leaderboard(dir, rows);
    assert_int_equal(n, n_trials);
    for (int i = 0; i < n; i++) {
        assert_string_equal(rows[i].status, "ok");
    }
    for (int i = 0; i < done; i++) {
        if (mtime_ns(dir, ids[i], "weights.npy") != mtimes[i]) {
            fail_msg("%s: trial %s had finished, and was trained again", dir, ids[i]);
        }
    }
}

static void test_ctrl_c_then_rerun(void **state)
{
    (void)state;
    tu_put("base40.json", "{\"data\": {\"dir\": \"data/cifar-10-sample\", \"val_size\": 200},\n"
                       " \"train\": {\"epochs\": 40, \"batch_size\": 100, \"log_every\": 0}}\n");
    const char *space = "\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-5]}}, "
                        "\"trials\": 3, \"seed\": 1";
    put_spec("c_random.json", space, "");
    put_spec("c_tpe.json", space, ", \"sampler\": \"tpe\"");
    interrupt_and_rerun("c_random.json", "c_parallel", 3); /* GNU parallel */
    interrupt_and_rerun("c_tpe.json", "c_optuna", 3);      /* Optuna's workers */
}

/* Errors in the Optuna keys exit 2 with one line naming the problem, and write no
 * sweep folder. */
static void test_optuna_spec_errors(void **state)
{
    (void)state;
#define LR "\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-5]}}, "
    static const struct {
        const char *spec, *expect;
    } cases[] = {
        {"{" LR "\"sampler\": \"tp\"}", "did you mean \"tpe\""},
        {"{" LR "\"pruner\": \"ash\"}", "did you mean \"asha\""},
        {"{" LR "\"pruner\": \"asha\", \"pruner_args\": {\"reduction\": 3}}",
         "unknown argument \"reduction\" of SuccessiveHalvingPruner (did you mean "
         "\"reduction_factor\"?)"},
        {"{" LR "\"pruner\": \"median\", \"pruner_args\": {\"n_startup_trials\": -1}}",
         "MedianPruner"},
        {"{" LR "\"sampler\": \"tpe\", \"sampler_args\": {\"seed\": 3}}", "unknown argument"},
        {"{" LR "\"sampler_args\": {\"n_startup_trials\": 3}}", "only for \"sampler\": \"tpe\""},
        {"{" LR "\"pruner_args\": {\"min_resource\": 1}}", "no pruner"},
        {"{" LR "\"sampler\": \"grid\"}", "sampler grid"},
        {"{\"grid\": {\"optimizer.lr\": [1e-7]}, \"sampler\": \"tpe\"}", "needs a random section"},
        {"{" LR "\"grid\": {\"regularization.lambda\": [1, 2]}, \"sampler\": \"tpe\"}",
         "pinned values"},
        {"{" LR "\"pruner\": \"median\", \"metric\": \"test_acc\"}", "epoch lines"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_put("bad.json", cases[i].spec);
        char cmd[8192], *out = NULL;
        sweep_cmd(cmd, sizeof cmd, "base.json", "bad.json", "bad", "");
        int rc = tu_run(cmd, &out);
        if (rc != 2 || !strstr(out, cases[i].expect)) {
            fail_msg("spec %s: exit %d, output:\n%s\nexpected exit 2 and \"%s\"", cases[i].spec,
                     rc, out, cases[i].expect);
        }
        free(out);
        assert_false(tu_exists_in("bad", NULL));
    }
#undef LR
}

/* tu_tmp/<dir>/sweep.sbatch holds text. */
static int sbatch_has(const char *dir, const char *text)
{
    char *path = tu_path_in(dir, "sweep.sbatch");
    char *script = tu_read_file(path, NULL);
    free(path);
    int has = script && strstr(script, text);
    free(script);
    return has;
}

/* The Optuna specs of configs/sweeps/ pass the spec's checks, and --slurm writes for
 * each an array of 4 workers (the default) on the study in the sweep folder; TPE has
 * drawn nothing yet. */
static void test_shipped_specs(void **state)
{
    (void)state;
    static const char *const specs[] = {"cs231n_softmax_tpe.json", "softmax_5k_tpe_asha.json"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char *out = NULL, dir[64], spec[4096];
        snprintf(dir, sizeof dir, "shipped%zu", i);
        snprintf(spec, sizeof spec, "configs/sweeps/%s", specs[i]);
        tu_spec_for_sample(spec, sizeof spec); /* the full set may be absent */
        int rc = tu_runf(&out,
                         "scripts/sweep --config configs/softmax_sgd.json --spec %s --out "
                         "'%s/%s' --slurm --set data.dir=data/cifar-10-sample "
                         "--set data.val_size=200",
                         spec, tu_tmp, dir);
        if (rc != 0 || !strstr(out, "a job array of 4 workers")) {
            fail_msg("%s: exit %d:\n%s", specs[i], rc, out);
        }
        free(out);
        assert_true(sbatch_has(dir, "#SBATCH --array=0-3\n"));
        assert_true(sbatch_has(dir, "/scripts/sweep --worker "));
        assert_true(tu_exists_in(dir, "study.journal"));
        cJSON *m;
        assert_int_equal(cJSON_GetArraySize(manifest_trials(dir, &m)), 0);
        cJSON_Delete(m);
    }
}

/* Runs array task k of tu_tmp/<dir>/sweep.sbatch as Slurm would (of job 7), in the
 * background; returns its pid. */
static pid_t start_task(const char *dir, int k)
{
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "SLURM_ARRAY_JOB_ID=7 SLURM_ARRAY_TASK_ID=%d exec bash "
             "'%s/%s/sweep.sbatch' > '%s/%s/task%d.out' 2>&1", k, tu_tmp, dir, tu_tmp, dir, k);
    return tu_start(cmd);
}

/* --slurm with an Optuna spec writes an array of workers: --jobs of them, fewer when
 * fewer trials are left (3 for a TPE budget of 3), --storage passed on; a pruner on a
 * random spec queues its trials. The 3 tasks, run by hand at once, share the study: they
 * spend the budget once, each trial ok or pruned, and --slurm again has nothing to
 * submit. */
static void test_slurm_array_of_workers(void **state)
{
    (void)state;
    tu_put("w_tpe.json", "{\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-5]}},\n"
                      " \"trials\": 3, \"sampler\": \"tpe\", \"pruner\": \"median\"}\n");
    tu_put("w_median.json", "{\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-5]}},\n"
                         " \"trials\": 6, \"pruner\": \"median\"}\n");
    char *out = NULL, extra[4200];
    run_sweep("w_median.json", "w_median", "--slurm", 0, &out);
    assert_non_null(strstr(out, "6 trials queued, 6 to run"));
    free(out);
    assert_true(sbatch_has("w_median", "#SBATCH --array=0-3\n"));
    snprintf(extra, sizeof extra, "--slurm --jobs 2 --storage 'sqlite:///%s/w.db'", tu_tmp);
    run_sweep("w_tpe.json", "w_db", extra, 0, NULL);
    assert_true(sbatch_has("w_db", "#SBATCH --array=0-1\n"));
    assert_true(sbatch_has("w_db", " --storage sqlite:///"));
    run_sweep("w_tpe.json", "w", "--slurm --jobs 5", 0, NULL);
    assert_true(sbatch_has("w", "#SBATCH --array=0-2\n"));
    pid_t pids[3];
    for (int k = 0; k < 3; k++) {
        pids[k] = start_task("w", k);
    }
    int taken = 0; /* trials the tasks took: each once */
    for (int k = 0; k < 3; k++) {
        int status;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        char rel[32], mark[64];
        snprintf(rel, sizeof rel, "task%d.out", k);
        snprintf(mark, sizeof mark, "  running (Slurm array task 7_%d)\n", k);
        char *path = tu_path_in("w", rel), *text = tu_read_file(path, NULL);
        for (const char *p = text; p && (p = strstr(p, mark)) != NULL; p++) {
            taken++;
        }
        free(path);
        free(text);
    }
    assert_int_equal(taken, 3);
    assert_int_equal(tu_runf(&out, "scripts/leaderboard '%s/w'", tu_tmp), 0);
    free(out);
    lb_row rows[MAX_TRIALS];
    assert_int_equal(read_leaderboard("w", rows), 3);
    for (int i = 0; i < 3; i++) {
        assert_true(strcmp(rows[i].status, "ok") == 0 || strcmp(rows[i].status, "pruned") == 0);
    }
    run_sweep("w_tpe.json", "w", "--slurm", 0, &out);
    assert_non_null(strstr(out, "nothing to submit"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optuna_spec_errors),
        cmocka_unit_test(test_shipped_specs),
        cmocka_unit_test(test_slurm_array_of_workers),
        cmocka_unit_test(test_tpe_asha_against_random),
        cmocka_unit_test(test_pruner_keeps_random_trials),
        cmocka_unit_test(test_storage_url),
        cmocka_unit_test(test_ctrl_c_then_rerun),
    };
    return cmocka_run_group_tests(tests, setup, tu_teardown_tmp);
}
