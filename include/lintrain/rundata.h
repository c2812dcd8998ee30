/* rundata.h — data.json in a run folder: what the run was trained on. The number of
 * features D, of classes C, the values' type, the data format, whether the records are
 * 32x32x3 images, and the C class names, so that eval, predict, plot and --resume know
 * the model's shape and the names without the data folder.
 *
 *   {"format": "cifar10", "D": 3072, "C": 10, "dtype": "uint8", "images": true,
 *    "class_names": ["airplane", ...]}
 *
 * A run trained on data.features adds "features": ["hog", "hue_histogram"], the stages
 * that computed its D float32 features from the data set's images ("images" is then
 * false: the records trained on are not images, but its input is). A run trained with
 * data.augment adds "augment": ["hflip"].
 *
 * A folder written before data.json existed holds a CIFAR-10 run: reading it gives
 * D 3072, C 10, uint8, images, and the class names of data.dir's batches.meta.txt (or
 * the standard ones), as lintrain read them then. */
#ifndef LINTRAIN_RUNDATA_H
#define LINTRAIN_RUNDATA_H

#include <stddef.h>

#include "lintrain/cifar.h"
#include "lintrain/common.h"
#include "lintrain/splits.h"

#define LT_RUNDATA_FILE "data.json"
#define LT_RUNDATA_FORMAT_MAX 16

typedef struct {
    char format[LT_RUNDATA_FORMAT_MAX]; /* data.format: "cifar10", "cifar100", "npy" */
    size_t D, C;
    lt_dtype dtype;
    int is_image;                       /* records are 32x32x3 images (CIFAR layout) */
    char (*class_names)[LT_CLASS_NAME_MAX]; /* owned: (C) */
    int recorded;                       /* 0: no data.json, CIFAR-10 assumed */
    char features[LT_SPLITS_FEATURES_MAX]; /* "": trained on the records; else the
                                              data.features stages ("|"-joined) that
                                              computed the D features from 32x32 images */
    int hflip;                          /* the training split was doubled by data.augment
                                           "hflip": written as "augment": ["hflip"], not
                                           read back (config.json says it) */
} lt_rundata;

/* The record of data s (its C names copied) in format. */
lt_status lt_rundata_of_splits(lt_rundata *r, const char *format, const lt_splits *s,
                               lt_error *err);

/* Writes dir/data.json atomically. */
lt_status lt_rundata_write(const char *dir, const lt_rundata *r, lt_error *err);

/* Reads dir/data.json; when it does not exist, the CIFAR-10 record above, its class
 * names from data_dir's batches.meta.txt (the standard ones when it has none). A file
 * that does not parse or misses a field, a D or C of 0, an unknown dtype or a
 * class_names array of other than C names is an error naming the file. */
lt_status lt_rundata_read(const char *dir, const char *data_dir, lt_rundata *r,
                          lt_error *err);

/* "D 3072, C 10, uint8": the shape and type, for messages. */
void lt_rundata_describe(const lt_rundata *r, char *out, size_t size);

/* LT_ECONFIG when the data s now has another D, C or dtype than the run recorded in
 * dir: the message names both ("... trained on D 3072, C 10, uint8 (data.json); the
 * data now give D 3072, C 100, uint8"), what is the action refused ("cannot resume"). */
lt_status lt_rundata_check(const lt_rundata *r, const char *dir, const lt_splits *s,
                           const char *what, lt_error *err);

/* Frees the names and empties *r; accepts NULL. */
void lt_rundata_free(lt_rundata *r);

#endif
