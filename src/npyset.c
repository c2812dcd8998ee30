/* npyset.c — a data set from X.npy (N, D) and y.npy (N,); see npyset.h. */
#include "lintrain/npyset.h"

#include <stdio.h>
#include <string.h>

#include "lintrain/npy.h"

/* "(3, 4)" for messages. */
static void shape_text(const lt_npy_header *h, char *buf, size_t cap)
{
    size_t len = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < h->ndim && len < cap; i++) {
        len += (size_t)snprintf(buf + len, cap - len, i ? ", %zu" : "%zu", h->shape[i]);
    }
    if (len < cap) {
        snprintf(buf + len, cap - len, h->ndim == 1 ? ",)" : ")");
    }
}

static lt_status check_x(const lt_npy_file *x, lt_npyset_shape *out, lt_error *err)
{
    char shape[256];
    shape_text(&x->h, shape, sizeof shape);
    if (x->h.ndim != 2) {
        return lt_fail(err, LT_ERR, "%s: shape %s; X must be 2-D, (rows, features)", x->path,
                       shape);
    }
    if (x->h.shape[0] == 0) {
        return lt_fail(err, LT_ERR, "%s: shape %s has no rows; a data set needs at least one",
                       x->path, shape);
    }
    if (x->h.shape[1] == 0) {
        return lt_fail(err, LT_ERR, "%s: shape %s has no features (columns)", x->path, shape);
    }
    if (x->kind == LT_NPY_UINT && x->itemsize == 1) {
        out->dtype = LT_DTYPE_U8;
    } else if (x->kind == LT_NPY_FLOAT) {
        out->dtype = LT_DTYPE_F32;
    } else {
        return lt_fail(err, LT_ERR, "%s: X of dtype %s; X must be uint8, float32 or float64 "
                       "(convert it: X.astype(np.float32))", x->path, lt_npy_type_name(x));
    }
    out->n = x->h.shape[0];
    out->D = x->h.shape[1];
    return LT_OK;
}

static lt_status check_y(const lt_npy_file *y, const lt_npy_file *x, lt_error *err)
{
    char shape[256];
    shape_text(&y->h, shape, sizeof shape);
    if (y->kind == LT_NPY_FLOAT) {
        return lt_fail(err, LT_ERR, "%s: labels of dtype %s; y must hold integers (convert "
                       "it: y.astype(np.int64))", y->path, lt_npy_type_name(y));
    }
    if (y->h.ndim != 1) {
        return lt_fail(err, LT_ERR, "%s: shape %s; y must be 1-D, (rows,)", y->path, shape);
    }
    if (y->h.shape[0] != x->h.shape[0]) {
        return lt_fail(err, LT_ERR, "%s: %zu labels but %s has %zu rows; y needs one label "
                       "per row of X", y->path, y->h.shape[0], x->path, x->h.shape[0]);
    }
    return LT_OK;
}

/* Opens and checks both files; on failure neither is left open. */
static lt_status open_pair(const char *x_path, const char *y_path, lt_npy_file *x,
                           lt_npy_file *y, lt_npyset_shape *shape, lt_error *err)
{
    memset(y, 0, sizeof *y);
    if (lt_npy_open(x_path, x, err) != LT_OK) {
        return LT_ERR;
    }
    lt_status st = check_x(x, shape, err);
    if (st == LT_OK) {
        st = lt_npy_open(y_path, y, err);
    }
    if (st == LT_OK) {
        st = check_y(y, x, err);
    }
    if (st != LT_OK) {
        lt_npy_close(x);
        lt_npy_close(y);
    }
    return st;
}

lt_status lt_npyset_count(const char *x_path, const char *y_path, lt_npyset_shape *out,
                          lt_error *err)
{
    lt_npy_file x, y;
    memset(out, 0, sizeof *out);
    if (open_pair(x_path, y_path, &x, &y, out, err) != LT_OK) {
        return LT_ERR;
    }
    lt_npy_close(&x);
    lt_npy_close(&y);
    return LT_OK;
}

lt_status lt_npyset_load(const char *x_path, const char *y_path, lt_dataset *out,
                         uint16_t *max_label, lt_error *err)
{
    lt_npy_file x, y;
    lt_npyset_shape shape;
    lt_dataset ds = {0};
    memset(out, 0, sizeof *out);
    *max_label = 0;
    if (open_pair(x_path, y_path, &x, &y, &shape, err) != LT_OK) {
        return LT_ERR;
    }
    lt_status st = lt_dataset_create(&ds, shape.n, shape.D, shape.dtype, err);
    if (st == LT_OK) {
        st = lt_npy_read_matrix(&x, shape.dtype, ds.x, err);
    }
    if (st == LT_OK) {
        st = lt_npy_read_labels(&y, ds.labels, max_label, err);
    }
    lt_npy_close(&x);
    lt_npy_close(&y);
    if (st != LT_OK) {
        lt_dataset_free(&ds);
        return st;
    }
    *out = ds;
    return LT_OK;
}

lt_status lt_npyset_check_labels(const lt_dataset *ds, size_t C, const char *y_path,
                                 const char *what, lt_error *err)
{
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->labels[i] >= C) {
            return lt_fail(err, LT_ERR, "%s: row %zu (0-based): label %u is out of range "
                           "0..%zu (%s)", y_path, i, (unsigned)ds->labels[i], C - 1, what);
        }
    }
    return LT_OK;
}
