/* templates.c — weight templates as a picture (CS231n's visualisation of W). */
#include "lintrain/templates.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lintrain/font.h"

#define SIDE 32
#define PLANE (SIDE * SIDE)
#define ZOOM 4
#define TILE (SIDE * ZOOM)
#define GAP 12
#define PER_ROW 5
#define LABEL_SCALE 2
#define LABEL_H (LT_FONT_H * LABEL_SCALE)
#define FOOTER_H (LT_FONT_H + GAP)

static const uint8_t INK[3] = {0, 0, 0};
static const uint8_t GREY_INK[3] = {90, 90, 90};

/* The largest scale (2, then 1) at which name fits a tile, and the name cut to fit. */
static int fit_label(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s", name);
    int scale = lt_font_text_width(out, LABEL_SCALE) <= TILE ? LABEL_SCALE : 1;
    while (lt_font_text_width(out, scale) > TILE) {
        out[strlen(out) - 1] = '\0';
    }
    return scale;
}

static void draw_tile(lt_image *im, const float *W, size_t C, size_t k, double lo,
                      double range, long x0, long y0)
{
    for (size_t y = 0; y < SIDE; y++) {
        for (size_t x = 0; x < SIDE; x++) {
            uint8_t px[3];
            for (size_t c = 0; c < 3; c++) {
                double w = W[(c * PLANE + y * SIDE + x) * C + k];
                double v = range > 0 ? 255.0 * (w - lo) / range : 127.5;
                px[c] = (uint8_t)lround(v < 0 ? 0 : v > 255 ? 255 : v);
            }
            for (size_t dy = 0; dy < ZOOM; dy++) {
                for (size_t dx = 0; dx < ZOOM; dx++) {
                    size_t X = (size_t)x0 + x * ZOOM + dx, Y = (size_t)y0 + y * ZOOM + dy;
                    memcpy(im->rgb + (Y * im->width + X) * 3, px, 3);
                }
            }
        }
    }
}

lt_status lt_templates_draw(const float *W, size_t C, char names[][LT_CLASS_NAME_MAX],
                            lt_image *out, lt_error *err)
{
    size_t n = (size_t)LT_CIFAR_D * C;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(W[i])) {
            return lt_fail(err, LT_ERR, "weight templates: W holds a NaN or an infinity");
        }
        lo = W[i] < lo ? W[i] : lo;
        hi = W[i] > hi ? W[i] : hi;
    }
    size_t cols = C < PER_ROW ? C : PER_ROW, rows = (C + PER_ROW - 1) / PER_ROW;
    size_t cell_h = TILE + GAP / 2 + LABEL_H;
    size_t width = cols * TILE + (cols + 1) * GAP;
    size_t height = rows * cell_h + (rows + 1) * GAP + FOOTER_H;
    lt_status st = lt_image_create(out, width, height, 255, err);
    if (st != LT_OK) {
        return st;
    }
    for (size_t k = 0; k < C; k++) {
        long x0 = (long)(GAP + (k % PER_ROW) * (TILE + GAP));
        long y0 = (long)(GAP + (k / PER_ROW) * (cell_h + GAP));
        draw_tile(out, W, C, k, lo, hi - lo, x0, y0);
        char label[LT_CLASS_NAME_MAX];
        int scale = fit_label(names[k], label, sizeof label);
        long tx = x0 + (long)(TILE - lt_font_text_width(label, scale)) / 2;
        long ty = y0 + TILE + GAP / 2 + (LABEL_H - LT_FONT_H * scale) / 2;
        lt_font_draw_text(out, tx, ty, label, scale, INK);
    }
    char footer[160];
    snprintf(footer, sizeof footer,
             "columns of W; colors min-max over all of W: %.3g -> 0, %.3g -> 255", lo, hi);
    lt_font_draw_text(out, GAP, (long)(height - FOOTER_H + GAP / 2), footer, 1, GREY_INK);
    return LT_OK;
}

lt_status lt_templates_write(const char *path, const float *W, size_t C,
                             char names[][LT_CLASS_NAME_MAX], lt_error *err)
{
    lt_image im;
    lt_status st = lt_templates_draw(W, C, names, &im, err);
    if (st == LT_OK) {
        st = lt_image_write_png(path, &im, err);
        lt_image_free(&im);
    }
    return st;
}
