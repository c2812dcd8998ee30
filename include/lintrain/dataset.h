/* dataset.h — labelled images in memory, as the loaders (cifar.h) fill them: n records
 * of LT_CIFAR_D uint8 pixels and a label each; a copy of a range, truncation in place,
 * free. */
#ifndef LINTRAIN_DATASET_H
#define LINTRAIN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"

typedef struct {
    size_t n;         /* number of records */
    uint8_t *pixels;  /* owned: (n, LT_CIFAR_D) row-major, in the record's byte order */
    uint8_t *labels;  /* owned: (n), each in [0, LT_CIFAR_C) */
} lt_dataset;

/* Copies records [start, start + count) of src into *out (count may be 0). */
lt_status lt_dataset_slice(const lt_dataset *src, size_t start, size_t count,
                           lt_dataset *out, lt_error *err);

/* Keeps the first n records of *ds in place (no copy) and releases the rest's memory;
 * n larger than ds->n is an error. */
lt_status lt_dataset_truncate(lt_dataset *ds, size_t n, lt_error *err);

/* Frees what *ds owns and empties it; accepts an empty or NULL dataset. */
void lt_dataset_free(lt_dataset *ds);

#endif
