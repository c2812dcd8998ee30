/* templates.h — the "visual viewpoint" of the lecture: each class's column of W
 * shown as a 32x32 color image, with the class name under it. */
#ifndef LINTRAIN_TEMPLATES_H
#define LINTRAIN_TEMPLATES_H

#include <stddef.h>

#include "lintrain/cifar.h"
#include "lintrain/common.h"
#include "lintrain/image.h"

/* Draws the C columns of W (LT_CIFAR_D, C) row-major, five to a row, each scaled up
 * 4x (nearest neighbour). Colors are min-max scaled over all of W, as CS231n does
 * (min -> 0, max -> 255), so that the classes can be compared; a constant W is mid
 * gray. Feature d = c·1024 + y·32 + x holds channel c of pixel (x, y). names (C) is
 * only read (not const: ISO C before C23 does not convert char[][N] to const). */
lt_status lt_templates_draw(const float *W, size_t C, char names[][LT_CLASS_NAME_MAX],
                            lt_image *out, lt_error *err);

/* lt_templates_draw, written as a PNG to path. */
lt_status lt_templates_write(const char *path, const float *W, size_t C,
                             char names[][LT_CLASS_NAME_MAX], lt_error *err);

#endif
