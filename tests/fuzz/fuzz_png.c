/* fuzz_png.c — libFuzzer harness for the PNG reader (image.c, lt_image_decode_png, the
 * door of `lintrain predict`).
 *
 * Properties: a refused input gives a message and an empty image; an accepted one has
 * a size within LT_IMAGE_MAX_PIXELS and decodes the same twice; written back with
 * lt_image_write_png and read again it gives the same pixels (8-bit RGB is lossless);
 * resized to 32x32 as predict does, a one-colour image stays that colour. Inputs that
 * do not start with the PNG signature get it put in front, and inputs of odd length get
 * every chunk's CRC rewritten, so that mutations reach libpng's chunk parsing and
 * decoding rather than stopping at the first 8 bytes or the first checksum. */
#include "fuzz_util.h"

#include "lintrain/checkpoint.h" /* lt_checkpoint_crc32: PNG's CRC-32 */
#include "lintrain/image.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Larger accepted images are only decoded (the round trip would take seconds). */
#define ROUND_TRIP_MAX_PIXELS ((size_t)1 << 20)

/* Whether the last input was accepted (the replay test wants every seed accepted). */
static int png_last_accepted;

static const uint8_t SIGNATURE[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

static int one_colour(const lt_image *im)
{
    for (size_t i = 3; i < im->width * im->height * 3; i++) {
        if (im->rgb[i] != im->rgb[i % 3]) {
            return 0;
        }
    }
    return 1;
}

static void png_check_accepted(const uint8_t *data, size_t size, const lt_image *im)
{
    lt_error err = {{0}};
    FUZZ_CHECK(im->width > 0 && im->height > 0 && im->rgb != NULL);
    FUZZ_CHECK(im->width * im->height <= LT_IMAGE_MAX_PIXELS);
    if (im->width * im->height > ROUND_TRIP_MAX_PIXELS) {
        return;
    }
    lt_image again, back, small;
    FUZZ_CHECK(lt_image_decode_png(data, size, "input", &again, &err) == LT_OK);
    FUZZ_CHECK(again.width == im->width && again.height == im->height &&
               memcmp(again.rgb, im->rgb, im->width * im->height * 3) == 0);
    lt_image_free(&again);
    const char *path = fuzz_write("back.png", "", 0);
    FUZZ_CHECK(lt_image_write_png(path, im, &err) == LT_OK);
    FUZZ_CHECK(lt_image_read_png(path, &back, &err) == LT_OK);
    FUZZ_CHECK(back.width == im->width && back.height == im->height &&
               memcmp(back.rgb, im->rgb, im->width * im->height * 3) == 0);
    lt_image_free(&back);
    FUZZ_CHECK(lt_image_resize(im, 32, 32, &small, &err) == LT_OK);
    if (one_colour(im)) {
        for (size_t i = 0; i < 32 * 32 * 3; i++) {
            FUZZ_CHECK(abs((int)small.rgb[i] - (int)im->rgb[i % 3]) <= 1);
        }
    }
    lt_image_free(&small);
}

/* Rewrites the CRC of every whole chunk after the signature (length, type, data, CRC). */
static void png_fix_crcs(uint8_t *p, size_t size)
{
    for (size_t at = 8; at + 12 <= size;) {
        size_t len = (size_t)p[at] << 24 | (size_t)p[at + 1] << 16 | (size_t)p[at + 2] << 8 |
                     p[at + 3];
        if (len > size - at - 12) {
            return;
        }
        uint32_t crc = lt_checkpoint_crc32(0, p + at + 4, len + 4);
        for (int b = 0; b < 4; b++) {
            p[at + 8 + len + (size_t)b] = (uint8_t)(crc >> (24 - 8 * b));
        }
        at += 12 + len;
    }
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    int prefix = size < 8 || memcmp(data, SIGNATURE, 8) != 0;
    uint8_t *buf = malloc(size + 8);
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, SIGNATURE, 8);
    if (size > 0) {
        memcpy(buf + (prefix ? 8 : 0), data, size);
    }
    size += prefix ? 8 : 0;
    if (size % 2 == 1) {
        png_fix_crcs(buf, size);
    }
    data = buf;
    lt_image im;
    lt_error err = {{0}};
    png_last_accepted = lt_image_decode_png(data, size, "input", &im, &err) == LT_OK;
    if (png_last_accepted) {
        png_check_accepted(data, size, &im);
        lt_image_free(&im);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0' && im.rgb == NULL && im.width == 0);
        FUZZ_CHECK(strncmp(err.msg, "input: ", 7) == 0);
    }
    lt_error none = {{0}};
    FUZZ_CHECK(lt_image_decode_png(data, 7, "short", &im, &none) == LT_ERR);
    free(buf);
    return 0;
}
