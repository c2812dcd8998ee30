/* test_features.c — the HOG and hue-histogram extractors (features.h): images whose
 * features are worked out by hand (each quirk of the assignment's definition has one),
 * then every feature of real and synthetic images against tests/ref_features.py, an
 * independent NumPy implementation of cs231n/features.py. NumPy is a test dependency
 * (make deps installs python3-numpy): without it the reference test fails. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lintrain/features.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"
#define SIDE 32
#define PLANE (SIDE * SIDE)
#define HOG (9 * 4 * 4)
#define SAMPLE "data/cifar-10-sample/test_batch.bin"
#define SAMPLE_COUNT 500
/* Relative tolerance (absolute below 1): both sides compute the same double values up
 * to the summation order of a cell (~1e-16); ours is then rounded to float32, 2^-24 ≈
 * 6e-8 relative. 1e-6 leaves room for that rounding and catches any pixel put in a wrong
 * bin: the smallest gradient of a colour change, 0.144 (blue by one level), moves a
 * cell by 0.144 / 64 = 2e-3. */
#define REL_TOL 1e-6

/* The assignment's gray of a pixel whose three channels are v. */
static double gray_of(int v)
{
    return 0.299 * v + 0.587 * v + 0.144 * v;
}

/* An image whose three channels all hold value(row, col). */
static void fill_gray(uint8_t *image, int (*value)(int row, int col))
{
    for (int r = 0; r < SIDE; r++) {
        for (int c = 0; c < SIDE; c++) {
            for (int ch = 0; ch < 3; ch++) {
                image[ch * PLANE + r * SIDE + c] = (uint8_t)value(r, c);
            }
        }
    }
}

static void hog_of(int (*value)(int row, int col), float out[HOG])
{
    static uint8_t image[3 * PLANE];
    fill_gray(image, value);
    assert_int_equal(lt_features_hog_size(SIDE, SIDE), HOG);
    lt_features_hog(image, SIDE, SIDE, out);
}

/* Cell (cell column cx, cell row cy), bin b: the transposed, cell-major layout. */
static float at(const float *hog, int cx, int cy, int b)
{
    return hog[(cx * 4 + cy) * 9 + b];
}

/* Fails unless every value but those at(cx, cy, b) with keep(cx, cy, b) is 0. */
static void assert_zero_except(const float *hog, int (*keep)(int cx, int cy, int b))
{
    for (int cx = 0; cx < 4; cx++) {
        for (int cy = 0; cy < 4; cy++) {
            for (int b = 0; b < 9; b++) {
                if (!keep || !keep(cx, cy, b)) {
                    assert_true(at(hog, cx, cy, b) == 0.0f);
                }
            }
        }
    }
}

static int constant(int r, int c)
{
    (void)r, (void)c;
    return 77;
}

static int rightward(int r, int c)
{
    (void)r;
    return 8 * c;
}

static int leftward(int r, int c)
{
    (void)r;
    return 255 - 8 * c;
}

static int bin4(int cx, int cy, int b)
{
    (void)cx, (void)cy;
    return b == 4;
}

/* No gradient, no HOG. */
static void test_hog_constant(void **state)
{
    (void)state;
    float hog[HOG];
    hog_of(constant, hog);
    assert_zero_except(hog, NULL);
}

/* Brightening to the right by 8 a column: gx = 8 · 1.03 = 8.24, gy = 0, arctan2 = 0,
 * angle 90° → bin 4 ([80°, 100°)). The last column's gx is 0 (and gy 0): the right
 * column of cells holds 7 gradients of 8, mean 8.24 · 7/8. Cell columns come first. */
static void test_hog_horizontal_ramp(void **state)
{
    (void)state;
    float hog[HOG];
    hog_of(rightward, hog);
    assert_zero_except(hog, bin4);
    double step = gray_of(8) - gray_of(0);
    assert_close(step, 8.24, 1e-12);
    for (int cy = 0; cy < 4; cy++) {
        for (int cx = 0; cx < 3; cx++) {
            assert_close(at(hog, cx, cy, 4), step, REL_TOL);
        }
        assert_close(at(hog, 3, cy, 4), step * 7 / 8, REL_TOL);
    }
}

/* The same ramp mirrored: gx < 0, arctan2 = 180° (+90 = 270°), outside every bin. The
 * assignment does not fold opposite gradients together: no HOG at all. */
static void test_hog_opposite_ramp_is_dropped(void **state)
{
    (void)state;
    float hog[HOG];
    hog_of(leftward, hog);
    assert_zero_except(hog, NULL);
}

static int down1(int r, int c)
{
    (void)c;
    return 100 + r;
}

static int down8(int r, int c)
{
    (void)c;
    return 8 * r;
}

static int up1(int r, int c)
{
    (void)c;
    return 100 - r;
}

static int up8(int r, int c)
{
    (void)c;
    return 255 - 8 * r;
}

static int bin8(int cx, int cy, int b)
{
    (void)cx, (void)cy;
    return b == 8;
}

static int bin0(int cx, int cy, int b)
{
    (void)cx, (void)cy;
    return b == 0;
}

/* A vertical ramp, one row to the next, gx = 0: arctan2(gy, 1e-15) = ±(π/2 − 1e-15/|gy|).
 * For gy = 1.03 that is 9.7e-16 below π/2, 4.4 ulps: 90° − 5.6e-14°, and 180° − 5.6e-14
 * stays below 180 (its ulp is 2.8e-14): bin 8; gy = −1.03 gives 5.6e-14 > 0: bin 0. Rows
 * 0..30 hold the gradient, row 31 none (the last row's gy is 0): the lowest cells 7/8. */
static void check_gentle_vertical(int (*value)(int, int), int bin,
                                  int (*keep)(int, int, int))
{
    float hog[HOG];
    hog_of(value, hog);
    assert_zero_except(hog, keep);
    double step = fabs(gray_of(101) - gray_of(100));
    assert_close(step, 1.03, 1e-12);
    for (int cx = 0; cx < 4; cx++) {
        for (int cy = 0; cy < 3; cy++) {
            assert_close(at(hog, cx, cy, bin), step, REL_TOL);
        }
        assert_close(at(hog, cx, 3, bin), step * 7 / 8, REL_TOL);
    }
}

static void test_hog_gentle_vertical_ramps(void **state)
{
    (void)state;
    check_gentle_vertical(down1, 8, bin8);
    check_gentle_vertical(up1, 0, bin0);
}

/* gy = ±8.24: 1e-15 / 8.24 = 1.2e-16 is within half an ulp (1.1e-16) of the double
 * nearest π/2, itself 6.1e-17 below π/2: arctan2 rounds to that double, 90° exactly,
 * angle 180 (not < 180) or 0 (not > 0): steep vertical gradients are dropped. */
static void test_hog_steep_vertical_ramps_are_dropped(void **state)
{
    (void)state;
    float hog[HOG];
    hog_of(down8, hog);
    assert_zero_except(hog, NULL);
    hog_of(up8, hog);
    assert_zero_except(hog, NULL);
}

static int diagonal(int r, int c)
{
    return 4 * (r + c);
}

static int diagonal_bins(int cx, int cy, int b)
{
    (void)cx;
    return b == 6 || (b == 4 && cy == 3);
}

/* gx = gy = 4.12: arctan2 = 45°, angle 135° → bin 6, magnitude 4.12·√2. The last column
 * (gx = 0, gy = 4.12 > 2.54) is dropped; the last row (gy = 0) is horizontal, bin 4;
 * the corner pixel has no gradient. */
static void test_hog_diagonal_ramp(void **state)
{
    (void)state;
    float hog[HOG];
    hog_of(diagonal, hog);
    assert_zero_except(hog, diagonal_bins);
    double g = gray_of(4) - gray_of(0), m = g * sqrt(2.0);
    for (int cx = 0; cx < 4; cx++) {
        for (int cy = 0; cy < 4; cy++) {
            int cols = cx == 3 ? 7 : 8, rows = cy == 3 ? 7 : 8;
            assert_close(at(hog, cx, cy, 6), m * cols * rows / 64, REL_TOL);
            if (cy == 3) {
                assert_close(at(hog, cx, cy, 4), g * cols / 64, REL_TOL);
            }
        }
    }
}

/* Fills pixels [from, to) of image with colour (r, g, b). */
static void paint(uint8_t *image, int from, int to, int r, int g, int b)
{
    for (int i = from; i < to; i++) {
        image[i] = (uint8_t)r;
        image[PLANE + i] = (uint8_t)g;
        image[2 * PLANE + i] = (uint8_t)b;
    }
}

/* Hues × 255: red 0, green 85, blue 170, gray 0 (max = min), cyan 127.5 — exactly the
 * edge 5 × 25.5, so bin 5 — and orange (255, 153, 0), whose hue is 36° = 0.1 of the
 * circle but (0.6 / 6) · 255 rounds to 25.499999999999996: bin 0, not 1. */
static void test_hue_by_hand(void **state)
{
    (void)state;
    static uint8_t image[3 * PLANE];
    paint(image, 0, 256, 255, 0, 0);
    paint(image, 256, 384, 0, 255, 0);
    paint(image, 384, 512, 0, 0, 255);
    paint(image, 512, 640, 90, 90, 90);
    paint(image, 640, 896, 0, 255, 255);
    paint(image, 896, 1024, 255, 153, 0);
    const double want[10] = {0.5, 0, 0, 0.125, 0, 0.25, 0.125, 0, 0, 0};
    float out[10];
    lt_features_hue(image, SIDE, SIDE, 10, out);
    for (int k = 0; k < 10; k++) {
        assert_close(out[k], want[k], 1e-7);
    }
    lt_features_hue(image, SIDE, SIDE, 1, out);
    assert_close(out[0], 1.0, 1e-7);
}

/* The table: names, sizes, and the checks' refusals. */
static void test_table(void **state)
{
    (void)state;
    lt_error err;
    const lt_feature_kind *hog = lt_features_find("hog"), *hue = lt_features_find("hue_histogram");
    assert_non_null(hog);
    assert_non_null(hue);
    assert_null(lt_features_find("hogs"));
    assert_string_equal(lt_features_name_at(0), "hog");
    assert_null(lt_features_name_at(2));
    lt_feature_params p = {.bins = 10};
    assert_int_equal(hog->size(&p, 32, 32), 144);
    assert_int_equal(hog->size(&p, 36, 40), 9 * 4 * 5);
    assert_int_equal(hue->size(&p, 32, 32), 10);
    assert_int_equal(hog->check(&p, 32, 32, &err), LT_OK);
    assert_int_equal(hog->check(&p, 7, 32, &err), LT_ECONFIG);
    assert_non_null(strstr(err.msg, "at least 8 x 8"));
    assert_int_equal(hue->check(&p, 32, 32, &err), LT_OK);
    p.bins = 0;
    assert_int_equal(hue->check(&p, 32, 32, &err), LT_ECONFIG);
    assert_non_null(strstr(err.msg, "bins must be in [1, 65536], got 0"));
    p.bins = 3;
    assert_int_equal(hue->check(&p, 4097, 4096, &err), LT_ECONFIG);
}

/* ---- against the NumPy reference ---------------------------------------------------- */

/* A small xorshift generator, so the synthetic images are the same on every run. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Synthetic image number k (side × side): uniform noise; blocks of the palette
 * {0, 51, ..., 255}³, whose hues fall on and beside bin edges; or runs of equal pixels
 * (gx = 0) up to 7 levels apart from row to row (gy around the 2.54 and −5.81 where a
 * vertical gradient stops being counted). */
static void synthetic(uint8_t *image, int side, int k, uint64_t *s)
{
    size_t plane = (size_t)side * (size_t)side;
    for (int ch = 0; ch < 3; ch++) {
        int level = 60 + 40 * ch;
        for (int r = 0; r < side; r++) {
            level += (int)(next_random(s) % 15) - 7;
            level = level < 16 ? 16 : level > 236 ? 236 : level;
            for (int c = 0; c < side; c++) {
                uint8_t *p = image + ch * plane + (size_t)r * (size_t)side + (size_t)c;
                if (k % 3 == 0) {
                    *p = (uint8_t)next_random(s);
                } else if (k % 3 == 1) {
                    *p = (uint8_t)(51 * ((size_t)(r / 4 * 11 + c / 4) * (7 + ch) % 6));
                } else {
                    *p = (uint8_t)(level + (c / 5 + k) % 3);
                }
            }
        }
    }
}

/* Writes count synthetic records (a label byte, then the image) to path. */
static void write_synthetic(const char *path, int side, size_t count)
{
    size_t record = 1 + 3 * (size_t)side * (size_t)side;
    uint8_t *data = calloc(count, record);
    assert_non_null(data);
    uint64_t s = 0x9E3779B97F4A7C15u;
    for (size_t k = 0; k < count; k++) {
        synthetic(data + k * record + 1, side, (int)k, &s);
    }
    tu_write_file(path, data, count * record);
    free(data);
}

/* The reference's features of the first count records of path: count rows of
 * (hog, bins) doubles, malloc'ed. Fails when NumPy is missing. */
static double *reference(const char *path, int side, size_t count, size_t bins)
{
    char *out = NULL;
    if (tu_run(PYTHON " -c 'import numpy'", &out) != 0) {
        fail_msg("the NumPy reference needs " PYTHON " with NumPy (make deps installs "
                 "python3-numpy): %s", out);
    }
    free(out);
    char *result = tu_path_in("reference.f64", NULL);
    if (tu_runf(&out, PYTHON " tests/ref_features.py '%s' %d %zu %zu '%s'", path, side,
                count, bins, result) != 0) {
        fail_msg("tests/ref_features.py failed: %s", out);
    }
    free(out);
    size_t n = 0;
    double *ref = (double *)tu_read_file(result, &n);
    size_t row = lt_features_hog_size((size_t)side, (size_t)side) + bins;
    assert_non_null(ref);
    assert_int_equal(n, count * row * sizeof(double));
    free(result);
    return ref;
}

/* Every feature of the first count records of path (side × side images) against the
 * reference, within REL_TOL; the first difference is named. */
static void compare(const char *path, int side, size_t count, size_t bins)
{
    double *ref = reference(path, side, count, bins);
    size_t n = 0, record = 1 + 3 * (size_t)side * (size_t)side;
    uint8_t *data = (uint8_t *)tu_read_file(path, &n);
    assert_non_null(data);
    assert_true(n >= count * record);
    size_t hog = lt_features_hog_size((size_t)side, (size_t)side), row = hog + bins;
    float *ours = calloc(row, sizeof *ours);
    assert_non_null(ours);
    size_t compared = 0;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *image = data + i * record + 1;
        lt_features_hog(image, (size_t)side, (size_t)side, ours);
        lt_features_hue(image, (size_t)side, (size_t)side, bins, ours + hog);
        for (size_t k = 0; k < row; k++, compared++) {
            double want = ref[i * row + k];
            if (fabs(ours[k] - want) > REL_TOL * fmax(1.0, fabs(want))) {
                fail_msg("%s image %zu, %s feature %zu: ours %.9g, NumPy %.17g", path, i,
                         k < hog ? "hog" : "hue", k < hog ? k : k - hog, ours[k], want);
            }
        }
    }
    assert_int_equal(compared, count * row);
    free(ours);
    free(data);
    free(ref);
}

/* The committed sample's test batch: 500 real CIFAR-10 images. */
static void test_reference_sample(void **state)
{
    (void)state;
    compare(SAMPLE, SIDE, SAMPLE_COUNT, 10);
}

/* Synthetic 32 × 32 images, then 36 × 36 ones (a partial cell of 4 pixels on each side,
 * read only as neighbours) with 7 bins (edges i · 255/7, not exact in binary). */
static void test_reference_synthetic(void **state)
{
    (void)state;
    char *path = tu_path_in("synthetic32.bin", NULL);
    write_synthetic(path, SIDE, 90);
    compare(path, SIDE, 90, 10);
    free(path);
    path = tu_path_in("synthetic36.bin", NULL);
    write_synthetic(path, 36, 30);
    compare(path, 36, 30, 7);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hog_constant),
        cmocka_unit_test(test_hog_horizontal_ramp),
        cmocka_unit_test(test_hog_opposite_ramp_is_dropped),
        cmocka_unit_test(test_hog_gentle_vertical_ramps),
        cmocka_unit_test(test_hog_steep_vertical_ramps_are_dropped),
        cmocka_unit_test(test_hog_diagonal_ramp),
        cmocka_unit_test(test_hue_by_hand),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_reference_sample),
        cmocka_unit_test(test_reference_synthetic),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
