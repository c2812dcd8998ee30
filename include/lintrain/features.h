/* features.h — hand-crafted image features, one image at a time: CS231n assignment 1's
 * hog_feature and color_histogram_hsv (cs231n/features.py), reproduced exactly, quirks
 * included (docs/features.md lists them).
 *
 * An image is stored as CIFAR-10 stores it: three planes of height × width bytes, red,
 * then green, then blue, each row-major (a 32 × 32 CIFAR record's 3,072 pixel bytes).
 * Features are float32, computed in double and rounded once.
 *
 * Every function here is pure: no globals, no allocation, so any number of threads may
 * compute features of different images at once. A stage is a kind from the table
 * (lt_features_find) with its parameters; lt_feature_kind.check validates them and the
 * image size once, and size and compute may then assume them valid. */
#ifndef LINTRAIN_FEATURES_H
#define LINTRAIN_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"

#define LT_FEATURES_HOG_CELL 8             /* pixels per cell side */
#define LT_FEATURES_HOG_BINS 9             /* orientation bins per cell */
#define LT_FEATURES_HUE_MAX_BINS 65536
#define LT_FEATURES_HUE_MAX_PIXELS (1u << 24) /* pixel counts stay exact in float */

/* A stage's parameters; each kind reads its own. */
typedef struct {
    size_t bins;  /* hue_histogram: number of bins, 1 .. LT_FEATURES_HUE_MAX_BINS */
} lt_feature_params;

typedef struct {
    const char *name;  /* "hog", "hue_histogram" */
    /* LT_OK, or LT_ECONFIG with a message naming what cannot work (a parameter out of
     * range, an image too small or too large for the kind). */
    lt_status (*check)(const lt_feature_params *p, size_t height, size_t width,
                       lt_error *err);
    /* Features per image. */
    size_t (*size)(const lt_feature_params *p, size_t height, size_t width);
    /* out[0 .. size) = the features of image (3 planes of height × width bytes). */
    void (*compute)(const lt_feature_params *p, const uint8_t *image, size_t height,
                    size_t width, float *out);
} lt_feature_kind;

/* The kind named name, or NULL. */
const lt_feature_kind *lt_features_find(const char *name);

/* The i-th kind's name, NULL past the end (listings, "did you mean"). */
const char *lt_features_name_at(size_t i);

/* hog_feature: 9 × ⌊height / 8⌋ × ⌊width / 8⌋ values, cell by cell, the cells in
 * column-major order (the assignment's transposition): out[(cx · rows + cy) · 9 + b] is
 * bin b of the cell in cell column cx and cell row cy, rows = ⌊height / 8⌋. Needs
 * height, width >= 8. */
size_t lt_features_hog_size(size_t height, size_t width);
void lt_features_hog(const uint8_t *image, size_t height, size_t width, float *out);

/* color_histogram_hsv(image, nbin=bins): the fraction of the image's pixels whose hue
 * (HSV, scaled to [0, 255]) falls in each of bins equal bins over [0, 255]; sums to 1.
 * Needs 1 <= bins <= LT_FEATURES_HUE_MAX_BINS, 1 <= height × width <=
 * LT_FEATURES_HUE_MAX_PIXELS. */
void lt_features_hue(const uint8_t *image, size_t height, size_t width, size_t bins,
                     float *out);

#endif
