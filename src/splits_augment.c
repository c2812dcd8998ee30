/* splits_augment.c — data.augment: copies of the training images added to the training
 * split once it is cut (validation and test are never augmented). "hflip": each image
 * mirrored left-right, appended after all the originals in their order. */
#include "lintrain/splits.h"

#include <string.h>

/* The side of CIFAR's images (LT_CIFAR_D = 3 x 32 x 32). */
#define SIDE 32

int lt_splits_hflip_wanted(const lt_config *cfg)
{
    for (size_t i = 0; i < cfg->data.augment.n; i++) {
        if (strcmp(cfg->data.augment.items[i], "hflip") == 0) {
            return 1;
        }
    }
    return 0;
}

void lt_splits_hflip_image(const uint8_t *in, size_t side, uint8_t *out)
{
    for (size_t row = 0; row < 3 * side; row++) {
        const uint8_t *src = in + row * side;
        uint8_t *dst = out + row * side;
        for (size_t c = 0; c < side; c++) {
            dst[c] = src[side - 1 - c];
        }
    }
}

lt_status lt_splits_hflip(lt_dataset *train, size_t side, lt_error *err)
{
    size_t n = train->n, D = 3 * side * side;
    if (train->dtype != LT_DTYPE_U8 || train->D != D) {
        return lt_fail(err, LT_ECONFIG, "data.augment: \"hflip\" mirrors %zux%zu images, and "
                       "the training records are not such images", side, side);
    }
    if (n > SIZE_MAX / 2) {
        return lt_fail(err, LT_ERR, "data.augment: %zu training images cannot be doubled", n);
    }
    lt_dataset out;
    lt_status st = lt_dataset_create(&out, 2 * n, D, LT_DTYPE_U8, err);
    if (st != LT_OK) {
        return st;
    }
    if (n > 0) {
        memcpy(out.x, train->x, n * D);
        memcpy(out.labels, train->labels, n * sizeof *out.labels);
        memcpy(out.labels + n, train->labels, n * sizeof *out.labels);
    }
    for (size_t i = 0; i < n; i++) {
        lt_splits_hflip_image(lt_dataset_u8(train, i), side, (uint8_t *)out.x + (n + i) * D);
    }
    lt_dataset_free(train);
    *train = out;
    return LT_OK;
}

lt_status lt_splits_augment(const lt_config *cfg, lt_splits *s, lt_error *err)
{
    s->train_images = s->train.n;
    if (!lt_splits_hflip_wanted(cfg)) {
        return LT_OK;
    }
    if (!s->is_image) {
        return lt_fail(err, LT_ECONFIG, "data.augment: \"hflip\" needs images (CIFAR-10 or "
                       "CIFAR-100); data.format \"%s\" has rows of numbers", cfg->data.format);
    }
    return lt_splits_hflip(&s->train, SIDE, err);
}
