/* splits.h — the train / validation / test splits a config asks for.
 *
 * Validation is the last data.val_size records of the training files (so it does not
 * move when data.limit_train changes); training is the first data.limit_train of the
 * records before it (all of them when 0); test is data.test_file ("" for none).
 *
 * data.augment ["hflip"] then doubles the training split (images only): its N images
 * first, unchanged and in order, then their N mirror images in the same order (row
 * N + i is row i with each row of each colour plane reversed, with row i's label).
 * Validation and test are never augmented. */
#ifndef LINTRAIN_SPLITS_H
#define LINTRAIN_SPLITS_H

#include "lintrain/cifar.h"
#include "lintrain/common.h"
#include "lintrain/config.h"

#define LT_SPLITS_FEATURES_MAX 128

typedef struct {
    lt_dataset train, val, test;          /* D and dtype: train's (the others agree) */
    size_t C;                             /* classes: labels are 0..C-1 */
    size_t train_images;                  /* training images before data.augment: the
                                             first train_images rows of train (train.n
                                             without augmentation, train.n / 2 with
                                             hflip) */
    char (*class_names)[LT_CLASS_NAME_MAX]; /* owned: (C) */
    int is_image;                         /* records are 32x32x3 images (CIFAR layout) */
    char features[LT_SPLITS_FEATURES_MAX]; /* "": the records are the data set's; else
                                             the data.features stages that computed them
                                             from its images, "|"-joined */
} lt_splits;

/* Loads the data of data.format. A missing data folder says how to get it; sizes that do not
 * fit the data (val_size, limit_train) are LT_ECONFIG errors; lt_config_check_data
 * holds the rules of the other keys that need the data size. */
lt_status lt_splits_load(const lt_config *cfg, lt_splits *s, lt_error *err);

/* Whether cfg's data.augment lists "hflip". */
int lt_splits_hflip_wanted(const lt_config *cfg);

/* The mirror image of in (3 planes of side x side bytes, each row-major) into out:
 * pixel (r, c) of each plane becomes pixel (r, side - 1 - c). in and out must not
 * overlap. */
void lt_splits_hflip_image(const uint8_t *in, size_t side, uint8_t *out);

/* Doubles *train (uint8 images of 3 x side x side): its rows, then the mirror of each
 * in the same order, labels copied. LT_ECONFIG when the records are not such images. */
lt_status lt_splits_hflip(lt_dataset *train, size_t side, lt_error *err);

/* What data.augment asks of the cut splits s: s->train_images set, and with "hflip"
 * the training split doubled (LT_ECONFIG when the records are not images).
 * lt_splits_load calls it. */
lt_status lt_splits_augment(const lt_config *cfg, lt_splits *s, lt_error *err);
void lt_splits_free(lt_splits *s);

typedef struct {
    size_t train, val, test;  /* records in each split (train: after data.augment) */
    size_t D, C;              /* features and classes */
} lt_split_sizes;

/* lt_splits_load's checks without reading the records: the data folder and files
 * present, readable and of whole records (sizes and headers only), the sizes that must
 * fit the data, the class names; fills *out with the split sizes, D and C (an npy data
 * set without data.class_names has its labels read for C). Same errors, but for
 * the values of the records. */
lt_status lt_splits_check(const lt_config *cfg, lt_split_sizes *out, lt_error *err);

#endif
