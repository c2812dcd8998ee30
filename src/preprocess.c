/* preprocess.c — per-feature affine preprocessing fitted on the training split, and its
 * file in a run folder. */
#include "lintrain/preprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lintrain/fsutil.h"
#include "lintrain/npy.h"

static const char *const KINDS[] = {"none", "scale", "mean_image", "standardize"};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])
#define PLANE (LT_CIFAR_D / 3) /* pixels per color channel */

const char *lt_preprocess_name_at(size_t i)
{
    return i < N_KINDS ? KINDS[i] : NULL;
}

/* Records summed into 32-bit counters before they are flushed into double: 255 times
 * this many still fits in 32 bits. */
#define SUM_RUN ((size_t)1 << 24)

/* mean[d] over the records of ds. The sums are integers, exact in uint32 runs and in
 * double (below 2^53), so this is the plain double accumulation's result, computed
 * with integer vector adds. */
static void feature_means(const lt_dataset *ds, double *mean)
{
    uint32_t run[LT_CIFAR_D];
    memset(mean, 0, LT_CIFAR_D * sizeof *mean);
    for (size_t first = 0; first < ds->n; first += SUM_RUN) {
        size_t end = ds->n - first < SUM_RUN ? ds->n : first + SUM_RUN;
        memset(run, 0, sizeof run);
        for (size_t i = first; i < end; i++) {
            const uint8_t *x = lt_dataset_u8(ds, i);
            for (size_t d = 0; d < LT_CIFAR_D; d++) {
                run[d] += x[d];
            }
        }
        for (size_t d = 0; d < LT_CIFAR_D; d++) {
            mean[d] += run[d];
        }
    }
    for (size_t d = 0; d < LT_CIFAR_D; d++) {
        mean[d] = ds->n ? mean[d] / (double)ds->n : 0.0;
    }
}

/* Per-channel mean and population std over every pixel of that channel. The sums of x
 * and x² are integers, kept exact in 64 bits (the double sums of before, exactly). */
static void channel_stats(const lt_dataset *ds, double mean[3], double std[3])
{
    for (int c = 0; c < 3; c++) {
        uint64_t s = 0, s2 = 0;
        for (size_t i = 0; i < ds->n; i++) {
            const uint8_t *x = lt_dataset_u8(ds, i) + (size_t)c * PLANE;
            uint32_t r = 0, r2 = 0; /* 1024·255² < 2^32 */
            for (size_t k = 0; k < PLANE; k++) {
                r += x[k];
                r2 += (uint32_t)x[k] * x[k];
            }
            s += r;
            s2 += r2;
        }
        double count = (double)ds->n * PLANE;
        mean[c] = count > 0 ? (double)s / count : 0.0;
        double var = count > 0 ? (double)s2 / count - mean[c] * mean[c] : 0.0;
        std[c] = var > 0 ? sqrt(var) : 0.0;
    }
}

lt_status lt_preprocess_fit(lt_preprocess *p, const char *kind, const lt_dataset *train,
                            lt_error *err)
{
    memset(p, 0, sizeof *p);
    lt_status st = LT_ERR;
    double *mean = NULL;
    p->shift = lt_calloc(LT_CIFAR_D, sizeof(float), "preprocess shift", err);
    p->scale = lt_calloc(LT_CIFAR_D, sizeof(float), "preprocess scale", err);
    mean = lt_calloc(LT_CIFAR_D, sizeof(double), "preprocess mean", err);
    if (!p->shift || !p->scale || !mean) {
        goto fail;
    }
    for (size_t d = 0; d < LT_CIFAR_D; d++) {
        p->scale[d] = 1.0f;
    }
    if (strcmp(kind, "none") == 0) {
        /* identity */
    } else if (strcmp(kind, "scale") == 0) {
        for (size_t d = 0; d < LT_CIFAR_D; d++) {
            p->scale[d] = 1.0f / 255.0f;
        }
    } else if (strcmp(kind, "mean_image") == 0) {
        feature_means(train, mean);
        for (size_t d = 0; d < LT_CIFAR_D; d++) {
            p->shift[d] = (float)mean[d];
        }
    } else if (strcmp(kind, "standardize") == 0) {
        double cm[3], cs[3];
        channel_stats(train, cm, cs);
        for (size_t d = 0; d < LT_CIFAR_D; d++) {
            int c = (int)(d / PLANE);
            p->shift[d] = (float)cm[c];
            /* A constant channel has no spread to divide by: leave it centred only. */
            p->scale[d] = cs[c] > 0 ? (float)(1.0 / cs[c]) : 1.0f;
        }
    } else {
        st = lt_fail(err, LT_ECONFIG, "data.preprocess: unknown \"%s\"", kind);
        goto fail;
    }
    free(mean);
    return LT_OK;
fail:
    free(mean);
    lt_preprocess_free(p);
    return st;
}

void lt_preprocess_rows(const lt_preprocess *p, const lt_dataset *ds, const size_t *idx,
                        size_t start, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t r = idx ? idx[i] : start + i;
        const uint8_t *x = lt_dataset_u8(ds, r);
        float *o = out + i * LT_CIFAR_D;
        for (size_t d = 0; d < LT_CIFAR_D; d++) {
            o[d] = ((float)x[d] - p->shift[d]) * p->scale[d];
        }
    }
}

void lt_preprocess_free(lt_preprocess *p)
{
    if (!p) {
        return;
    }
    free(p->shift);
    free(p->scale);
    memset(p, 0, sizeof *p);
}

/* ---- preprocess.npy ---------------------------------------------------------------- */

lt_status lt_preprocess_save(const char *dir, const lt_preprocess *p, lt_error *err)
{
    char path[LT_PATH_MAX];
    lt_status st = lt_path_join(path, dir, LT_PREPROCESS_FILE, err);
    if (st != LT_OK) {
        return st;
    }
    float *both = lt_calloc(2 * LT_CIFAR_D, sizeof(float), "preprocess.npy", err);
    if (!both) {
        return LT_ERR;
    }
    memcpy(both, p->shift, LT_CIFAR_D * sizeof(float));
    memcpy(both + LT_CIFAR_D, p->scale, LT_CIFAR_D * sizeof(float));
    size_t shape[2] = {2, LT_CIFAR_D};
    st = lt_npy_write_f32(path, both, shape, 2, err);
    free(both);
    return st;
}

lt_status lt_preprocess_load(const char *dir, lt_preprocess *p, int *found, lt_error *err)
{
    memset(p, 0, sizeof *p);
    *found = 0;
    char path[LT_PATH_MAX];
    lt_status st = lt_path_join(path, dir, LT_PREPROCESS_FILE, err);
    struct stat sb;
    if (st != LT_OK || stat(path, &sb) != 0) {
        return st;
    }
    float *data = NULL;
    size_t shape[LT_NPY_MAX_DIMS];
    int ndim = 0;
    if ((st = lt_npy_read_f32(path, &data, shape, &ndim, err)) != LT_OK) {
        return st;
    }
    if (ndim != 2 || shape[0] != 2 || shape[1] != LT_CIFAR_D) {
        free(data);
        return lt_fail(err, LT_ERR, "%s: has the wrong shape: expected (2, %d)", path,
                       LT_CIFAR_D);
    }
    p->shift = lt_calloc(LT_CIFAR_D, sizeof(float), "preprocess shift", err);
    p->scale = lt_calloc(LT_CIFAR_D, sizeof(float), "preprocess scale", err);
    if (!p->shift || !p->scale) {
        free(data);
        lt_preprocess_free(p);
        return LT_ERR;
    }
    memcpy(p->shift, data, LT_CIFAR_D * sizeof(float));
    memcpy(p->scale, data + LT_CIFAR_D, LT_CIFAR_D * sizeof(float));
    free(data);
    *found = 1;
    return LT_OK;
}
