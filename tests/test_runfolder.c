/* test_runfolder.c — a run folder is never silently replaced, and has one writer at a
 * time; end to end against ./lintrain on the committed sample:
 *   - training into a folder holding a finished run is refused (exit 2) without a byte
 *     changed, naming --force and a free folder; --force leaves no stale file of the
 *     old run and keeps (and names) the user's;
 *   - an interrupted run is offered --resume, with the epoch its checkpoint reached;
 *   - a second writer (train, --force, --resume, eval, plot) exits 1 naming the PID of
 *     the first; predict reads meanwhile; a SIGKILLed holder leaves no stale lock;
 *   - --resume on a folder with no run says so.
 * Runs from the repository root (make test does). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lintrain/checkpoint.h"
#include "lintrain/train.h"
#include "testutil.h"

/* 1800 training records in 18 batches, a few milliseconds an epoch. */
#define BASE "--config configs/quickstart.json --quiet --set train.threads=1"

/* ./lintrain ARGS with the run folder tu_tmp/dir. */
static int train(const char *dir, const char *args, char **output)
{
    return tu_runf(output, "./lintrain --out '%s/%s' %s", tu_tmp, dir, args);
}

/* Starts ./lintrain ARGS into tu_tmp/dir in the background; its pid (exec: the same). */
static pid_t start(const char *dir, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "exec ./lintrain --out '%s/%s' %s >/dev/null 2>&1", tu_tmp, dir,
             args);
    return (pid_t)tu_start(cmd);
}

/* Waits until tu_tmp/dir/metrics.jsonl shows n epoch lines (the run is under way). */
static void wait_epochs(pid_t pid, const char *dir, int n)
{
    const struct timespec pause = {0, 2000000};
    for (;;) {
        int status;
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* still running */
        char *p = tu_path_in(dir, "metrics.jsonl");
        char *text = tu_read_file(p, NULL);
        free(p);
        int lines = 0;
        for (const char *s = text; s && (s = strstr(s, "\"type\":\"epoch\"")); s++) {
            lines++;
        }
        free(text);
        if (lines >= n) {
            return;
        }
        nanosleep(&pause, NULL);
    }
}

static int kill_and_wait(pid_t pid, int sig)
{
    int status;
    assert_int_equal(kill(pid, sig), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* ---- a snapshot of a folder: every file's bytes and modification time ---------------- */

enum { MAX_FILES = 32 };
typedef struct {
    size_t n;
    char name[MAX_FILES][256];
    char *bytes[MAX_FILES];
    size_t size[MAX_FILES];
    struct timespec mtime[MAX_FILES];
} snapshot;

/* All files of tu_tmp/dir but .lock (which a refused writer opens to lock). */
static void snap(const char *dir, snapshot *s)
{
    memset(s, 0, sizeof *s);
    char *d = tu_path_in(dir, NULL);
    DIR *h = opendir(d);
    assert_non_null(h);
    struct dirent *e;
    while ((e = readdir(h))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.' ||
                                    strcmp(e->d_name, ".lock") == 0)) {
            continue;
        }
        assert_true(s->n < MAX_FILES);
        snprintf(s->name[s->n], sizeof s->name[0], "%s", e->d_name);
        char *p = tu_join(d, e->d_name);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        s->mtime[s->n] = st.st_mtim;
        s->bytes[s->n] = tu_read_file(p, &s->size[s->n]);
        free(p);
        s->n++;
    }
    closedir(h);
    free(d);
}

static void snap_free(snapshot *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->bytes[i]);
    }
}

/* Fails unless the folder is now exactly as in before: same names, bytes, times. */
static void assert_unchanged(const char *dir, snapshot *before)
{
    snapshot now;
    snap(dir, &now);
    assert_int_equal(now.n, before->n);
    for (size_t i = 0; i < before->n; i++) {
        size_t j = 0;
        while (j < now.n && strcmp(now.name[j], before->name[i]) != 0) {
            j++;
        }
        if (j == now.n) {
            fail_msg("%s was removed", before->name[i]);
        }
        if (now.size[j] != before->size[i] ||
            memcmp(now.bytes[j], before->bytes[i], now.size[j]) != 0 ||
            now.mtime[j].tv_sec != before->mtime[i].tv_sec ||
            now.mtime[j].tv_nsec != before->mtime[i].tv_nsec) {
            fail_msg("%s was written", before->name[i]);
        }
    }
    snap_free(&now);
    snap_free(before);
}

static void make_dir(const char *dir)
{
    char *p = tu_path_in(dir, NULL);
    assert_int_equal(mkdir(p, 0777), 0);
    free(p);
}

static void put(const char *dir, const char *file, const char *text)
{
    char *p = tu_path_in(dir, file);
    tu_write_file(p, text, strlen(text));
    free(p);
}

static void assert_has(const char *out, const char *needle)
{
    if (!strstr(out, needle)) {
        fail_msg("\"%s\" not in:\n%s", needle, out);
    }
}

/* ---- a finished run ------------------------------------------------------------------ */

static void test_finished_run_refused_then_forced(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(train("fin", BASE " --set train.epochs=2", NULL), 0);
    assert_int_equal(tu_runf(NULL, "./lintrain eval --run '%s/fin'", tu_tmp), 0);
    assert_true(tu_exists_in("fin", "eval.json"));
    put("fin", "curves.png", "an old picture");          /* as lintrain plot leaves it */
    put("fin", "weights.npy.tmp", "half a file");         /* a write cut short */
    put("fin", "notes.txt", "the user's own");
    make_dir("fin-2"); /* taken: fin-3 is free */

    snapshot before;
    snap("fin", &before);
    /* Another config into the same folder: refused, nothing touched. */
    int rc = train("fin", "--config configs/svm_sgd.json --quiet "
                          "--set data.dir=data/cifar-10-sample --set data.val_size=200 "
                          "--set train.epochs=1",
                   &out);
    assert_int_equal(rc, 2);
    assert_has(out, "holds a finished run");
    assert_has(out, "--force");
    char free_dir[4200];
    snprintf(free_dir, sizeof free_dir, "--out %s/fin-3 ", tu_tmp);
    assert_has(out, free_dir);
    assert_null(strstr(out, "--resume")); /* nothing to resume in a finished run */
    free(out);
    assert_unchanged("fin", &before);

    /* The same command with --force: the old run's files are gone, the user's stay. */
    rc = train("fin", "--config configs/svm_sgd.json --quiet --set data.dir=data/cifar-10-sample "
                      "--set data.val_size=200 --set train.epochs=1 --force",
               &out);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    assert_has(out, "notes.txt");
    free(out);
    assert_false(tu_exists_in("fin", "eval.json"));
    /* The new run draws its own curves.png (or none without gnuplot), never the old. */
    char *curves = tu_path_in("fin", "curves.png");
    assert_true(!tu_exists_in("fin", "curves.png") || tu_is_png(curves));
    free(curves);
    assert_false(tu_exists_in("fin", "weights.npy.tmp"));
    assert_true(tu_exists_in("fin", "notes.txt"));
    assert_true(tu_exists_in("fin", "weights.npy"));
    char *cfg = tu_path_in("fin", "config.json");
    char *text = tu_read_file(cfg, NULL);
    assert_has(text, "\"svm\"");
    free(text);
    free(cfg);
}

/* The default folder, runs/<config name>, gets the same protection: a config run twice. */
static void test_same_config_twice(void **state)
{
    (void)state;
    char *config = tu_path_in("twice.json", NULL);
    char *in = tu_read_file("configs/quickstart.json", NULL);
    tu_write_file(config, in, strlen(in));
    free(in);
    char *out = NULL;
    /* output.dir defaults to runs/twice, relative to the working folder: run from tu_tmp. */
    const char *cmd = "cd '%s' && '%s/lintrain' --config twice.json --quiet --set train.epochs=1 "
                      "--set data.dir='%s/data/cifar-10-sample'";
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(tu_runf(&out, cmd, tu_tmp, cwd, cwd), 0);
    free(out);
    assert_int_equal(tu_runf(&out, cmd, tu_tmp, cwd, cwd), 2);
    assert_has(out, "runs/twice holds a finished run");
    assert_has(out, "--out runs/twice-2 ");
    free(out);
    free(config);
}

/* ---- an interrupted run -------------------------------------------------------------- */

static void test_interrupted_run_offers_resume(void **state)
{
    (void)state;
    const char *args = BASE " --set train.epochs=100";
    pid_t pid = start("int", args);
    wait_epochs(pid, "int", 2);
    int status = kill_and_wait(pid, SIGTERM);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 143);

    /* The epoch the checkpoint reached, read through the library. */
    char *ck_path = tu_path_in("int", "checkpoint.bin");
    lt_checkpoint ck;
    lt_error err;
    long long done = -1;
    assert_int_equal(lt_checkpoint_read(&ck, ck_path, &err), LT_OK);
    assert_int_equal(lt_train_checkpoint_epochs(&ck, &done, &err), LT_OK);
    lt_checkpoint_free(&ck);
    free(ck_path);
    assert_true(done >= 2 && done < 100);

    snapshot before;
    snap("int", &before);
    char *out = NULL;
    assert_int_equal(train("int", args, &out), 2); /* the same command, without --resume */
    char want[4200];
    snprintf(want, sizeof want, "it stopped after epoch %lld of 100", done);
    assert_has(out, want);
    snprintf(want, sizeof want, "lintrain --resume %s/int\n", tu_tmp);
    assert_has(out, want);
    assert_has(out, "--force");
    free(out);
    assert_unchanged("int", &before); /* checkpoint.bin among them */

    assert_int_equal(tu_runf(&out, "./lintrain --resume '%s/int' --quiet", tu_tmp), 0);
    assert_has(out, "epochs 100");
    free(out);

    /* Without a checkpoint the run cannot be resumed, and --resume is not offered. */
    char *p = tu_path_in("int", "summary.json");
    assert_int_equal(remove(p), 0);
    free(p);
    p = tu_path_in("int", "checkpoint.bin");
    assert_int_equal(remove(p), 0);
    free(p);
    assert_int_equal(train("int", args, &out), 2);
    assert_has(out, "cannot be resumed");
    assert_null(strstr(out, "--resume"));
    free(out);
}

/* ---- one writer at a time ------------------------------------------------------------ */

static void test_second_writer_refused(void **state)
{
    (void)state;
    pid_t pid = start("busy", BASE " --set train.epochs=1000000");
    wait_epochs(pid, "busy", 1); /* the lock is taken before the first line */
    char want[4200];
    snprintf(want, sizeof want, "%s/busy is in use by process %ld", tu_tmp, (long)pid);
    const char *const writers[] = {
        "./lintrain --out '%s/busy' " BASE,
        "./lintrain --out '%s/busy' " BASE " --force",
        "./lintrain --resume '%s/busy' --quiet",
        "./lintrain eval --run '%s/busy'",
        "./lintrain plot --run '%s/busy'",
    };
    char *out = NULL, failed[8192] = "";
    for (size_t i = 0; i < sizeof writers / sizeof writers[0] && !failed[0]; i++) {
        int rc = tu_runf(&out, writers[i], tu_tmp);
        if (rc != 1 || !strstr(out, want)) {
            snprintf(failed, sizeof failed, "%s: exit %d, wanted 1 and \"%s\":\n%s",
                     writers[i], rc, want, out);
        }
        free(out);
    }
    /* Killed, the holder leaves no stale lock: the next writer gets it. */
    int status = kill_and_wait(pid, SIGKILL); /* before any failure, not to leave it running */
    if (failed[0]) {
        fail_msg("%s", failed);
    }
    assert_true(WIFSIGNALED(status));
    int rc = train("busy", BASE " --set train.epochs=1 --force", &out);
    if (rc != 0) {
        fail_msg("exit %d after the holder died: %s", rc, out);
    }
    free(out);
}

/* predict only reads: it works while another process holds the lock (here, the test);
 * eval does not, and names the holder. */
static void test_predict_reads_while_locked(void **state)
{
    (void)state;
    assert_int_equal(train("rd", BASE " --set train.epochs=1", NULL), 0);
    char *lock = tu_path_in("rd", ".lock");
    int fd = open(lock, O_RDWR | O_CREAT, 0666);
    free(lock);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(pwrite(fd, pid, (size_t)len, 0), len);

    char *out = NULL;
    int rc = tu_runf(&out, "./lintrain predict --run '%s/rd' docs/images/dog.png", tu_tmp);
    if (rc != 0) {
        fail_msg("predict: exit %d: %s", rc, out);
    }
    free(out);
    assert_int_equal(tu_runf(&out, "./lintrain eval --run '%s/rd'", tu_tmp), 1);
    char want[4200];
    snprintf(want, sizeof want, "%s/rd is in use by process %ld", tu_tmp, (long)getpid());
    assert_has(out, want);
    free(out);
    assert_false(tu_exists_in("rd", "eval.json"));
    close(fd);
    assert_int_equal(tu_runf(NULL, "./lintrain eval --run '%s/rd'", tu_tmp), 0);
}

/* ---- --resume on a folder with no run ------------------------------------------------ */

static void test_resume_without_run(void **state)
{
    (void)state;
    make_dir("empty");
    char *out = NULL;
    char want[4200];
    assert_int_equal(tu_runf(&out, "./lintrain --resume '%s/empty'", tu_tmp), 2);
    snprintf(want, sizeof want, "%s/empty holds no lintrain run", tu_tmp);
    assert_has(out, want);
    assert_null(strstr(out, "cannot open"));
    free(out);
    assert_false(tu_exists_in("empty", ".lock")); /* nothing written */

    assert_int_equal(tu_runf(&out, "./lintrain --resume '%s/nonexist'", tu_tmp), 2);
    snprintf(want, sizeof want, "%s/nonexist holds no lintrain run", tu_tmp);
    assert_has(out, want);
    free(out);
    assert_false(tu_exists_in("nonexist", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finished_run_refused_then_forced),
        cmocka_unit_test(test_same_config_twice),
        cmocka_unit_test(test_interrupted_run_offers_resume),
        cmocka_unit_test(test_second_writer_refused),
        cmocka_unit_test(test_predict_reads_while_locked),
        cmocka_unit_test(test_resume_without_run),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
