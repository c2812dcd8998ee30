/* test_readers.c — the data readers as input boundaries: the general .npy reader
 * (npy_read.c), the npy data set (npyset.c), class-name files (names.c) and the
 * CIFAR-100 layout (cifar.c). Files are written byte by byte here, header included, so
 * every dtype and every damage is exact; values are checked against what was written. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lintrain/cifar.h"
#include "lintrain/names.h"
#include "lintrain/npy.h"
#include "lintrain/npyset.h"
#include "testutil.h"

/* Writes a v1.0 .npy with the given header dict and n data bytes; returns its path. */
static char *write_npy(const char *name, const char *dict, const void *data, size_t n)
{
    char head[512];
    size_t dlen = strlen(dict);
    size_t total = 10 + dlen + 1;
    size_t pad = 64 - total % 64;
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    head[8] = (char)((dlen + pad + 1) & 0xff);
    head[9] = (char)((dlen + pad + 1) >> 8);
    memcpy(head + 10, dict, dlen);
    memset(head + 10 + dlen, ' ', pad);
    head[10 + dlen + pad] = '\n';
    size_t hl = 10 + dlen + pad + 1;
    char *buf = malloc(hl + n + 1);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    if (n > 0) {
        memcpy(buf + hl, data, n);
    }
    char *path = tu_join(tu_tmp, name);
    tu_write_file(path, buf, hl + n);
    free(buf);
    return path;
}

static char *write_arr(const char *name, const char *descr, const char *shape,
                       const void *data, size_t n)
{
    char dict[256];
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
             descr, shape);
    return write_npy(name, dict, data, n);
}

static void assert_msg(const lt_error *err, const char *a, const char *b)
{
    if (!strstr(err->msg, a) || (b && !strstr(err->msg, b))) {
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err->msg, a, b ? b : "");
    }
}

/* Opening path fails with a message holding a and b. */
static void open_fails(const char *path, const char *a, const char *b)
{
    lt_npy_file nf;
    lt_error err = {{0}};
    assert_int_not_equal(lt_npy_open(path, &nf, &err), LT_OK);
    assert_null(nf.f);
    assert_msg(&err, a, b);
}

static void test_labels_every_int_dtype(void **state)
{
    (void)state;
    static const char *const descrs[] = {"|u1", "|i1", "<u2", "<i2", "<u4", "<i4", "<u8",
                                         "<i8"};
    for (size_t k = 0; k < 8; k++) {
        size_t size = (size_t)1 << (k / 2);
        unsigned char data[3 * 8] = {0};
        data[0] = 7;          /* 7, 0, 120 little-endian in any width */
        data[2 * size] = 120;
        char *path = write_arr("y.npy", descrs[k], "(3,)", data, 3 * size);
        lt_npy_file nf;
        lt_error err = {{0}};
        assert_int_equal(lt_npy_open(path, &nf, &err), LT_OK);
        uint16_t labels[3], max;
        assert_int_equal(lt_npy_read_labels(&nf, labels, &max, &err), LT_OK);
        assert_int_equal(labels[0], 7);
        assert_int_equal(labels[1], 0);
        assert_int_equal(labels[2], 120);
        assert_int_equal(max, 120);
        lt_npy_close(&nf);
        free(path);
    }
}

static void test_labels_out_of_range(void **state)
{
    (void)state;
    int64_t neg[3] = {1, 2, -3};
    int32_t big[2] = {5, 70000};
    const struct {
        const char *descr;
        const void *data;
        size_t n;
        const char *want;
    } cases[] = {{"<i8", neg, sizeof neg, "row 2 (0-based): label -3 is negative"},
                 {"<i4", big, sizeof big, "row 1 (0-based): label 70000 is above 65535"}};
    for (size_t k = 0; k < 2; k++) {
        char shape[16];
        snprintf(shape, sizeof shape, "(%zu,)", cases[k].n / (cases[k].descr[2] - '0'));
        char *path = write_arr("y.npy", cases[k].descr, shape, cases[k].data, cases[k].n);
        lt_npy_file nf;
        lt_error err = {{0}};
        assert_int_equal(lt_npy_open(path, &nf, &err), LT_OK);
        uint16_t labels[3], max;
        assert_int_not_equal(lt_npy_read_labels(&nf, labels, &max, &err), LT_OK);
        assert_msg(&err, path, cases[k].want);
        lt_npy_close(&nf);
        free(path);
    }
}

static void test_refused_dtypes_by_name(void **state)
{
    (void)state;
    unsigned char zeros[64] = {0};
    const struct {
        const char *descr, *want;
    } cases[] = {{">f4", "big-endian float32"}, {"|O", "object"},
                 {"<U10", "str"},               {"|b1", "bool"},
                 {"<f2", "float16"},            {"<c8", "complex64"},
                 {"<M8[ns]", "datetime64"},     {"|S3", "bytes"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *path = write_arr("bad.npy", cases[k].descr, "(2,)", zeros, 8);
        open_fails(path, cases[k].descr, cases[k].want);
        free(path);
    }
    char *path = write_npy("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                           zeros, 16);
    open_fails(path, "Fortran order", NULL);
    free(path);
    path = write_npy("s.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, "
                     "'shape': (2,), }", zeros, 8);
    open_fails(path, "structured", NULL);
    free(path);
}

static void test_truncated_and_long_files(void **state)
{
    (void)state;
    float v[6] = {0};
    char *path = write_arr("x.npy", "<f4", "(2, 3)", v, 20);
    open_fails(path, "truncated: the shape needs 24 bytes of float32, the file holds 20", NULL);
    free(path);
    path = write_arr("x.npy", "<f4", "(2, 3)", v, 24 + 0);
    lt_npy_file nf;
    lt_error err = {{0}};
    assert_int_equal(lt_npy_open(path, &nf, &err), LT_OK);
    lt_npy_close(&nf);
    free(path);
    float w[7] = {0};
    path = write_arr("x.npy", "<f4", "(2, 3)", w, 28);
    open_fails(path, "4 unexpected bytes after the 24 bytes", NULL);
    free(path);
}

static void test_zero_row_file(void **state)
{
    (void)state;
    char *path = write_arr("x.npy", "<f4", "(0, 5)", NULL, 0);
    lt_npy_file nf;
    lt_error err = {{0}};
    assert_int_equal(lt_npy_open(path, &nf, &err), LT_OK);
    assert_int_equal(nf.count, 0);
    float dst[1];
    assert_int_equal(lt_npy_read_matrix(&nf, LT_DTYPE_F32, dst, &err), LT_OK);
    lt_npy_close(&nf);
    char *y = write_arr("y.npy", "|u1", "(0,)", NULL, 0);
    lt_npyset_shape shape;
    assert_int_not_equal(lt_npyset_count(path, y, &shape, &err), LT_OK);
    assert_msg(&err, path, "has no rows");
    free(path);
    free(y);
}

/* float64 X: converted to float32 exactly where representable; NaN/Inf named by row
 * and column. */
static void test_float64_matrix(void **state)
{
    (void)state;
    double x[6] = {0.5, -2.0, 3.25, 1e-3, 65504.0, -0.125};
    uint8_t y[2] = {1, 0};
    char *xp = write_arr("x.npy", "<f8", "(2, 3)", x, sizeof x);
    char *yp = write_arr("y.npy", "|u1", "(2,)", y, sizeof y);
    lt_dataset ds;
    uint16_t max;
    lt_error err = {{0}};
    assert_int_equal(lt_npyset_load(xp, yp, &ds, &max, &err), LT_OK);
    assert_int_equal(ds.dtype, LT_DTYPE_F32);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.D, 3);
    for (int i = 0; i < 6; i++) {
        assert_true(((float *)ds.x)[i] == (float)x[i]);
    }
    assert_int_equal(ds.labels[0], 1);
    assert_int_equal(max, 1);
    lt_dataset_free(&ds);
    x[5] = NAN;
    free(xp);
    xp = write_arr("x.npy", "<f8", "(2, 3)", x, sizeof x);
    assert_int_not_equal(lt_npyset_load(xp, yp, &ds, &max, &err), LT_OK);
    assert_msg(&err, xp, "row 1, column 2 (0-based): NaN");
    assert_null(ds.x);
    float xf[6] = {0, 0, 0, 0, INFINITY, 0};
    free(xp);
    xp = write_arr("x.npy", "<f4", "(2, 3)", xf, sizeof xf);
    assert_int_not_equal(lt_npyset_load(xp, yp, &ds, &max, &err), LT_OK);
    assert_msg(&err, xp, "row 1, column 1 (0-based): +Inf");
    free(xp);
    free(yp);
}

static void test_npyset_shapes(void **state)
{
    (void)state;
    uint8_t x[6] = {1, 2, 3, 4, 5, 6}, y3[3] = {0, 1, 2};
    int64_t xi[6] = {0};
    char *xp = write_arr("x.npy", "|u1", "(2, 3)", x, 6);
    char *yp = write_arr("y.npy", "|u1", "(3,)", y3, 3);
    lt_npyset_shape shape;
    lt_error err = {{0}};
    assert_int_not_equal(lt_npyset_count(xp, yp, &shape, &err), LT_OK);
    assert_msg(&err, "3 labels but", "has 2 rows");
    free(yp);
    yp = write_arr("y.npy", "|u1", "(2,)", y3, 2);
    assert_int_equal(lt_npyset_count(xp, yp, &shape, &err), LT_OK);
    assert_int_equal(shape.dtype, LT_DTYPE_U8);
    lt_dataset ds;
    uint16_t max;
    assert_int_equal(lt_npyset_load(xp, yp, &ds, &max, &err), LT_OK);
    assert_memory_equal(ds.x, x, 6);
    assert_int_not_equal(lt_npyset_check_labels(&ds, 1, yp, "2 names", &err), LT_OK);
    assert_msg(&err, "row 1 (0-based): label 1 is out of range 0..0", "2 names");
    lt_dataset_free(&ds);
    free(xp);
    xp = write_arr("x.npy", "|u1", "(6,)", x, 6);
    assert_int_not_equal(lt_npyset_count(xp, yp, &shape, &err), LT_OK);
    assert_msg(&err, "shape (6,)", "2-D");
    free(xp);
    xp = write_arr("x.npy", "<i8", "(2, 3)", xi, sizeof xi);
    assert_int_not_equal(lt_npyset_count(xp, yp, &shape, &err), LT_OK);
    assert_msg(&err, "X of dtype int64", "uint8, float32 or float64");
    free(xp);
    free(yp);
}

static void test_names_file(void **state)
{
    (void)state;
    char *path = tu_join(tu_tmp, "names.txt");
    char (*names)[LT_CLASS_NAME_MAX];
    size_t n;
    lt_error err = {{0}};
    tu_write_file(path, "apple\r\nbanana \ncherry\n\n\n", 24);
    assert_int_equal(lt_names_read(path, &names, &n, &err), LT_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[1], "banana");
    assert_string_equal(names[2], "cherry");
    free(names);
    tu_write_file(path, "a\n\nb\n", 5);
    assert_int_not_equal(lt_names_read(path, &names, &n, &err), LT_OK);
    assert_msg(&err, path, "line 2 is blank between names");
    assert_null(names);
    tu_write_file(path, "\n\n", 2);
    assert_int_not_equal(lt_names_read(path, &names, &n, &err), LT_OK);
    assert_msg(&err, "no class names", NULL);
    free(path);
}

/* A CIFAR-100 file of 3 records: fine labels from byte 1, coarse from byte 0, pixels
 * after both. */
static void test_cifar100_layout(void **state)
{
    (void)state;
    const size_t rec = LT_CIFAR_D + 2;
    unsigned char *data = calloc(3, rec);
    assert_non_null(data);
    for (size_t i = 0; i < 3; i++) {
        data[i * rec] = (unsigned char)(19 - i);
        data[i * rec + 1] = (unsigned char)(97 + i);
        data[i * rec + 2] = (unsigned char)(200 + i); /* first pixel */
    }
    char *path = tu_join(tu_tmp, "train.bin");
    tu_write_file(path, data, 3 * rec);
    const char *files[1] = {"train.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load_as(&LT_CIFAR100_COARSE, tu_tmp, files, 1, &ds, &err), LT_OK);
    assert_int_equal(ds.labels[2], 17);
    assert_int_equal(((uint8_t *)ds.x)[2 * LT_CIFAR_D], 202);
    lt_dataset_free(&ds);
    data[2 * rec + 1] = 100;
    tu_write_file(path, data, 3 * rec);
    assert_int_not_equal(lt_cifar_load_as(&LT_CIFAR100_FINE, tu_tmp, files, 1, &ds, &err),
                         LT_OK);
    assert_msg(&err, "record 2 (0-based", "fine label 100 is out of range 0..99");
    size_t count;
    tu_write_file(path, data, 3 * rec - 1);
    assert_int_not_equal(lt_cifar_count_as(&LT_CIFAR100_FINE, tu_tmp, files, 1, &count, &err),
                         LT_OK);
    assert_msg(&err, "3074-byte record (2 whole records", NULL);
    free(path);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_labels_every_int_dtype, tu_setup_tmp,
                                        tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_labels_out_of_range, tu_setup_tmp,
                                        tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_refused_dtypes_by_name, tu_setup_tmp,
                                        tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_truncated_and_long_files, tu_setup_tmp,
                                        tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_zero_row_file, tu_setup_tmp, tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_float64_matrix, tu_setup_tmp, tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_npyset_shapes, tu_setup_tmp, tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_names_file, tu_setup_tmp, tu_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_cifar100_layout, tu_setup_tmp, tu_teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
