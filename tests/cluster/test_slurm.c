/* test_slurm.c — scripts/sweep --slurm --submit --wait on a real one-node Slurm cluster
 * (scripts/slurm_local.sh): a sweep on the committed sample whose array has one task
 * cancelled with scancel while its trial trains, then resubmitted; the leaderboard, the
 * resumed trial (the same weights.npy as a run never stopped), and the errors once the
 * cluster is down. The same for a TPE + ASHA sweep whose array tasks are Optuna
 * workers sharing one study: the cancelled trial is put back, the budget spent once.
 * `make test-slurm` runs it from the repository root, against
 * ./lintrain, with LINTRAIN_SLURM_DIR and LINTRAIN_SLURM_PORT naming the test's own
 * cluster; the setup starts the cluster, the last test stops it (and make stops it
 * whatever happens). Not part of make test: it needs Slurm and munge, and root. */
#include <dirent.h>
#include <setjmp.h>
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
#include <cmocka.h>

#include "testutil.h"

/* Epochs of every trial: 3 on the sample take 0.1 s, too short to cancel a task while
 * it trains; 150 take a few seconds. */
#define EPOCHS 150
#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)
#define TRIALS 4
/* The Optuna sweep's budget. */
#define OPT_TRIALS 6

static char cluster_dir[4096];

static void put(const char *name, const char *text)
{
    char *path = tu_join(tu_tmp, name);
    tu_write_file(path, text, strlen(text));
    free(path);
}

/* Runs scripts/slurm_local.sh CMD; its exit status (output in *out when out is given). */
static int slurm_local(const char *cmd, char **out)
{
    char *text = NULL;
    int rc = tu_runf(&text, "scripts/slurm_local.sh %s", cmd);
    if (out) {
        *out = text;
    } else {
        free(text);
    }
    return rc;
}

static int setup(void **state)
{
    tu_setup_tmp(state);
    const char *dir = getenv("LINTRAIN_SLURM_DIR");
    char cwd[2048];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(cluster_dir, sizeof cluster_dir, "%s", dir ? dir : "");
    if (!dir) {
        snprintf(cluster_dir, sizeof cluster_dir, "%s/build/test-slurm", cwd);
        setenv("LINTRAIN_SLURM_DIR", cluster_dir, 1);
    }
    char conf[4200];
    snprintf(conf, sizeof conf, "%s/slurm.conf", cluster_dir);
    setenv("SLURM_CONF", conf, 1);
    char *out = NULL;
    int rc = slurm_local("start", &out);
    if (rc != 0) {
        fprintf(stderr, "scripts/slurm_local.sh start exited %d:\n%s", rc, out);
    }
    free(out);
    const char *base = "{\"data\": {\"dir\": \"data/cifar-10-sample\", \"val_size\": 200},\n"
                       " \"train\": {\"epochs\": " TEXT(EPOCHS) ", \"batch_size\": 100, "
                       "\"log_every\": 0}}\n";
    put("base.json", base);
    put("spec.json", "{\"grid\": {\"optimizer.lr\": [1e-7, 1e-6],\n"
                     "          \"regularization.lambda\": [10, 1000]}}\n");
    /* ASHA's rungs at epochs 10, 30 and 90; TPE's first 3 trials random. */
    put("tpe.json", "{\"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-8, 3e-6]},\n"
                    "            \"regularization.lambda\": {\"log_uniform\": [1, 1e4]}},\n"
                    " \"trials\": " TEXT(OPT_TRIALS) ", \"seed\": 0, \"metric\": \"val_acc\",\n"
                    " \"sampler\": \"tpe\", \"sampler_args\": {\"n_startup_trials\": 3},\n"
                    " \"pruner\": \"asha\",\n"
                    " \"pruner_args\": {\"min_resource\": 10, \"reduction_factor\": 3}}\n");
    return rc == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    slurm_local("stop", NULL);
    return tu_teardown_tmp(state);
}

/* The sweep command on tu_tmp's base and tu_tmp/<spec> into tu_tmp/<out>, with extra
 * options. */
static void sweep_cmd(char *buf, size_t cap, const char *spec, const char *out,
                      const char *extra)
{
    snprintf(buf, cap, "scripts/sweep --config '%s/base.json' --spec '%s/%s' "
             "--out '%s/%s' %s", tu_tmp, tu_tmp, spec, tu_tmp, out, extra);
}

/* The trial folder that array task JOB_K runs, in buf; 0 when there is none (yet). */
typedef int (*trial_of_task)(long job, int k, char *buf, size_t cap);

/* Line k (0-based) of tu_tmp/sw/slurm_trials.txt, the trial of array task k, in buf. */
static int task_trial(long job, int k, char *buf, size_t cap)
{
    (void)job;
    char *path = tu_path_in("sw", "slurm_trials.txt");
    char *text = tu_read_file(path, NULL);
    free(path);
    int found = 0;
    char *line = text;
    for (int i = 0; text && line && *line; i++) {
        char *nl = strchr(line, '\n');
        if (i == k) {
            snprintf(buf, cap, "%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
            found = 1;
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return found;
}

/* Epoch lines in trial/metrics.jsonl (0 when there is none yet). */
static int epochs_done(const char *trial)
{
    char *path = tu_join(trial, "metrics.jsonl");
    char *text = tu_read_file(path, NULL);
    free(path);
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, "\"type\":\"epoch\"")) != NULL; p++) {
        n++;
    }
    free(text);
    return n;
}

static int exists(const char *dir, const char *file)
{
    char *path = tu_join(dir, file);
    struct stat st;
    int ok = stat(path, &st) == 0;
    free(path);
    return ok;
}

/* The trial that the Optuna worker of array task JOB_K runs now: the last one its log
 * tu_tmp/opt/slurm/JOB_K.out names as running, in buf (tu_tmp/opt/trials/ID). */
static int worker_trial(long job, int k, char *buf, size_t cap)
{
    char rel[128], mark[128];
    snprintf(rel, sizeof rel, "slurm/%ld_%d.out", job, k);
    snprintf(mark, sizeof mark, "  running (Slurm array task %ld_%d)\n", job, k);
    char *path = tu_path_in("opt", rel);
    char *text = tu_read_file(path, NULL);
    free(path);
    const char *last = NULL;
    for (const char *p = text; p && (p = strstr(p, mark)) != NULL; p++) {
        last = p;
    }
    int found = 0;
    if (last) {
        const char *id = last;
        while (id > text && id[-1] != '\n') {
            id--;
        }
        snprintf(buf, cap, "%s/opt/trials/%.*s", tu_tmp, (int)(last - id), id);
        found = 1;
    }
    free(text);
    return found;
}

/* Whether a trial at epoch e is safely mid-training: at least half its epochs to go,
 * and not within two epochs of one of ASHA's rungs (10, 30, 90), where a pruner may be
 * stopping it at this very moment (a trial pruned there looks like one training until
 * its worker records it). */
static int mid_training(int e)
{
    return e >= 2 && e <= EPOCHS / 2 && (e < 8 || e > 12) && (e < 28 || e > 32);
}

/* Waits for a running array task whose trial (found by trial_of) has checkpointed, is
 * mid-training (mid_training) and has run an epoch since the last look, and cancels it
 * with scancel. The trial's folder goes to trial; the task ("JOB_K") to task. Gives
 * up after two minutes. */
static void cancel_a_training_task(trial_of_task trial_of, char *trial, size_t cap, char *task,
                                   size_t task_cap)
{
    static char seen[8][4096]; /* the trials looked at, and their epochs then */
    int seen_epochs[8], n_seen = 0;
    for (int tries = 0; tries < 2400; tries++) {
        char *out = NULL;
        tu_runf(&out, "squeue -h -r -t RUNNING -o '%%F %%K' 2>/dev/null");
        long job = 0;
        int k = -1, used = 0;
        for (const char *p = out; p && sscanf(p, "%ld %d%n", &job, &k, &used) == 2; p += used) {
            if (!trial_of(job, k, trial, cap) || !exists(trial, "checkpoint.bin")
                || exists(trial, "summary.json") || exists(trial, "status.json")) {
                continue;
            }
            int e = epochs_done(trial), i = 0;
            while (i < n_seen && strcmp(seen[i], trial) != 0) {
                i++;
            }
            int moving = i < n_seen && e > seen_epochs[i];
            if (i == n_seen) {
                i = n_seen < 8 ? n_seen++ : 7;
                snprintf(seen[i], sizeof seen[i], "%s", trial);
            }
            seen_epochs[i] = e;
            if (moving && mid_training(e)) {
                snprintf(task, task_cap, "%ld_%d", job, k);
                free(out);
                assert_int_equal(tu_runf(NULL, "scancel %s", task), 0);
                return;
            }
        }
        free(out);
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fail_msg("no array task was seen training within two minutes");
}

/* The row of tu_tmp/<dir>/leaderboard.md for the trial (its folder's last part),
 * malloc'ed. */
static char *board_row(const char *dir, const char *trial)
{
    char *path = tu_path_in(dir, "leaderboard.md");
    char *text = tu_read_file(path, NULL);
    free(path);
    assert_non_null(text);
    char key[64];
    snprintf(key, sizeof key, "`%s`", strrchr(trial, '/') + 1);
    char *row = strstr(text, key);
    assert_non_null(row);
    char *end = strchr(row, '\n');
    char *copy = strndup(row, end ? (size_t)(end - row) : strlen(row));
    free(text);
    return copy;
}

static long long mtime_ns(const char *dir, const char *file)
{
    char *path = tu_join(dir, file);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    free(path);
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

/* The cancelled trial, resubmitted, went on from its checkpoint (its log shows
 * --resume). */
static void check_went_on(const char *trial, int epochs_before)
{
    char *log_path = tu_join(trial, "log.txt");
    char *log = tu_read_file(log_path, NULL);
    free(log_path);
    assert_non_null(log);
    assert_non_null(strstr(log, "--resume"));
    assert_null(strstr(log, "--force"));
    free(log);
    assert_true(epochs_before >= 1 && epochs_before < EPOCHS);
}

/* The cancelled trial, resubmitted and finished, ends with every epoch logged once, and
 * its weights are those of the same config trained here (into tu_tmp/<ref>) without a
 * stop. */
static void check_resumed(const char *trial, int epochs_before, const char *ref_dir)
{
    check_went_on(trial, epochs_before);
    assert_int_equal(epochs_done(trial), EPOCHS);
    assert_int_equal(tu_runf(NULL, "./lintrain --config '%s/trial_config.json' --out '%s/%s' "
                             "--quiet --set train.threads=1", trial, tu_tmp, ref_dir), 0);
    char *resumed = tu_join(trial, "weights.npy");
    char *ref = tu_path_in(ref_dir, "weights.npy");
    assert_true(tu_same_file(resumed, ref));
    free(resumed);
    free(ref);
}

/* Runs the sweep of tu_tmp/<spec> into tu_tmp/<dir> with --slurm --submit --wait and
 * extra options, cancelling one array task while its trial trains (its folder in trial,
 * see cancel_a_training_task). Returns the sweep's output (malloc'ed), which names the
 * cancelled task as having ended CANCELLED; its exit status goes to *rc. The trial's
 * row in the leaderboard says killed. */
static char *run_and_cancel(const char *spec, const char *dir, const char *extra,
                            trial_of_task trial_of, char *trial, size_t cap, int *rc)
{
    char cmd[8192], task[64], log[4200], redirect[4400];
    snprintf(log, sizeof log, "%s/%s.log", tu_tmp, dir);
    snprintf(redirect, sizeof redirect, "--slurm --submit --wait %s > '%s' 2>&1", extra, log);
    sweep_cmd(cmd, sizeof cmd, spec, dir, redirect);
    char full[8300];
    snprintf(full, sizeof full, "exec %s", cmd);
    int pid = tu_start(full);
    cancel_a_training_task(trial_of, trial, cap, task, sizeof task);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    char *out = tu_read_file(log, NULL);
    *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    char expect[256];
    snprintf(expect, sizeof expect, "killed        Slurm array task %s ended CANCELLED", task);
    if (!strstr(out, expect)) {
        fail_msg("\"%s\" not in the sweep's output:\n%s", expect, out);
    }
    char *row = board_row(dir, trial);
    assert_non_null(strstr(row, "| killed |"));
    free(row);
    /* lintrain got SIGTERM: it checkpointed and stopped before its last epoch. */
    assert_true(exists(trial, "checkpoint.bin"));
    assert_false(exists(trial, "summary.json"));
    return out;
}

/* The first submission, with one task cancelled while it trains: the sweep exits 0
 * and ranks the three others. */
static void submit_and_cancel(char *trial, size_t cap)
{
    int rc = 0;
    char *out = run_and_cancel("spec.json", "sw", "", task_trial, trial, cap, &rc);
    if (rc != 0) {
        fail_msg("the first sweep exited %d:\n%s", rc, out);
    }
    assert_non_null(strstr(out, "4 trials (1 killed, 3 ok)"));
    free(out);
}

/* 4 trials submitted and waited for; one task cancelled with scancel while its trial
 * trains: the sweep records it as killed and ranks the 3 others. Submitted again, only
 * that trial runs, from its checkpoint, and the leaderboard has 4 ok trials. */
static void test_cancel_and_resubmit(void **state)
{
    (void)state;
    static char trial[4096], others[TRIALS][4096];
    submit_and_cancel(trial, sizeof trial);
    int epochs_before = epochs_done(trial);
    long long mtimes[TRIALS];
    for (int k = 0; k < TRIALS; k++) {
        assert_true(task_trial(0, k, others[k], sizeof others[k]));
        mtimes[k] = strcmp(others[k], trial) ? mtime_ns(others[k], "summary.json") : 0;
    }

    char cmd[8192];
    sweep_cmd(cmd, sizeof cmd, "spec.json", "sw", "--slurm --submit --wait");
    char *again = NULL;
    int rc = tu_run(cmd, &again);
    if (rc != 0) {
        fail_msg("the resubmitted sweep exited %d:\n%s", rc, again);
    }
    assert_non_null(strstr(again, "3 complete, 1 to run"));
    assert_non_null(strstr(again, "(1 trial)"));
    assert_non_null(strstr(again, "4 trials (4 ok)"));
    free(again);
    check_resumed(trial, epochs_before, "ref");
    int unchanged = 0;   /* the three finished trials were not run again */
    for (int k = 0; k < TRIALS; k++) {
        if (mtimes[k] != 0) {
            assert_true(mtime_ns(others[k], "summary.json") == mtimes[k]);
            unchanged++;
        }
    }
    assert_int_equal(unchanged, TRIALS - 1);
}

/* ---- an Optuna sweep: an array of workers on one study ------------------------------- */

typedef tu_board_row board_line;

/* tu_read_board, failing the test unless the board has n rows. */
static void read_board(const char *dir, board_line *rows, int n)
{
    assert_int_equal(tu_read_board(dir, rows, n), n);
}

/* The final leaderboard of the Optuna sweep: the whole budget, each trial ok or pruned,
 * the ok ones first by val_acc, then the pruned ones, latest pruned first, each cut
 * short at an ASHA rung. Returns how many trials are ok. */
static int check_optuna_board(board_line *rows)
{
    read_board("opt", rows, OPT_TRIALS);
    int ok = 0;
    for (int i = 0; i < OPT_TRIALS; i++) {
        if (strcmp(rows[i].status, "ok") == 0) {
            assert_int_equal(ok, i); /* no pruned trial above an ok one */
            assert_int_equal(rows[i].epochs, EPOCHS);
            assert_true(i == 0 || rows[i].val_acc <= rows[i - 1].val_acc);
            ok++;
            continue;
        }
        assert_string_equal(rows[i].status, "pruned");
        assert_true(rows[i].epochs == 10 || rows[i].epochs == 30 || rows[i].epochs == 90);
        assert_true(i == ok || rows[i].epochs <= rows[i - 1].epochs);
    }
    return ok;
}

/* The status.json of every trial of the first run but the cancelled one (in order of
 * the leaderboard rows), by modification time. */
static void result_times(const board_line *rows, int n, const char *cancelled, long long *t)
{
    for (int i = 0; i < n; i++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/opt/trials/%s", tu_tmp, rows[i].trial);
        t[i] = strcmp(dir, cancelled) ? mtime_ns(dir, "status.json") : 0;
    }
}

/* A TPE + ASHA sweep of 6 trials through an array of 2 workers that share the study in
 * the sweep folder; one task cancelled while its trial trains: that trial is recorded as
 * killed, the others as the pruner decided. Submitted again, the array has 1 worker for
 * the 1 trial left, which goes on from its checkpoint; no other trial runs again, none
 * is drawn anew, and the leaderboard holds the budget, ranked. */
static void test_optuna_cancel_and_resubmit(void **state)
{
    (void)state;
    static char trial[4096];
    board_line first[OPT_TRIALS], last[OPT_TRIALS];
    int rc = 0;
    char *out = run_and_cancel("tpe.json", "opt", "--jobs 2", worker_trial, trial,
                               sizeof trial, &rc);
    if (rc != 0 && rc != 1) { /* 1: ASHA may have stopped every trial but the cancelled one */
        fail_msg("the first sweep exited %d:\n%s", rc, out);
    }
    assert_non_null(strstr(out, "(2 workers for " TEXT(OPT_TRIALS) " trials)"));
    assert_non_null(strstr(out, TEXT(OPT_TRIALS) " trials (1 killed, "));
    free(out);
    int epochs_before = epochs_done(trial);
    read_board("opt", first, OPT_TRIALS);
    long long times[OPT_TRIALS];
    result_times(first, OPT_TRIALS, trial, times);

    char cmd[8192];
    sweep_cmd(cmd, sizeof cmd, "tpe.json", "opt", "--slurm --submit --wait --jobs 2");
    char *again = NULL;
    rc = tu_run(cmd, &again);
    if (rc != 0) {
        fail_msg("the resubmitted sweep exited %d:\n%s", rc, again);
    }
    assert_non_null(strstr(again, "5 complete, 1 to run"));
    assert_non_null(strstr(again, "(1 worker for 1 trial)"));
    free(again);
    check_went_on(trial, epochs_before);
    assert_true(check_optuna_board(last) >= 1);
    char *row = board_row("opt", trial);
    if (strstr(row, "| ok |")) {
        check_resumed(trial, epochs_before, "ref_opt");
    }
    free(row);
    for (int i = 0; i < OPT_TRIALS; i++) { /* the same trials, none run again */
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/opt/trials/%s", tu_tmp, first[i].trial);
        assert_true(times[i] == 0 || mtime_ns(dir, "status.json") == times[i]);
        int found = 0;
        for (int j = 0; j < OPT_TRIALS; j++) {
            found += strcmp(last[j].trial, first[i].trial) == 0;
        }
        assert_int_equal(found, 1);
    }
}

/* How many processes (this one left out) hold text in /proc/PID/<file> (cmdline or
 * environ: NUL-separated strings). */
static int processes_with(const char *file, const char *text)
{
    DIR *proc = opendir("/proc");
    assert_non_null(proc);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == (long)getpid()) {
            continue;
        }
        char path[300];
        snprintf(path, sizeof path, "/proc/%ld/%s", pid, file);
        size_t len = 0;
        char *data = tu_read_file(path, &len);
        for (size_t i = 0; data && i < len; i++) {
            data[i] = data[i] ? data[i] : '\n';
        }
        n += data && strstr(data, text);
        free(data);
    }
    closedir(proc);
    return n;
}

/* Once the cluster is stopped: nothing of it runs, and --submit fails (exit 1) saying
 * how to start one, before writing anything. */
static void test_cluster_down(void **state)
{
    (void)state;
    char text[4300];
    snprintf(text, sizeof text, "LINTRAIN_SLURM_CLUSTER=%s\n", cluster_dir);
    assert_true(processes_with("environ", text) >= 3);   /* munged, slurmctld, slurmd */
    char *out = NULL;
    assert_int_equal(slurm_local("stop", &out), 0);
    free(out);
    assert_int_equal(slurm_local("status", &out), 3);
    assert_non_null(strstr(out, "slurmctld not running"));
    assert_null(strstr(out, "still running"));
    free(out);
    /* No daemon (their command lines name the key or slurm.conf) and no slurmstepd
     * (it has the daemons' environment, marked with the cluster's folder). */
    snprintf(text, sizeof text, "%s/slurm.conf", cluster_dir);
    assert_int_equal(processes_with("cmdline", text), 0);
    snprintf(text, sizeof text, "%s/munge/munge.key", cluster_dir);
    assert_int_equal(processes_with("cmdline", text), 0);
    snprintf(text, sizeof text, "LINTRAIN_SLURM_CLUSTER=%s\n", cluster_dir);
    assert_int_equal(processes_with("environ", text), 0);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "scripts/sweep --config '%s/base.json' --spec '%s/spec.json' "
             "--out '%s/down' --slurm --submit --wait", tu_tmp, tu_tmp, tu_tmp);
    assert_int_equal(tu_run(cmd, &out), 1);
    assert_non_null(strstr(out, "no Slurm cluster answers"));
    assert_non_null(strstr(out, "scripts/slurm_local.sh start"));
    free(out);
    char *down = tu_path_in("down", NULL);
    struct stat st;
    assert_int_not_equal(stat(down, &st), 0);
    free(down);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_and_resubmit),
        cmocka_unit_test(test_optuna_cancel_and_resubmit),
        cmocka_unit_test(test_cluster_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
