/* features.c — the table of feature kinds: name → check, size, compute (features.h).
 * The extractors themselves: features_hog.c, features_hue.c. */
#include "lintrain/features.h"

static lt_status hog_check(const lt_feature_params *p, size_t height, size_t width,
                           lt_error *err)
{
    (void)p;
    if (height < LT_FEATURES_HOG_CELL || width < LT_FEATURES_HOG_CELL) {
        return lt_fail(err, LT_ECONFIG, "hog: needs images of at least %d x %d pixels, "
                       "got %zu x %zu", LT_FEATURES_HOG_CELL, LT_FEATURES_HOG_CELL, height,
                       width);
    }
    return LT_OK;
}

static size_t hog_size(const lt_feature_params *p, size_t height, size_t width)
{
    (void)p;
    return lt_features_hog_size(height, width);
}

static void hog_compute(const lt_feature_params *p, const uint8_t *image, size_t height,
                        size_t width, float *out)
{
    (void)p;
    lt_features_hog(image, height, width, out);
}

static lt_status hue_check(const lt_feature_params *p, size_t height, size_t width,
                           lt_error *err)
{
    if (p->bins < 1 || p->bins > LT_FEATURES_HUE_MAX_BINS) {
        return lt_fail(err, LT_ECONFIG, "hue_histogram: bins must be in [1, %d], got %zu",
                       LT_FEATURES_HUE_MAX_BINS, p->bins);
    }
    if (height == 0 || width == 0 || height > LT_FEATURES_HUE_MAX_PIXELS / width) {
        return lt_fail(err, LT_ECONFIG, "hue_histogram: images of %zu x %zu pixels: "
                       "needs 1 to %u pixels", height, width, LT_FEATURES_HUE_MAX_PIXELS);
    }
    return LT_OK;
}

static size_t hue_size(const lt_feature_params *p, size_t height, size_t width)
{
    (void)height;
    (void)width;
    return p->bins;
}

static void hue_compute(const lt_feature_params *p, const uint8_t *image, size_t height,
                        size_t width, float *out)
{
    lt_features_hue(image, height, width, p->bins, out);
}

static const lt_feature_kind KINDS[] = {
    {"hog", hog_check, hog_size, hog_compute},
    {"hue_histogram", hue_check, hue_size, hue_compute},
};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

const lt_feature_kind *lt_features_find(const char *name)
{
    return lt_table_find(KINDS, N_KINDS, sizeof KINDS[0], name);
}

const char *lt_features_name_at(size_t i)
{
    return lt_table_name_at(KINDS, N_KINDS, sizeof KINDS[0], i);
}
