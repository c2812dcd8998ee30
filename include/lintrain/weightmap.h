/* weightmap.h — the weight matrix W (D, C) as a heat map, the picture of W for data
 * that are not images: one row per feature, one column per class, diverging colours
 * (blue negative, white 0, red positive) scaled by the largest |w| of W, the class
 * names as column labels (read bottom to top), feature numbers along the left side and
 * a colour bar with its values under the map. */
#ifndef LINTRAIN_WEIGHTMAP_H
#define LINTRAIN_WEIGHTMAP_H

#include <stddef.h>

#include "lintrain/cifar.h"
#include "lintrain/common.h"
#include "lintrain/image.h"

#define LT_WEIGHTMAP_FILE "weights.png"
#define LT_WEIGHTMAP_MAX_D 2048 /* rows of at least one pixel: beyond, no picture */
#define LT_WEIGHTMAP_MAX_C 256  /* columns of at least two pixels */

/* Whether a W of D x C is drawn (D <= LT_WEIGHTMAP_MAX_D, C <= LT_WEIGHTMAP_MAX_C). */
int lt_weightmap_fits(size_t D, size_t C);

/* Draws W (D, C) row-major; names (C) label the columns when the columns are wide
 * enough for a line of text (C <= 72), else the footer says the columns are the classes
 * in order. A W holding NaN or an infinity, or a shape that does not fit, is an error.
 * names is only read (not const: ISO C before C23 does not convert char[][N]). */
lt_status lt_weightmap_draw(const float *W, size_t D, size_t C,
                            char names[][LT_CLASS_NAME_MAX], lt_image *out, lt_error *err);

/* lt_weightmap_draw, written as a PNG to path. */
lt_status lt_weightmap_write(const char *path, const float *W, size_t D, size_t C,
                             char names[][LT_CLASS_NAME_MAX], lt_error *err);

#endif
