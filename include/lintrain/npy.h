/* npy.h — NumPy .npy files. Written: format version 1.0, float32 little-endian, C order,
 * readable by numpy.load. Read: that, and the integer and float arrays of the data sets
 * (npy_read.c). */
#ifndef LINTRAIN_NPY_H
#define LINTRAIN_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lintrain/common.h"

#define LT_NPY_MAX_DIMS 8

/* Writes data with the given shape (ndim in 1..LT_NPY_MAX_DIMS) as '<f4', C order.
 * Written to "path.tmp" and renamed over path, so a reader never sees half a file. */
lt_status lt_npy_write_f32(const char *path, const float *data, const size_t *shape,
                           int ndim, lt_error *err);

/* ---- reading any array the data sets use ----------------------------------------------
 * lt_npy_open parses the header, accepts the dtypes '|u1' '|i1' '<u2' '<i2' '<u4' '<i4'
 * '<u8' '<i8' '<f4' '<f8' (and '<u1'/'<i1') in C order, refuses the others by name
 * (big-endian, object, strings, bool, complex, float16, structured, Fortran order), and
 * checks that the file holds exactly the data the shape says (truncated and over-long
 * files are refused before anything large is allocated). */

typedef enum { LT_NPY_UINT, LT_NPY_INT, LT_NPY_FLOAT } lt_npy_kind;

/* The parsed header. */
typedef struct {
    char descr[32];             /* as written: "<f4", "|u1" */
    int fortran;
    size_t shape[LT_NPY_MAX_DIMS];
    int ndim;
    size_t data_offset;         /* bytes before the data */
} lt_npy_header;

/* An open .npy file positioned at its data. */
typedef struct {
    FILE *f;
    char *path;                 /* owned copy, for messages */
    lt_npy_header h;
    lt_npy_kind kind;
    size_t itemsize;            /* 1, 2, 4 or 8 */
    size_t count;               /* elements */
} lt_npy_file;

/* Reads magic, version and header dict from f (at its start) into h; leaves f at the
 * data. Does not judge the dtype. */
lt_status lt_npy_header_read(FILE *f, const char *path, lt_npy_header *h, lt_error *err);

/* Opens path and checks it as above. On failure nothing is left open. */
lt_status lt_npy_open(const char *path, lt_npy_file *out, lt_error *err);
void lt_npy_close(lt_npy_file *nf);

/* numpy's name of the dtype: "float32", "int64", "uint8". */
const char *lt_npy_type_name(const lt_npy_file *nf);

/* Reads the whole array of an (N, D) file of '|u1', '<f4' or '<f8' into dst, which
 * holds N * D values of dtype: uint8 as is (dtype LT_DTYPE_U8), floats as float32
 * (LT_DTYPE_F32; '<f8' is converted in chunks, no second copy of the data). A NaN or
 * an infinity, or a float64 beyond float32's range, is refused naming row and column. */
lt_status lt_npy_read_matrix(lt_npy_file *nf, lt_dtype dtype, void *dst, lt_error *err);

/* Reads a 1-D array of any integer dtype into labels (nf->count of them), refusing a
 * negative value or one above 65535 by its row; *max gets the largest label (0 when
 * there are none). */
lt_status lt_npy_read_labels(lt_npy_file *nf, uint16_t *labels, uint16_t *max, lt_error *err);

/* Reads a '<f4' C-order array. *data is malloc'ed (caller frees), shape gets the
 * dimensions and *ndim their number. Errors name the file: not .npy, unsupported
 * version, dtype other than '<f4', Fortran order, truncated data, too many dims. */
lt_status lt_npy_read_f32(const char *path, float **data, size_t shape[LT_NPY_MAX_DIMS],
                          int *ndim, lt_error *err);

#endif
