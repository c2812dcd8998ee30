/* weightmap.c — W as a heat map (see weightmap.h). Colours: white at 0, blending
 * linearly to red (178, 24, 43) at +max|W| and to blue (33, 102, 172) at -max|W|, the
 * two ends of ColorBrewer's RdBu scale. */
#include "lintrain/weightmap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lintrain/font.h"

#define MARGIN 12
#define AREA 720          /* pixels the cells aim to fill, across and down */
#define MAX_CELL 32
#define LABEL_CHARS 24    /* class names are cut to this many characters */
#define TICK_GAP 14       /* pixels at least between feature numbers */
#define BAR_W 256
#define BAR_H 12

static const uint8_t INK[3] = {0, 0, 0};
static const uint8_t GREY_INK[3] = {90, 90, 90};
static const double POS[3] = {178, 24, 43}, NEG[3] = {33, 102, 172};

typedef struct {
    size_t cw, ch;        /* a cell's width and height */
    size_t left, top;     /* the map's top-left corner */
    size_t label_h;       /* height of the class-name band (0: no names) */
    size_t width, height; /* the picture */
} layout;

int lt_weightmap_fits(size_t D, size_t C)
{
    return D >= 1 && C >= 1 && D <= LT_WEIGHTMAP_MAX_D && C <= LT_WEIGHTMAP_MAX_C;
}

static size_t clamp(size_t v, size_t lo, size_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The colour of w for the scale m = max|W| (m > 0). */
static void colour(double w, double m, uint8_t px[3])
{
    double t = w / m;
    const double *end = t < 0 ? NEG : POS;
    t = fabs(t) > 1 ? 1 : fabs(t);
    for (int c = 0; c < 3; c++) {
        px[c] = (uint8_t)lround(255.0 + t * (end[c] - 255.0));
    }
}

static void fill(lt_image *im, size_t x0, size_t y0, size_t w, size_t h, const uint8_t px[3])
{
    for (size_t y = y0; y < y0 + h; y++) {
        for (size_t x = x0; x < x0 + w; x++) {
            memcpy(im->rgb + (y * im->width + x) * 3, px, 3);
        }
    }
}

/* Rows between feature numbers: the first of 1, 2, 5, 10, 20, 50, ... at least
 * TICK_GAP pixels apart. */
static size_t tick_step(size_t ch)
{
    static const size_t STEPS[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    size_t i = 0;
    while (i + 1 < sizeof STEPS / sizeof STEPS[0] && STEPS[i] * ch < TICK_GAP) {
        i++;
    }
    return STEPS[i];
}

static void label_of(const char *name, char out[LABEL_CHARS + 1])
{
    snprintf(out, LABEL_CHARS + 1, "%s", name);
}

static void plan(size_t D, size_t C, char names[][LT_CLASS_NAME_MAX], layout *L)
{
    L->cw = clamp(AREA / C, 2, MAX_CELL);
    L->ch = clamp(AREA / D, 1, MAX_CELL);
    L->label_h = 0;
    for (size_t k = 0; L->cw >= LT_FONT_H && k < C; k++) {
        char label[LABEL_CHARS + 1];
        label_of(names[k], label);
        size_t w = lt_font_text_width(label, 1);
        L->label_h = w > L->label_h ? w : L->label_h;
    }
    char widest[32];
    snprintf(widest, sizeof widest, "%zu", D - 1);
    L->left = MARGIN + lt_font_text_width(widest, 1) + 4;
    /* Without names, class numbers take a line above the columns. */
    L->top = MARGIN + LT_FONT_H + MARGIN / 2 + (L->label_h ? L->label_h + 4 : LT_FONT_H + 2);
    size_t map_w = L->left + C * L->cw + MARGIN;
    size_t foot_w = 2 * MARGIN + BAR_W + 2 * lt_font_text_width("-0.000e-00", 1) + 8;
    L->width = map_w > foot_w ? map_w : foot_w;
    L->width = L->width > 420 ? L->width : 420; /* room for the title and footer lines */
    L->height = L->top + D * L->ch + MARGIN + BAR_H + 4 + 2 * (LT_FONT_H + 2) + MARGIN;
}

/* text drawn rotated a quarter turn counter-clockwise (read bottom to top), its last
 * character's end at (x, y_bottom - its width). */
static lt_status draw_up(lt_image *im, size_t x, size_t y_bottom, const char *text,
                         lt_error *err)
{
    size_t tw = lt_font_text_width(text, 1);
    lt_image tmp;
    if (tw == 0) {
        return LT_OK;
    }
    lt_status st = lt_image_create(&tmp, tw, LT_FONT_H, 255, err);
    if (st != LT_OK) {
        return st;
    }
    lt_font_draw_text(&tmp, 0, 0, text, 1, INK);
    for (size_t ty = 0; ty < LT_FONT_H; ty++) {
        for (size_t tx = 0; tx < tw; tx++) {
            const uint8_t *p = tmp.rgb + (ty * tw + tx) * 3;
            if (p[0] < 128) {
                memcpy(im->rgb + ((y_bottom - 1 - tx) * im->width + x + ty) * 3, p, 3);
            }
        }
    }
    lt_image_free(&tmp);
    return LT_OK;
}

static lt_status draw_labels(lt_image *im, const layout *L, size_t D, size_t C,
                             char names[][LT_CLASS_NAME_MAX], lt_error *err)
{
    lt_status st = LT_OK;
    for (size_t k = 0; L->label_h && k < C && st == LT_OK; k++) {
        char label[LABEL_CHARS + 1];
        label_of(names[k], label);
        st = draw_up(im, L->left + k * L->cw + (L->cw - LT_FONT_H) / 2 + 1, L->top - 4, label,
                     err);
    }
    size_t cstep = tick_step(L->cw > 1 ? L->cw / 2 : 1); /* numbers: twice the rows' gap */
    for (size_t k = 0; !L->label_h && k < C; k += cstep) {
        char num[32];
        snprintf(num, sizeof num, "%zu", k);
        lt_font_draw_text(im, (long)(L->left + k * L->cw), (long)(L->top - LT_FONT_H - 2), num,
                          1, GREY_INK);
    }
    size_t step = tick_step(L->ch);
    for (size_t d = 0; d < D; d += step) {
        char num[32];
        snprintf(num, sizeof num, "%zu", d);
        long y = (long)(L->top + d * L->ch + L->ch / 2) - 3;
        lt_font_draw_text(im, (long)(L->left - 4 - lt_font_text_width(num, 1)), y, num, 1,
                          GREY_INK);
    }
    return st;
}

/* The colour bar from -m to +m under the map, its values at both ends and 0. */
static void draw_footer(lt_image *im, const layout *L, size_t D, size_t C, double m)
{
    size_t y = L->top + D * L->ch + MARGIN;
    char lo[24], hi[24], line[160];
    snprintf(lo, sizeof lo, "%.3g", -m);
    snprintf(hi, sizeof hi, "+%.3g", m);
    size_t x0 = MARGIN + lt_font_text_width(lo, 1) + 4;
    lt_font_draw_text(im, MARGIN, (long)y + 2, lo, 1, INK);
    for (size_t i = 0; i < BAR_W; i++) {
        uint8_t px[3];
        colour(m > 0 ? m * (2.0 * (double)i / (BAR_W - 1) - 1.0) : 0, m > 0 ? m : 1, px);
        fill(im, x0 + i, y, 1, BAR_H, px);
    }
    lt_font_draw_text(im, (long)(x0 + BAR_W + 4), (long)y + 2, hi, 1, INK);
    lt_font_draw_text(im, (long)(x0 + BAR_W / 2 - 2), (long)(y + BAR_H + 2), "0", 1, INK);
    if (L->label_h == 0) {
        snprintf(line, sizeof line, "columns: the %zu classes in order (names: data.json)", C);
        lt_font_draw_text(im, MARGIN, (long)(y + BAR_H + 4 + LT_FONT_H), line, 1, GREY_INK);
    }
}

lt_status lt_weightmap_draw(const float *W, size_t D, size_t C,
                            char names[][LT_CLASS_NAME_MAX], lt_image *out, lt_error *err)
{
    if (!lt_weightmap_fits(D, C)) {
        return lt_fail(err, LT_ERR, "weight map: W of %zu x %zu is too large to draw "
                       "(at most %d features and %d classes)", D, C, LT_WEIGHTMAP_MAX_D,
                       LT_WEIGHTMAP_MAX_C);
    }
    double m = 0;
    for (size_t i = 0; i < D * C; i++) {
        if (!isfinite(W[i])) {
            return lt_fail(err, LT_ERR, "weight map: W holds a NaN or an infinity");
        }
        m = fabs(W[i]) > m ? fabs(W[i]) : m;
    }
    layout L;
    plan(D, C, names, &L);
    lt_status st = lt_image_create(out, L.width, L.height, 255, err);
    if (st != LT_OK) {
        return st;
    }
    char title[160];
    snprintf(title, sizeof title, "W: %zu features (rows) x %zu classes (columns)", D, C);
    lt_font_draw_text(out, MARGIN, MARGIN, title, 1, INK);
    for (size_t d = 0; d < D; d++) {
        for (size_t k = 0; k < C; k++) {
            uint8_t px[3] = {255, 255, 255};
            if (m > 0) {
                colour(W[d * C + k], m, px);
            }
            fill(out, L.left + k * L.cw, L.top + d * L.ch, L.cw, L.ch, px);
        }
    }
    st = draw_labels(out, &L, D, C, names, err);
    draw_footer(out, &L, D, C, m);
    if (st != LT_OK) {
        lt_image_free(out);
    }
    return st;
}

lt_status lt_weightmap_write(const char *path, const float *W, size_t D, size_t C,
                             char names[][LT_CLASS_NAME_MAX], lt_error *err)
{
    lt_image im;
    lt_status st = lt_weightmap_draw(W, D, C, names, &im, err);
    if (st == LT_OK) {
        st = lt_image_write_png(path, &im, err);
        lt_image_free(&im);
    }
    return st;
}
