/* image.c — PNG in and out through libpng's simplified API, and resizing. */
#include "lintrain/image.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/fsutil.h"

/* Files larger than this are not worth reading as images. */
#define MAX_PNG_FILE_BYTES ((size_t)256 << 20)
#define PLANE (LT_CIFAR_D / 3)
#define SIDE 32

lt_status lt_image_create(lt_image *im, size_t width, size_t height, uint8_t fill,
                          lt_error *err)
{
    memset(im, 0, sizeof *im);
    size_t px;
    if (width == 0 || height == 0 || lt_size_mul(width, height, &px) != 0 ||
        px > LT_IMAGE_MAX_PIXELS) {
        return lt_fail(err, LT_ERR, "image of %zu x %zu pixels is empty or too large", width,
                       height);
    }
    im->rgb = lt_calloc(px, 3, "image pixels", err);
    if (!im->rgb) {
        return LT_ERR;
    }
    memset(im->rgb, fill, px * 3);
    im->width = width;
    im->height = height;
    return LT_OK;
}

void lt_image_free(lt_image *im)
{
    if (!im) {
        return;
    }
    free(im->rgb);
    memset(im, 0, sizeof *im);
}

lt_status lt_image_decode_png(const uint8_t *data, size_t n, const char *name, lt_image *im,
                        lt_error *err)
{
    memset(im, 0, sizeof *im);
    if (n < 8 || png_sig_cmp(data, 0, 8) != 0) {
        return lt_fail(err, LT_ERR, "%s: not a PNG file (no PNG signature)", name);
    }
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&pi, data, n)) {
        lt_status st = lt_fail(err, LT_ERR, "%s: broken PNG: %s", name, pi.message);
        png_image_free(&pi);
        return st;
    }
    if ((size_t)pi.width * pi.height > LT_IMAGE_MAX_PIXELS) {
        png_image_free(&pi);
        return lt_fail(err, LT_ERR, "%s: %u x %u pixels is too large (at most %zu)", name,
                       pi.width, pi.height, LT_IMAGE_MAX_PIXELS);
    }
    pi.format = PNG_FORMAT_RGB;
    lt_status st = lt_image_create(im, pi.width, pi.height, 0, err);
    if (st != LT_OK) {
        png_image_free(&pi);
        lt_error_prefix(err, name);
        return st;
    }
    png_color background = {255, 255, 255};
    if (!png_image_finish_read(&pi, &background, im->rgb, 0, NULL)) {
        st = lt_fail(err, LT_ERR, "%s: broken PNG: %s", name, pi.message);
        png_image_free(&pi);
        lt_image_free(im);
        return st;
    }
    return LT_OK;
}

/* The whole file in memory (malloc'ed, *n bytes). */
static lt_status read_all(const char *path, uint8_t **data, size_t *n, lt_error *err)
{
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    lt_status st = LT_OK;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        size = ftell(f);
    }
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = lt_fail(err, LT_ERR, "%s: not a regular file", path);
    } else if ((size_t)size > MAX_PNG_FILE_BYTES) {
        st = lt_fail(err, LT_ERR, "%s: %ld bytes is too large for an image", path, size);
    } else if (!(*data = lt_calloc((size_t)size + 1, 1, "image file", err))) {
        st = LT_ERR;
    } else if (fread(*data, 1, (size_t)size, f) != (size_t)size) {
        st = lt_fail(err, LT_ERR, "%s: read failed", path);
    }
    fclose(f);
    if (st != LT_OK) {
        free(*data);
        *data = NULL;
        return st;
    }
    *n = (size_t)size;
    return LT_OK;
}

lt_status lt_image_read_png(const char *path, lt_image *im, lt_error *err)
{
    memset(im, 0, sizeof *im);
    uint8_t *data = NULL;
    size_t n = 0;
    lt_status st = read_all(path, &data, &n, err);
    if (st == LT_OK) {
        st = lt_image_decode_png(data, n, path, im, err);
    }
    free(data);
    return st;
}

lt_status lt_image_write_png(const char *path, const lt_image *im, lt_error *err)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)im->width;
    pi.height = (png_uint_32)im->height;
    pi.format = PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&pi, NULL, &size, 0, im->rgb, 0, NULL)) {
        lt_status st = lt_fail(err, LT_ERR, "%s: cannot encode PNG: %s", path, pi.message);
        png_image_free(&pi);
        return st;
    }
    void *buf = lt_calloc(size, 1, "PNG file", err);
    if (!buf) {
        return LT_ERR;
    }
    lt_status st = LT_OK;
    if (!png_image_write_to_memory(&pi, buf, &size, 0, im->rgb, 0, NULL)) {
        st = lt_fail(err, LT_ERR, "%s: cannot encode PNG: %s", path, pi.message);
        png_image_free(&pi);
    } else {
        st = lt_write_file_atomic(path, buf, size, err);
    }
    free(buf);
    return st;
}

/* Resamples n_in samples (stride in_step) to n_out (stride out_step) by area average:
 * output k covers source [k·r, (k+1)·r), r = n_in / n_out, in units of source pixels. */
static void resample_line(const double *in, size_t n_in, size_t in_step, double *out,
                          size_t n_out, size_t out_step)
{
    double r = (double)n_in / (double)n_out;
    for (size_t k = 0; k < n_out; k++) {
        double a = (double)k * r, b = (double)(k + 1) * r;
        size_t first = (size_t)a, last = (size_t)b;
        if (last >= n_in) {
            last = n_in - 1;
        }
        double sum = 0.0, covered = 0.0;
        for (size_t i = first; i <= last; i++) {
            double lo = (double)i > a ? (double)i : a;
            double hi = (double)(i + 1) < b ? (double)(i + 1) : b;
            if (hi > lo) {
                sum += (hi - lo) * in[i * in_step];
                covered += hi - lo;
            }
        }
        out[k * out_step] = covered > 0 ? sum / covered : in[first * in_step];
    }
}

lt_status lt_image_resize(const lt_image *src, size_t width, size_t height, lt_image *dst,
                          lt_error *err)
{
    lt_status st = lt_image_create(dst, width, height, 0, err);
    if (st != LT_OK) {
        return st;
    }
    size_t W = src->width, H = src->height;
    /* Separable: rows to the new width into tmp (H, width, 3), then columns. */
    double *line = lt_calloc(W > H ? W : H, sizeof(double), "resize line", err);
    double *tmp = lt_calloc(H * width * 3, sizeof(double), "resize buffer", err);
    double *col = lt_calloc(height, sizeof(double), "resize column", err);
    if (!line || !tmp || !col) {
        free(line);
        free(tmp);
        free(col);
        lt_image_free(dst);
        return LT_ERR;
    }
    for (size_t y = 0; y < H; y++) {
        for (size_t c = 0; c < 3; c++) {
            for (size_t x = 0; x < W; x++) {
                line[x] = src->rgb[(y * W + x) * 3 + c];
            }
            resample_line(line, W, 1, tmp + (y * width) * 3 + c, width, 3);
        }
    }
    for (size_t x = 0; x < width; x++) {
        for (size_t c = 0; c < 3; c++) {
            resample_line(tmp + x * 3 + c, H, width * 3, col, height, 1);
            for (size_t y = 0; y < height; y++) {
                double v = col[y] + 0.5;
                dst->rgb[(y * width + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
    free(line);
    free(tmp);
    free(col);
    return LT_OK;
}

void lt_image_to_record(const lt_image *im, uint8_t pixels[LT_CIFAR_D])
{
    for (size_t p = 0; p < PLANE; p++) {
        for (size_t c = 0; c < 3; c++) {
            pixels[c * PLANE + p] = im->rgb[p * 3 + c];
        }
    }
}

lt_status lt_image_from_record(const uint8_t pixels[LT_CIFAR_D], lt_image *im, lt_error *err)
{
    lt_status st = lt_image_create(im, SIDE, SIDE, 0, err);
    if (st != LT_OK) {
        return st;
    }
    for (size_t p = 0; p < PLANE; p++) {
        for (size_t c = 0; c < 3; c++) {
            im->rgb[p * 3 + c] = pixels[c * PLANE + p];
        }
    }
    return LT_OK;
}
