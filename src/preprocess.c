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

/* mean[d] over the uint8 records of ds. The sums are integers, exact in uint32 runs and
 * in double (below 2^53), so this is the plain double accumulation's result, computed
 * with integer vector adds. run: D scratch counters. */
static void u8_means(const lt_dataset *ds, uint32_t *run, double *mean)
{
    size_t D = ds->D;
    for (size_t first = 0; first < ds->n; first += SUM_RUN) {
        size_t end = ds->n - first < SUM_RUN ? ds->n : first + SUM_RUN;
        memset(run, 0, D * sizeof *run);
        for (size_t i = first; i < end; i++) {
            const uint8_t *x = lt_dataset_u8(ds, i);
            for (size_t d = 0; d < D; d++) {
                run[d] += x[d];
            }
        }
        for (size_t d = 0; d < D; d++) {
            mean[d] += run[d];
        }
    }
}

/* mean[d] over the records of ds (double sums), 0 without records. */
static lt_status feature_means(const lt_dataset *ds, double *mean, lt_error *err)
{
    size_t D = ds->D;
    memset(mean, 0, D * sizeof *mean);
    if (ds->dtype == LT_DTYPE_U8) {
        uint32_t *run = lt_calloc(D, sizeof *run, "preprocess sums", err);
        if (!run) {
            return LT_ERR;
        }
        u8_means(ds, run, mean);
        free(run);
    } else {
        for (size_t i = 0; i < ds->n; i++) {
            const float *x = lt_dataset_f32(ds, i);
            for (size_t d = 0; d < D; d++) {
                mean[d] += x[d];
            }
        }
    }
    for (size_t d = 0; d < D; d++) {
        mean[d] = ds->n ? mean[d] / (double)ds->n : 0.0;
    }
    return LT_OK;
}

/* Feature d of record i as a double. */
static double value_at(const lt_dataset *ds, size_t i, size_t d)
{
    return ds->dtype == LT_DTYPE_U8 ? (double)lt_dataset_u8(ds, i)[d]
                                    : (double)lt_dataset_f32(ds, i)[d];
}

/* Population std of each feature around mean, in a second pass (no cancellation). */
static void feature_stds(const lt_dataset *ds, const double *mean, double *std)
{
    size_t D = ds->D;
    memset(std, 0, D * sizeof *std);
    for (size_t i = 0; i < ds->n; i++) {
        for (size_t d = 0; d < D; d++) {
            double t = value_at(ds, i, d) - mean[d];
            std[d] += t * t;
        }
    }
    for (size_t d = 0; d < D; d++) {
        std[d] = ds->n ? sqrt(std[d] / (double)ds->n) : 0.0;
    }
}

/* Per-channel mean and population std over every pixel of that channel of 32x32x3
 * uint8 images. The sums of x and x² are integers, kept exact in 64 bits. */
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

/* standardize: per channel for images, per feature otherwise; a feature (or channel)
 * without spread is only centred. mean and std: D doubles of scratch. */
static lt_status fit_standardize(lt_preprocess *p, const lt_dataset *train, int is_image,
                                 double *mean, double *std, lt_error *err)
{
    if (is_image) {
        double cm[3], cs[3];
        channel_stats(train, cm, cs);
        for (size_t d = 0; d < p->D; d++) {
            mean[d] = cm[d / PLANE];
            std[d] = cs[d / PLANE];
        }
    } else {
        if (feature_means(train, mean, err) != LT_OK) {
            return LT_ERR;
        }
        feature_stds(train, mean, std);
    }
    for (size_t d = 0; d < p->D; d++) {
        p->shift[d] = (float)mean[d];
        p->scale[d] = std[d] > 0 ? (float)(1.0 / std[d]) : 1.0f;
    }
    return LT_OK;
}

/* The kind's shift and scale, into p (allocated, scale 1, shift 0). */
static lt_status fit_kind(lt_preprocess *p, const char *kind, const lt_dataset *train,
                          int is_image, double *mean, double *std, lt_error *err)
{
    if (strcmp(kind, "none") == 0) {
        return LT_OK;
    }
    if (strcmp(kind, "scale") == 0) {
        if (train->dtype != LT_DTYPE_U8) {
            return lt_fail(err, LT_ECONFIG,
                           "data.preprocess: \"scale\" divides uint8 values by 255 into "
                           "0..1; this data is float, whose range is not 0..255: use "
                           "\"standardize\", \"mean_image\" or \"none\"");
        }
        for (size_t d = 0; d < p->D; d++) {
            p->scale[d] = 1.0f / 255.0f;
        }
        return LT_OK;
    }
    if (strcmp(kind, "mean_image") == 0) {
        lt_status st = feature_means(train, mean, err);
        for (size_t d = 0; st == LT_OK && d < p->D; d++) {
            p->shift[d] = (float)mean[d];
        }
        return st;
    }
    if (strcmp(kind, "standardize") == 0) {
        return fit_standardize(p, train, is_image, mean, std, err);
    }
    return lt_fail(err, LT_ECONFIG, "data.preprocess: unknown \"%s\"", kind);
}

lt_status lt_preprocess_fit(lt_preprocess *p, const char *kind, const lt_dataset *train,
                            int is_image, lt_error *err)
{
    memset(p, 0, sizeof *p);
    size_t D = train->D;
    if (is_image && (D != LT_CIFAR_D || train->dtype != LT_DTYPE_U8)) {
        return lt_fail(err, LT_ERR, "preprocess: images are %d uint8 values, not %zu", LT_CIFAR_D,
                       D);
    }
    p->D = D;
    p->shift = lt_calloc(D, sizeof(float), "preprocess shift", err);
    p->scale = lt_calloc(D, sizeof(float), "preprocess scale", err);
    double *mean = lt_calloc(D, sizeof(double), "preprocess mean", err);
    double *std = lt_calloc(D, sizeof(double), "preprocess std", err);
    lt_status st = p->shift && p->scale && mean && std ? LT_OK : LT_ERR;
    for (size_t d = 0; st == LT_OK && d < D; d++) {
        p->scale[d] = 1.0f;
    }
    if (st == LT_OK) {
        st = fit_kind(p, kind, train, is_image, mean, std, err);
    }
    free(mean);
    free(std);
    if (st != LT_OK) {
        lt_preprocess_free(p);
    }
    return st;
}

void lt_preprocess_rows(const lt_preprocess *p, const lt_dataset *ds, const size_t *idx,
                        size_t start, size_t n, float *out)
{
    size_t D = p->D;
    for (size_t i = 0; i < n; i++) {
        size_t r = idx ? idx[i] : start + i;
        float *o = out + i * D;
        if (ds->dtype == LT_DTYPE_U8) {
            const uint8_t *x = lt_dataset_u8(ds, r);
            for (size_t d = 0; d < D; d++) {
                o[d] = ((float)x[d] - p->shift[d]) * p->scale[d];
            }
        } else {
            const float *x = lt_dataset_f32(ds, r);
            for (size_t d = 0; d < D; d++) {
                o[d] = (x[d] - p->shift[d]) * p->scale[d];
            }
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
    float *both = lt_calloc2(2, p->D, sizeof(float), "preprocess.npy", err);
    if (!both) {
        return LT_ERR;
    }
    memcpy(both, p->shift, p->D * sizeof(float));
    memcpy(both + p->D, p->scale, p->D * sizeof(float));
    size_t shape[2] = {2, p->D};
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
    if (ndim != 2 || shape[0] != 2 || shape[1] == 0) {
        free(data);
        return lt_fail(err, LT_ERR, "%s: has the wrong shape: expected (2, D), D > 0", path);
    }
    p->D = shape[1];
    p->shift = lt_calloc(p->D, sizeof(float), "preprocess shift", err);
    p->scale = lt_calloc(p->D, sizeof(float), "preprocess scale", err);
    if (!p->shift || !p->scale) {
        free(data);
        lt_preprocess_free(p);
        return LT_ERR;
    }
    memcpy(p->shift, data, p->D * sizeof(float));
    memcpy(p->scale, data + p->D, p->D * sizeof(float));
    free(data);
    *found = 1;
    return LT_OK;
}
