/* test_feature_runs.c — runs with data.features through the binary, on the committed
 * sample and a feature cache of the test's own: the console's first line names rows of
 * features (images only for image runs); `eval --run` takes the features from the
 * cache entry training made, with the same eval.json as recomputing them; an entry
 * whose features were changed (checksums made right again) is read, so the test can
 * tell; one whose centroids also differ from the run folder's is not, nor a removed
 * one, and eval writes no entry; SIGINT and SIGTERM during the k-means fit stop it at
 * once (130, 143) with no run folder and no cache entry left. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <cJSON.h>

#include "lintrain/featcache.h"
#include "feature_testutil.h"

#define RUN "km"

static char *train_output;

static void train_once(void)
{
    if (train_output) {
        return;
    }
    int rc = tu_lintrain(RUN, TU_KMEANS_RUN_ARGS, &train_output);
    if (rc != 0) {
        fail_msg("training failed (%d): %s", rc, train_output ? train_output : "");
    }
}

/* The entries of the test's cache (tu_tmp/cache), and the path of the last one. */
static int entries(char *path, size_t cap)
{
    char *root = tu_join(tu_tmp, "cache");
    int n = tu_cache_entries(root, path, cap);
    free(root);
    return n;
}

/* `lintrain eval --run RUN extra`: its output (malloc'ed) and eval.json's "splits". */
static char *eval(const char *extra, cJSON **splits)
{
    char *dir = tu_path_in(RUN, NULL), *out = NULL;
    assert_int_equal(tu_runf(NULL, "rm -f '%s/eval.json'", dir), 0);
    int rc = tu_runf(&out, "./lintrain eval --run '%s' %s", dir, extra);
    if (rc != 0) {
        fail_msg("eval failed (%d): %s", rc, out ? out : "");
    }
    cJSON *ev = tu_load_json_in(RUN, "eval.json");
    *splits = cJSON_DetachItemFromObject(ev, "splits");
    cJSON_Delete(ev);
    free(dir);
    return out;
}

/* eval's output holds want; its splits equal ref (same) or not. */
static void expect_eval(const char *want, const cJSON *ref, int same)
{
    cJSON *splits;
    char *out = eval("", &splits);
    if (!strstr(out, want)) {
        fail_msg("eval printed no \"%s\":\n%s", want, out);
    }
    assert_int_equal(cJSON_Compare(splits, ref, 1), same);
    cJSON_Delete(splits);
    free(out);
}

static void test_console_line(void **state)
{
    (void)state;
    train_once();
    assert_non_null(strstr(train_output, "training on 1800 rows of 36 features (200 "
                                         "validation, 500 test): 3 epochs"));
    char *out = NULL;
    assert_int_equal(tu_lintrain("img", "--config configs/quickstart.json --set "
                                        "train.epochs=1", &out), 0);
    assert_non_null(strstr(out, "training on 1800 images (200 validation, 500 test)"));
    free(out);
}

/* Training stored one entry; eval reads it (its key named) and gives the numbers it
 * gives with the features recomputed. */
static void test_eval_from_the_cache(void **state)
{
    (void)state;
    train_once();
    char entry[4096], line[128];
    assert_int_equal(entries(entry, sizeof entry), 1);
    cJSON *ref;
    char *out = eval("--set data.feature_cache=false", &ref);
    assert_non_null(strstr(out, "features: recomputed with the run folder's stages "
                                "(data.feature_cache is false)"));
    free(out);
    snprintf(line, sizeof line, "features: from the cache (key %.16s)", strrchr(entry, '/') + 1);
    expect_eval(line, ref, 1);
    cJSON *sum = tu_load_json_in(RUN, "summary.json");
    assert_true(tu_json_number(cJSON_GetObjectItem(ref, "test"), "accuracy") ==
                tu_json_number(sum, "test_acc"));
    cJSON_Delete(sum);
    cJSON_Delete(ref);
}

/* Adds delta to float i of blob name in entry, and puts the blob's new checksum in the
 * manifest: the entry passes the cache's own checks. */
static void retouch(const char *entry, const char *name, size_t i, float delta)
{
    char *path = tu_join(entry, name), *mpath = tu_join(entry, "manifest.json");
    size_t n;
    char *bytes = tu_read_file(path, &n), hex[LT_FEATCACHE_SUM_HEX];
    assert_true(bytes && n >= 4 * (i + 1));
    float v;
    memcpy(&v, bytes + 4 * i, 4);
    v += delta;
    memcpy(bytes + 4 * i, &v, 4);
    tu_write_file(path, bytes, n);
    lt_featcache_sum s;
    lt_featcache_sum_init(&s);
    lt_featcache_sum_update(&s, bytes, n);
    lt_featcache_sum_hex(&s, hex);
    cJSON *m = tu_load_json(mpath), *b;
    int found = 0;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(m, "blobs"))
    {
        if (strcmp(cJSON_GetObjectItem(b, "name")->valuestring, name) == 0) {
            cJSON_ReplaceItemInObject(b, "sum", cJSON_CreateString(hex));
            found = 1;
        }
    }
    assert_true(found);
    char *text = cJSON_Print(m);
    tu_write_file(mpath, text, strlen(text));
    cJSON_free(text);
    cJSON_Delete(m);
    free(bytes);
    free(path);
    free(mpath);
}

static void test_eval_checks_the_entry(void **state)
{
    (void)state;
    train_once();
    char entry[4096], *backup = tu_join(tu_tmp, "entry-backup");
    assert_int_equal(entries(entry, sizeof entry), 1);
    cJSON *ref;
    free(eval("--set data.feature_cache=false", &ref));
    assert_int_equal(tu_runf(NULL, "cp -a '%s' '%s'", entry, backup), 0);
    /* Other features, the same stages: read (the numbers change: it is the cache's). */
    retouch(entry, "test.f32", 0, 1000.0f);
    expect_eval("features: from the cache", ref, 0);
    /* And centroids that differ from the run folder's: not trusted, recomputed. */
    retouch(entry, "kmeans_centroids.f32", 5, 0.25f);
    char *manifest = tu_join(entry, "manifest.json");
    size_t n;
    char *before = tu_read_file(manifest, &n);
    expect_eval("features: recomputed with the run folder's stages (feature cache, key ", ref,
                1);
    expect_eval("its k-means centroids differ from the run folder's)", ref, 1);
    char *after = tu_read_file(manifest, NULL);
    assert_string_equal(before, after); /* eval wrote nothing */
    /* The entry restored, then removed: recomputed, and no entry written. */
    assert_int_equal(tu_runf(NULL, "rm -rf '%s' && cp -a '%s' '%s'", entry, backup, entry), 0);
    expect_eval("features: from the cache", ref, 1);
    assert_int_equal(tu_runf(NULL, "rm -rf '%s'", entry), 0);
    expect_eval(": no entry)", ref, 1);
    assert_int_equal(entries(entry, sizeof entry), 0);
    free(before);
    free(after);
    free(manifest);
    free(backup);
    cJSON_Delete(ref);
}

/* ---- an interrupt during the k-means fit ------------------------------------------- */

/* Whether process pid catches signal sig (its handlers are installed). */
static int catches(pid_t pid, int sig)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long mask = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "SigCgt: %llx", &mask) == 1) {
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return (int)((mask >> (sig - 1)) & 1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A fit of 1,600 centroids on 400,000 patches for 50 passes (minutes on the sample),
 * stopped by sig once lintrain is in it: the exit status and message, within seconds,
 * no run folder (or one holding no run) and nothing but lock files in the cache. */
static void stop_fit(int sig, const char *name)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "exec env LINTRAIN_CACHE_DIR='%s/cache-int' ./lintrain --out "
             "'%s/int' --config configs/quickstart.json --set 'data.features=[{\"name\":"
             "\"kmeans\",\"centroids\":1600,\"patches\":400000,\"iterations\":50}]' "
             ">'%s/int.log' 2>&1", tu_tmp, tu_tmp, tu_tmp);
    pid_t pid = (pid_t)tu_start(cmd);
    const struct timespec pause = {0, 2000000}, settle = {1, 500000000};
    int status;
    while (!catches(pid, sig)) {
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
        nanosleep(&pause, NULL);
    }
    nanosleep(&settle, NULL); /* into the fit (the data take a fraction of this) */
    assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
    double t0 = now();
    assert_int_equal(kill(pid, sig), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    double seconds = now() - t0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 128 + sig);
    assert_true(seconds < 5.0);
    char *log = tu_path_in("int.log", NULL), *text = tu_read_file(log, NULL), want[128];
    snprintf(want, sizeof want, "lintrain: stopped by %s while fitting the k-means features "
             "(before training: nothing to resume)\n", name);
    assert_string_equal(text, want);
    assert_false(tu_exists_in("int", "config.json"));
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "ls -A '%s/cache-int' | grep -v '\\.lock$' || true",
                             tu_tmp), 0);
    assert_string_equal(out, "");
    free(out);
    free(text);
    free(log);
}

static void test_fit_interrupted(void **state)
{
    (void)state;
    stop_fit(SIGINT, "SIGINT");
    stop_fit(SIGTERM, "SIGTERM");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console_line),
        cmocka_unit_test(test_eval_from_the_cache),
        cmocka_unit_test(test_eval_checks_the_entry),
        cmocka_unit_test(test_fit_interrupted),
    };
    int rc = cmocka_run_group_tests(tests, tu_setup_tmp_cache, tu_teardown_tmp);
    free(train_output);
    return rc;
}
