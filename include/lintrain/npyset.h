/* npyset.h — a data set as two NumPy arrays: X of shape (N, D) and y of shape (N,).
 *
 * X is uint8 (kept uint8, LT_DTYPE_U8), float32 or float64 (both held as float32,
 * LT_DTYPE_F32); y is any integer dtype with labels 0..C-1. Both files are input
 * boundaries (npy.h): every mistake is refused once, here, by a message naming the file
 * and, for values, the row (and column). */
#ifndef LINTRAIN_NPYSET_H
#define LINTRAIN_NPYSET_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/dataset.h"

/* What the headers say, nothing read: N, D and the dtype X is held as. */
typedef struct {
    size_t n, D;
    lt_dtype dtype;
} lt_npyset_shape;

/* Checks both headers (dtypes, 2-D X, 1-D y of as many rows, at least one row, sizes)
 * without reading the data. */
lt_status lt_npyset_count(const char *x_path, const char *y_path, lt_npyset_shape *out,
                          lt_error *err);

/* Loads X and y into *out (straight into its buffers: the data is in memory once).
 * Refuses NaN and infinities in float X (row and column), negative labels and labels
 * above 65535 (row); *max_label gets the largest label. On failure *out is empty. */
lt_status lt_npyset_load(const char *x_path, const char *y_path, lt_dataset *out,
                         uint16_t *max_label, lt_error *err);

/* Refuses the first label >= C, naming y_path, the row and where C came from (what:
 * "data.class_names has 3 names"). */
lt_status lt_npyset_check_labels(const lt_dataset *ds, size_t C, const char *y_path,
                                 const char *what, lt_error *err);

#endif
