/* image.h — 8-bit RGB images: PNG files through libpng, area-average resizing, and
 * conversion to a CIFAR-10 record's planar layout.
 *
 * PNG input: any PNG libpng reads (gray, gray + alpha, RGB, RGBA, palette; 1 to 16
 * bits per sample) comes out as 8-bit RGB; 16-bit samples are scaled to 8 bits and
 * an alpha channel is composited onto white. */
#ifndef LINTRAIN_IMAGE_H
#define LINTRAIN_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/cifar.h"
#include "lintrain/common.h"

/* Larger PNGs are refused before any pixel is decoded (50 megapixels, 150 MB of RGB). */
#define LT_IMAGE_MAX_PIXELS ((size_t)50 * 1000 * 1000)

typedef struct {
    size_t width, height;
    uint8_t *rgb;   /* owned: (height, width, 3) row-major, R G B per pixel */
} lt_image;

/* A width x height image, every byte set to fill. */
lt_status lt_image_create(lt_image *im, size_t width, size_t height, uint8_t fill,
                          lt_error *err);
void lt_image_free(lt_image *im);

/* Decodes a PNG held in memory; name is used in error messages. */
lt_status lt_image_decode_png(const uint8_t *data, size_t n, const char *name, lt_image *im,
                        lt_error *err);

/* Reads a PNG file. Errors name the file: missing, unreadable, not a PNG (the first
 * bytes are not the PNG signature), corrupt or truncated, too large. */
lt_status lt_image_read_png(const char *path, lt_image *im, lt_error *err);

/* Writes im as an 8-bit RGB PNG, atomically (path.tmp, then renamed over path). */
lt_status lt_image_write_png(const char *path, const lt_image *im, lt_error *err);

/* Area-average resampling to width x height: each output pixel is the mean of the
 * source area it covers, fractional pixels weighted by their covered fraction
 * (a box filter; exact block means for whole-number factors). The aspect ratio is
 * not kept: the image is stretched to the new shape. */
lt_status lt_image_resize(const lt_image *src, size_t width, size_t height, lt_image *dst,
                          lt_error *err);

/* A 32x32 image as a CIFAR-10 record's pixels: 1024 red, 1024 green, 1024 blue. */
void lt_image_to_record(const lt_image *im, uint8_t pixels[LT_CIFAR_D]);

/* A record's pixels as a 32x32 image (for tests and pictures). */
lt_status lt_image_from_record(const uint8_t pixels[LT_CIFAR_D], lt_image *im, lt_error *err);

#endif
