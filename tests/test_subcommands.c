/* test_subcommands.c — eval, predict, plot and warm starts, end to end on the
 * committed sample, against ./lintrain (make test runs it from the repository root).
 * Independent references: the confusion matrix's sums, summary.json written by the
 * trainer, scores computed here through the library for the same records, and, where
 * /usr/bin/python3 has NumPy, NumPy's own reading of the run folder. */
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

#include "lintrain/cifar.h"
#include "lintrain/image.h"
#include "lintrain/run.h"
#include "sgemm_oracle.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"
#define SAMPLE "data/cifar-10-sample"
#define N_IMAGES 12

static char cwd[4096]; /* the repository root, where ./lintrain is */

static int run(const char *fmt, char **out, ...)
    __attribute__((format(printf, 1, 3)));

/* Runs the shell command made from fmt; returns its exit status, output in *out. */
static int run(const char *fmt, char **out, ...)
{
    va_list ap;
    va_start(ap, out);
    int rc = tu_vrunf(out, fmt, ap);
    va_end(ap);
    return rc;
}

/* Test records 0..N_IMAGES-1 of the sample as PNG files tu_tmp/img/i.png. */
static void write_images(void)
{
    const char *files[1] = {"test_batch.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load(SAMPLE, files, 1, &ds, &err), LT_OK);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/img", tu_tmp);
    assert_int_equal(lt_mkdir_p(dir, &err), LT_OK);
    for (size_t i = 0; i < N_IMAGES; i++) {
        lt_image im;
        char p[4200];
        assert_int_equal(lt_image_from_record(lt_dataset_u8(&ds, i), &im, &err), LT_OK);
        snprintf(p, sizeof p, "%s/%zu.png", dir, i);
        assert_int_equal(lt_image_write_png(p, &im, &err), LT_OK);
        if (i == 0) {
            /* the same image at 64x64, each pixel a 2x2 block */
            lt_image big;
            assert_int_equal(lt_image_create(&big, 64, 64, 0, &err), LT_OK);
            for (size_t y = 0; y < 64; y++) {
                for (size_t x = 0; x < 64; x++) {
                    memcpy(big.rgb + (y * 64 + x) * 3, im.rgb + (y / 2 * 32 + x / 2) * 3, 3);
                }
            }
            snprintf(p, sizeof p, "%s/big.png", dir);
            assert_int_equal(lt_image_write_png(p, &big, &err), LT_OK);
            lt_image_free(&big);
        }
        lt_image_free(&im);
    }
    lt_dataset_free(&ds);
    snprintf(dir, sizeof dir, "%s/img/notapng.png", tu_tmp);
    tu_write_file(dir, "hello, world", 12);
}

static int setup(void **state)
{
    tu_setup_tmp(state);
    if (!getcwd(cwd, sizeof cwd)) {
        return -1;
    }
    const char *common = "--config configs/quickstart.json --quiet --set train.epochs=2 "
                         "--set train.threads=1";
    if (run("./lintrain %s --out '%s/sm'", NULL, common, tu_tmp) != 0 ||
        run("./lintrain %s --set model.loss=svm --out '%s/svm'", NULL, common, tu_tmp) != 0) {
        return -1;
    }
    write_images();
    return 0;
}

static void test_training_writes_extras(void **state)
{
    (void)state;
    assert_true(tu_exists_in("sm", "preprocess.npy"));
    assert_true(tu_exists_in("sm", "templates.png"));
    /* preprocess.npy holds what refitting on the training split gives, bit for bit. */
    char *dir = tu_join(tu_tmp, "sm");
    lt_run stored, refit;
    lt_error err = {{0}};
    assert_int_equal(lt_run_open(&stored, dir, NULL, NULL, 0, 0, &err), LT_OK);
    assert_false(stored.prep_refit);
    char *p = tu_path_in("sm", "preprocess.npy");
    char *moved = tu_path_in("sm", "preprocess.npy.away");
    assert_int_equal(rename(p, moved), 0);
    assert_int_equal(lt_run_open(&refit, dir, NULL, NULL, 0, 0, &err), LT_OK);
    assert_true(refit.prep_refit);
    assert_int_equal(rename(moved, p), 0);
    assert_memory_equal(stored.prep.shift, refit.prep.shift, LT_CIFAR_D * sizeof(float));
    assert_memory_equal(stored.prep.scale, refit.prep.scale, LT_CIFAR_D * sizeof(float));
    lt_run_free(&stored);
    lt_run_free(&refit);
    free(p);
    free(moved);
    free(dir);
}

static void test_eval_matches_summary(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = run("./lintrain eval --run '%s/sm'", &out, tu_tmp);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    assert_non_null(strstr(out, "true\\pred"));
    assert_non_null(strstr(out, "airplane"));
    free(out);
    cJSON *e = tu_load_json_in("sm", "eval.json"), *s = tu_load_json_in("sm", "summary.json");
    cJSON *splits = cJSON_GetObjectItem(e, "splits");
    const char *names[3] = {"train", "val", "test"};
    const char *keys[3] = {"train_acc", "val_acc", "test_acc"};
    const char *losses[3] = {"train_data_loss", "val_data_loss", "test_data_loss"};
    for (int i = 0; i < 3; i++) {
        cJSON *sp = cJSON_GetObjectItem(splits, names[i]);
        assert_non_null(sp);
        /* the same weights, data and forward path (the kernel): exactly the trainer's
         * accuracy and loss, to the last bit */
        assert_true(tu_json_number(sp, "accuracy") == tu_json_number(s, keys[i]));
        if (tu_json_number(sp, "data_loss") != tu_json_number(s, losses[i])) {
            fail_msg("%s: eval's data loss %.17g, the trainer's %.17g", names[i],
                     tu_json_number(sp, "data_loss"), tu_json_number(s, losses[i]));
        }
        cJSON *m = cJSON_GetObjectItem(sp, "confusion");
        cJSON *per = cJSON_GetObjectItem(sp, "per_class_accuracy");
        assert_int_equal(cJSON_GetArraySize(m), 10);
        double total = 0, trace = 0;
        for (int t = 0; t < 10; t++) {
            cJSON *row = cJSON_GetArrayItem(m, t);
            double rs = 0;
            for (int k = 0; k < 10; k++) {
                rs += cJSON_GetArrayItem(row, k)->valuedouble;
            }
            double diag = cJSON_GetArrayItem(row, t)->valuedouble;
            total += rs;
            trace += diag;
            assert_near(cJSON_GetArrayItem(per, t)->valuedouble, diag / rs, 1e-12);
            assert_near(cJSON_GetArrayItem(cJSON_GetObjectItem(sp, "class_counts"), t)->valuedouble,
                        rs, 0);
        }
        assert_near(total, tu_json_number(sp, "n"), 0);
        assert_near(trace, tu_json_number(sp, "correct"), 0);
    }
    /* The sample's test split is balanced: 50 records per class. */
    cJSON *counts = cJSON_GetObjectItem(cJSON_GetObjectItem(splits, "test"), "class_counts");
    for (int t = 0; t < 10; t++) {
        assert_near(cJSON_GetArrayItem(counts, t)->valuedouble, 50, 0);
    }
    cJSON_Delete(e);
    cJSON_Delete(s);
}

/* NumPy reads weights.npy, bias.npy and preprocess.npy (dtype and shape checked),
 * scores the sample's test file itself, in float64, and its confusion matrix agrees
 * with eval.json but for near-ties (at most 2 of 500 records). */
static void test_numpy_reads_run_folder(void **state)
{
    (void)state;
    if (tu_run(PYTHON " -c 'import numpy'", NULL) != 0) {
        skip();
    }
    char *out = NULL;
    assert_int_equal(run("./lintrain eval --run '%s/sm' > /dev/null", NULL, tu_tmp), 0);
    int rc = run(PYTHON " -c '\n"
                 "import sys, json, numpy as np\n"
                 "d = sys.argv[1]\n"
                 "W = np.load(d + \"/weights.npy\"); b = np.load(d + \"/bias.npy\")\n"
                 "P = np.load(d + \"/preprocess.npy\")\n"
                 "assert W.dtype == np.float32 and W.shape == (3072, 10), (W.dtype, W.shape)\n"
                 "assert b.dtype == np.float32 and b.shape == (10,), (b.dtype, b.shape)\n"
                 "assert P.dtype == np.float32 and P.shape == (2, 3072), (P.dtype, P.shape)\n"
                 "raw = np.fromfile(sys.argv[2], dtype=np.uint8).reshape(-1, 3073)\n"
                 "y = raw[:, 0]; X = (raw[:, 1:].astype(np.float64) - P[0]) * P[1]\n"
                 "pred = np.argmax(X @ W.astype(np.float64) + b, axis=1)\n"
                 "M = np.zeros((10, 10), int)\n"
                 "np.add.at(M, (y, pred), 1)\n"
                 "E = json.load(open(d + \"/eval.json\"))[\"splits\"][\"test\"]\n"
                 "E = np.array(E[\"confusion\"])\n"
                 "diff = int(np.abs(M - E).sum()) // 2\n"
                 "print(\"differ\", diff)\n"
                 "sys.exit(0 if diff <= 2 else 1)\n"
                 "' '%s/sm' " SAMPLE "/test_batch.bin",
                 &out, tu_tmp);
    if (rc != 0) {
        fail_msg("numpy check failed: %s", out);
    }
    free(out);
}

/* Scores of test record i through the library: the run's kernel (as predict), and the
 * sgemm oracle on the preprocessed features, which must agree but for rounding. */
static void library_scores(const char *dir, size_t i, float scores[10])
{
    const char *files[1] = {"test_batch.bin"};
    lt_dataset ds;
    lt_run r;
    lt_kernel k;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load(SAMPLE, files, 1, &ds, &err), LT_OK);
    assert_int_equal(lt_run_open(&r, dir, NULL, NULL, 0, 0, &err), LT_OK);
    assert_int_equal(lt_run_kernel(&r, 1, &k, &err), LT_OK);
    lt_rows one = {ds.x, LT_DTYPE_U8, NULL, NULL, i, 1};
    lt_kernel_scores(&k, &r.model, &one, scores);
    float X[LT_CIFAR_D], oracle[10];
    lt_preprocess_rows(&r.prep, &ds, NULL, i, 1, X);
    oracle_scores(&r.model, X, 1, oracle);
    for (size_t c = 0; c < 10; c++) {
        assert_close(scores[c], oracle[c], 1e-5);
    }
    lt_kernel_free(&k);
    lt_run_free(&r);
    lt_dataset_free(&ds);
}

static void test_predict_json(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = run("cd '%s/img' && '%s/lintrain' predict --run ../sm --json --top 10 "
                 "0.png 1.png 2.png 3.png 4.png 5.png 6.png 7.png 8.png 9.png 10.png 11.png "
                 "big.png 2>/dev/null",
                 &out, tu_tmp, cwd);
    if (rc != 0) {
        fail_msg("exit %d: %s", rc, out);
    }
    char *dir = tu_join(tu_tmp, "sm");
    int lines = 0;
    float first_scores[10] = {0};
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        const char *file = cJSON_GetObjectItem(j, "file")->valuestring;
        cJSON *top = cJSON_GetObjectItem(j, "top");
        assert_int_equal(cJSON_GetArraySize(top), 10);
        size_t i = strcmp(file, "big.png") == 0 ? 0 : (size_t)strtoul(file, NULL, 10);
        float s[10];
        library_scores(dir, i, s);
        double psum = 0, prev = INFINITY;
        for (int r = 0; r < 10; r++) {
            cJSON *t = cJSON_GetArrayItem(top, r);
            int k = (int)tu_json_number(t, "index");
            assert_true(tu_json_number(t, "score") <= prev); /* best first */
            prev = tu_json_number(t, "score");
            /* the scores are the kernel's for the same record, exactly */
            assert_true((float)tu_json_number(t, "score") == s[k]);
            psum += tu_json_number(t, "prob");
            assert_non_null(cJSON_GetObjectItem(t, "class"));
            if (strcmp(file, "0.png") == 0) {
                first_scores[k] = (float)tu_json_number(t, "score");
            }
            if (strcmp(file, "big.png") == 0) {
                /* 2x2 blocks average back to the 32x32 image exactly */
                assert_true((float)tu_json_number(t, "score") == first_scores[k]);
            }
        }
        assert_near(psum, 1.0, 1e-9);
        if (strcmp(file, "big.png") == 0) {
            assert_non_null(cJSON_GetObjectItem(j, "resized_from"));
        }
        cJSON_Delete(j);
    }
    assert_int_equal(lines, N_IMAGES + 1);
    free(dir);
    free(out);
}

static void test_predict_svm_and_broken_files(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = run("cd '%s/img' && '%s/lintrain' predict --run ../svm --json 0.png "
                 "notapng.png missing.png 1.png 2>&1 >/dev/null",
                 &out, tu_tmp, cwd);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "notapng.png: not a PNG file"));
    assert_non_null(strstr(out, "missing.png"));
    free(out);
    /* The good images are still predicted; SVM runs give scores and no "prob". */
    rc = run("cd '%s/img' && '%s/lintrain' predict --run ../svm --json 0.png notapng.png "
             "1.png 2>/dev/null",
             &out, tu_tmp, cwd);
    assert_int_equal(rc, 1);
    int lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "top"), 0);
        assert_null(cJSON_GetObjectItem(t, "prob"));
        assert_non_null(cJSON_GetObjectItem(t, "score"));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "top")), 3);
        cJSON_Delete(j);
    }
    assert_int_equal(lines, 2);
    free(out);
    /* Text output: one line per image, the file name first. */
    rc = run("./lintrain predict --run '%s/sm' '%s/img/3.png'", &out, tu_tmp, tu_tmp);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "3.png:"));
    free(out);
}

static void test_usage_errors(void **state)
{
    (void)state;
    const char *cmds[] = {
        "./lintrain eval",                          /* no --run */
        "./lintrain eval --run x --bogus",          /* unknown option */
        "./lintrain predict --run x",               /* no image */
        "./lintrain predict --run x --top 0 a.png", /* --top out of range */
        "./lintrain predict --run x --top 1x a.png",
        "./lintrain plot",
        "./lintrain gradcheck --config configs/quickstart.json --samples 0",
        "./lintrain gradcheck --config configs/quickstart.json --h -1",
        "./lintrain gradcheck --config configs/quickstart.json --samples 99999",
        "./lintrain gradcheck --config configs/quickstart.json --set model.loss=nope",
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char *out = NULL;
        int rc = tu_run(cmds[i], &out);
        if (rc != 2) {
            fail_msg("%s: exit %d, expected 2: %s", cmds[i], rc, out);
        }
        free(out);
    }
    char *out = NULL;
    assert_int_equal(run("./lintrain eval --run '%s/nonexistent'", &out, tu_tmp), 1);
    assert_non_null(strstr(out, "nonexistent"));
    free(out);
    assert_int_equal(run("./lintrain eval --run '%s/img'", &out, tu_tmp), 1);
    assert_non_null(strstr(out, "not a finished run"));
    free(out);
}

static void test_plot(void **state)
{
    (void)state;
    char *p = tu_path_in("sm", "templates.png");
    remove(p);
    char *out = NULL;
    assert_int_equal(run("./lintrain plot --run '%s/sm'", &out, tu_tmp), 0);
    lt_image im;
    lt_error err = {{0}};
    assert_int_equal(lt_image_read_png(p, &im, &err), LT_OK);
    assert_int_equal(im.width, 712);
    lt_image_free(&im);
    free(p);
    p = tu_path_in("sm", "curves.png");
    if (tu_run("command -v gnuplot", NULL) == 0) {
        assert_int_equal(lt_image_read_png(p, &im, &err), LT_OK);
        assert_int_equal(im.width, 900);
        lt_image_free(&im);
    }
    free(out);
    /* Without gnuplot on the PATH, curves.png is skipped with a message, exit 0. */
    remove(p);
    assert_int_equal(run("PATH=/nonexistent ./lintrain plot --run '%s/sm'", &out, tu_tmp), 0);
    assert_non_null(strstr(out, "curves.png not written"));
    assert_non_null(strstr(out, "gnuplot"));
    assert_false(tu_exists_in("sm", "curves.png"));
    free(out);
    free(p);
}

/* tu_tmp/sm/file and tu_tmp/warm/file hold the same bytes. */
static void assert_same_bytes(const char *file)
{
    char *a = tu_path_in("sm", file), *b = tu_path_in("warm", file);
    size_t na, nb;
    char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    free(x);
    free(y);
    free(a);
    free(b);
}

/* model.init_weights / init_bias warm-start from a run's own files: with a rate too
 * small to move any weight, the new run's weights.npy has the same bytes. */
static void test_warm_start_round_trip(void **state)
{
    (void)state;
    assert_int_equal(run("./lintrain --config configs/quickstart.json --quiet "
                         "--set train.epochs=1 --set optimizer.lr=1e-30 "
                         "--set regularization.lambda=0 "
                         "--set model.init_weights='\"%s/sm/weights.npy\"' "
                         "--set model.init_bias='\"%s/sm/bias.npy\"' --out '%s/warm'",
                         NULL, tu_tmp, tu_tmp, tu_tmp),
                     0);
    assert_same_bytes("weights.npy");
    assert_same_bytes("bias.npy");
}

/* The number of lines of s. */
static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

/* check prints exactly the config.json training writes, and refuses what training
 * refuses, with nothing on stdout. */
static void test_check(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run("./lintrain check --config configs/quickstart.json --set train.epochs=2 "
                         "--set train.threads=1 --out '%s/sm' 2>/dev/null",
                         &out, tu_tmp),
                     0);
    char *written_path = tu_path_in("sm", "config.json");
    char *written = tu_read_file(written_path, NULL);
    assert_non_null(written);
    assert_string_equal(out, written);
    free(written);
    free(written_path);
    free(out);

    /* The data files must be there: the default data.dir is not in a fresh clone. */
    assert_int_equal(run("./lintrain check --config configs/quickstart.json "
                         "--set data.dir='%s/nodata' 2>/dev/null", &out, tu_tmp), 2);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(run("./lintrain check --config configs/quickstart.json "
                         "--set data.dir='%s/nodata'", &out, tu_tmp), 2);
    assert_non_null(strstr(out, "run scripts/get_cifar10.sh"));
    assert_int_equal(count_lines(out), 1);
    free(out);
    assert_int_equal(run("./lintrain check --config configs/quickstart.json "
                         "--set data.val_size=2000", &out), 2);
    assert_non_null(strstr(out, "data.val_size: 2000 leaves no training records"));
    free(out);
    assert_int_equal(run("./lintrain check", &out), 2);
    assert_non_null(strstr(out, "check needs --config FILE"));
    free(out);
}

/* Random search and L-BFGS need no batch size; a --set of the optimizer drops the
 * file's keys the new one does not use, one line each, and config.json shows it. */
static void test_defaults_follow_choices(void **state)
{
    (void)state;
    char *cfg = tu_join(tu_tmp, "search.json");
    const char *text = "{\"optimizer\": {\"name\": \"random_search\", \"trials\": 50}}";
    tu_write_file(cfg, text, strlen(text));
    char *out = NULL;
    assert_int_equal(run("./lintrain check --config '%s' --set data.dir=" SAMPLE
                         " --set data.val_size=200", &out, cfg), 0);
    assert_non_null(strstr(out, "\"batch_size\":\t0"));
    free(out);
    free(cfg);

    assert_int_equal(run("./lintrain --config configs/momentum.json --set optimizer.name=adam "
                         "--set data.dir=" SAMPLE " --set data.val_size=200 "
                         "--set train.epochs=1 --quiet --out '%s/to_adam' 2>&1 >/dev/null",
                         &out, tu_tmp),
                     0);
    assert_string_equal(out, "lintrain: optimizer.rho dropped: not used by adam\n"
                             "lintrain: optimizer.form dropped: not used by adam\n");
    free(out);
    cJSON *written = tu_load_json_in("to_adam", "config.json");
    cJSON *opt = cJSON_GetObjectItem(written, "optimizer");
    assert_string_equal(cJSON_GetObjectItem(opt, "name")->valuestring, "adam");
    assert_null(cJSON_GetObjectItem(opt, "rho"));
    assert_null(cJSON_GetObjectItem(opt, "form"));
    assert_true(tu_json_number(opt, "beta2") == 0.999);
    cJSON_Delete(written);

    /* lr=null: the optimizer's default rate. */
    assert_int_equal(run("./lintrain check --config configs/momentum.json "
                         "--set optimizer.name=adam --set optimizer.lr=null 2>/dev/null "
                         "--set data.dir=" SAMPLE " --set data.val_size=200", &out), 0);
    assert_non_null(strstr(out, "\"lr\":\t0.001,"));
    free(out);
}

/* A mistyped subcommand or option gets the closest name, for every subcommand. */
static void test_did_you_mean(void **state)
{
    (void)state;
    static const struct {
        const char *cmd, *hint;
    } cases[] = {
        {"./lintrain trian --config configs/quickstart.json", "did you mean \"train\"?"},
        {"./lintrain evl --run x", "did you mean \"eval\"?"},
        {"./lintrain --confg configs/quickstart.json", "did you mean \"--config\"?"},
        {"./lintrain train --reume x", "did you mean \"--resume\"?"},
        {"./lintrain check --config=x --sett a=1", "did you mean \"--set\"?"},
        {"./lintrain gradcheck --sampels 5", "did you mean \"--samples\"?"},
        {"./lintrain eval --rn x", "did you mean \"--run\"?"},
        {"./lintrain predict --run x --topp 3 a.png", "did you mean \"--top\"?"},
        {"./lintrain plot --rum x", "did you mean \"--run\"?"},
        {"./lintrain toy --function saddle --optimzer sgd", "did you mean \"--optimizer\"?"},
        {"./lintrain toy --functon=saddle --optimizer sgd", "did you mean \"--function\"?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        int rc = tu_run(cases[i].cmd, &out);
        if (rc != 2 || !strstr(out, cases[i].hint) || count_lines(out) != 1) {
            fail_msg("%s: exit %d, output:\n%s\nexpected: %s", cases[i].cmd, rc, out,
                     cases[i].hint);
        }
        free(out);
    }
    char *out = NULL;
    assert_int_equal(tu_run("./lintrain frobnicate", &out), 2);
    assert_null(strstr(out, "did you mean"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_writes_extras),
        cmocka_unit_test(test_eval_matches_summary),
        cmocka_unit_test(test_numpy_reads_run_folder),
        cmocka_unit_test(test_predict_json),
        cmocka_unit_test(test_predict_svm_and_broken_files),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_plot),
        cmocka_unit_test(test_warm_start_round_trip),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_defaults_follow_choices),
        cmocka_unit_test(test_did_you_mean),
    };
    return cmocka_run_group_tests(tests, setup, tu_teardown_tmp);
}
