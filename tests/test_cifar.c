/* test_cifar.c — the CIFAR-10 loader, slices and class names, on files the tests
 * write themselves, and on the committed sample in data/cifar-10-sample/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "lintrain/cifar.h"
#include "testutil.h"

#define SAMPLE_DIR "data/cifar-10-sample"

/* The pixel byte the tests put at position p of a record with the given tag: a
 * pattern that differs between records, planes and positions. */
static uint8_t pixel_of(unsigned tag, size_t p)
{
    return (uint8_t)(tag * 37u + p * 7u + p / 1024u);
}

/* n records into a new buffer: labels[i], pixels from pixel_of(tags[i], .). */
static uint8_t *make_records(const uint8_t *labels, const unsigned *tags, size_t n)
{
    uint8_t *buf = malloc(n * LT_CIFAR_RECORD + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) {
        uint8_t *rec = buf + i * LT_CIFAR_RECORD;
        rec[0] = labels[i];
        for (size_t p = 0; p < LT_CIFAR_D; p++) {
            rec[1 + p] = pixel_of(tags[i], p);
        }
    }
    return buf;
}

/* Writes n records to dir/name. */
static void write_batch(const char *dir, const char *name, const uint8_t *labels,
                        const unsigned *tags, size_t n)
{
    uint8_t *buf = make_records(labels, tags, n);
    char *path = tu_join(dir, name);
    tu_write_file(path, buf, n * LT_CIFAR_RECORD);
    free(path);
    free(buf);
}

/* Record i of ds has label and the pixels of tag. */
static void assert_record(const lt_dataset *ds, size_t i, uint8_t label, unsigned tag)
{
    assert_int_equal(ds->labels[i], label);
    const uint8_t *px = lt_dataset_u8(ds, i);
    for (size_t p = 0; p < LT_CIFAR_D; p++) {
        if (px[p] != pixel_of(tag, p)) {
            fail_msg("record %zu pixel %zu: got %u, expected %u", i, p, px[p],
                     pixel_of(tag, p));
        }
    }
}

static void assert_empty(const lt_dataset *ds)
{
    assert_int_equal(ds->n, 0);
    assert_null(ds->x);
    assert_null(ds->labels);
}

/* err mentions every one of the NULL-terminated strings. */
static void assert_msg_has(const lt_error *err, ...)
{
    va_list ap;
    va_start(ap, err);
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL) {
        if (!strstr(err->msg, s)) {
            va_end(ap);
            fail_msg("error \"%s\" does not mention \"%s\"", err->msg, s);
        }
    }
    va_end(ap);
}

/* Loads the single file dir/name, expecting failure; the message goes to err. */
static void load_one_fails(const char *dir, const char *name, lt_error *err)
{
    const char *files[] = {name};
    lt_dataset ds;
    memset(&ds, 0xAB, sizeof ds); /* garbage in: the loader must empty it */
    assert_int_equal(lt_cifar_load(dir, files, 1, &ds, err), LT_ERR);
    assert_empty(&ds);
}

static void test_load_three_records(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint8_t labels[] = {3, 0, 9};
    const unsigned tags[] = {1, 2, 3};
    write_batch(dir, "b.bin", labels, tags, 3);
    const char *files[] = {"b.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load(dir, files, 1, &ds, &err), LT_OK);
    assert_int_equal(ds.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_record(&ds, i, labels[i], tags[i]);
    }
    /* Spot checks by hand: record 1 (tag 2), first red, first green, last blue byte. */
    assert_int_equal(lt_dataset_u8(&ds, 1)[0], (uint8_t)(2 * 37));
    assert_int_equal(lt_dataset_u8(&ds, 1)[1024], (uint8_t)(2 * 37 + 1024 * 7 + 1));
    assert_int_equal(lt_dataset_u8(&ds, 2)[3071], (uint8_t)(3 * 37 + 3071 * 7 + 2));
    lt_dataset_free(&ds);
    assert_empty(&ds);
    tu_rmtree(dir);
    free(dir);
}

static void test_load_two_files_in_order(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint8_t la[] = {5, 6}, lb[] = {7, 8, 1};
    const unsigned ta[] = {10, 11}, tb[] = {20, 21, 22};
    write_batch(dir, "a.bin", la, ta, 2);
    write_batch(dir, "b.bin", lb, tb, 3);
    const char *files[] = {"b.bin", "a.bin"}; /* the given order, not the name order */
    lt_dataset ds;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load(dir, files, 2, &ds, &err), LT_OK);
    assert_int_equal(ds.n, 5);
    assert_record(&ds, 0, 7, 20);
    assert_record(&ds, 1, 8, 21);
    assert_record(&ds, 2, 1, 22);
    assert_record(&ds, 3, 5, 10);
    assert_record(&ds, 4, 6, 11);
    lt_dataset_free(&ds);
    tu_rmtree(dir);
    free(dir);
}

static void test_absolute_names_ignore_dir(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint8_t labels[] = {4};
    const unsigned tags[] = {9};
    write_batch(dir, "x.bin", labels, tags, 1);
    char *abs = tu_join(dir, "x.bin");
    const char *files[] = {abs, abs};
    lt_dataset ds;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load("/nonexistent-lintrain-dir", files, 2, &ds, &err), LT_OK);
    assert_int_equal(ds.n, 2);
    assert_record(&ds, 0, 4, 9);
    assert_record(&ds, 1, 4, 9);
    lt_dataset_free(&ds);
    free(abs);
    tu_rmtree(dir);
    free(dir);
}

static void test_truncated_file(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint8_t labels[] = {1, 2, 3};
    const unsigned tags[] = {1, 2, 3};
    uint8_t *buf = make_records(labels, tags, 3);
    char *path = tu_join(dir, "cut.bin");
    tu_write_file(path, buf, 3073 * 2 + 100);
    lt_error err = {{0}};
    load_one_fails(dir, "cut.bin", &err);
    assert_msg_has(&err, path, "6246 bytes is not a multiple of the 3073-byte record",
                   "2 whole records + 100 bytes", NULL);
    free(path);
    free(buf);
    tu_rmtree(dir);
    free(dir);
}

static void test_label_out_of_range(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint8_t l10[] = {0, 10, 2}, l255[] = {1, 2, 3, 255};
    const unsigned tags[] = {1, 2, 3, 4};
    write_batch(dir, "ten.bin", l10, tags, 3);
    write_batch(dir, "ff.bin", l255, tags, 4);
    lt_error err = {{0}};
    load_one_fails(dir, "ten.bin", &err);
    assert_msg_has(&err, "ten.bin", "record 1 ", "label 10", "0..9", NULL);
    load_one_fails(dir, "ff.bin", &err);
    assert_msg_has(&err, "ff.bin", "record 3 ", "label 255", NULL);
    tu_rmtree(dir);
    free(dir);
}

static void test_empty_file(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "empty.bin");
    tu_write_file(path, "", 0);
    lt_error err = {{0}};
    load_one_fails(dir, "empty.bin", &err);
    assert_msg_has(&err, path, "no records", NULL);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void test_missing_file_and_directory(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    lt_error err = {{0}};
    char *missing = tu_join(dir, "data_batch_1.bin");
    load_one_fails(dir, "data_batch_1.bin", &err);
    assert_msg_has(&err, missing, "cannot open", "No such file", NULL);

    char *sub = tu_join(dir, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    load_one_fails(dir, "sub", &err);
    assert_msg_has(&err, sub, "directory", NULL);
    free(sub);
    free(missing);
    tu_rmtree(dir);
    free(dir);
}

/* A bad second file fails the whole load and nothing of the first one remains. */
static void test_bad_second_file_leaves_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint8_t good[] = {1, 2}, bad[] = {3, 42};
    const unsigned tags[] = {1, 2};
    write_batch(dir, "good.bin", good, tags, 2);
    write_batch(dir, "bad.bin", bad, tags, 2);
    const char *files[] = {"good.bin", "bad.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load(dir, files, 2, &ds, &err), LT_ERR);
    assert_empty(&ds);
    assert_msg_has(&err, "bad.bin", "record 1 ", "label 42", NULL);
    assert_int_equal(lt_cifar_load(dir, files, 0, &ds, &err), LT_ERR);
    assert_empty(&ds);
    tu_rmtree(dir);
    free(dir);
}

static void test_class_names_from_meta(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *meta = tu_join(dir, "batches.meta.txt");
    /* Blank lines inside and at the end, CRLF, trailing blanks, as in the wild. */
    const char text[] = "plane\r\ncar\nbird  \n\ncat\ndeer\t\ndog\nfrog\nhorse\nship\n"
                        "lorry\n\n\n";
    tu_write_file(meta, text, sizeof text - 1);
    char names[LT_CIFAR_C][LT_CLASS_NAME_MAX];
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_class_names(dir, names, &err), LT_OK);
    const char *want[LT_CIFAR_C] = {"plane", "car", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "lorry"};
    for (int c = 0; c < LT_CIFAR_C; c++) {
        assert_string_equal(names[c], want[c]);
    }
    free(meta);
    tu_rmtree(dir);
    free(dir);
}

static void test_class_names_default(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char names[LT_CIFAR_C][LT_CLASS_NAME_MAX];
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_class_names(dir, names, &err), LT_OK);
    const char *want[LT_CIFAR_C] = {"airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"};
    for (int c = 0; c < LT_CIFAR_C; c++) {
        assert_string_equal(names[c], want[c]);
    }
    tu_rmtree(dir);
    free(dir);
}

static void test_class_names_bad_meta(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *meta = tu_join(dir, "batches.meta.txt");
    char names[LT_CIFAR_C][LT_CLASS_NAME_MAX];
    strcpy(names[0], "untouched");
    lt_error err = {{0}};

    const char nine[] = "a\nb\nc\nd\ne\nf\ng\nh\ni\n\n";
    tu_write_file(meta, nine, sizeof nine - 1);
    assert_int_equal(lt_cifar_class_names(dir, names, &err), LT_ERR);
    assert_msg_has(&err, meta, "9 class names", NULL);
    assert_string_equal(names[0], "untouched");

    /* 63 bytes is the longest name that fits with its NUL; 64 is one too many. */
    char text[200];
    memset(text, 'x', 63);
    snprintf(text + 63, sizeof text - 63, "\nb\nc\nd\ne\nf\ng\nh\ni\nj\n");
    tu_write_file(meta, text, strlen(text));
    assert_int_equal(lt_cifar_class_names(dir, names, &err), LT_OK);
    assert_int_equal(strlen(names[0]), 63);
    memset(text, 'x', 64);
    snprintf(text + 64, sizeof text - 64, "\nb\nc\nd\ne\nf\ng\nh\ni\nj\n");
    tu_write_file(meta, text, strlen(text));
    strcpy(names[0], "untouched");
    assert_int_equal(lt_cifar_class_names(dir, names, &err), LT_ERR);
    assert_msg_has(&err, meta, "line 1", "64 bytes", NULL);
    assert_string_equal(names[0], "untouched");
    free(meta);
    tu_rmtree(dir);
    free(dir);
}

static void test_slice(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint8_t labels[] = {0, 1, 2, 3, 4};
    const unsigned tags[] = {50, 51, 52, 53, 54};
    write_batch(dir, "s.bin", labels, tags, 5);
    const char *files[] = {"s.bin"};
    lt_dataset ds, part;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load(dir, files, 1, &ds, &err), LT_OK);

    assert_int_equal(lt_dataset_slice(&ds, 1, 3, &part, &err), LT_OK);
    assert_int_equal(part.n, 3);
    assert_ptr_not_equal(part.x, lt_dataset_u8(&ds, 1)); /* a copy, not a view */
    ds.labels[1] = 9;
    ((uint8_t *)ds.x)[LT_CIFAR_D] ^= 0xFF;
    for (size_t i = 0; i < 3; i++) {
        assert_record(&part, i, labels[1 + i], tags[1 + i]);
    }
    lt_dataset_free(&part);

    assert_int_equal(lt_dataset_slice(&ds, 5, 0, &part, &err), LT_OK);
    assert_int_equal(part.n, 0);
    lt_dataset_free(&part);

    assert_int_equal(lt_dataset_slice(&ds, 3, 3, &part, &err), LT_ERR);
    assert_empty(&part);
    assert_int_equal(lt_dataset_slice(&ds, 6, 0, &part, &err), LT_ERR);
    assert_int_equal(lt_dataset_slice(&ds, 1, SIZE_MAX, &part, &err), LT_ERR);
    assert_empty(&part);
    assert_msg_has(&err, "outside the dataset's 5 records", NULL);

    lt_dataset_free(&ds);
    lt_dataset_free(&ds); /* twice is harmless: free left it empty */
    lt_dataset_free(NULL);
    tu_rmtree(dir);
    free(dir);
}

/* n records of ds hold `per_class` of each class. */
static void assert_balanced(const lt_dataset *ds, size_t per_class)
{
    size_t counts[LT_CIFAR_C] = {0};
    for (size_t i = 0; i < ds->n; i++) {
        assert_true(ds->labels[i] < LT_CIFAR_C);
        counts[ds->labels[i]]++;
    }
    for (int c = 0; c < LT_CIFAR_C; c++) {
        if (counts[c] != per_class) {
            fail_msg("class %d: %zu records, expected %zu", c, counts[c], per_class);
        }
    }
}

/* The training split keeps the first records in place (no second copy of the data). */
static void test_truncate(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint8_t labels[] = {4, 3, 2, 1, 0};
    const unsigned tags[] = {60, 61, 62, 63, 64};
    write_batch(dir, "t.bin", labels, tags, 5);
    const char *files[] = {"t.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    assert_int_equal(lt_cifar_load(dir, files, 1, &ds, &err), LT_OK);
    assert_int_equal(lt_dataset_truncate(&ds, 6, &err), LT_ERR);
    assert_msg_has(&err, "cannot keep 6 of the dataset's 5 records", NULL);
    assert_int_equal(ds.n, 5);
    assert_int_equal(lt_dataset_truncate(&ds, 3, &err), LT_OK);
    assert_int_equal(ds.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_record(&ds, i, labels[i], tags[i]);
    }
    assert_int_equal(lt_dataset_truncate(&ds, 3, &err), LT_OK);
    assert_int_equal(ds.n, 3);
    assert_int_equal(lt_dataset_truncate(&ds, 0, &err), LT_OK);
    assert_empty(&ds);
    tu_rmtree(dir);
    free(dir);
}

static void test_committed_sample(void **state)
{
    (void)state;
    const char *train[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                           "data_batch_4.bin", "data_batch_5.bin"};
    const char *test[] = {"test_batch.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    for (size_t k = 0; k < 5; k++) {
        if (lt_cifar_load(SAMPLE_DIR, &train[k], 1, &ds, &err) != LT_OK) {
            fail_msg("%s (tests run from the repository root)", err.msg);
        }
        assert_int_equal(ds.n, 400);
        assert_balanced(&ds, 40);
        lt_dataset_free(&ds);
    }
    assert_int_equal(lt_cifar_load(SAMPLE_DIR, train, 5, &ds, &err), LT_OK);
    assert_int_equal(ds.n, 2000);
    assert_balanced(&ds, 200);
    lt_dataset_free(&ds);

    assert_int_equal(lt_cifar_load(SAMPLE_DIR, test, 1, &ds, &err), LT_OK);
    assert_int_equal(ds.n, 500);
    assert_balanced(&ds, 50);
    lt_dataset_free(&ds);

    char names[LT_CIFAR_C][LT_CLASS_NAME_MAX];
    assert_int_equal(lt_cifar_class_names(SAMPLE_DIR, names, &err), LT_OK);
    assert_string_equal(names[0], "airplane");
    assert_string_equal(names[9], "truck");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_three_records),
        cmocka_unit_test(test_load_two_files_in_order),
        cmocka_unit_test(test_absolute_names_ignore_dir),
        cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_label_out_of_range),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_missing_file_and_directory),
        cmocka_unit_test(test_bad_second_file_leaves_nothing),
        cmocka_unit_test(test_class_names_from_meta),
        cmocka_unit_test(test_class_names_default),
        cmocka_unit_test(test_class_names_bad_meta),
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_committed_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
