/* font.h — a 5x7 pixel font for printable ASCII, drawn into lt_image pictures (the
 * class names under the weight templates). Each character takes a cell of
 * LT_FONT_W x LT_FONT_H pixels (7 rows, 2 for descenders, one column and one row of
 * spacing), times scale. */
#ifndef LINTRAIN_FONT_H
#define LINTRAIN_FONT_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/image.h"

#define LT_FONT_W 6
#define LT_FONT_H 10

/* Width in pixels of text drawn at scale. */
size_t lt_font_text_width(const char *text, int scale);

/* Draws text with its top-left corner at (x, y) in color rgb; pixels outside the
 * image are clipped. A byte outside printable ASCII is drawn as '?'. */
void lt_font_draw_text(lt_image *im, long x, long y, const char *text, int scale,
                  const uint8_t rgb[3]);

#endif
