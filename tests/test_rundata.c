/* test_rundata.c — the data a run was trained on (data.json) and what the commands after
 * training do with it, on the committed sample against ./lintrain: data.json's fields
 * against the data read independently; a folder without data.json (written before it
 * existed) opens as CIFAR-10 and evaluates, predicts and plots as before; broken
 * data.json files refused by name; eval, predict and gradcheck refusing a run whose C
 * differs from the data's with both shapes named; predict --npy against scores worked
 * out here in double precision; the heat map of W: its colours by hand, its limits,
 * and the picture each kind of run gets. */
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

#include "lintrain/cifar.h"
#include "lintrain/npy.h"
#include "lintrain/run.h"
#include "lintrain/rundata.h"
#include "lintrain/weightmap.h"
#include "testutil.h"

#define SAMPLE "data/cifar-10-sample"

static int setup(void **state)
{
    tu_setup_tmp(state);
    return tu_runf(NULL, "./lintrain --config configs/quickstart.json --quiet --set "
                   "train.epochs=2 --set train.threads=1 --out '%s/sm'", tu_tmp) == 0 ? 0 : -1;
}

static void copy_run(const char *src, const char *dst)
{
    assert_int_equal(tu_runf(NULL, "rm -rf '%s/%s' && cp -r '%s/%s' '%s/%s'", tu_tmp, dst,
                             tu_tmp, src, tu_tmp, dst), 0);
}

/* data.json after training: the shape, type and names of the data, read here through
 * the CIFAR-10 reader on its own. */
static void test_data_json_written(void **state)
{
    (void)state;
    cJSON *j = tu_load_json_in("sm", "data.json");
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "format")->valuestring, "cifar10");
    assert_int_equal((int)tu_json_number(j, "D"), 3072);
    assert_int_equal((int)tu_json_number(j, "C"), 10);
    assert_string_equal(cJSON_GetObjectItem(j, "dtype")->valuestring, "uint8");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "images")));
    char names[LT_CIFAR_C][LT_CLASS_NAME_MAX];
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_class_names(SAMPLE, names, &err), LT_OK);
    cJSON *arr = cJSON_GetObjectItem(j, "class_names");
    assert_int_equal(cJSON_GetArraySize(arr), 10);
    for (int k = 0; k < 10; k++) {
        assert_string_equal(cJSON_GetArrayItem(arr, k)->valuestring, names[k]);
    }
    cJSON_Delete(j);
}

/* A folder from before data.json: CIFAR-10 (D 3072, C 10, uint8, images), the names of
 * data.dir (or the standard ones); eval, predict and plot work on it as on the new one. */
static void test_old_layout_opens(void **state)
{
    (void)state;
    copy_run("sm", "old");
    char *p = tu_path_in("old", "data.json");
    assert_int_equal(remove(p), 0);
    free(p);
    char *dir = tu_join(tu_tmp, "old");
    lt_run r;
    lt_error err = {{0}};
    assert_int_equal(lt_run_open(&r, dir, NULL, NULL, 0, 0, &err), LT_OK);
    assert_false(r.data.recorded);
    assert_int_equal(r.data.D, 3072);
    assert_int_equal(r.data.C, 10);
    assert_int_equal(r.data.dtype, LT_DTYPE_U8);
    assert_true(r.data.is_image);
    assert_string_equal(r.data.format, "cifar10");
    lt_run_free(&r);
    lt_rundata d;
    assert_int_equal(lt_rundata_read(dir, "/nonexistent", &d, &err), LT_OK);
    assert_string_equal(d.class_names[0], "airplane");
    assert_string_equal(d.class_names[9], "truck");
    lt_rundata_free(&d);
    char *a = NULL, *b = NULL;
    assert_int_equal(tu_runf(&a, "./lintrain eval --run '%s/old'", tu_tmp), 0);
    assert_int_equal(tu_runf(&b, "./lintrain eval --run '%s/sm'", tu_tmp), 0);
    /* the same report but for the folder's name */
    char *ta = strstr(a, "train:"), *tb = strstr(b, "train:");
    assert_non_null(ta);
    assert_non_null(tb);
    *strstr(ta, "wrote") = *strstr(tb, "wrote") = '\0';
    assert_string_equal(ta, tb);
    free(a);
    free(b);
    p = tu_path_in("old", "templates.png");
    assert_int_equal(remove(p), 0);
    assert_int_equal(tu_runf(NULL, "PATH=/nonexistent ./lintrain plot --run '%s/old'", tu_tmp),
                     0);
    assert_true(tu_is_png(p));
    free(p);
    free(dir);
}

/* Broken data.json files: refused naming the file and what is wrong; eval exits 1. */
static void test_broken_data_json_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"[1, 2]", "not a JSON object"},
        {"{\"format\": \"npy\", \"D\": 0, \"C\": 2, \"dtype\": \"uint8\", \"images\": false, "
         "\"class_names\": [\"a\", \"b\"]}", "\"D\" is not a number of features"},
        {"{\"format\": \"npy\", \"D\": 4, \"C\": 2.5, \"dtype\": \"uint8\", \"images\": false, "
         "\"class_names\": [\"a\", \"b\"]}", "\"C\" is not a number of classes"},
        {"{\"format\": \"npy\", \"D\": 4, \"C\": 2, \"dtype\": \"int8\", \"images\": false, "
         "\"class_names\": [\"a\", \"b\"]}", "\"dtype\" is not"},
        {"{\"format\": \"npy\", \"D\": 4, \"C\": 2, \"dtype\": \"uint8\", "
         "\"class_names\": [\"a\", \"b\"]}", "\"images\" is not true or false"},
        {"{\"format\": \"npy\", \"D\": 4, \"C\": 3, \"dtype\": \"float32\", \"images\": false, "
         "\"class_names\": [\"a\", \"b\"]}", "not an array of C = 3 names"},
        {"{\"format\": \"npy\", \"D\": 4, \"C\": 2, \"dtype\": \"float32\", \"images\": false, "
         "\"class_names\": [\"a\", 7]}", "class name 1 is not a string"},
    };
    copy_run("sm", "broken");
    char *dir = tu_join(tu_tmp, "broken"), *p = tu_path_in("broken", "data.json");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_write_file(p, cases[i].text, strlen(cases[i].text));
        lt_rundata d;
        lt_error err = {{0}};
        assert_int_equal(lt_rundata_read(dir, SAMPLE, &d, &err), LT_ERR);
        if (!strstr(err.msg, cases[i].message) || !strstr(err.msg, "data.json")) {
            fail_msg("case %zu: %s", i, err.msg);
        }
        assert_null(d.class_names);
    }
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "./lintrain eval --run '%s/broken'", tu_tmp), 1);
    assert_non_null(strstr(out, "class name 1 is not a string"));
    free(out);
    free(p);
    free(dir);
}

/* tu_tmp/c100: the sample run made a 100-class run (data.json, W (3072, 100), b (100)),
 * which the 10-class sample data does not fit. */
static void make_c100(void)
{
    copy_run("sm", "c100");
    char *dir = tu_join(tu_tmp, "c100"), *eval = tu_path_in("c100", "eval.json");
    remove(eval);
    free(eval);
    lt_error err = {{0}};
    char(*names)[LT_CLASS_NAME_MAX] = calloc(100, LT_CLASS_NAME_MAX);
    assert_non_null(names);
    for (int k = 0; k < 100; k++) {
        snprintf(names[k], LT_CLASS_NAME_MAX, "class%d", k);
    }
    lt_rundata d = {"cifar100", 3072, 100, LT_DTYPE_U8, 1, names, 1, "", 0};
    assert_int_equal(lt_rundata_write(dir, &d, &err), LT_OK);
    float *W = calloc(3072 * 100, sizeof *W), b[100] = {0};
    assert_non_null(W);
    b[42] = 1.0f; /* class 42 wins everywhere */
    size_t wshape[2] = {3072, 100}, bshape[1] = {100};
    char *wp = tu_path_in("c100", "weights.npy"), *bp = tu_path_in("c100", "bias.npy");
    assert_int_equal(lt_npy_write_f32(wp, W, wshape, 2, &err), LT_OK);
    assert_int_equal(lt_npy_write_f32(bp, b, bshape, 1, &err), LT_OK);
    free(W);
    free(wp);
    free(bp);
    free(names);
    free(dir);
}

/* eval refuses the 100-class run on the 10-class data, naming both; predict needs no
 * data (its names are data.json's); gradcheck refuses its weights as a start. */
static void test_other_shape_refused(void **state)
{
    (void)state;
    make_c100();
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "./lintrain eval --run '%s/c100'", tu_tmp), 2);
    if (!strstr(out, "cannot evaluate") || !strstr(out, "D 3072, C 100, uint8 (data.json)") ||
        !strstr(out, "the data now give D 3072, C 10, uint8")) {
        fail_msg("%s", out);
    }
    assert_false(tu_exists_in("c100", "eval.json"));
    free(out);
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/c100' --json --top 2 "
                             "tests/fuzz/seeds/png/rgb8_32x32.png", tu_tmp), 0);
    assert_non_null(strstr(out, "\"class\":\"class42\",\"index\":42,\"score\":1,"));
    free(out);
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/c100' --top 101 "
                             "tests/fuzz/seeds/png/rgb8_32x32.png", tu_tmp), 2);
    assert_non_null(strstr(out, "--top: must be in [1, 100]"));
    free(out);
    /* Without preprocess.npy the refit needs the data: refused the same way. */
    char *p = tu_path_in("c100", "preprocess.npy");
    assert_int_equal(remove(p), 0);
    free(p);
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/c100' "
                             "tests/fuzz/seeds/png/rgb8_32x32.png", tu_tmp), 2);
    assert_non_null(strstr(out, "cannot refit preprocess.npy"));
    free(out);
    assert_int_equal(tu_runf(&out, "./lintrain gradcheck --config configs/quickstart.json "
                             "--samples 5 --checks 2 --set 'model.init_weights=\"%s/c100/"
                             "weights.npy\"'", tu_tmp), 2);
    assert_non_null(strstr(out, "wrong shape: (3072, 100), expected (3072, 10)"));
    free(out);
    /* weights.npy of another shape than data.json's: named with both. */
    copy_run("sm", "mixed");
    char *src = tu_path_in("c100", "data.json"), *dst = tu_path_in("mixed", "data.json");
    size_t n;
    char *text = tu_read_file(src, &n);
    tu_write_file(dst, text, n);
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/mixed' "
                             "tests/fuzz/seeds/png/rgb8_32x32.png", tu_tmp), 1);
    assert_non_null(strstr(out, "wrong shape: (3072, 10), expected (3072, 100)"));
    free(out);
    free(text);
    free(src);
    free(dst);
}

/* Test records 0..n-1 of the sample as float32 rows (n, 3072) in tu_tmp/name. */
static lt_dataset write_rows_f32(const char *name, size_t n)
{
    const char *files[1] = {"test_batch.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load(SAMPLE, files, 1, &ds, &err), LT_OK);
    float *x = calloc(n * 3072, sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n * 3072; i++) {
        x[i] = ((const uint8_t *)ds.x)[i];
    }
    size_t shape[2] = {n, 3072};
    char *p = tu_join(tu_tmp, name);
    assert_int_equal(lt_npy_write_f32(p, x, shape, 2, &err), LT_OK);
    free(p);
    free(x);
    return ds;
}

/* Score of record i for class k by the definition, in double: b_k + Σ_d x'_d W[d,k]
 * with x' = (x - shift) * scale. */
static double hand_score(const lt_run *r, const lt_dataset *ds, size_t i, size_t k)
{
    double s = r->model.b[k];
    const uint8_t *x = lt_dataset_u8(ds, i);
    for (size_t d = 0; d < r->model.D; d++) {
        double xp = ((double)x[d] - r->prep.shift[d]) * r->prep.scale[d];
        s += xp * r->model.W[d * r->model.C + k];
    }
    return s;
}

/* Test records 0..n-1 of ds as a uint8 .npy (n, 3072) in tu_tmp/name, its header
 * written here by the format's definition (version 1.0, 64-byte aligned). */
static void write_rows_u8(const char *name, const lt_dataset *ds, size_t n)
{
    char head[128];
    int len = snprintf(head + 10, sizeof head - 10, "{'descr': '|u1', 'fortran_order': False, "
                       "'shape': (%zu, 3072), }", n);
    size_t total = 10 + (size_t)len + 1, padded = (total + 63) / 64 * 64;
    memset(head + 10 + len, ' ', padded - total);
    head[padded - 1] = '\n';
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    head[8] = (char)((padded - 10) & 0xFF);
    head[9] = (char)((padded - 10) >> 8);
    char *bytes = malloc(padded + n * 3072);
    assert_non_null(bytes);
    memcpy(bytes, head, padded);
    memcpy(bytes + padded, ds->x, n * 3072);
    char *p = tu_join(tu_tmp, name);
    tu_write_file(p, bytes, padded + n * 3072);
    free(p);
    free(bytes);
}

/* predict --npy of uint8 rows on a uint8 run: the kernel's own scores, to the bit. */
static void check_u8_rows(const lt_run *r, const lt_dataset *ds)
{
    write_rows_u8("rows_u8.npy", ds, 3);
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/sm' --json --top 10 --npy "
                             "'%s/rows_u8.npy'", tu_tmp, tu_tmp), 0);
    lt_kernel k;
    lt_error err = {{0}};
    assert_int_equal(lt_run_kernel(r, 1, &k, &err), LT_OK);
    size_t row = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), row++) {
        float s[10];
        lt_rows one = {ds->x, LT_DTYPE_U8, NULL, NULL, row, 1};
        lt_kernel_scores(&k, &r->model, &one, s);
        cJSON *o = cJSON_Parse(line);
        for (int t = 0; t < 10; t++) {
            cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "top"), t);
            assert_true((float)tu_json_number(c, "score") == s[(int)tu_json_number(c, "index")]);
        }
        cJSON_Delete(o);
    }
    assert_int_equal(row, 3);
    lt_kernel_free(&k);
    free(out);
}

/* predict --npy: one JSON line a row, "row" in place of "file", the scores those of
 * the definition; a D that is not the run's is exit 2. */
static void test_predict_npy_rows(void **state)
{
    (void)state;
    lt_dataset ds = write_rows_f32("rows.npy", 5);
    char *out = NULL;
    int rc = tu_runf(&out, "./lintrain predict --run '%s/sm' --json --top 10 --npy "
                     "'%s/rows.npy'", tu_tmp, tu_tmp);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    char *dir = tu_join(tu_tmp, "sm");
    lt_run r;
    lt_error err = {{0}};
    assert_int_equal(lt_run_open(&r, dir, NULL, NULL, 0, 0, &err), LT_OK);
    size_t lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        assert_int_equal((size_t)tu_json_number(j, "row"), lines);
        assert_null(cJSON_GetObjectItem(j, "file"));
        cJSON *top = cJSON_GetObjectItem(j, "top");
        assert_int_equal(cJSON_GetArraySize(top), 10);
        for (int t = 0; t < 10; t++) {
            cJSON *c = cJSON_GetArrayItem(top, t);
            size_t k = (size_t)tu_json_number(c, "index");
            double want = hand_score(&r, &ds, lines, k);
            assert_close(tu_json_number(c, "score"), want, 1e-4);
            assert_string_equal(cJSON_GetObjectItem(c, "class")->valuestring,
                                r.data.class_names[k]);
        }
        cJSON_Delete(j);
    }
    assert_int_equal(lines, 5);
    free(out);
    check_u8_rows(&r, &ds);
    lt_run_free(&r);
    lt_dataset_free(&ds);
    free(dir);
    /* 100 features: not the run's 3072. */
    float x[200] = {0};
    size_t shape[2] = {2, 100};
    char *p = tu_join(tu_tmp, "narrow.npy");
    assert_int_equal(lt_npy_write_f32(p, x, shape, 2, &err), LT_OK);
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/sm' --npy '%s'", tu_tmp, p),
                     2);
    assert_non_null(strstr(out, "D = 3072"));
    free(out);
    free(p);
    /* images and --npy together, or neither: usage. */
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/sm'", tu_tmp), 2);
    free(out);
}

#define IRIS "tests/fixtures/sklearn/iris"
#define NPY_SETS "--set data.format='\"npy\"' --set data.val_size=0 --set train.epochs=2 " \
                 "--set train.batch_size=15 --set data.test_x='\"test_x.npy\"' " \
                 "--set data.test_y='\"test_y.npy\"' --set data.class_names='\"class_names.txt\"'"

/* Score of row x (D floats) for class k by the definition, in double. */
static double hand_score_f32(const lt_run *r, const float *x, size_t k)
{
    double s = r->model.b[k];
    for (size_t d = 0; d < r->model.D; d++) {
        s += ((double)x[d] - r->prep.shift[d]) * r->prep.scale[d] * r->model.W[d * r->model.C + k];
    }
    return s;
}

/* A run on float32 .npy data (scikit-learn's iris): data.json, weights.png and no
 * templates.png, PNGs refused, --npy rows scored as the definition says; its data
 * given a fourth class name: --resume and eval refused naming C 3 and C 4. */
static void test_npy_run(void **state)
{
    (void)state;
    assert_int_equal(tu_runf(NULL, "./lintrain --config configs/quickstart.json --quiet "
                             NPY_SETS " --set data.dir='\"" IRIS "\"' "
                             "--set data.preprocess=standardize --out '%s/iris'", tu_tmp), 0);
    cJSON *j = tu_load_json_in("iris", "data.json");
    assert_string_equal(cJSON_GetObjectItem(j, "format")->valuestring, "npy");
    assert_int_equal((int)tu_json_number(j, "D"), 4);
    assert_int_equal((int)tu_json_number(j, "C"), 3);
    assert_string_equal(cJSON_GetObjectItem(j, "dtype")->valuestring, "float32");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "images")));
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "class_names"), 2)->valuestring,
                        "virginica");
    cJSON_Delete(j);
    char *p = tu_path_in("iris", "weights.png");
    assert_true(tu_is_png(p));
    free(p);
    assert_false(tu_exists_in("iris", "templates.png"));
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/iris' "
                             "tests/fuzz/seeds/png/rgb8_32x32.png", tu_tmp), 2);
    assert_non_null(strstr(out, "not on 32x32 images: predict its rows with --npy"));
    free(out);
    assert_int_equal(tu_runf(&out, "./lintrain predict --run '%s/iris' --json --top 3 --npy "
                             IRIS "/test_x.npy", tu_tmp), 0);
    char *dir = tu_join(tu_tmp, "iris");
    lt_run r;
    lt_error err = {{0}};
    assert_int_equal(lt_run_open(&r, dir, NULL, NULL, 0, 0, &err), LT_OK);
    float *X = NULL;
    size_t shape[LT_NPY_MAX_DIMS];
    int ndim;
    assert_int_equal(lt_npy_read_f32(IRIS "/test_x.npy", &X, shape, &ndim, &err), LT_OK);
    size_t rows = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), rows++) {
        cJSON *o = cJSON_Parse(line);
        cJSON *top = cJSON_GetObjectItem(o, "top");
        for (int t = 0; t < 3; t++) {
            cJSON *c = cJSON_GetArrayItem(top, t);
            size_t k = (size_t)tu_json_number(c, "index");
            assert_near(tu_json_number(c, "score"), hand_score_f32(&r, X + rows * 4, k), 1e-5);
        }
        cJSON_Delete(o);
    }
    assert_int_equal(rows, shape[0]);
    free(X);
    free(out);
    lt_run_free(&r);
    free(dir);
    /* The same data with a fourth class name: C 4 now. */
    assert_int_equal(tu_runf(NULL, "cp -r " IRIS " '%s/iris4' && echo extra >> "
                             "'%s/iris4/class_names.txt' && cp -r '%s/iris' '%s/iris_moved' && "
                             "sed -i 's|" IRIS "|%s/iris4|' '%s/iris_moved/config.json'", tu_tmp,
                             tu_tmp, tu_tmp, tu_tmp, tu_tmp, tu_tmp), 0);
    assert_int_equal(tu_runf(&out, "./lintrain --resume '%s/iris_moved'", tu_tmp), 2);
    if (!strstr(out, "cannot resume: the run was trained on data of D 4, C 3, float32 "
                     "(data.json); the data now give D 4, C 4, float32")) {
        fail_msg("%s", out);
    }
    free(out);
    assert_int_equal(tu_runf(&out, "./lintrain eval --run '%s/iris_moved'", tu_tmp), 2);
    assert_non_null(strstr(out, "cannot evaluate"));
    free(out);
}

/* The heat map's colours by hand: +m red (178, 24, 43), -m blue (33, 102, 172), 0
 * white, ±m/2 halfway (255 + t·(end − 255), rounded half away from zero). */
static void test_weightmap_colours(void **state)
{
    (void)state;
    const float m = 0.5f;
    float W[3 * 2] = {m, -m, 0, m / 2, -m / 2, 0}; /* (3, 2) */
    char names[2][LT_CLASS_NAME_MAX] = {"yes", "no"};
    lt_image im;
    lt_error err = {{0}};
    assert_int_equal(lt_weightmap_draw(W, 3, 2, names, &im, &err), LT_OK);
    /* The map's corner: the first red pixel in reading order. */
    size_t at = 0, n = im.width * im.height;
    while (at < n && memcmp(im.rgb + at * 3, "\xB2\x18\x2B", 3) != 0) {
        at++;
    }
    assert_true(at < n);
    size_t x0 = at % im.width, y0 = at / im.width, cw = 0, ch = 0;
    while (memcmp(im.rgb + (at + cw) * 3, "\xB2\x18\x2B", 3) == 0) {
        cw++;
    }
    while (memcmp(im.rgb + (at + ch * im.width) * 3, "\xB2\x18\x2B", 3) == 0) {
        ch++;
    }
    assert_int_equal(cw, 32); /* 720 / 2 classes, at most 32 */
    assert_int_equal(ch, 32);
    const uint8_t want[6][3] = {{178, 24, 43}, {33, 102, 172}, {255, 255, 255},
                                {217, 140, 149}, {144, 179, 214}, {255, 255, 255}};
    for (size_t d = 0; d < 3; d++) {
        for (size_t k = 0; k < 2; k++) {
            const uint8_t *px = im.rgb + ((y0 + d * ch + ch / 2) * im.width + x0 + k * cw +
                                          cw / 2) * 3;
            if (memcmp(px, want[d * 2 + k], 3) != 0) {
                fail_msg("cell (%zu, %zu): %u %u %u", d, k, px[0], px[1], px[2]);
            }
        }
    }
    lt_image_free(&im);
    W[3] = NAN;
    assert_int_equal(lt_weightmap_draw(W, 3, 2, names, &im, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "NaN"));
    assert_true(lt_weightmap_fits(2048, 256));
    assert_false(lt_weightmap_fits(2049, 2));
    assert_false(lt_weightmap_fits(2, 257));
}

/* The picture each run gets: templates.png for images, weights.png (a real PNG) for
 * other data, and none, with one line, when W is too large. */
static void test_picture_of_w(void **state)
{
    (void)state;
    char names[3][LT_CLASS_NAME_MAX] = {"setosa", "versicolor", "virginica"};
    lt_rundata d = {"npy", 4, 3, LT_DTYPE_F32, 0, names, 1, "", 0};
    lt_model m;
    lt_error err = {{0}};
    assert_int_equal(lt_model_create(&m, 4, 3, &err), LT_OK);
    for (size_t i = 0; i < 12; i++) {
        m.W[i] = (float)i - 5.5f;
    }
    char *dir = tu_join(tu_tmp, "pictures"), note[256];
    assert_int_equal(tu_runf(NULL, "mkdir -p '%s'", dir), 0);
    const char *written = NULL;
    assert_int_equal(lt_run_draw_weights(dir, &m, &d, &written, note, sizeof note, &err),
                     LT_OK);
    assert_string_equal(written, "weights.png");
    assert_string_equal(note, "");
    char *p = tu_path_in("pictures", "weights.png");
    lt_image im;
    assert_int_equal(lt_image_read_png(p, &im, &err), LT_OK);
    assert_true(im.width >= 420 && im.height > 4 * 32);
    lt_image_free(&im);
    free(p);
    lt_model_free(&m);
    assert_int_equal(lt_model_create(&m, 4096, 3, &err), LT_OK);
    d.D = 4096;
    assert_int_equal(lt_run_draw_weights(dir, &m, &d, &written, note, sizeof note, &err),
                     LT_OK);
    assert_null(written);
    assert_non_null(strstr(note, "4096 features x 3 classes"));
    lt_model_free(&m);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_json_written),
        cmocka_unit_test(test_old_layout_opens),
        cmocka_unit_test(test_broken_data_json_refused),
        cmocka_unit_test(test_other_shape_refused),
        cmocka_unit_test(test_predict_npy_rows),
        cmocka_unit_test(test_npy_run),
        cmocka_unit_test(test_weightmap_colours),
        cmocka_unit_test(test_picture_of_w),
    };
    return cmocka_run_group_tests(tests, setup, tu_teardown_tmp);
}
