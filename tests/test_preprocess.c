/* test_preprocess.c — each preprocessing kind on two images whose statistics are
 * worked out by hand, on a small float table per feature, and row gathering by index. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lintrain/preprocess.h"
#include "testutil.h"

#define PLANE (LT_CIFAR_D / 3)

/* Image 0: R 10, G 20, B 30 everywhere; image 1: R 30, G 60, B 90. */
static uint8_t pixels[2 * LT_CIFAR_D];
static uint16_t labels[2] = {3, 7};
static const lt_dataset two = {2, LT_CIFAR_D, LT_DTYPE_U8, pixels, labels};

static int fill(void **state)
{
    (void)state;
    for (int img = 0; img < 2; img++) {
        for (int c = 0; c < 3; c++) {
            memset(pixels + img * LT_CIFAR_D + c * PLANE, 10 * (c + 1) * (1 + 2 * img), PLANE);
        }
    }
    return 0;
}

/* Feature d of image img after preprocessing with kind. */
static float feature(const char *kind, size_t img, size_t d)
{
    lt_preprocess p;
    lt_error err;
    assert_int_equal(lt_preprocess_fit(&p, kind, &two, 1, &err), LT_OK);
    float out[LT_CIFAR_D];
    lt_preprocess_rows(&p, &two, NULL, img, 1, out);
    lt_preprocess_free(&p);
    return out[d];
}

static void test_inputs(void **state)
{
    (void)state;
    assert_int_equal(pixels[0], 10);
    assert_int_equal(pixels[PLANE], 20);
    assert_int_equal(pixels[LT_CIFAR_D + 2 * PLANE], 90);
}

static void test_kinds_by_hand(void **state)
{
    (void)state;
    assert_float_equal(feature("none", 0, 0), 10.0f, 0);
    assert_float_equal(feature("scale", 1, 2 * PLANE), 90.0f / 255.0f, 1e-7f);
    /* Mean image: R 20, G 40, B 60. */
    assert_float_equal(feature("mean_image", 0, 5), -10.0f, 0);
    assert_float_equal(feature("mean_image", 1, PLANE + 9), 20.0f, 0);
    /* Per channel: means 20, 40, 60; population std 10, 20, 30. */
    assert_float_equal(feature("standardize", 0, 0), -1.0f, 1e-6f);
    assert_float_equal(feature("standardize", 1, PLANE), 1.0f, 1e-6f);
    assert_float_equal(feature("standardize", 0, 2 * PLANE + 100), -1.0f, 1e-6f);
}

static void test_rows_by_index(void **state)
{
    (void)state;
    lt_preprocess p;
    assert_int_equal(lt_preprocess_fit(&p, "none", &two, 1, NULL), LT_OK);
    const size_t idx[3] = {1, 0, 1};
    static float out[3 * LT_CIFAR_D];
    lt_preprocess_rows(&p, &two, idx, 0, 3, out);
    assert_float_equal(out[0], 30.0f, 0);
    assert_float_equal(out[LT_CIFAR_D], 10.0f, 0);
    assert_float_equal(out[2 * LT_CIFAR_D + 2 * PLANE], 90.0f, 0);
    lt_preprocess_free(&p);
}

static void test_unknown_kind(void **state)
{
    (void)state;
    lt_preprocess p;
    lt_error err;
    assert_int_equal(lt_preprocess_fit(&p, "whiten", &two, 1, &err), LT_ECONFIG);
    assert_non_null(strstr(err.msg, "whiten"));
    lt_preprocess_free(&p);
}

/* Three rows of three float features: (1, 10, 5), (2, 10, 5), (3, 40, 5). Per feature:
 * means 2, 20, 5; population stds sqrt(2/3), sqrt(200), 0 (only centred). */
static float table[9] = {1, 10, 5, 2, 10, 5, 3, 40, 5};
static uint16_t table_labels[3] = {0, 1, 0};
static const lt_dataset floats = {3, 3, LT_DTYPE_F32, table, table_labels};

static void test_float_features(void **state)
{
    (void)state;
    lt_preprocess p;
    lt_error err;
    float out[9];
    assert_int_equal(lt_preprocess_fit(&p, "standardize", &floats, 0, &err), LT_OK);
    assert_int_equal(p.D, 3);
    lt_preprocess_rows(&p, &floats, NULL, 0, 3, out);
    assert_float_equal(out[0], -1.0f / sqrtf(2.0f / 3.0f), 1e-6f);
    assert_float_equal(out[7], 20.0f / sqrtf(200.0f), 1e-6f);
    assert_float_equal(out[4], -10.0f / sqrtf(200.0f), 1e-6f);
    assert_float_equal(out[8], 0.0f, 0);
    lt_preprocess_free(&p);
    assert_int_equal(lt_preprocess_fit(&p, "mean_image", &floats, 0, &err), LT_OK);
    lt_preprocess_rows(&p, &floats, NULL, 2, 1, out);
    assert_float_equal(out[0], 1.0f, 0);
    assert_float_equal(out[1], 20.0f, 0);
    assert_float_equal(out[2], 0.0f, 0);
    lt_preprocess_free(&p);
    assert_int_equal(lt_preprocess_fit(&p, "scale", &floats, 0, &err), LT_ECONFIG);
    assert_non_null(strstr(err.msg, "this data is float"));
    assert_null(p.shift);
}

/* Per feature on the uint8 images (is_image 0) agrees with the hand values: each
 * feature of image 0 is one channel's value, the other image's three times it. */
static void test_u8_per_feature(void **state)
{
    (void)state;
    lt_preprocess p;
    lt_error err;
    assert_int_equal(lt_preprocess_fit(&p, "standardize", &two, 0, &err), LT_OK);
    assert_float_equal(p.shift[PLANE + 3], 40.0f, 0);
    assert_float_equal(p.scale[2 * PLANE], 1.0f / 30.0f, 1e-9f);
    lt_preprocess_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inputs),
        cmocka_unit_test(test_kinds_by_hand),
        cmocka_unit_test(test_rows_by_index),
        cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_float_features),
        cmocka_unit_test(test_u8_per_feature),
    };
    return cmocka_run_group_tests(tests, fill, NULL);
}
