/* test_featpipe.c — data.features: the stage objects checked by the config (each
 * mistake named at its path, did you mean, defaults filled in, preprocessing's default);
 * the feature matrices equal the extractors called here on the raw records, stage by
 * stage, for any thread count; a k-means run through the binary: its folder (the fitted
 * model, filters.png, data.json, one metrics line per stage and split), eval giving
 * summary.json's numbers again, the saved pipeline re-applied to one image giving the
 * training features bit for bit, and predict on PNG files scoring the test accuracy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cJSON.h>

#include "lintrain/config.h"
#include "lintrain/featpipe.h"
#include "lintrain/features.h"
#include "lintrain/image.h"
#include "lintrain/splits.h"
#include "feature_testutil.h"

#define SAMPLE "data.dir=data/cifar-10-sample"

/* Loads a config from sets alone; returns the status, the message in err. */
static lt_status load(lt_config *cfg, const char *const *sets, size_t n, lt_error *err)
{
    memset(err, 0, sizeof *err);
    return lt_config_load(cfg, NULL, sets, n, err);
}

static void expect_error(const char *features, const char *want1, const char *want2)
{
    char set[512];
    snprintf(set, sizeof set, "data.features=%s", features);
    const char *sets[] = {set};
    lt_config cfg;
    lt_error err;
    lt_status st = load(&cfg, sets, 1, &err);
    if (st != LT_ECONFIG || !strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2))) {
        fail_msg("%s: status %d, message \"%s\", wanted \"%s\"", features, st, err.msg, want1);
    }
    lt_config_free(&cfg);
}

static void test_stage_errors(void **state)
{
    (void)state;
    expect_error("[{\"name\":\"hog\"},{\"name\":\"hue_histogram\",\"bins\":0}]",
                 "data.features[1].bins: expected a whole number in [1, 65536], got 0", NULL);
    expect_error("[{\"name\":\"hue_histogram\",\"bins\":2.5}]", "data.features[0].bins", "2.5");
    expect_error("[{\"name\":\"hgo\"}]", "data.features[0].name: unknown stage \"hgo\"",
                 "did you mean \"hog\"");
    expect_error("[{\"name\":\"sift\"}]", "unknown stage \"sift\"", "pixels, hog");
    expect_error("[{\"name\":\"kmeans\",\"centroid\":3}]", "data.features[0].centroid",
                 "did you mean \"centroids\"");
    expect_error("[{\"name\":\"hog\",\"bins\":3}]", "data.features[0].bins: unknown key of "
                 "stage \"hog\"", NULL);
    expect_error("[{\"name\":\"kmeans\",\"centroids\":1}]", "data.features[0].centroids", NULL);
    expect_error("[{\"name\":\"kmeans\",\"patch\":33}]", "data.features[0].patch", NULL);
    expect_error("[{\"name\":\"kmeans\",\"whiten\":1}]", "data.features[0].whiten", NULL);
    expect_error("[{\"name\":\"kmeans\",\"encoder\":\"soft\"}]", "data.features[0].encoder",
                 "triangle, hard");
    expect_error("[{\"name\":\"hog\",\"name\":\"hog\"}]", "duplicate key \"name\"", NULL);
    expect_error("[{}]", "data.features[0].name: missing", NULL);
    expect_error("[{\"name\":\"hog\"}, 3]", "data.features[1]: expected an object", NULL);
    expect_error("[]", "data.features: must not be empty", NULL);
    expect_error("{\"name\":\"hog\"}", "data.features: expected a list of objects", NULL);
    /* Blamed on the --set that gave the list. */
    expect_error("[{\"name\":\"hgo\"}]", "--set \"data.features=", NULL);
    /* Not for rows of numbers. */
    const char *npy[] = {"data.format=npy", "data.features=[{\"name\":\"hog\"}]"};
    lt_config cfg;
    lt_error err;
    assert_int_equal(load(&cfg, npy, 2, &err), LT_ECONFIG);
    assert_non_null(strstr(err.msg, "data.features: not used by format \"npy\""));
    lt_config_free(&cfg);
}

/* The resolved stage object i of cfg. */
static const cJSON *stage(const lt_config *cfg, size_t i)
{
    assert_true(i < cfg->data.features.n);
    return cfg->data.features.items[i];
}

static void test_stage_defaults(void **state)
{
    (void)state;
    lt_config cfg;
    lt_error err;
    assert_int_equal(load(&cfg, NULL, 0, &err), LT_OK);
    assert_int_equal(cfg.data.features.n, 1);
    assert_string_equal(cJSON_GetObjectItem(stage(&cfg, 0), "name")->valuestring, "pixels");
    assert_string_equal(cfg.data.preprocess, "mean_image");
    assert_false(lt_featpipe_wanted(&cfg));
    lt_config_free(&cfg);

    const char *km[] = {"data.features=[{\"name\":\"kmeans\"},{\"name\":\"hue_histogram\"}]"};
    assert_int_equal(load(&cfg, km, 1, &err), LT_OK);
    const cJSON *k = stage(&cfg, 0);
    assert_int_equal(cJSON_GetObjectItem(k, "centroids")->valuedouble, 1600);
    assert_int_equal(cJSON_GetObjectItem(k, "patch")->valuedouble, 6);
    assert_int_equal(cJSON_GetObjectItem(k, "stride")->valuedouble, 1);
    assert_int_equal(cJSON_GetObjectItem(k, "patches")->valuedouble, 400000);
    assert_int_equal(cJSON_GetObjectItem(k, "iterations")->valuedouble, 10);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(k, "whiten")));
    assert_string_equal(cJSON_GetObjectItem(k, "encoder")->valuestring, "triangle");
    assert_string_equal(cJSON_GetObjectItem(k, "pool")->valuestring, "quadrants");
    assert_int_equal(cJSON_GetObjectItem(stage(&cfg, 1), "bins")->valuedouble, 10);
    assert_string_equal(cfg.data.preprocess, "standardize");
    assert_true(lt_featpipe_wanted(&cfg));
    /* The resolved config.json holds the defaults, and reads back the same. */
    char *json = lt_config_to_json(&cfg);
    assert_non_null(strstr(json, "\"iterations\":"));
    lt_config_free(&cfg);
    free(json);

    const char *both[] = {"data.features=[{\"name\":\"pixels\"},{\"name\":\"hog\"}]",
                          "data.preprocess=none"};
    assert_int_equal(load(&cfg, both, 2, &err), LT_OK);
    assert_true(lt_featpipe_wanted(&cfg));
    assert_string_equal(cfg.data.preprocess, "none");
    lt_config_free(&cfg);
}

/* Record i of ds's features: the extractors called here, stage by stage. */
static void expect_row(const lt_dataset *images, const lt_dataset *feats, size_t i,
                       size_t bins)
{
    size_t D = LT_CIFAR_D + 144 + bins;
    float *want = calloc(D, sizeof *want);
    assert_non_null(want);
    const uint8_t *rec = lt_dataset_u8(images, i);
    for (size_t j = 0; j < LT_CIFAR_D; j++) {
        want[j] = (float)rec[j];
    }
    lt_features_hog(rec, 32, 32, want + LT_CIFAR_D);
    lt_features_hue(rec, 32, 32, bins, want + LT_CIFAR_D + 144);
    assert_int_equal(feats->D, D);
    assert_memory_equal(lt_dataset_f32(feats, i), want, D * sizeof *want);
    assert_int_equal(feats->labels[i], images->labels[i]);
    free(want);
}

static void test_features_are_the_extractors(void **state)
{
    (void)state;
    const char *sets[] = {SAMPLE, "data.val_size=200",
                          "data.features=[{\"name\":\"pixels\"},{\"name\":\"hog\"},"
                          "{\"name\":\"hue_histogram\",\"bins\":7}]",
                          "train.threads=2"};
    lt_config cfg;
    lt_error err;
    assert_int_equal(load(&cfg, sets, 4, &err), LT_OK);
    lt_splits raw, s;
    lt_featpipe p;
    assert_int_equal(lt_splits_load(&cfg, &raw, &err), LT_OK);
    assert_int_equal(lt_featpipe_splits(&cfg, NULL, &p, &s, NULL, &err), LT_OK);
    assert_int_equal(s.is_image, 0);
    assert_string_equal(s.features, "pixels|hog|hue_histogram");
    assert_int_equal(s.train.dtype, LT_DTYPE_F32);
    assert_int_equal(s.train.n, raw.train.n);
    assert_int_equal(s.test.n, raw.test.n);
    size_t rows[] = {0, 1, 977, raw.train.n - 1};
    for (size_t r = 0; r < 4; r++) {
        expect_row(&raw.train, &s.train, rows[r], 7);
    }
    expect_row(&raw.val, &s.val, raw.val.n - 1, 7);
    expect_row(&raw.test, &s.test, 300, 7);
    /* One line per stage and split in the log, with its shape. */
    assert_int_equal(p.n_log, 9);
    assert_string_equal(p.log[4].stage, "hog");
    assert_string_equal(p.log[4].what, "val");
    assert_int_equal(p.log[4].rows, 200);
    assert_int_equal(p.log[4].cols, 144);
    lt_splits_free(&raw);
    lt_splits_free(&s);
    lt_featpipe_free(&p);
    lt_config_free(&cfg);
}

/* k-means features of the sample with threads threads into *s (caller frees). */
static void kmeans_features(const char *threads, lt_splits *s)
{
    char t[64];
    snprintf(t, sizeof t, "train.threads=%s", threads);
    const char *sets[] = {SAMPLE, "data.val_size=200", t,
                          "data.features=[{\"name\":\"kmeans\",\"centroids\":5,"
                          "\"patches\":1000,\"iterations\":2,\"patch\":5,\"stride\":3}]"};
    lt_featpipe p;
    tu_feature_splits(sets, 4, &p, s);
    assert_int_equal(s->train.D, 20);
    lt_featpipe_free(&p);
}

static void test_kmeans_any_thread_count(void **state)
{
    (void)state;
    lt_splits a, b;
    kmeans_features("1", &a);
    kmeans_features("2", &b);
    assert_memory_equal(a.train.x, b.train.x, a.train.n * a.train.D * sizeof(float));
    assert_memory_equal(a.test.x, b.test.x, a.test.n * a.test.D * sizeof(float));
    lt_splits_free(&a);
    lt_splits_free(&b);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *sets[] = {SAMPLE, "data.limit_train=10",
                          "data.features=[{\"name\":\"kmeans\",\"centroids\":2,"
                          "\"patch\":32,\"patches\":11}]"};
    lt_config cfg;
    lt_error err;
    lt_splits s;
    lt_featpipe p;
    assert_int_equal(load(&cfg, sets, 3, &err), LT_OK);
    /* One 32x32 patch per image: 10 images hold 10. */
    assert_int_equal(lt_featpipe_splits(&cfg, NULL, &p, &s, NULL, &err), LT_ECONFIG);
    /* The stage's own message, not one about the feature cache it went through. */
    assert_true(strncmp(err.msg, "data.features[0] (kmeans)", 25) == 0);
    assert_non_null(strstr(err.msg, "patches: 11 is more than the 10 distinct 32x32"));
    lt_splits_free(&s);
    lt_featpipe_free(&p);
    lt_config_free(&cfg);
    /* Matrices larger than any machine's memory, refused before any work. */
    const char *huge[] = {SAMPLE,
                          "data.features=[{\"name\":\"kmeans\",\"centroids\":1048576}]"};
    assert_int_equal(load(&cfg, huge, 2, &err), LT_OK);
    assert_int_equal(lt_featpipe_splits(&cfg, NULL, &p, &s, NULL, &err), LT_ECONFIG);
    assert_non_null(strstr(err.msg, "GB, more than this machine's"));
    lt_splits_free(&s);
    lt_featpipe_free(&p);
    lt_config_free(&cfg);
}

/* ---- the feature cache ---------------------------------------------------------------- */

/* The sample's k-means + hog features with data.feature_cache set as cache says. */
static void cached_features(const char *cache, lt_splits *s, lt_featpipe *p)
{
    char set[64];
    snprintf(set, sizeof set, "data.feature_cache=%s", cache);
    const char *sets[] = {SAMPLE, "data.val_size=200", set,
                          "data.features=[{\"name\":\"kmeans\",\"centroids\":6,"
                          "\"patches\":1000,\"iterations\":2},{\"name\":\"hog\"}]"};
    tu_feature_splits(sets, 4, p, s);
}

/* The test cache's entries, and the path of the last one. */
static int entries(char *last, size_t cap)
{
    char *root = tu_join(tu_tmp, "cache-test");
    int n = tu_cache_entries(root, last, cap);
    free(root);
    return n;
}

static void expect_same(const lt_splits *a, const lt_splits *b)
{
    assert_int_equal(a->train.D, b->train.D);
    assert_memory_equal(a->train.x, b->train.x, a->train.n * a->train.D * sizeof(float));
    assert_memory_equal(a->val.x, b->val.x, a->val.n * a->val.D * sizeof(float));
    assert_memory_equal(a->test.x, b->test.x, a->test.n * a->test.D * sizeof(float));
    assert_memory_equal(a->test.labels, b->test.labels, a->test.n * sizeof(uint16_t));
}

static void test_cache_hit_miss_corrupt(void **state)
{
    (void)state;
    char entry[1024];
    lt_splits off, miss, hit, rebuilt;
    lt_featpipe p;
    char *root = tu_join(tu_tmp, "cache-test"), *shared = tu_join(tu_tmp, "cache");
    assert_int_equal(setenv("LINTRAIN_CACHE_DIR", root, 1), 0);
    cached_features("false", &off, &p);
    assert_string_equal(p.log[0].what, "fit");
    lt_featpipe_free(&p);
    assert_int_equal(entries(entry, sizeof entry), 0);
    /* A miss computes (the fit in the log) and stores one entry. */
    cached_features("true", &miss, &p);
    assert_string_equal(p.log[0].what, "fit");
    lt_featpipe_free(&p);
    assert_int_equal(entries(entry, sizeof entry), 1);
    expect_same(&off, &miss);
    /* A hit reads it: no fit, the same bytes, the model read back for the run folder. */
    cached_features("true", &hit, &p);
    assert_string_equal(p.log[0].stage, "cache");
    assert_int_equal(p.stages[0].model.K, 6);
    assert_int_equal(p.stages[0].size, 24);
    lt_featpipe_free(&p);
    expect_same(&off, &hit);
    /* A byte changed in a blob: the entry is not trusted, the features are rebuilt. */
    assert_int_equal(tu_runf(NULL, "printf 'X' | dd of='%s/test.f32' bs=1 seek=100 "
                                   "conv=notrunc 2>/dev/null", entry), 0);
    cached_features("true", &rebuilt, &p);
    assert_string_equal(p.log[0].what, "fit");
    lt_featpipe_free(&p);
    expect_same(&off, &rebuilt);
    assert_int_equal(entries(entry, sizeof entry), 1);
    lt_splits *all[] = {&off, &miss, &hit, &rebuilt};
    for (size_t i = 0; i < 4; i++) {
        lt_splits_free(all[i]);
    }
    assert_int_equal(setenv("LINTRAIN_CACHE_DIR", shared, 1), 0);
    free(root);
    free(shared);
}

/* ---- a k-means run through the binary ------------------------------------------------ */

#define RUN "km"

static int run_trained;

static void train_once(void)
{
    if (run_trained) {
        return;
    }
    char *out = NULL;
    int rc = tu_lintrain(RUN, TU_KMEANS_RUN_ARGS, &out);
    if (rc != 0) {
        fail_msg("training failed (%d): %s", rc, out ? out : "");
    }
    free(out);
    run_trained = 1;
}

static void test_kmeans_run_folder(void **state)
{
    (void)state;
    train_once();
    const char *files[] = {"kmeans_centroids.npy", "kmeans_mean.npy", "kmeans_whiten.npy",
                           "preprocess.npy", "weights.npy"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        assert_true(tu_exists_in(RUN, files[i]));
    }
    char *filters = tu_path_in(RUN, "filters.png");
    assert_true(tu_is_png(filters));
    free(filters);
    cJSON *data = tu_load_json_in(RUN, "data.json");
    assert_int_equal(tu_json_number(data, "D"), 4 * 8 + 4);
    assert_string_equal(cJSON_GetObjectItem(data, "dtype")->valuestring, "float32");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(data, "images")));
    cJSON *stages = cJSON_GetObjectItem(data, "features");
    assert_int_equal(cJSON_GetArraySize(stages), 2);
    assert_string_equal(cJSON_GetArrayItem(stages, 0)->valuestring, "kmeans");
    assert_string_equal(cJSON_GetArrayItem(stages, 1)->valuestring, "hue_histogram");
    cJSON_Delete(data);
    /* fit, then train, val, test of each stage, in that order, before the epochs. */
    int n = 0;
    cJSON **lines = tu_metrics_lines(RUN, &n);
    const char *want[][3] = {{"kmeans", "fit", "3000"}, {"kmeans", "train", "1800"},
                             {"hue_histogram", "train", "1800"}, {"kmeans", "val", "200"},
                             {"hue_histogram", "val", "200"}, {"kmeans", "test", "500"},
                             {"hue_histogram", "test", "500"}};
    assert_true(n > 7);
    for (int i = 0; i < 7; i++) {
        assert_string_equal(cJSON_GetObjectItem(lines[i], "type")->valuestring, "features");
        assert_string_equal(cJSON_GetObjectItem(lines[i], "stage")->valuestring, want[i][0]);
        assert_string_equal(cJSON_GetObjectItem(lines[i], "split")->valuestring, want[i][1]);
        cJSON *shape = cJSON_GetObjectItem(lines[i], "shape");
        assert_int_equal(cJSON_GetArrayItem(shape, 0)->valuedouble, atof(want[i][2]));
        assert_true(tu_json_number(lines[i], "seconds") >= 0);
    }
    assert_string_equal(cJSON_GetObjectItem(lines[7], "type")->valuestring, "epoch");
    tu_free_lines(lines);
}

static void test_eval_gives_the_summary(void **state)
{
    (void)state;
    train_once();
    char *dir = tu_path_in(RUN, NULL);
    assert_int_equal(tu_runf(NULL, "./lintrain eval --run '%s' > /dev/null", dir), 0);
    cJSON *sum = tu_load_json_in(RUN, "summary.json");
    cJSON *ev = tu_load_json_in(RUN, "eval.json");
    cJSON *splits = cJSON_GetObjectItem(ev, "splits");
    const char *names[] = {"val", "test"};
    for (size_t i = 0; i < 2; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s_acc", names[i]);
        cJSON *s = cJSON_GetObjectItem(splits, names[i]);
        assert_true(tu_json_number(s, "accuracy") == tu_json_number(sum, key));
    }
    cJSON_Delete(sum);
    cJSON_Delete(ev);
    free(dir);
}

/* The pipeline read back from the folder, applied to one image, gives the row training
 * computed for it, bit for bit; predict on the test images as PNG files scores them as
 * training did. */
static void test_saved_pipeline_and_predict(void **state)
{
    (void)state;
    train_once();
    char *dir = tu_path_in(RUN, NULL);
    char *cfg_path = tu_path_in(RUN, "config.json");
    lt_config cfg;
    lt_error err;
    assert_int_equal(lt_config_load(&cfg, cfg_path, NULL, 0, &err), LT_OK);
    lt_splits raw, s;
    lt_featpipe p, fitted;
    assert_int_equal(lt_splits_load(&cfg, &raw, &err), LT_OK);
    assert_int_equal(lt_featpipe_splits(&cfg, dir, &p, &s, NULL, &err), LT_OK);
    assert_int_equal(lt_featpipe_init(&fitted, &cfg, &err), LT_OK);
    assert_int_equal(lt_featpipe_load(&fitted, dir, &err), LT_OK);
    float one[36];
    assert_int_equal(lt_featpipe_size(&fitted), 36);
    for (size_t i = 0; i < raw.test.n; i += 97) {
        assert_int_equal(lt_featpipe_image(&fitted, lt_dataset_u8(&raw.test, i), 32, one, &err),
                         LT_OK);
        assert_memory_equal(one, lt_dataset_f32(&s.test, i), sizeof one);
    }
    /* predict on every test image written as a PNG file. */
    char *cmd = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&cmd, &len);
    fprintf(f, "./lintrain predict --run '%s' --json", dir);
    for (size_t i = 0; i < raw.test.n; i++) {
        char name[32];
        lt_image im;
        snprintf(name, sizeof name, "t%03zu.png", i);
        char *path = tu_path_in(RUN, name);
        assert_int_equal(lt_image_from_record(lt_dataset_u8(&raw.test, i), &im, &err), LT_OK);
        assert_int_equal(lt_image_write_png(path, &im, &err), LT_OK);
        lt_image_free(&im);
        fprintf(f, " '%s'", path);
        free(path);
    }
    fclose(f);
    char *out = NULL;
    assert_int_equal(tu_run(cmd, &out), 0);
    size_t right = 0, i = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), i++) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "top"), 0);
        right += (size_t)tu_json_number(top, "index") == raw.test.labels[i];
        cJSON_Delete(o);
    }
    assert_int_equal(i, raw.test.n);
    cJSON *sum = tu_load_json_in(RUN, "summary.json");
    assert_int_equal(right, (size_t)(tu_json_number(sum, "test_acc") * raw.test.n + 0.5));
    cJSON_Delete(sum);
    free(out);
    free(cmd);
    lt_featpipe_free(&fitted);
    lt_featpipe_free(&p);
    lt_splits_free(&s);
    lt_splits_free(&raw);
    lt_config_free(&cfg);
    free(cfg_path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_errors),
        cmocka_unit_test(test_stage_defaults),
        cmocka_unit_test(test_features_are_the_extractors),
        cmocka_unit_test(test_kmeans_any_thread_count),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_cache_hit_miss_corrupt),
        cmocka_unit_test(test_kmeans_run_folder),
        cmocka_unit_test(test_eval_gives_the_summary),
        cmocka_unit_test(test_saved_pipeline_and_predict),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp_cache, tu_teardown_tmp);
}
