/* dataset.c — a dataset's records allocated, copied, cut short, freed. */
#include "lintrain/dataset.h"

#include <stdlib.h>
#include <string.h>

lt_status lt_dataset_create(lt_dataset *ds, size_t n, size_t D, lt_dtype dtype,
                            lt_error *err)
{
    lt_dataset out = {n, D, dtype, NULL, NULL};
    memset(ds, 0, sizeof *ds);
    /* One more record than asked, so that an empty set still has its buffers. */
    out.x = lt_calloc2(n + 1, D, lt_dtype_size(dtype), "data set values", err);
    out.labels = lt_calloc(n + 1, sizeof *out.labels, "data set labels", err);
    if (!out.x || !out.labels) {
        lt_dataset_free(&out);
        return LT_ERR;
    }
    *ds = out;
    return LT_OK;
}

lt_status lt_dataset_slice(const lt_dataset *src, size_t start, size_t count,
                           lt_dataset *out, lt_error *err)
{
    memset(out, 0, sizeof *out);
    if (start > src->n || count > src->n - start) {
        return lt_fail(err, LT_ERR,
                       "slice of records [%zu, %zu + %zu) is outside the dataset's %zu records",
                       start, start, count, src->n);
    }
    lt_dataset ds;
    if (lt_dataset_create(&ds, count, src->D, src->dtype, err) != LT_OK) {
        return LT_ERR;
    }
    if (count > 0) {
        /* count * row cannot overflow: lt_dataset_create just allocated that much. */
        size_t row = lt_dataset_row_bytes(src);
        memcpy(ds.x, (const uint8_t *)src->x + start * row, count * row);
        memcpy(ds.labels, src->labels + start, count * sizeof *ds.labels);
    }
    *out = ds;
    return LT_OK;
}

lt_status lt_dataset_truncate(lt_dataset *ds, size_t n, lt_error *err)
{
    if (n > ds->n) {
        return lt_fail(err, LT_ERR, "cannot keep %zu of the dataset's %zu records", n, ds->n);
    }
    ds->n = n;
    if (n == 0) {
        lt_dataset_free(ds);
        return LT_OK;
    }
    /* Shrinking: realloc may move the block or leave it, but cannot fail to keep it. */
    void *p = realloc(ds->x, n * lt_dataset_row_bytes(ds));
    uint16_t *l = realloc(ds->labels, n * sizeof *l);
    ds->x = p ? p : ds->x;
    ds->labels = l ? l : ds->labels;
    return LT_OK;
}

void lt_dataset_free(lt_dataset *ds)
{
    if (!ds) {
        return;
    }
    free(ds->x);
    free(ds->labels);
    ds->n = 0;
    ds->x = NULL;
    ds->labels = NULL;
}
