/* npy.h — NumPy .npy files, format version 1.0, float32 little-endian, C order.
 * Readable by numpy.load; what numpy.save writes for a float32 array reads back. */
#ifndef LINTRAIN_NPY_H
#define LINTRAIN_NPY_H

#include <stddef.h>

#include "lintrain/common.h"

#define LT_NPY_MAX_DIMS 8

/* Writes data with the given shape (ndim in 1..LT_NPY_MAX_DIMS) as '<f4', C order.
 * Written to "path.tmp" and renamed over path, so a reader never sees half a file. */
lt_status lt_npy_write_f32(const char *path, const float *data, const size_t *shape,
                           int ndim, lt_error *err);

/* Reads a '<f4' C-order array. *data is malloc'ed (caller frees), shape gets the
 * dimensions and *ndim their number. Errors name the file: not .npy, unsupported
 * version, dtype other than '<f4', Fortran order, truncated data, too many dims. */
lt_status lt_npy_read_f32(const char *path, float **data, size_t shape[LT_NPY_MAX_DIMS],
                          int *ndim, lt_error *err);

#endif
