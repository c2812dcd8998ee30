/* fuzz_npy.c — libFuzzer harness for the general .npy reader (npy_read.c) and the npy
 * data set (npyset.c).
 *
 * The input is written as x.npy and opened. Properties: an accepted file is exactly its
 * header plus count * itemsize bytes, with count the product of the shape; reading it
 * gives back those bytes (uint8 as is, float32 bit for bit, float64 as (float) of each,
 * integer labels as their values) or refuses with a message, never both; a NaN or an
 * infinity is never accepted as X; and the data set made of x.npy and the same file as
 * y.npy loads only when X is 2-D, has rows, and y has as many. */
#include "fuzz_util.h"

#include <math.h>

#include "lintrain/npy.h"
#include "lintrain/npyset.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Reads the data as X, as the kind says, and checks it against the raw bytes. */
static void npy_check_matrix(lt_npy_file *nf, const uint8_t *raw)
{
    int u8 = nf->kind == LT_NPY_UINT && nf->itemsize == 1;
    int fl = nf->kind == LT_NPY_FLOAT;
    lt_dtype dtype = u8 ? LT_DTYPE_U8 : LT_DTYPE_F32;
    void *dst = calloc(nf->count + 1, u8 ? 1 : sizeof(float));
    lt_error err = {{0}};
    FUZZ_CHECK(dst != NULL);
    lt_status st = lt_npy_read_matrix(nf, dtype, dst, &err);
    FUZZ_CHECK(st == LT_OK || err.msg[0] != '\0');
    FUZZ_CHECK(u8 || fl || st != LT_OK);
    for (size_t i = 0; st == LT_OK && i < nf->count; i++) {
        if (u8) {
            FUZZ_CHECK(((uint8_t *)dst)[i] == raw[i]);
            continue;
        }
        float got = ((float *)dst)[i], want;
        if (nf->itemsize == 4) {
            memcpy(&want, raw + 4 * i, 4);
        } else {
            double d;
            memcpy(&d, raw + 8 * i, 8);
            want = (float)d;
        }
        FUZZ_CHECK(isfinite(got) && memcmp(&got, &want, 4) == 0);
    }
    free(dst);
}

static void npy_check_labels(lt_npy_file *nf, const uint8_t *raw)
{
    uint16_t *labels = calloc(nf->count + 1, sizeof *labels), max;
    lt_error err = {{0}};
    FUZZ_CHECK(labels != NULL);
    lt_status st = lt_npy_read_labels(nf, labels, &max, &err);
    FUZZ_CHECK(st == LT_OK || err.msg[0] != '\0');
    for (size_t i = 0; st == LT_OK && i < nf->count; i++) {
        uint64_t v = 0;
        memcpy(&v, raw + i * nf->itemsize, nf->itemsize);
        FUZZ_CHECK(labels[i] == (uint16_t)v && labels[i] <= max);
    }
    free(labels);
}

static void npy_check_set(void)
{
    char x[256];
    snprintf(x, sizeof x, "%s/x.npy", fuzz_scratch());
    lt_dataset ds;
    uint16_t max;
    lt_error err = {{0}};
    if (lt_npyset_load(x, x, &ds, &max, &err) == LT_OK) {
        FUZZ_CHECK(ds.n > 0 && ds.D > 0 && ds.x != NULL);
        lt_dataset_free(&ds);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0' && ds.x == NULL);
    }
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("x.npy", data, size);
    lt_npy_file nf;
    lt_error err = {{0}};
    if (lt_npy_open(path, &nf, &err) != LT_OK) {
        FUZZ_CHECK(err.msg[0] != '\0' && nf.f == NULL);
        npy_check_set();
        return 0;
    }
    FUZZ_CHECK(nf.h.data_offset <= size);
    FUZZ_CHECK(size - nf.h.data_offset == nf.count * nf.itemsize);
    size_t count = 1;
    for (int i = 0; i < nf.h.ndim; i++) {
        count *= nf.h.shape[i];
    }
    FUZZ_CHECK(count == nf.count);
    const uint8_t *raw = data + nf.h.data_offset;
    if (nf.kind == LT_NPY_FLOAT || nf.itemsize == 1) {
        npy_check_matrix(&nf, raw);
    }
    lt_npy_close(&nf);
    if (lt_npy_open(path, &nf, &err) == LT_OK) {
        if (nf.kind != LT_NPY_FLOAT) {
            npy_check_labels(&nf, raw);
        }
        lt_npy_close(&nf);
    }
    npy_check_set();
    return 0;
}
