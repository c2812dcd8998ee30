/* test_npy.c — .npy writing and reading: bit-exact round trips, the header bytes
 * numpy expects, hand-made files the reader must accept or refuse, and (when
 * /usr/bin/python3 has numpy) numpy itself reading our files and writing its own. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "lintrain/npy.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"

/* A float from its IEEE-754 bits, so the tests can use NaN payloads and -0. */
static float from_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void assert_msg_has(const lt_error *err, const char *a, const char *b)
{
    if (!strstr(err->msg, a) || (b && !strstr(err->msg, b))) {
        fail_msg("error \"%s\" does not mention \"%s\" and \"%s\"", err->msg, a,
                 b ? b : "");
    }
}

/* Writes then reads back data of the given shape; asserts bits and shape agree. */
static void round_trip(const char *path, const float *data, const size_t *shape, int ndim)
{
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        count *= shape[i];
    }
    lt_error err = {{0}};
    assert_int_equal(lt_npy_write_f32(path, data, shape, ndim, &err), LT_OK);
    float *back = NULL;
    size_t got[LT_NPY_MAX_DIMS];
    int got_ndim = -1;
    if (lt_npy_read_f32(path, &back, got, &got_ndim, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(got_ndim, ndim);
    for (int i = 0; i < ndim; i++) {
        assert_int_equal(got[i], shape[i]);
    }
    assert_memory_equal(back, data, count * sizeof(float));
    free(back);
}

static void test_round_trip_2d(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "w.npy");
    const float data[12] = {
        0.0f, from_bits(0x80000000u), 1.0f / 3.0f, -2.5e-3f,
        INFINITY, -INFINITY, from_bits(0x7fc01234u), from_bits(0x00000001u),
        3.4028235e38f, 1.17549435e-38f, 123456.789f, -7.0f,
    };
    const size_t shape[2] = {3, 4};
    round_trip(path, data, shape, 2);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void test_round_trip_1d(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "b.npy");
    const float data[5] = {1.5f, -2.0f, 0.1f, 1e-30f, 42.0f};
    const size_t shape[1] = {5};
    round_trip(path, data, shape, 1);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* The file's header: magic, version 1.0, 64-byte alignment, numpy's dict text. */
static void check_header(const char *path, const char *shape_text, size_t count)
{
    size_t n = 0;
    char *file = tu_read_file(path, &n);
    assert_non_null(file);
    assert_true(n >= 10);
    assert_memory_equal(file, "\x93NUMPY\x01\x00", 8);
    size_t hlen = (size_t)(unsigned char)file[8] | (size_t)(unsigned char)file[9] << 8;
    size_t total = 10 + hlen;
    assert_int_equal(total % 64, 0);
    assert_int_equal(n, total + count * sizeof(float));
    assert_int_equal(file[total - 1], '\n');
    char *dict = strndup(file + 10, hlen);
    assert_non_null(dict);
    char want[128];
    snprintf(want, sizeof want, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
             shape_text);
    if (strncmp(dict, want, strlen(want)) != 0) {
        fail_msg("header \"%s\" does not start with \"%s\"", dict, want);
    }
    assert_non_null(strstr(dict, "'descr': '<f4'"));
    for (size_t i = strlen(want); i + 1 < hlen; i++) {
        assert_int_equal(dict[i], ' ');
    }
    free(dict);
    free(file);
}

static void test_header_bytes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "h.npy");
    const float data[12] = {0};
    lt_error err = {{0}};
    const size_t s2[2] = {3, 4}, s1[1] = {5}, s3[3] = {3072, 10, 1};
    assert_int_equal(lt_npy_write_f32(path, data, s2, 2, &err), LT_OK);
    check_header(path, "(3, 4)", 12);
    assert_int_equal(lt_npy_write_f32(path, data, s1, 1, &err), LT_OK);
    check_header(path, "(5,)", 5);
    float *big = calloc(3072 * 10, sizeof *big);
    assert_non_null(big);
    assert_int_equal(lt_npy_write_f32(path, big, s3, 3, &err), LT_OK);
    check_header(path, "(3072, 10, 1)", 3072 * 10);
    free(big);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Overwriting works, and neither a success nor a failure leaves path.tmp behind. */
static void test_write_replaces_and_cleans_up(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "r.npy");
    char *tmp = tu_join(dir, "r.npy.tmp");
    const float a[2] = {1.0f, 2.0f}, b[3] = {3.0f, 4.0f, 5.0f};
    const size_t sa[1] = {2}, sb[1] = {3};
    round_trip(path, a, sa, 1);
    round_trip(path, b, sb, 1);
    assert_int_not_equal(access(tmp, F_OK), 0);

    lt_error err = {{0}};
    char *nowhere = tu_join(dir, "no/such/dir/x.npy");
    assert_int_equal(lt_npy_write_f32(nowhere, a, sa, 1, &err), LT_ERR);
    assert_msg_has(&err, "no/such/dir/x.npy", "No such file");
    const size_t s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(lt_npy_write_f32(path, a, s9, 9, &err), LT_ERR);
    assert_msg_has(&err, path, "dimensions");
    assert_int_equal(lt_npy_write_f32(path, a, sa, 0, &err), LT_ERR);
    assert_msg_has(&err, path, "dimensions");
    /* The failures above did not touch the existing file. */
    round_trip(path, b, sb, 1);
    free(nowhere);
    free(tmp);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* A write that fails half way (here: the file size limit) reports it and removes the
 * temporary file, and the target is not created. */
static void test_write_failure_removes_tmp(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "big.npy");
    char *tmp = tu_join(dir, "big.npy.tmp");
    float *big = calloc(3072 * 10, sizeof *big);
    assert_non_null(big);
    const size_t shape[2] = {3072, 10};
    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 4096; /* room for the header, not for the 120 kB of data */
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of a signal */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    lt_error err = {{0}};
    lt_status st = lt_npy_write_f32(path, big, shape, 2, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(st, LT_ERR);
    assert_msg_has(&err, tmp, "write failed");
    assert_int_not_equal(access(tmp, F_OK), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    free(big);
    free(tmp);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* A hand-made .npy: the given version, dict text (written as is) and nbytes of data. */
static void write_raw(const char *path, int major, const char *dict, size_t nbytes)
{
    size_t dlen = strlen(dict), nlen = major == 1 ? 2 : 4;
    size_t n = 8 + nlen + dlen + nbytes;
    unsigned char *buf = calloc(n, 1);
    assert_non_null(buf);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < nlen; i++) {
        buf[8 + i] = (unsigned char)(dlen >> (8 * i));
    }
    memcpy(buf + 8 + nlen, dict, dlen);
    for (size_t i = 0; i < nbytes / 4; i++) {
        float v = (float)i;
        memcpy(buf + 8 + nlen + dlen + 4 * i, &v, 4);
    }
    tu_write_file(path, buf, n);
    free(buf);
}

/* Reading path fails with a message naming it and mentioning what. */
static void read_fails(const char *path, const char *what)
{
    static float dummy;
    float *data = &dummy; /* not NULL: the reader must reset it */
    size_t shape[LT_NPY_MAX_DIMS];
    int ndim = -1;
    lt_error err = {{0}};
    assert_int_equal(lt_npy_read_f32(path, &data, shape, &ndim, &err), LT_ERR);
    assert_null(data);
    assert_int_equal(ndim, 0);
    assert_msg_has(&err, path, what);
}

static void test_read_rejects(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "bad.npy");
    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";

    write_raw(path, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", 48);
    read_fails(path, "'<f8'");
    write_raw(path, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n", 24);
    read_fails(path, "'>f4'");
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", 24);
    read_fails(path, "Fortran");
    write_raw(path, 1, ok, 20);
    read_fails(path, "truncated data");
    write_raw(path, 1, ok, 28);
    read_fails(path, "after");
    write_raw(path, 3, ok, 24);
    read_fails(path, "version 3.0");
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False}\n", 0);
    read_fails(path, "'shape'");
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5)}\n", 20);
    read_fails(path, "'shape'");
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), 'x': 1}\n", 20);
    read_fails(path, "'x'");
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}\n",
              4);
    read_fails(path, "dimensions");
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': "
              "(99999999999999999999999,)}\n", 4);
    read_fails(path, "'shape'");
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': "
              "(4294967296, 4294967296, 4294967296)}\n", 4);
    read_fails(path, "overflow");

    /* Right length, wrong magic; and a file shorter than the magic. */
    write_raw(path, 1, ok, 24);
    size_t n;
    char *bytes = tu_read_file(path, &n);
    assert_non_null(bytes);
    bytes[1] = 'X';
    tu_write_file(path, bytes, n);
    read_fails(path, "not a .npy file");
    tu_write_file(path, "\x93NUM", 4);
    read_fails(path, "not a .npy file");
    free(bytes);

    char *missing = tu_join(dir, "missing.npy");
    read_fails(missing, "No such file");
    free(missing);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Reads path, expecting success with shape want[0..ndim). */
static float *read_ok(const char *path, const size_t *want, int ndim)
{
    float *data = NULL;
    size_t shape[LT_NPY_MAX_DIMS];
    int got = -1;
    lt_error err = {{0}};
    if (lt_npy_read_f32(path, &data, shape, &got, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(got, ndim);
    for (int i = 0; i < ndim; i++) {
        assert_int_equal(shape[i], want[i]);
    }
    return data;
}

/* What other writers may produce: version 2.0, any key order, double quotes, odd
 * white space, a trailing comma in the shape, Python 2's 'L', a 0-d array. */
static void test_read_accepts_variants(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "v.npy");
    const size_t s23[2] = {2, 3}, s4[1] = {4};

    write_raw(path, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 24);
    float *d = read_ok(path, s23, 2);
    assert_true(d[5] == 5.0f);
    free(d);
    write_raw(path, 1, "{ \"shape\" :(2 ,3,) ,\t'fortran_order':False,'descr':'<f4'}  \n", 24);
    free(read_ok(path, s23, 2));
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4L,)}\n", 16);
    free(read_ok(path, s4, 1));
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", 4);
    d = read_ok(path, NULL, 0);
    assert_true(d[0] == 0.0f);
    free(d);
    write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }\n", 0);
    const size_t s03[2] = {0, 3};
    free(read_ok(path, s03, 2));
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* numpy loads our file with the same shape, dtype and bits; numpy.save of the same
 * array gives the same bytes as ours; and we read numpy's file. */
static void numpy_agrees(const char *dir, const size_t *shape, int ndim, const char *shape_text)
{
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        count *= shape[i];
    }
    float *data = calloc(count, sizeof *data);
    char *hex = calloc(count * 8 + 1, 1);
    assert_non_null(data);
    assert_non_null(hex);
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        data[i] = (float)i * 0.5f - 1.0f; /* exact in float32, so numpy computes the same */
        sum += data[i];
        const unsigned char *b = (const unsigned char *)&data[i];
        for (int k = 0; k < 4; k++) {
            snprintf(hex + 8 * i + 2 * k, 3, "%02x", b[k]);
        }
    }
    char *ours = tu_join(dir, "ours.npy");
    char *theirs = tu_join(dir, "theirs.npy");
    lt_error err = {{0}};
    assert_int_equal(lt_npy_write_f32(ours, data, shape, ndim, &err), LT_OK);

    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             PYTHON " -c 'import sys, numpy as np; a = np.load(sys.argv[1]); "
             "print(a.shape, a.dtype, float(a.sum(dtype=np.float64)), a.tobytes().hex()); "
             "b = np.arange(a.size, dtype=np.float32) * np.float32(0.5) - np.float32(1); "
             "np.save(sys.argv[2], b.reshape(a.shape))' '%s' '%s'",
             ours, theirs);
    char *out = NULL;
    int rc = tu_run(cmd, &out);
    size_t wcap = strlen(hex) + 256;
    char *want = malloc(wcap);
    assert_non_null(want);
    snprintf(want, wcap, "%s float32 %.1f %s\n", shape_text, sum, hex);
    if (rc != 0 || strcmp(out, want) != 0) {
        fail_msg("python exited %d and printed \"%s\", expected \"%s\"", rc, out, want);
    }
    free(want);
    free(out);

    size_t n1, n2;
    char *b1 = tu_read_file(ours, &n1), *b2 = tu_read_file(theirs, &n2);
    assert_non_null(b1);
    assert_non_null(b2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1); /* byte for byte what numpy.save writes */
    float *back = read_ok(theirs, shape, ndim);
    assert_memory_equal(back, data, count * sizeof(float));
    free(back);
    free(b1);
    free(b2);
    free(ours);
    free(theirs);
    free(hex);
    free(data);
}

static void test_numpy_interop(void **state)
{
    (void)state;
    if (tu_run(PYTHON " -c 'import numpy'", NULL) != 0) {
        skip(); /* numpy is optional: the checks above do not need it */
    }
    char *dir = tu_mkdtemp();
    const size_t s34[2] = {3, 4}, s5[1] = {5}, s3072[2] = {3072, 10};
    numpy_agrees(dir, s34, 2, "(3, 4)");
    numpy_agrees(dir, s5, 1, "(5,)");
    numpy_agrees(dir, s3072, 2, "(3072, 10)");
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_2d),
        cmocka_unit_test(test_round_trip_1d),
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_write_replaces_and_cleans_up),
        cmocka_unit_test(test_write_failure_removes_tmp),
        cmocka_unit_test(test_read_rejects),
        cmocka_unit_test(test_read_accepts_variants),
        cmocka_unit_test(test_numpy_interop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
