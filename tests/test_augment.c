/* test_augment.c — data.augment ["hflip"]: the mirror of a hand-made image; the
 * training split doubled (originals, then their mirrors with the same labels) while
 * validation and test stay as they were; k-means fitted on the originals only (the same
 * centroids with and without flips); the feature cache keeping runs with and without
 * flips apart; the config's refusals; a run through the binary and its counts. */
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
#include "lintrain/splits.h"
#include "feature_testutil.h"

#define SAMPLE "data.dir=data/cifar-10-sample"
#define HFLIP "data.augment=[\"hflip\"]"
#define NO_AUGMENT "data.augment=[]"

static lt_status load(lt_config *cfg, const char *const *sets, size_t n, lt_error *err)
{
    memset(err, 0, sizeof *err);
    return lt_config_load(cfg, NULL, sets, n, err);
}

/* ---- the mirror ---------------------------------------------------------------------- */

static void test_mirror_by_hand(void **state)
{
    (void)state;
    /* 3 planes of 3 x 3: each row reversed, rows and planes in place. */
    const uint8_t in[27] = {1, 2, 3, 4, 5, 6, 7, 8, 9,          10, 11, 12, 13, 14, 15,
                            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27};
    const uint8_t want[27] = {3, 2, 1, 6, 5, 4, 9, 8, 7,        12, 11, 10, 15, 14, 13,
                              18, 17, 16, 21, 20, 19, 24, 23, 22, 27, 26, 25};
    uint8_t out[27];
    lt_splits_hflip_image(in, 3, out);
    assert_memory_equal(out, want, sizeof want);
    /* 32 x 32: pixel (r, c) of every plane goes to (r, 31 - c). */
    uint8_t im[3 * 32 * 32], m[3 * 32 * 32];
    for (size_t i = 0; i < sizeof im; i++) {
        im[i] = (uint8_t)((i * 2654435761u) >> 13);
    }
    lt_splits_hflip_image(im, 32, m);
    for (size_t p = 0; p < 3; p++) {
        for (size_t r = 0; r < 32; r++) {
            for (size_t c = 0; c < 32; c++) {
                assert_int_equal(m[p * 1024 + r * 32 + (31 - c)], im[p * 1024 + r * 32 + c]);
            }
        }
    }
}

/* ---- the splits ---------------------------------------------------------------------- */

static void load_splits(const char *augment, lt_splits *s)
{
    const char *sets[] = {SAMPLE, "data.val_size=200", "data.limit_train=300", augment};
    lt_config cfg;
    lt_error err;
    assert_int_equal(load(&cfg, sets, 4, &err), LT_OK);
    if (lt_splits_load(&cfg, s, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    lt_split_sizes sizes;
    assert_int_equal(lt_splits_check(&cfg, &sizes, &err), LT_OK);
    assert_int_equal(sizes.train, s->train.n);
    lt_config_free(&cfg);
}

static void test_training_split_doubles(void **state)
{
    (void)state;
    lt_splits a, b;
    load_splits(NO_AUGMENT, &a);
    load_splits(HFLIP, &b);
    size_t n = a.train.n, D = a.train.D;
    assert_int_equal(n, 300);
    assert_int_equal(a.train_images, 300);
    assert_int_equal(b.train.n, 600);
    assert_int_equal(b.train_images, 300);
    /* The originals first, unchanged; then row n + i, the mirror of row i, its label. */
    assert_memory_equal(b.train.x, a.train.x, n * D);
    assert_memory_equal(b.train.labels, a.train.labels, n * sizeof *a.train.labels);
    uint8_t m[LT_CIFAR_D];
    for (size_t i = 0; i < n; i++) {
        lt_splits_hflip_image(lt_dataset_u8(&a.train, i), 32, m);
        assert_memory_equal(lt_dataset_u8(&b.train, n + i), m, D);
        assert_int_equal(b.train.labels[n + i], a.train.labels[i]);
    }
    /* Validation and test as they were. */
    assert_int_equal(b.val.n, 200);
    assert_int_equal(b.test.n, a.test.n);
    assert_memory_equal(b.val.x, a.val.x, a.val.n * D);
    assert_memory_equal(b.test.x, a.test.x, a.test.n * D);
    assert_memory_equal(b.test.labels, a.test.labels, a.test.n * sizeof *a.test.labels);
    lt_splits_free(&a);
    lt_splits_free(&b);
}

/* ---- features ------------------------------------------------------------------------ */

#define SMALL_KMEANS                                                                      \
    "data.features=[{\"name\":\"kmeans\",\"centroids\":5,\"patches\":1000,"               \
    "\"iterations\":2,\"patch\":5,\"stride\":3},{\"name\":\"hog\"}]"

static void kmeans_run(const char *augment, lt_featpipe *p, lt_splits *s)
{
    const char *sets[] = {SAMPLE, "data.val_size=200", "data.limit_train=400",
                          "data.feature_cache=false", SMALL_KMEANS, augment};
    tu_feature_splits(sets, 6, p, s);
}

static void test_kmeans_fits_on_originals(void **state)
{
    (void)state;
    lt_featpipe pa, pb;
    lt_splits a, b, raw;
    kmeans_run(NO_AUGMENT, &pa, &a);
    kmeans_run(HFLIP, &pb, &b);
    const lt_kmeans_model *ma = &pa.stages[0].model, *mb = &pb.stages[0].model;
    assert_int_equal(ma->K, 5);
    assert_memory_equal(ma->centroids, mb->centroids, ma->K * ma->d * sizeof(float));
    assert_memory_equal(ma->mean, mb->mean, ma->d * sizeof(float));
    assert_memory_equal(ma->whiten, mb->whiten, ma->d * ma->d * sizeof(float));
    /* 2N rows: the originals' features, then their mirrors'. */
    size_t n = a.train.n, D = a.train.D;
    assert_int_equal(n, 400);
    assert_int_equal(b.train.n, 800);
    assert_memory_equal(b.train.x, a.train.x, n * D * sizeof(float));
    assert_memory_equal(b.val.x, a.val.x, a.val.n * D * sizeof(float));
    assert_memory_equal(b.test.x, a.test.x, a.test.n * D * sizeof(float));
    const char *sets[] = {SAMPLE, "data.val_size=200", "data.limit_train=400"};
    lt_config cfg;
    lt_error err;
    assert_int_equal(load(&cfg, sets, 3, &err), LT_OK);
    assert_int_equal(lt_splits_load(&cfg, &raw, &err), LT_OK);
    float *row = calloc(D, sizeof *row);
    uint8_t m[LT_CIFAR_D];
    for (size_t i = 0; i < n; i += 133) {
        lt_splits_hflip_image(lt_dataset_u8(&raw.train, i), 32, m);
        assert_int_equal(lt_featpipe_image(&pb, m, 32, row, &err), LT_OK);
        assert_memory_equal(lt_dataset_f32(&b.train, n + i), row, D * sizeof *row);
        assert_int_equal(b.train.labels[n + i], raw.train.labels[i]);
    }
    free(row);
    lt_config_free(&cfg);
    lt_splits *all[] = {&a, &b, &raw};
    for (size_t i = 0; i < 3; i++) {
        lt_splits_free(all[i]);
    }
    lt_featpipe_free(&pa);
    lt_featpipe_free(&pb);
}

/* hog features of 300 sample images through the cache; *stage gets the first log
 * line's stage ("cache" on a hit). */
static void cached(const char *augment, lt_splits *s, char *stage, size_t cap)
{
    const char *sets[] = {SAMPLE, "data.val_size=200", "data.limit_train=300",
                          "data.features=[{\"name\":\"hog\"}]", augment};
    lt_config cfg;
    lt_error err;
    lt_featpipe p;
    assert_int_equal(load(&cfg, sets, 5, &err), LT_OK);
    if (lt_featpipe_splits(&cfg, NULL, &p, s, NULL, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    snprintf(stage, cap, "%s", p.log[0].stage);
    lt_featpipe_free(&p);
    lt_config_free(&cfg);
}

static int cache_entries(const char *root)
{
    char *out = NULL;
    tu_runf(&out, "ls '%s' | grep -v '\\.lock$' | wc -l", root);
    int n = atoi(out);
    free(out);
    return n;
}

static void test_cache_keeps_flips_apart(void **state)
{
    (void)state;
    char *root = tu_join(tu_tmp, "augment-cache"), *shared = tu_join(tu_tmp, "cache");
    assert_int_equal(setenv("LINTRAIN_CACHE_DIR", root, 1), 0);
    char stage[32];
    lt_splits plain, flip, flip_hit, plain_hit;
    cached(NO_AUGMENT, &plain, stage, sizeof stage);
    assert_string_equal(stage, "hog");
    assert_int_equal(cache_entries(root), 1);
    /* With flips: another key, a miss, a second entry. */
    cached(HFLIP, &flip, stage, sizeof stage);
    assert_string_equal(stage, "hog");
    assert_int_equal(cache_entries(root), 2);
    assert_int_equal(flip.train.n, 600);
    /* Each read back from its own entry. */
    cached(HFLIP, &flip_hit, stage, sizeof stage);
    assert_string_equal(stage, "cache");
    cached(NO_AUGMENT, &plain_hit, stage, sizeof stage);
    assert_string_equal(stage, "cache");
    assert_int_equal(flip_hit.train.n, 600);
    assert_int_equal(plain_hit.train.n, 300);
    assert_memory_equal(flip_hit.train.x, flip.train.x, 600 * flip.train.D * sizeof(float));
    assert_memory_equal(flip_hit.train.labels, flip.train.labels, 600 * sizeof(uint16_t));
    assert_memory_equal(plain_hit.train.x, plain.train.x, 300 * plain.train.D * sizeof(float));
    lt_splits *all[] = {&plain, &flip, &flip_hit, &plain_hit};
    for (size_t i = 0; i < 4; i++) {
        lt_splits_free(all[i]);
    }
    assert_int_equal(setenv("LINTRAIN_CACHE_DIR", shared, 1), 0);
    free(root);
    free(shared);
}

/* ---- refusals ------------------------------------------------------------------------ */

static void expect_refused(const char *augment, const char *want1, const char *want2)
{
    char *out = NULL;
    int rc = tu_runf(&out, "./lintrain check --config configs/quickstart.json --set "
                     "'data.augment=%s' 2>&1", augment);
    if (rc != 2 || !strstr(out, want1) || (want2 && !strstr(out, want2))) {
        fail_msg("%s: exit %d, output \"%s\", wanted \"%s\"", augment, rc, out, want1);
    }
    free(out);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refused("[\"hflp\"]", "data.augment[0]: unknown \"hflp\"", "did you mean \"hflip\"");
    expect_refused("[\"vflip\"]", "data.augment[0]: unknown \"vflip\"", "hflip");
    expect_refused("[\"hflip\",\"hflip\"]", "data.augment[1]: \"hflip\" is listed twice",
                   NULL);
    expect_refused("\"hflip\"", "data.augment: expected a list of strings", NULL);
    /* Rows of numbers are not images. */
    tu_put("npy_flip.json", "{\"data\": {\"format\": \"npy\", \"augment\": [\"hflip\"]}}");
    char *cfg = tu_join(tu_tmp, "npy_flip.json"), *out = NULL;
    assert_int_equal(tu_runf(&out, "./lintrain check --config '%s' 2>&1", cfg), 2);
    assert_non_null(strstr(out, "data.augment: not used by format \"npy\""));
    free(out);
    free(cfg);
    /* And below the config: a split of rows that are not images. */
    const char *sets[] = {SAMPLE, HFLIP};
    lt_config c;
    lt_error err;
    lt_splits s = {0};
    assert_int_equal(load(&c, sets, 2, &err), LT_OK);
    assert_int_equal(lt_splits_augment(&c, &s, &err), LT_ECONFIG);
    assert_non_null(strstr(err.msg, "data.augment: \"hflip\" needs images"));
    lt_config_free(&c);
}

/* ---- through the binary -------------------------------------------------------------- */

static void test_run_counts_and_eval(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = tu_lintrain("flip", "--config configs/quickstart.json --set train.epochs=2 "
                         "--set '" HFLIP "'", &out);
    if (rc != 0 || !strstr(out, "training on 3600 images (1800 + 1800 mirrored; 200 "
                                "validation, 500 test)")) {
        fail_msg("exit %d: %s", rc, out);
    }
    free(out);
    cJSON *sum = tu_load_json_in("flip", "summary.json");
    assert_int_equal(tu_json_number(sum, "n_train"), 3600);
    assert_int_equal(tu_json_number(sum, "n_train_images"), 1800);
    assert_int_equal(tu_json_number(sum, "n_val"), 200);
    cJSON *data = tu_load_json_in("flip", "data.json");
    cJSON *aug = cJSON_GetObjectItem(data, "augment");
    assert_string_equal(cJSON_GetArrayItem(aug, 0)->valuestring, "hflip");
    char *dir = tu_path_in("flip", NULL);
    assert_int_equal(tu_runf(&out, "./lintrain eval --run '%s'", dir), 0);
    assert_non_null(strstr(out, "train: 3600 images (1800 + 1800 mirrored)"));
    free(out);
    cJSON *ev = tu_load_json_in("flip", "eval.json");
    cJSON *splits = cJSON_GetObjectItem(ev, "splits");
    const char *names[] = {"train", "val", "test"};
    for (size_t i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s_acc", names[i]);
        cJSON *s = cJSON_GetObjectItem(splits, names[i]);
        assert_true(tu_json_number(s, "accuracy") == tu_json_number(sum, key));
    }
    assert_int_equal(tu_json_number(cJSON_GetObjectItem(splits, "train"), "n"), 3600);
    cJSON_Delete(ev);
    cJSON_Delete(data);
    cJSON_Delete(sum);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mirror_by_hand),
        cmocka_unit_test(test_training_split_doubles),
        cmocka_unit_test(test_kmeans_fits_on_originals),
        cmocka_unit_test(test_cache_keeps_flips_apart),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_run_counts_and_eval),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp_cache, tu_teardown_tmp);
}
