/* kmeans_filters.c — the centroids as a picture (the paper's figure 3): one colour tile
 * per centroid, in the whitened space as the fit left them (ZCA keeps the pixel
 * layout, so whitened centroids read as image patches), each min-max scaled over its
 * own values. */
#include "lintrain/kmeans.h"

#include <math.h>
#include <string.h>

#define GAP 2
#define BACKGROUND 255

static void draw_tile(lt_image *im, const float *c, size_t p, size_t x0, size_t y0)
{
    size_t d = 3 * p * p;
    float lo = c[0], hi = c[0];
    for (size_t j = 1; j < d; j++) {
        lo = c[j] < lo ? c[j] : lo;
        hi = c[j] > hi ? c[j] : hi;
    }
    double range = (double)hi - lo;
    for (size_t y = 0; y < p * LT_KMEANS_TILE_ZOOM; y++) {
        for (size_t x = 0; x < p * LT_KMEANS_TILE_ZOOM; x++) {
            size_t py = y / LT_KMEANS_TILE_ZOOM, px = x / LT_KMEANS_TILE_ZOOM;
            uint8_t *dst = im->rgb + ((y0 + y) * im->width + x0 + x) * 3;
            for (size_t ch = 0; ch < 3; ch++) {
                double v = c[ch * p * p + py * p + px];
                dst[ch] = (uint8_t)lround(range > 0 ? 255.0 * (v - lo) / range : 127.5);
            }
        }
    }
}

lt_status lt_kmeans_filters_draw(const lt_kmeans_model *m, lt_image *out, lt_error *err)
{
    for (size_t i = 0; i < m->K * m->d; i++) {
        if (!isfinite(m->centroids[i])) {
            return lt_fail(err, LT_ERR, "k-means filters: a centroid holds a NaN or infinity");
        }
    }
    size_t cols = 1;
    while (cols * cols < m->K) {
        cols++;
    }
    size_t rows = (m->K + cols - 1) / cols, tile = m->patch * LT_KMEANS_TILE_ZOOM;
    lt_status st = lt_image_create(out, cols * (tile + GAP) + GAP, rows * (tile + GAP) + GAP,
                                   BACKGROUND, err);
    if (st != LT_OK) {
        return st;
    }
    for (size_t k = 0; k < m->K; k++) {
        draw_tile(out, m->centroids + k * m->d, m->patch, GAP + (k % cols) * (tile + GAP),
                  GAP + (k / cols) * (tile + GAP));
    }
    return LT_OK;
}

lt_status lt_kmeans_filters_write(const lt_kmeans_model *m, const char *path, lt_error *err)
{
    lt_image im;
    lt_status st = lt_kmeans_filters_draw(m, &im, err);
    if (st == LT_OK) {
        st = lt_image_write_png(path, &im, err);
        lt_image_free(&im);
    }
    return st;
}
