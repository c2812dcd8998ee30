/* kmeans_patches.c — patches of the k-means features: extraction from a record,
 * brightness and contrast normalisation, and the random sample the fit learns from
 * (kmeans_demo.m: patch i from image mod(i - 1, n) + 1 at a uniform random position;
 * normalised by sqrt(var(patches, [], 2) + 10), MATLAB's var dividing by d - 1). */
#include "lintrain/kmeans.h"

#include <math.h>

void lt_kmeans_patch_extract(const uint8_t *rec, size_t side, size_t p, size_t x, size_t y,
                             float *out)
{
    for (size_t c = 0; c < 3; c++) {
        const uint8_t *plane = rec + c * side * side;
        for (size_t dy = 0; dy < p; dy++) {
            const uint8_t *row = plane + (y + dy) * side + x;
            for (size_t dx = 0; dx < p; dx++) {
                *out++ = (float)row[dx];
            }
        }
    }
}

void lt_kmeans_patch_normalize(float *x, size_t d)
{
    double sum = 0.0;
    for (size_t i = 0; i < d; i++) {
        sum += x[i];
    }
    double mean = sum / (double)d, ss = 0.0;
    for (size_t i = 0; i < d; i++) {
        double v = x[i] - mean;
        ss += v * v;
    }
    double inv = 1.0 / sqrt(ss / (double)(d - 1) + LT_KMEANS_EPS_NORM);
    for (size_t i = 0; i < d; i++) {
        x[i] = (float)((x[i] - mean) * inv);
    }
}

void lt_kmeans_patch_sample(const lt_kmeans_images *im, size_t p, size_t count, lt_rng *rng,
                            float *out)
{
    size_t d = 3 * p * p, g = im->side - p + 1, rec_bytes = 3 * im->side * im->side;
    for (size_t i = 0; i < count; i++) {
        size_t y = lt_rng_below(rng, (uint32_t)g);
        size_t x = lt_rng_below(rng, (uint32_t)g);
        float *dst = out + i * d;
        lt_kmeans_patch_extract(im->x + (i % im->n) * rec_bytes, im->side, p, x, y, dst);
        lt_kmeans_patch_normalize(dst, d);
    }
}
