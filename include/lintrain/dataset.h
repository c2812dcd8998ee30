/* dataset.h — labelled records in memory, as the loaders fill them: n records of D
 * values each (uint8 pixels for images, float32 otherwise) and a label each; a copy of
 * a range, truncation in place, free. */
#ifndef LINTRAIN_DATASET_H
#define LINTRAIN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"

typedef struct {
    size_t n;          /* number of records */
    size_t D;          /* values per record */
    lt_dtype dtype;    /* the type of the values */
    void *x;           /* owned: (n, D) row-major values of dtype */
    uint16_t *labels;  /* owned: (n), each in [0, C) for the data set's C classes */
} lt_dataset;

/* Record i's values, as bytes (uint8 data) or floats (float32 data). */
static inline const uint8_t *lt_dataset_u8(const lt_dataset *ds, size_t i)
{
    return (const uint8_t *)ds->x + i * ds->D;
}

static inline const float *lt_dataset_f32(const lt_dataset *ds, size_t i)
{
    return (const float *)ds->x + i * ds->D;
}

/* Bytes of one record's values. */
static inline size_t lt_dataset_row_bytes(const lt_dataset *ds)
{
    return ds->D * lt_dtype_size(ds->dtype);
}

/* Allocates *ds for n zeroed records of D values of dtype (n may be 0). */
lt_status lt_dataset_create(lt_dataset *ds, size_t n, size_t D, lt_dtype dtype,
                            lt_error *err);

/* Copies records [start, start + count) of src into *out (count may be 0). */
lt_status lt_dataset_slice(const lt_dataset *src, size_t start, size_t count,
                           lt_dataset *out, lt_error *err);

/* Keeps the first n records of *ds in place (no copy) and releases the rest's memory;
 * n larger than ds->n is an error. */
lt_status lt_dataset_truncate(lt_dataset *ds, size_t n, lt_error *err);

/* Frees what *ds owns and empties it (D and dtype stay); accepts an empty or NULL
 * dataset. */
void lt_dataset_free(lt_dataset *ds);

#endif
