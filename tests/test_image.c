/* test_image.c — PNG reading against PNG files assembled byte by byte here (stored
 * deflate blocks, CRC-32 and Adler-32 computed by the test, not by libpng), writing
 * round trips, broken files, area-average resizing against hand-worked means, the
 * record layout, the font, and the weight templates' scaling. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lintrain/font.h"
#include "lintrain/image.h"
#include "lintrain/templates.h"
#include "testutil.h"

/* ---- a minimal PNG writer, independent of libpng ----------------------------------- */

typedef struct {
    uint8_t *b;
    size_t n, cap;
} buf;

static void put(buf *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2;
        o->b = realloc(o->b, o->cap);
        assert_non_null(o->b);
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put32(buf *o, uint32_t v)
{
    uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(o, be, 4);
}

/* CRC-32 (ISO 3309, as PNG uses), bit by bit. */
static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
    }
    return c ^ 0xFFFFFFFFu;
}

static void chunk(buf *o, const char *type, const uint8_t *data, size_t n)
{
    put32(o, (uint32_t)n);
    buf c = {0};
    put(&c, type, 4);
    if (n) {
        put(&c, data, n);
    }
    put(o, c.b, c.n);
    put32(o, crc32_of(c.b, c.n));
    free(c.b);
}

/* A PNG of width x height, 8 bits, color type ct with ch channels, filter 0 on each
 * row, the raw rows in one stored (uncompressed) deflate block. */
static buf make_png(uint32_t width, uint32_t height, uint8_t ct, size_t ch, const uint8_t *px)
{
    static const uint8_t SIG[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    buf o = {0}, raw = {0}, z = {0};
    put(&o, SIG, 8);
    uint8_t ihdr[13] = {0};
    for (int k = 0; k < 4; k++) {
        ihdr[k] = (uint8_t)(width >> (24 - 8 * k));
        ihdr[4 + k] = (uint8_t)(height >> (24 - 8 * k));
    }
    ihdr[8] = 8;
    ihdr[9] = ct;
    chunk(&o, "IHDR", ihdr, 13);
    for (uint32_t y = 0; y < height; y++) {
        uint8_t filter = 0;
        put(&raw, &filter, 1);
        put(&raw, px + (size_t)y * width * ch, width * ch);
    }
    uint8_t hdr[2] = {0x78, 0x01}, blk[5];
    put(&z, hdr, 2);
    blk[0] = 1; /* final, stored */
    blk[1] = (uint8_t)raw.n;
    blk[2] = (uint8_t)(raw.n >> 8);
    blk[3] = (uint8_t)~blk[1];
    blk[4] = (uint8_t)~blk[2];
    put(&z, blk, 5);
    put(&z, raw.b, raw.n);
    uint32_t a = 1, b = 0; /* Adler-32 */
    for (size_t i = 0; i < raw.n; i++) {
        a = (a + raw.b[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    put32(&z, (b << 16) | a);
    chunk(&o, "IDAT", z.b, z.n);
    chunk(&o, "IEND", NULL, 0);
    free(raw.b);
    free(z.b);
    return o;
}

static void decode_ok(const buf *png, lt_image *im)
{
    lt_error err = {{0}};
    if (lt_image_decode_png(png->b, png->n, "test.png", im, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
}

static void test_decode_rgb(void **state)
{
    (void)state;
    const uint8_t px[2 * 2 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
    buf png = make_png(2, 2, 2, 3, px);
    lt_image im;
    decode_ok(&png, &im);
    assert_int_equal(im.width, 2);
    assert_int_equal(im.height, 2);
    assert_memory_equal(im.rgb, px, sizeof px);
    lt_image_free(&im);
    free(png.b);
}

static void test_decode_gray_and_rgba(void **state)
{
    (void)state;
    const uint8_t gray[3] = {0, 128, 255};
    buf png = make_png(3, 1, 0, 1, gray);
    lt_image im;
    decode_ok(&png, &im);
    const uint8_t want[9] = {0, 0, 0, 128, 128, 128, 255, 255, 255};
    assert_memory_equal(im.rgb, want, 9);
    lt_image_free(&im);
    free(png.b);
    /* Opaque pixels keep their color; a transparent one becomes the white background. */
    const uint8_t rgba[2 * 4] = {12, 34, 56, 255, 200, 100, 50, 0};
    png = make_png(2, 1, 6, 4, rgba);
    decode_ok(&png, &im);
    const uint8_t want2[6] = {12, 34, 56, 255, 255, 255};
    assert_memory_equal(im.rgb, want2, 6);
    lt_image_free(&im);
    free(png.b);
}

static void test_broken_files(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "notapng.png");
    tu_write_file(path, "GIF89a hello", 12);
    lt_image im;
    lt_error err = {{0}};
    assert_int_equal(lt_image_read_png(path, &im, &err), LT_ERR);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "not a PNG"));
    /* A real PNG cut in the middle of its data. */
    const uint8_t px[4 * 4 * 3] = {1, 2, 3};
    buf png = make_png(4, 4, 2, 3, px);
    char *cut = tu_join(dir, "cut.png");
    tu_write_file(cut, png.b, png.n - 30);
    assert_int_equal(lt_image_read_png(cut, &im, &err), LT_ERR);
    assert_non_null(strstr(err.msg, cut));
    assert_non_null(strstr(err.msg, "broken PNG"));
    /* A corrupted CRC. */
    png.b[40] ^= 0xFF;
    assert_int_equal(lt_image_decode_png(png.b, png.n, "crc.png", &im, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "crc.png"));
    char *missing = tu_join(dir, "missing.png");
    assert_int_equal(lt_image_read_png(missing, &im, &err), LT_ERR);
    assert_non_null(strstr(err.msg, missing));
    free(png.b);
    free(missing);
    free(cut);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void test_write_read_round_trip(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "rt.png");
    lt_image im, back;
    lt_error err = {{0}};
    assert_int_equal(lt_image_create(&im, 7, 5, 0, &err), LT_OK);
    for (size_t i = 0; i < 7 * 5 * 3; i++) {
        im.rgb[i] = (uint8_t)(i * 37 + 11);
    }
    assert_int_equal(lt_image_write_png(path, &im, &err), LT_OK);
    assert_int_equal(lt_image_read_png(path, &back, &err), LT_OK);
    assert_int_equal(back.width, 7);
    assert_int_equal(back.height, 5);
    assert_memory_equal(back.rgb, im.rgb, 7 * 5 * 3);
    lt_image_free(&im);
    lt_image_free(&back);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void test_resize_by_hand(void **state)
{
    (void)state;
    lt_error err = {{0}};
    lt_image src, dst;
    /* 3 pixels to 2: each output covers 1.5 source pixels,
     * out0 = (p0 + p1/2)/1.5, out1 = (p1/2 + p2)/1.5. */
    assert_int_equal(lt_image_create(&src, 3, 1, 0, &err), LT_OK);
    const uint8_t p[3] = {30, 90, 240};
    for (int i = 0; i < 3; i++) {
        memset(src.rgb + 3 * i, p[i], 3);
    }
    assert_int_equal(lt_image_resize(&src, 2, 1, &dst, &err), LT_OK);
    assert_int_equal(dst.rgb[0], 50);  /* (30 + 45) / 1.5 = 50 */
    assert_int_equal(dst.rgb[3], 190); /* (45 + 240) / 1.5 = 190 */
    lt_image_free(&dst);
    lt_image_free(&src);
    /* 64x64 of 2x2 blocks to 32x32: exactly the block means. */
    assert_int_equal(lt_image_create(&src, 64, 64, 0, &err), LT_OK);
    for (size_t y = 0; y < 64; y++) {
        for (size_t x = 0; x < 64; x++) {
            for (size_t c = 0; c < 3; c++) {
                src.rgb[(y * 64 + x) * 3 + c] = (uint8_t)((x / 2 * 7 + y / 2 * 3 + c) % 200 +
                                                          (x % 2) * 2 + (y % 2) * 4);
            }
        }
    }
    assert_int_equal(lt_image_resize(&src, 32, 32, &dst, &err), LT_OK);
    for (size_t y = 0; y < 32; y++) {
        for (size_t x = 0; x < 32; x++) {
            /* block offsets 0, 2, 4, 6: mean 3 */
            uint8_t want = (uint8_t)((x * 7 + y * 3 + 1) % 200 + 3);
            assert_int_equal(dst.rgb[(y * 32 + x) * 3 + 1], want);
        }
    }
    lt_image_free(&dst);
    lt_image_free(&src);
    /* 16x16 up to 32x32: each pixel becomes a 2x2 block of itself. */
    assert_int_equal(lt_image_create(&src, 16, 16, 0, &err), LT_OK);
    for (size_t i = 0; i < 16 * 16 * 3; i++) {
        src.rgb[i] = (uint8_t)(i % 251);
    }
    assert_int_equal(lt_image_resize(&src, 32, 32, &dst, &err), LT_OK);
    for (size_t y = 0; y < 32; y++) {
        for (size_t x = 0; x < 32; x++) {
            assert_memory_equal(dst.rgb + (y * 32 + x) * 3, src.rgb + (y / 2 * 16 + x / 2) * 3, 3);
        }
    }
    lt_image_free(&dst);
    lt_image_free(&src);
}

static void test_record_layout(void **state)
{
    (void)state;
    uint8_t rec[LT_CIFAR_D], back[LT_CIFAR_D];
    for (size_t d = 0; d < LT_CIFAR_D; d++) {
        rec[d] = (uint8_t)(d * 13 + d / 1024);
    }
    lt_image im;
    lt_error err = {{0}};
    assert_int_equal(lt_image_from_record(rec, &im, &err), LT_OK);
    /* pixel (x 5, y 2) is at plane offset 2·32 + 5 = 69 of each plane */
    assert_int_equal(im.rgb[69 * 3 + 0], rec[69]);
    assert_int_equal(im.rgb[69 * 3 + 1], rec[1024 + 69]);
    assert_int_equal(im.rgb[69 * 3 + 2], rec[2048 + 69]);
    lt_image_to_record(&im, back);
    assert_memory_equal(back, rec, LT_CIFAR_D);
    lt_image_free(&im);
}

static void test_font(void **state)
{
    (void)state;
    assert_int_equal(lt_font_text_width("", 2), 0);
    assert_int_equal(lt_font_text_width("ab", 1), 11);
    assert_int_equal(lt_font_text_width("ab", 2), 22);
    lt_image im;
    lt_error err = {{0}};
    assert_int_equal(lt_image_create(&im, 12, 10, 255, &err), LT_OK);
    const uint8_t ink[3] = {0, 0, 0};
    lt_font_draw_text(&im, 0, 0, "I", 1, ink);
    /* 'I' is a bar in the middle column (x 2) from row 1 to 5, serifs on rows 0 and 6. */
    for (size_t y = 0; y < 7; y++) {
        assert_int_equal(im.rgb[(y * 12 + 2) * 3], 0);
    }
    assert_int_equal(im.rgb[(3 * 12 + 0) * 3], 255);
    assert_int_equal(im.rgb[(0 * 12 + 1) * 3], 0);
    /* Clipped at the edges without writing outside. */
    lt_font_draw_text(&im, -3, 8, "W", 2, ink);
    lt_image_free(&im);
}

static void test_templates_scaling(void **state)
{
    (void)state;
    /* Column k of W is the constant k - 2 (min -2 -> 0, max 7 -> 255), so tile k is
     * the gray round(255 (k) / 9). */
    float *W = calloc(LT_CIFAR_D * 10, sizeof *W);
    assert_non_null(W);
    for (size_t d = 0; d < LT_CIFAR_D; d++) {
        for (size_t k = 0; k < 10; k++) {
            W[d * 10 + k] = (float)k - 2.0f;
        }
    }
    char names[10][LT_CLASS_NAME_MAX] = {"a", "b", "c", "d", "e",
                                         "f", "g", "h", "i", "a-very-long-class-name"};
    lt_image im;
    lt_error err = {{0}};
    assert_int_equal(lt_templates_draw(W, 10, names, &im, &err), LT_OK);
    assert_int_equal(im.width, 5 * 128 + 6 * 12);
    for (size_t k = 0; k < 10; k++) {
        size_t x = 12 + (k % 5) * (128 + 12) + 64, y = 12 + (k / 5) * (128 + 6 + 20 + 12) + 64;
        uint8_t want = (uint8_t)((255 * k + 4) / 9); /* round(255 k / 9) */
        const uint8_t *p = im.rgb + (y * im.width + x) * 3;
        assert_int_equal(p[0], want);
        assert_int_equal(p[2], want);
    }
    lt_image_free(&im);
    /* A NaN in W is an error, not a picture of garbage. */
    W[5] = NAN;
    assert_int_equal(lt_templates_draw(W, 10, names, &im, &err), LT_ERR);
    free(W);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_rgb),
        cmocka_unit_test(test_decode_gray_and_rgba),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_write_read_round_trip),
        cmocka_unit_test(test_resize_by_hand),
        cmocka_unit_test(test_record_layout),
        cmocka_unit_test(test_font),
        cmocka_unit_test(test_templates_scaling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
