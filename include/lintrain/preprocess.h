/* preprocess.h — turning the stored values (uint8 or float32) into the float features
 * the model sees.
 *
 * Every kind is the per-feature affine map x' = (x - shift[d]) * scale[d], with shift
 * and scale fitted on the training split only (sums in double):
 *   none         shift 0, scale 1
 *   scale        shift 0, scale 1/255; uint8 data only (float data is refused)
 *   mean_image   shift = mean training row (the mean image, CS231n), scale 1
 *   standardize  images: per-channel mean and 1/std, broadcast over the channel's 1024
 *                pixels; other data: each feature's mean and 1/std (population) */
#ifndef LINTRAIN_PREPROCESS_H
#define LINTRAIN_PREPROCESS_H

#include <stddef.h>

#include "lintrain/cifar.h"
#include "lintrain/common.h"

typedef struct {
    size_t D;      /* features */
    float *shift;  /* owned: (D) */
    float *scale;  /* owned: (D) */
} lt_preprocess;

const char *lt_preprocess_name_at(size_t i);

/* Fits the kind named kind on train; is_image: its records are 32x32x3 uint8 images
 * (standardize per channel). An unknown name, and scale on float data, are LT_ECONFIG. */
lt_status lt_preprocess_fit(lt_preprocess *p, const char *kind, const lt_dataset *train,
                            int is_image, lt_error *err);

/* Writes rows of ds as features into out (n, p->D): row i is record idx[i],
 * or record start + i when idx is NULL. */
void lt_preprocess_rows(const lt_preprocess *p, const lt_dataset *ds, const size_t *idx,
                        size_t start, size_t n, float *out);

void lt_preprocess_free(lt_preprocess *p);

/* preprocess.npy in a run folder: float32 (2, D), row 0 the shift and row 1
 * the scale, so that a run folder predicts without the training data. */
#define LT_PREPROCESS_FILE "preprocess.npy"

/* Writes dir/preprocess.npy. */
lt_status lt_preprocess_save(const char *dir, const lt_preprocess *p, lt_error *err);

/* Reads dir/preprocess.npy; LT_OK with *found = 0 when it does not exist. */
lt_status lt_preprocess_load(const char *dir, lt_preprocess *p, int *found, lt_error *err);

#endif
