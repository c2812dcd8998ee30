/* test_datasets.c — ./lintrain on data sets other than CIFAR-10:
 *   - scikit-learn's wine as .npy (tests/fixtures/sklearn, written with the reference
 *     numbers by scripts/sklearn_datasets.py): softmax + L2 at lambda = 1/(2N) with
 *     L-BFGS must reach scikit-learn's LogisticRegression(C=1) objective within 1e-5
 *     relative, recomputed here in double from weights.npy, and its test accuracy
 *     within 2 points;
 *   - CIFAR-100's binary layout, fine and coarse, written here from the CIFAR-10 sample's
 *     records: W gets 100 or 20 columns;
 *   - broken npy and CIFAR-100 data sets, each refused with its exit status and a
 *     message naming the file and what is wrong, leaving no run folder. */
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

#include "lintrain/npy.h"
#include "lintrain/npyset.h"
#include "testutil.h"

#define SK "tests/fixtures/sklearn"

/* J = (1/N) sum -log softmax(x W + b)_y + lambda * sum W^2, in double. */
static double objective(const lt_dataset *ds, const float *W, const float *b, size_t C,
                        double lambda)
{
    const float *X = ds->x;
    double loss = 0, reg = 0;
    for (size_t i = 0; i < ds->n; i++) {
        double s[16], max = -INFINITY, sum = 0;
        for (size_t c = 0; c < C; c++) {
            s[c] = b[c];
            for (size_t d = 0; d < ds->D; d++) {
                s[c] += (double)X[i * ds->D + d] * W[d * C + c];
            }
            max = s[c] > max ? s[c] : max;
        }
        for (size_t c = 0; c < C; c++) {
            sum += exp(s[c] - max);
        }
        loss += log(sum) + max - s[ds->labels[i]];
    }
    for (size_t k = 0; k < ds->D * C; k++) {
        reg += (double)W[k] * W[k];
    }
    return loss / (double)ds->n + lambda * reg;
}

static double accuracy(const lt_dataset *ds, const float *W, const float *b, size_t C)
{
    const float *X = ds->x;
    size_t right = 0;
    for (size_t i = 0; i < ds->n; i++) {
        size_t best = 0;
        double top = -INFINITY;
        for (size_t c = 0; c < C; c++) {
            double s = b[c];
            for (size_t d = 0; d < ds->D; d++) {
                s += (double)X[i * ds->D + d] * W[d * C + c];
            }
            if (s > top) {
                top = s;
                best = c;
            }
        }
        right += best == ds->labels[i];
    }
    return (double)right / (double)ds->n;
}

static lt_dataset load_set(const char *name, const char *split)
{
    char x[256], y[256];
    snprintf(x, sizeof x, SK "/%s/%s_x.npy", name, split);
    snprintf(y, sizeof y, SK "/%s/%s_y.npy", name, split);
    lt_dataset ds;
    uint16_t max;
    lt_error err = {{0}};
    if (lt_npyset_load(x, y, &ds, &max, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    return ds;
}

static void test_sklearn_wine(void **state)
{
    (void)state;
    cJSON *all = tu_load_json(SK "/reference.json");
    cJSON *ref = cJSON_GetObjectItem(all, "wine");
    assert_non_null(ref);
    double lambda = tu_json_number(ref, "lambda");
    size_t C = (size_t)tu_json_number(ref, "C");
    char args[1024], *out = NULL;
    snprintf(args, sizeof args,
             "--set data.format='\"npy\"' --set data.dir='\"" SK "/wine\"' "
             "--set data.test_x='\"test_x.npy\"' --set data.test_y='\"test_y.npy\"' "
             "--set data.class_names='\"class_names.txt\"' --set data.val_size=0 "
             "--set data.preprocess='\"none\"' --set model.init='\"zeros\"' "
             "--set regularization.lambda=%.17g --set optimizer.name='\"lbfgs\"' "
             "--set optimizer.max_iter=200 --set optimizer.tolerance_grad=0 "
             "--set optimizer.tolerance_change=0 --set train.batch_size=0 "
             "--set train.epochs=5 --quiet",
             lambda);
    int rc = tu_lintrain("wine", args, &out);
    if (rc != 0) {
        fail_msg("lintrain exited %d: %s", rc, out);
    }
    free(out);
    float *W = NULL, *b = NULL;
    size_t shape[LT_NPY_MAX_DIMS];
    int ndim;
    lt_error err = {{0}};
    char *wp = tu_path_in("wine", "weights.npy"), *bp = tu_path_in("wine", "bias.npy");
    assert_int_equal(lt_npy_read_f32(wp, &W, shape, &ndim, &err), LT_OK);
    assert_int_equal(shape[1], C);
    assert_int_equal(lt_npy_read_f32(bp, &b, shape, &ndim, &err), LT_OK);
    lt_dataset train = load_set("wine", "train"), test = load_set("wine", "test");
    assert_int_equal(shape[0], C);
    double J = objective(&train, W, b, C, lambda), Jsk = tu_json_number(ref, "sklearn_objective");
    double acc = accuracy(&test, W, b, C), acc_sk = tu_json_number(ref, "sklearn_test_accuracy");
    printf("wine: J %.10f (scikit-learn %.10f, relative %.2g), test accuracy %.4f (%.4f)\n", J,
           Jsk, (J - Jsk) / Jsk, acc, acc_sk);
    assert_true(fabs(J - Jsk) <= 1e-5 * fabs(Jsk));
    assert_true(fabs(acc - acc_sk) <= 0.02);
    lt_dataset_free(&train);
    lt_dataset_free(&test);
    free(W);
    free(b);
    free(wp);
    free(bp);
    cJSON_Delete(all);
}

/* dir/train.bin and dir/test.bin of CIFAR-100's layout from the first n records of the
 * CIFAR-10 sample: fine label 10 * label + i % 10, coarse fine / 5; and the names. */
static void write_cifar100(const char *dir, size_t n, int bad_fine_at)
{
    size_t len;
    char *src = tu_read_file("data/cifar-10-sample/data_batch_1.bin", &len);
    assert_non_null(src);
    assert_true(len >= n * 3073);
    unsigned char *dst = malloc(n * 3074);
    assert_non_null(dst);
    for (size_t i = 0; i < n; i++) {
        unsigned fine = 10u * (unsigned char)src[i * 3073] + (unsigned)(i % 10);
        dst[i * 3074] = (unsigned char)(fine / 5);
        dst[i * 3074 + 1] = (unsigned char)((int)i == bad_fine_at ? 100 : fine);
        memcpy(dst + i * 3074 + 2, src + i * 3073 + 1, 3072);
    }
    char *d = tu_path_in(dir, NULL), cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", d);
    assert_int_equal(tu_run(cmd, NULL), 0);
    char *p = tu_join(d, "train.bin");
    tu_write_file(p, dst, n * 3074);
    free(p);
    p = tu_join(d, "test.bin");
    tu_write_file(p, dst, 50 * 3074);
    free(p);
    char names[2000] = "";
    for (int k = 0; k < 100; k++) {
        snprintf(names + strlen(names), sizeof names - strlen(names), "fine_%d\n", k);
    }
    p = tu_join(d, "fine_label_names.txt");
    tu_write_file(p, names, strlen(names));
    free(p);
    names[0] = '\0';
    for (int k = 0; k < 20; k++) {
        snprintf(names + strlen(names), sizeof names - strlen(names), "coarse_%d\n", k);
    }
    p = tu_join(d, "coarse_label_names.txt");
    tu_write_file(p, names, strlen(names));
    free(p);
    free(d);
    free(dst);
    free(src);
}

static void test_cifar100_fine_and_coarse(void **state)
{
    (void)state;
    write_cifar100("c100", 400, -1);
    const char *labels[2] = {"fine", "coarse"};
    const size_t want[2] = {100, 20};
    for (int k = 0; k < 2; k++) {
        char args[1024], *out = NULL, run[32];
        snprintf(run, sizeof run, "run_%s", labels[k]);
        snprintf(args, sizeof args,
                 "--set data.format='\"cifar100\"' --set data.dir='\"%s/c100\"' "
                 "--set data.label='\"%s\"' --set data.val_size=50 --set train.epochs=1 "
                 "--set train.batch_size=50 --quiet",
                 tu_tmp, labels[k]);
        int rc = tu_lintrain(run, args, &out);
        if (rc != 0) {
            fail_msg("lintrain exited %d: %s", rc, out);
        }
        free(out);
        char *wp = tu_path_in(run, "weights.npy");
        float *W = NULL;
        size_t shape[LT_NPY_MAX_DIMS];
        int ndim;
        lt_error err = {{0}};
        assert_int_equal(lt_npy_read_f32(wp, &W, shape, &ndim, &err), LT_OK);
        assert_int_equal(shape[0], 3072);
        assert_int_equal(shape[1], want[k]);
        free(W);
        free(wp);
    }
}

/* Writes an .npy of descr and shape into tu_tmp/bad/name. */
static void put_npy(const char *name, const char *descr, const char *shape, const void *data,
                    size_t n)
{
    char dict[256], head[128 + 256];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, "
                      "'shape': %s, }", descr, shape);
    size_t pad = 64 - (size_t)(10 + dl + 1) % 64, hl = 10 + (size_t)dl + pad + 1;
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    head[8] = (char)((hl - 10) & 0xff);
    head[9] = (char)((hl - 10) >> 8);
    memcpy(head + 10, dict, (size_t)dl);
    memset(head + 10 + dl, ' ', pad);
    head[hl - 1] = '\n';
    char *buf = malloc(hl + n + 1);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    memcpy(buf + hl, data, n);
    char *p = tu_path_in("bad", name);
    tu_write_file(p, buf, hl + n);
    free(p);
    free(buf);
}

/* Runs lintrain on tu_tmp/bad with extra settings; expects status and message. */
static void refused(const char *label, const char *sets, int status, const char *message)
{
    char args[2048], *out = NULL;
    snprintf(args, sizeof args, "--set data.format='\"npy\"' --set data.dir='\"%s/bad\"' "
             "--set data.val_size=1 --set train.epochs=1 --set train.batch_size=2 %s --quiet",
             tu_tmp, sets);
    int rc = tu_lintrain("out", args, &out);
    if (rc != status || !strstr(out, message) || tu_exists_in("out", NULL) != (status == 0)) {
        fail_msg("%s: exit %d (expected %d), output:\n%s\nexpected to contain: %s", label, rc,
                 status, out, message);
    }
    free(out);
}

static void test_broken_npy_sets(void **state)
{
    (void)state;
    char *d = tu_path_in("bad", NULL), cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", d);
    assert_int_equal(tu_run(cmd, NULL), 0);
    free(d);
    float x[8] = {0.5f, 1, 2, 3, 4, 5, 6, 7};
    int64_t y[4] = {0, 1, 2, 1}, y_big[4] = {0, 1, 7, 1};
    double xnan[8] = {0, 1, 2, 3, 4, NAN, 6, 7};
    put_npy("train_x.npy", "<f4", "(4, 2)", x, sizeof x);
    put_npy("train_y.npy", "<i8", "(4,)", y, sizeof y);
    put_npy("short_y.npy", "<i8", "(3,)", y, 3 * sizeof *y);
    put_npy("big_y.npy", "<i8", "(4,)", y_big, sizeof y_big);
    put_npy("nan_x.npy", "<f8", "(4, 2)", xnan, sizeof xnan);
    put_npy("zero_x.npy", "<f4", "(0, 2)", x, 0);
    put_npy("zero_y.npy", "<i8", "(0,)", y, 0);
    put_npy("int_x.npy", "<i4", "(4, 2)", x, sizeof x);
    put_npy("flat_x.npy", "<f4", "(8,)", x, sizeof x);
    char *p = tu_path_in("bad", "two_names.txt");
    tu_write_file(p, "a\nb\n", 4);
    free(p);
    refused("control", "--set data.preprocess='\"none\"'", 0, "");
    char *run = tu_path_in("out", NULL);
    tu_rmtree(run);
    free(run);
    refused("y shorter than X", "--set data.train_y='\"short_y.npy\"'", 1,
            "short_y.npy: 3 labels but");
    refused("NaN in X", "--set data.train_x='\"nan_x.npy\"'", 1,
            "nan_x.npy: row 2, column 1 (0-based): NaN");
    refused("0 rows", "--set data.train_x='\"zero_x.npy\"' --set data.train_y='\"zero_y.npy\"'",
            1, "zero_x.npy: shape (0, 2) has no rows");
    refused("integer X", "--set data.train_x='\"int_x.npy\"'", 1, "X of dtype int32");
    refused("1-D X", "--set data.train_x='\"flat_x.npy\"'", 1, "shape (8,); X must be 2-D");
    refused("fewer names than labels", "--set data.class_names='\"two_names.txt\"'", 1,
            "train_y.npy: row 2 (0-based): label 2 is out of range 0..1 (data.class_names");
    refused("scale on float", "--set data.preprocess='\"scale\"'", 2,
            "data.preprocess: \"scale\" divides uint8 values by 255");
    refused("missing file", "--set data.train_x='\"nope.npy\"'", 1, "nope.npy: cannot open");
    refused("a label far above the names",
            "--set data.class_names='\"two_names.txt\"' --set data.train_y='\"big_y.npy\"'", 1,
            "big_y.npy: row 2 (0-based): label 7 is out of range");
}

static void test_broken_cifar100(void **state)
{
    (void)state;
    write_cifar100("c100bad", 120, 77);
    char args[1024], *out = NULL;
    snprintf(args, sizeof args, "--set data.format='\"cifar100\"' --set data.dir='\"%s/c100bad\"' "
             "--quiet", tu_tmp);
    assert_int_equal(tu_lintrain("out", args, &out), 1);
    assert_non_null(strstr(out, "train.bin: record 77 (0-based, byte offset 236699): fine "
                                "label 100 is out of range 0..99"));
    free(out);
    assert_false(tu_exists_in("out", NULL));
    snprintf(args, sizeof args, "--set data.format='\"cifar100\"' --set data.dir='\"%s/none\"' "
             "--quiet", tu_tmp);
    assert_int_equal(tu_lintrain("out", args, &out), 1);
    assert_non_null(strstr(out, "scripts/get_cifar100.sh"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sklearn_wine, tu_setup_tmp, tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_cifar100_fine_and_coarse, tu_setup_tmp,
                                        tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_broken_npy_sets, tu_setup_tmp, tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_broken_cifar100, tu_setup_tmp, tu_teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
