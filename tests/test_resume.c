/* test_resume.c — checkpoints end to end, against ./lintrain on the committed sample:
 * a run killed with SIGKILL mid-run and resumed ends with the same bytes as one never
 * stopped; SIGTERM/SIGINT stop cleanly (143/130) for every optimizer and resume to the
 * same bytes; a truncated, damaged or foreign checkpoint is refused before anything is
 * touched; divergence leaves the last good checkpoint readable and the metrics whole.
 *
 * Nothing here waits a fixed time: a run is stopped once its metrics.jsonl shows a given
 * number of epochs, and the outcome must be the same wherever the stop lands. */
#include <errno.h>
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

#include "lintrain/checkpoint.h"
#include "lintrain/optim.h"
#include "testutil.h"


/* Small and quick: 1800 training records in 18 batches, threads fixed for determinism. */
#define BASE "--config configs/quickstart.json --quiet --set train.threads=1 " \
             "--set train.log_every=7"

/* Runs ./lintrain ARGS with the run folder tu_tmp/dir; output captured. */
static int run(const char *dir, const char *args, char **output)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "./lintrain --out '%s/%s' %s", tu_tmp, dir, args);
    return tu_run(cmd, output);
}

static int resume(const char *dir, char **output)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "./lintrain --resume '%s/%s' --quiet", tu_tmp, dir);
    return tu_run(cmd, output);
}

/* Starts ./lintrain in the background (output to tu_tmp/dir.log); returns its pid. */
static pid_t start(const char *dir, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "exec ./lintrain --out '%s/%s' %s >'%s/%s.log' 2>&1", tu_tmp, dir,
             args, tu_tmp, dir);
    return (pid_t)tu_start(cmd);
}

/* Number of lines of the given type ("epoch", "trial") in tu_tmp/dir/metrics.jsonl (0
 * when it does not exist yet). */
static int lines_of(const char *dir, const char *type)
{
    char *p = tu_path_in(dir, "metrics.jsonl");
    char *text = tu_read_file(p, NULL);
    free(p);
    char key[64];
    snprintf(key, sizeof key, "\"type\":\"%s\"", type);
    int n = 0;
    for (const char *s = text; s && (s = strstr(s, key)) != NULL; s++) {
        n++;
    }
    free(text);
    return n;
}

static int epoch_lines(const char *dir)
{
    return lines_of(dir, "epoch");
}

/* Waits until the run shows `count` lines of type or has ended; sends sig if it still
 * runs. Returns the wait status. */
static int stop_after_lines(pid_t pid, const char *dir, const char *type, int count, int sig)
{
    int status;
    const struct timespec pause = {0, 2000000};
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        assert_true(done >= 0);
        if (done == pid) {
            return status; /* ended on its own */
        }
        if (lines_of(dir, type) >= count) {
            break;
        }
        nanosleep(&pause, NULL);
    }
    assert_int_equal(kill(pid, sig), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* stop_after_lines on epoch lines. */
static int stop_after(pid_t pid, const char *dir, int epochs, int sig)
{
    return stop_after_lines(pid, dir, "epoch", epochs, sig);
}

static int same_bytes(const char *dir_a, const char *dir_b, const char *file)
{
    char *a = tu_path_in(dir_a, file), *b = tu_path_in(dir_b, file);
    size_t na, nb;
    char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    free(a);
    free(b);
    return same;
}

/* A JSON file's text with every "seconds" value cut out (it is the only field that may
 * differ between a resumed run and one never stopped). */
static char *without_seconds(const char *dir, const char *file)
{
    char *p = tu_path_in(dir, file);
    char *text = tu_read_file(p, NULL);
    free(p);
    assert_non_null(text);
    for (char *s = text; (s = strstr(s, "\"seconds\"")) != NULL; s++) {
        char *v = s + strlen("\"seconds\"");
        size_t len = strcspn(v, ",}\n");
        memmove(v, v + len, strlen(v + len) + 1);
    }
    return text;
}

static void assert_same_run(const char *resumed, const char *reference)
{
    const char *files[] = {"weights.npy", "bias.npy", "best_weights.npy", "best_bias.npy"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!same_bytes(resumed, reference, files[i])) {
            fail_msg("%s: %s differs from the uninterrupted run's", resumed, files[i]);
        }
    }
    const char *texts[] = {"metrics.jsonl", "summary.json"};
    for (size_t i = 0; i < 2; i++) {
        char *a = without_seconds(resumed, texts[i]), *b = without_seconds(reference, texts[i]);
        if (strcmp(a, b) != 0) {
            fail_msg("%s: %s differs from the uninterrupted run's:\n%s\n---\n%s", resumed,
                     texts[i], a, b);
        }
        free(a);
        free(b);
    }
}

/* L-BFGS on the sample: full batch, no early convergence, one iteration an epoch. */
#define LBFGS_SETS "--set optimizer.name=lbfgs --set train.batch_size=0 " \
                   "--set optimizer.max_iter=2 --set optimizer.tolerance_change=0"
/* Random search with %d trials: the sample config's optimizer.lr and train.epochs do not
 * apply, so both sections are replaced whole. */
#define SEARCH_ARGS "--config configs/quickstart.json --quiet " \
                    "--set optimizer='{\"name\": \"random_search\", \"trials\": %d}' " \
                    "--set train='{\"batch_size\": 0, \"threads\": 1, \"log_every\": 7}'"

/* SIGKILL once metrics.jsonl has `lines` lines of type (no chance to write anything),
 * resume, compare bytes with the run never stopped. args_fmt takes the run's length
 * (epochs or trials), from size up, which grows until the kill lands before the end, so
 * a fast machine cannot skip the test. old_layout: data.json is removed before the resume. */
static void sigkill_then_resume(const char *tag, const char *args_fmt, int size,
                                const char *type, int lines, int old_layout)
{
    for (;; size *= 4) {
        assert_true(size < 100000);
        char args[1024];
        snprintf(args, sizeof args, args_fmt, size);
        char name[64];
        snprintf(name, sizeof name, "%s%d", tag, size);
        pid_t pid = start(name, args);
        int status = stop_after_lines(pid, name, type, lines, SIGKILL);
        if (!WIFSIGNALED(status)) {
            continue; /* finished before the kill: try a longer run */
        }
        assert_int_equal(WTERMSIG(status), SIGKILL);
        assert_false(tu_exists_in(name, "summary.json"));
        assert_true(tu_exists_in(name, "checkpoint.bin"));
        if (old_layout) {
            /* a folder written before data.json: it holds a CIFAR-10 run */
            char *p = tu_path_in(name, "data.json");
            assert_int_equal(remove(p), 0);
            free(p);
        }
        char *out = NULL;
        int rc = resume(name, &out);
        if (rc != 0) {
            fail_msg("resume: exit %d: %s", rc, out);
        }
        free(out);
        char ref[64];
        snprintf(ref, sizeof ref, "%s_ref%d", tag, size);
        assert_int_equal(run(ref, args, NULL), 0);
        assert_same_run(name, ref);
        break;
    }
}

/* SIGKILL in the middle (no chance to write anything), resume, compare bytes. */
static void test_sigkill_then_resume_same_bytes(void **state)
{
    (void)state;
    sigkill_then_resume("kill", BASE " --set train.epochs=%d", 12, "epoch", 3, 0);
}

/* The same for L-BFGS, its folder without data.json as one written before it existed
 * (checkpointed after each epoch; a tolerance of 0 keeps it from
 * converging on the sample, one iteration an epoch) and random search (checkpointed
 * every 100 trials: killed after 250, it resumes from trial 200). */
static void test_sigkill_lbfgs_and_random_search(void **state)
{
    (void)state;
    sigkill_then_resume("kill_lbfgs", BASE " --set train.epochs=%d " LBFGS_SETS, 12, "epoch", 3,
                        1);
    sigkill_then_resume("kill_search", SEARCH_ARGS, 400, "trial", 250, 0);
}

/* The settings optimizer name needs on the sample: minibatches, unless its config is
 * refused with them (an optimizer that needs the full batch). */
static const char *optimizer_sets(const char *name)
{
    static char sets[256];
    char cmd[512];
    snprintf(sets, sizeof sets, "--set optimizer.name=%s", name);
    snprintf(cmd, sizeof cmd, "./lintrain --config configs/quickstart.json %s --set "
             "output.dir=/nonexistent/x --set data.dir=/nonexistent/x", sets);
    if (tu_run(cmd, NULL) == 2) {
        snprintf(sets, sizeof sets, "--set optimizer.name=%s --set train.batch_size=0", name);
    }
    return sets;
}

/* SIGTERM (and SIGINT) for every optimizer: exit 128 + signal, a checkpoint, no
 * summary.json, the way to resume printed; the resumed run equals the uninterrupted. */
static void test_signal_stop_every_optimizer(void **state)
{
    (void)state;
    const char *name;
    for (size_t i = 0; (name = lt_optim_name_at(i)) != NULL; i++) {
        lt_optim_family family = lt_optim_find(name)->family;
        int sig = i == 0 || family == LT_OPTIM_LBFGS ? SIGINT : SIGTERM;
        const char *sets = family == LT_OPTIM_LBFGS ? LBFGS_SETS : optimizer_sets(name);
        /* Random search has one epoch: it is stopped after 30 trials of 12·10 and more. */
        int search = family == LT_OPTIM_RANDOM_SEARCH;
        for (int epochs = 12;; epochs *= 4) {
            assert_true(epochs < 10000);
            char args[1024], dir[128], ref[128];
            if (search) {
                snprintf(args, sizeof args, SEARCH_ARGS, epochs * 10);
            } else {
                snprintf(args, sizeof args, BASE " --set train.epochs=%d %s", epochs, sets);
            }
            snprintf(dir, sizeof dir, "sig_%s_%d", name, epochs);
            snprintf(ref, sizeof ref, "sigref_%s_%d", name, epochs);
            pid_t pid = start(dir, args);
            int status = search ? stop_after_lines(pid, dir, "trial", 30, sig)
                                : stop_after(pid, dir, 2, sig);
            assert_true(WIFEXITED(status));
            if (WEXITSTATUS(status) == 0) {
                continue; /* finished before the signal */
            }
            assert_int_equal(WEXITSTATUS(status), 128 + sig);
            char log[256];
            snprintf(log, sizeof log, "%s/%s.log", tu_tmp, dir);
            char *text = tu_read_file(log, NULL);
            assert_non_null(text);
            assert_non_null(strstr(text, sig == SIGINT ? "SIGINT" : "SIGTERM"));
            assert_non_null(strstr(text, "lintrain --resume"));
            assert_non_null(strstr(text, "checkpoint.bin"));
            free(text);
            assert_false(tu_exists_in(dir, "summary.json"));
            char *out = NULL;
            int rc = resume(dir, &out);
            if (rc != 0) {
                fail_msg("%s: resume: exit %d: %s", name, rc, out);
            }
            free(out);
            assert_int_equal(run(ref, args, NULL), 0);
            assert_same_run(dir, ref);
            break;
        }
    }
}

/* Whether tu_tmp/dir/file is a PNG. */
static int is_png(const char *dir, const char *file)
{
    char *p = tu_path_in(dir, file);
    int png = tu_is_png(p);
    free(p);
    return png;
}

/* curves.png comes with an interrupted run (exit 143) and again after its resume. */
static void test_curves_after_interrupt_and_resume(void **state)
{
    (void)state;
    for (int epochs = 40;; epochs *= 4) {
        assert_true(epochs < 10000);
        char args[512], dir[64];
        snprintf(args, sizeof args, BASE " --set train.epochs=%d", epochs);
        snprintf(dir, sizeof dir, "curves_%d", epochs);
        int status = stop_after(start(dir, args), dir, 2, SIGTERM);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0) {
            continue; /* finished before the signal */
        }
        assert_int_equal(WEXITSTATUS(status), 143);
        assert_true(is_png(dir, "curves.png"));
        char *p = tu_path_in(dir, "curves.png");
        remove(p);
        free(p);
        assert_int_equal(resume(dir, NULL), 0);
        assert_true(is_png(dir, "curves.png"));
        assert_true(is_png(dir, "templates.png"));
        break;
    }
}

/* Copies the run folder src to dst (cp -r). */
static void copy_run(const char *src, const char *dst)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cp -r '%s/%s' '%s/%s'", tu_tmp, src, tu_tmp, dst);
    assert_int_equal(tu_run(cmd, NULL), 0);
}

/* Replaces the first occurrence of from by to in tu_tmp/dir/file. */
static void edit(const char *dir, const char *file, const char *from, const char *to)
{
    char *p = tu_path_in(dir, file);
    size_t n;
    char *text = tu_read_file(p, &n);
    assert_non_null(text);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t head = (size_t)(at - text), flen = strlen(from), tlen = strlen(to);
    char *out = malloc(n - flen + tlen + 1);
    assert_non_null(out);
    memcpy(out, text, head);
    memcpy(out + head, to, tlen);
    memcpy(out + head + tlen, at + flen, n - head - flen);
    tu_write_file(p, out, n - flen + tlen);
    free(out);
    free(text);
    free(p);
}

/* Copies of run "good", each spoilt in one way (test_bad_checkpoints_refused). */
static void spoil_copies(void)
{
    copy_run("good", "truncated");
    copy_run("good", "flipped");
    copy_run("good", "loss");
    copy_run("good", "lr");
    copy_run("good", "data");
    copy_run("good", "missing");
    char *p = tu_path_in("truncated", "checkpoint.bin");
    size_t n;
    char *bytes = tu_read_file(p, &n);
    tu_write_file(p, bytes, n / 2);
    free(p);
    p = tu_path_in("flipped", "checkpoint.bin");
    bytes[n / 3] ^= 0x10;
    tu_write_file(p, bytes, n);
    free(p);
    free(bytes);
    edit("loss", "config.json", "\"softmax\"", "\"svm\"");
    edit("lr", "config.json", "\"lr\":\t1e-07", "\"lr\":\t2e-07");
    edit("data", "config.json", "\"limit_train\":\t0", "\"limit_train\":\t1000");
    p = tu_path_in("missing", "checkpoint.bin");
    assert_int_equal(remove(p), 0);
    free(p);
    /* The data now of another D than data.json recorded (here: data.json says 3073). */
    copy_run("good", "other_d");
    edit("other_d", "data.json", "\"D\":\t3072", "\"D\":\t3073");
    /* Another shape: D = 0x0CFF in the header, the checksums made right again. */
    copy_run("good", "shape");
    p = tu_path_in("shape", "checkpoint.bin");
    bytes = tu_read_file(p, &n);
    bytes[16] = (char)0xFF;
    lt_checkpoint_seal((unsigned char *)bytes, n);
    tu_write_file(p, bytes, n);
    free(bytes);
    free(p);
    /* Other data under the same config: a copy of the sample loses 10 records. */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cp -r data/cifar-10-sample '%s/sample'", tu_tmp);
    assert_int_equal(tu_run(cmd, NULL), 0);
    char args[1024];
    snprintf(args, sizeof args, BASE " --set train.epochs=2 --set 'data.dir=\"%s/sample\"'",
             tu_tmp);
    assert_int_equal(run("records", args, NULL), 0);
    char *batch = tu_join(tu_tmp, "sample/data_batch_1.bin");
    assert_int_equal(truncate(batch, 390 * 3073), 0);
    free(batch);
}

/* Refused checkpoints: exit status, message, and the folder left as it was. */
static void test_bad_checkpoints_refused(void **state)
{
    (void)state;
    assert_int_equal(run("good", BASE " --set train.epochs=2", NULL), 0);
    struct {
        const char *name;
        int status;
        const char *message;
    } cases[] = {
        {"truncated", 1, "truncated"},
        {"flipped", 1, "damaged"},
        {"loss", 2, "model.loss"},
        {"lr", 2, "optimizer.lr"},
        {"data", 2, "data.limit_train"},
        {"missing", 1, "checkpoint.bin: cannot open"},
        {"shape", 2, "the checkpoint is for a model of 3327 x 10 weights (30730 parameters); "
                     "this run has 3072 x 10 (30730)"},
        {"other_d", 2, "cannot resume: the run was trained on data of D 3073, C 10, uint8 "
                       "(data.json); the data now give D 3072, C 10, uint8"},
        {"records", 2, "written for 1800 training records; the data now gives 1790"},
    };
    spoil_copies();
    char cmd[8192];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *before = without_seconds(cases[i].name, "metrics.jsonl");
        char *out = NULL;
        int rc = resume(cases[i].name, &out);
        if (rc != cases[i].status || !strstr(out, cases[i].message)) {
            fail_msg("%s: exit %d, expected %d with \"%s\": %s", cases[i].name, rc,
                     cases[i].status, cases[i].message, out);
        }
        free(out);
        char *after = without_seconds(cases[i].name, "metrics.jsonl");
        assert_string_equal(before, after); /* untouched */
        free(before);
        free(after);
        assert_true(same_bytes(cases[i].name, "good", "weights.npy"));
    }
    /* Usage: --resume takes nothing but the folder (and --quiet). */
    char *out = NULL;
    snprintf(cmd, sizeof cmd, "./lintrain --resume '%s/good' --set optimizer.lr=1", tu_tmp);
    assert_int_equal(tu_run(cmd, &out), 2);
    assert_non_null(strstr(out, "--resume"));
    free(out);
    snprintf(cmd, sizeof cmd, "./lintrain --resume '%s/nothing-here'", tu_tmp);
    assert_int_equal(tu_run(cmd, &out), 2);
    assert_non_null(strstr(out, "nothing-here holds no lintrain run"));
    free(out);
}

/* N of "diverged at step N" in out; fails the test when absent. */
static long long diverged_step(const char *out)
{
    const char *at = strstr(out, "diverged at step ");
    assert_non_null(at);
    return strtoll(at + strlen("diverged at step "), NULL, 10);
}

/* Weight decay with lr * 2 * lambda = 3 doubles |W| every update: the gradient
 * overflows float after a few epochs, deterministically (with the bound of
 * train.divergence_factor off, which would stop it at the first epoch's end). */
static void test_divergence_keeps_last_checkpoint(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = run("div", BASE " --set train.epochs=30 --set regularization.lambda=1e3 "
                            "--set optimizer.lr=1.5e-3 --set data.preprocess=scale "
                            "--set train.divergence_factor=0",
                 &out);
    assert_int_equal(rc, 3);
    long long step = diverged_step(out);
    /* One line, naming step, epoch, rate, a hint and the last good checkpoint. */
    assert_non_null(strstr(out, "diverged at step "));
    assert_non_null(strstr(out, "(epoch "));
    assert_non_null(strstr(out, "lr 0.0015"));
    assert_non_null(strstr(out, "lower optimizer.lr"));
    assert_non_null(strstr(out, "last good checkpoint (after epoch "));
    assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* --quiet: the one line only */
    free(out);
    /* The checkpoint is whole and finite, and matches the metrics' last epoch line. */
    char *p = tu_path_in("div", "checkpoint.bin");
    lt_checkpoint ck;
    lt_error err;
    assert_int_equal(lt_checkpoint_read(&ck, p, &err), LT_OK);
    free(p);
    const lt_ckpt_block *params = lt_checkpoint_find(&ck, "params");
    assert_non_null(params);
    float *w = malloc(params->count * sizeof *w);
    assert_non_null(w);
    assert_int_equal(lt_checkpoint_get(&ck, "params", LT_CKPT_F32, params->count, w, &err), LT_OK);
    for (size_t i = 0; i < params->count; i++) {
        assert_true(isfinite(w[i]));
    }
    free(w);
    uint64_t progress[5];
    assert_int_equal(lt_checkpoint_get(&ck, "progress", LT_CKPT_U64, 5, progress, &err), LT_OK);
    lt_checkpoint_free(&ck);
    int epochs = epoch_lines("div");
    assert_true(epochs >= 2);
    assert_int_equal(progress[1], (uint64_t)epochs);
    /* summary.json says diverged; there are no weights to mistake for a result. */
    p = tu_path_in("div", "summary.json");
    char *text = tu_read_file(p, NULL);
    free(p);
    cJSON *s = cJSON_Parse(text);
    free(text);
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring, "diverged");
    cJSON_Delete(s);
    assert_false(tu_exists_in("div", "weights.npy"));
    /* Resuming from the good checkpoint diverges again, at the same step. */
    rc = resume("div", &out);
    assert_int_equal(rc, 3);
    assert_int_equal(diverged_step(out), step);
    free(out);
    assert_int_equal(epoch_lines("div"), epochs);
}

/* Random search diverges through the one path of every driver: the same message with
 * step and epoch, its own hint, and where the last good checkpoint is. */
static void test_random_search_divergence_one_message(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = run("rsdiv", "--config configs/random_search.json --quiet "
                          "--set data.dir=data/cifar-10-sample --set data.val_size=200 "
                          "--set optimizer.trials=5 --set optimizer.init_scale=1e37",
                 &out);
    assert_int_equal(rc, 3);
    assert_int_equal(diverged_step(out), 5);
    assert_non_null(strstr(out, "(epoch 1): no trial had a finite loss"));
    assert_non_null(strstr(out, "; try a lower optimizer.init_scale; no checkpoint was written"));
    free(out);
    assert_false(tu_exists_in("rsdiv", "weights.npy"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_then_resume_same_bytes),
        cmocka_unit_test(test_sigkill_lbfgs_and_random_search),
        cmocka_unit_test(test_signal_stop_every_optimizer),
        cmocka_unit_test(test_curves_after_interrupt_and_resume),
        cmocka_unit_test(test_bad_checkpoints_refused),
        cmocka_unit_test(test_divergence_keeps_last_checkpoint),
        cmocka_unit_test(test_random_search_divergence_one_message),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
