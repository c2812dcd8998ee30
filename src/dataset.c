/* dataset.c — a dataset's records copied, cut short, freed. */
#include "lintrain/dataset.h"

#include <stdlib.h>
#include <string.h>

#include "lintrain/cifar.h"

lt_status lt_dataset_slice(const lt_dataset *src, size_t start, size_t count,
                           lt_dataset *out, lt_error *err)
{
    memset(out, 0, sizeof *out);
    if (start > src->n || count > src->n - start) {
        return lt_fail(err, LT_ERR,
                       "slice of records [%zu, %zu + %zu) is outside the dataset's %zu records",
                       start, start, count, src->n);
    }
    lt_dataset ds = {count, NULL, NULL};
    ds.pixels = lt_calloc(count, LT_CIFAR_D, "sliced pixels", err);
    ds.labels = lt_calloc(count, 1, "sliced labels", err);
    if (!ds.pixels || !ds.labels) {
        lt_dataset_free(&ds);
        return LT_ERR;
    }
    if (count > 0) {
        /* count * D cannot overflow: lt_calloc just allocated that many bytes. */
        memcpy(ds.pixels, src->pixels + start * LT_CIFAR_D, count * LT_CIFAR_D);
        memcpy(ds.labels, src->labels + start, count);
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
    uint8_t *p = realloc(ds->pixels, n * LT_CIFAR_D);
    uint8_t *l = realloc(ds->labels, n);
    ds->pixels = p ? p : ds->pixels;
    ds->labels = l ? l : ds->labels;
    return LT_OK;
}

void lt_dataset_free(lt_dataset *ds)
{
    if (!ds) {
        return;
    }
    free(ds->pixels);
    free(ds->labels);
    ds->n = 0;
    ds->pixels = NULL;
    ds->labels = NULL;
}
