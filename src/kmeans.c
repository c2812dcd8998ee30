/* kmeans.c — the k-means features' fit (sample, normalise, whiten, cluster), the checks
 * before it, and the fitted model's files. The steps are in kmeans_patches.c,
 * kmeans_zca.c, kmeans_lloyd.c; the encoding in kmeans_encode.c; the picture in
 * kmeans_filters.c. */
#include "lintrain/kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/fsutil.h"
#include "lintrain/interrupt.h"
#include "lintrain/npy.h"
#include "lintrain/pool.h"

static const char *const FILES[3] = {"kmeans_centroids.npy", "kmeans_mean.npy",
                                     "kmeans_whiten.npy"};

size_t lt_kmeans_grid(size_t side, size_t patch, size_t stride)
{
    if (patch == 0 || patch > side || stride == 0) {
        return 0;
    }
    return (side - patch) / stride + 1;
}

size_t lt_kmeans_half(size_t g)
{
    return (g + 1) / 2;
}

size_t lt_kmeans_features(const lt_kmeans_model *m)
{
    return LT_KMEANS_QUADRANTS * m->K;
}

lt_status lt_kmeans_fit_check(const lt_kmeans_fit_spec *spec, const lt_kmeans_images *im,
                              lt_error *err)
{
    if (spec->centroids < 2) {
        return lt_fail(err, LT_ECONFIG, "k-means features: centroids must be 2 or more, got %zu",
                       spec->centroids);
    }
    if (spec->patch == 0 || spec->patch > im->side) {
        return lt_fail(err, LT_ECONFIG,
                       "k-means features: patch %zu does not fit %zu x %zu images", spec->patch,
                       im->side, im->side);
    }
    if (spec->patches < spec->centroids || spec->patches > UINT32_MAX) {
        return lt_fail(err, LT_ECONFIG,
                       "k-means features: patches must be between centroids (%zu) and %u, "
                       "got %zu", spec->centroids, UINT32_MAX, spec->patches);
    }
    if (spec->iterations == 0) {
        return lt_fail(err, LT_ECONFIG, "k-means features: iterations must be 1 or more");
    }
    if (im->n == 0) {
        return lt_fail(err, LT_ECONFIG, "k-means features: no images to fit on");
    }
    return LT_OK;
}

size_t lt_kmeans_fit_bytes(const lt_kmeans_fit_spec *spec, size_t threads)
{
    size_t d = 3 * spec->patch * spec->patch, K = spec->centroids, n = spec->patches;
    if (threads == 0) {
        threads = lt_pool_cpus();
    }
    return n * d * sizeof(float) + n * (sizeof(uint32_t) + sizeof(size_t)) +
           K * d * (sizeof(double) + sizeof(float)) + threads * 256 * K * sizeof(float);
}

lt_status lt_kmeans_poll(const char *step, lt_error *err)
{
    int sig = lt_interrupt_pending();
    if (sig) {
        return lt_fail(err, LT_EINTERRUPTED, "k-means %s: stopped by %s", step,
                       lt_interrupt_name(sig));
    }
    return LT_OK;
}

static lt_status model_alloc(lt_kmeans_model *m, size_t K, size_t patch, lt_error *err)
{
    memset(m, 0, sizeof *m);
    m->K = K;
    m->patch = patch;
    m->d = 3 * patch * patch;
    m->mean = lt_calloc(m->d, sizeof *m->mean, "k-means mean", err);
    m->whiten = lt_calloc2(m->d, m->d, sizeof *m->whiten, "k-means whitening", err);
    m->centroids = lt_calloc2(K, m->d, sizeof *m->centroids, "k-means centroids", err);
    if (!m->mean || !m->whiten || !m->centroids) {
        lt_kmeans_free(m);
        return LT_ERR;
    }
    return LT_OK;
}

lt_status lt_kmeans_fit(const lt_kmeans_fit_spec *spec, const lt_kmeans_images *im,
                        lt_kmeans_pass_fn on_pass, void *ctx, lt_kmeans_model *out,
                        lt_error *err)
{
    lt_status st = lt_kmeans_fit_check(spec, im, err);
    if (st != LT_OK || (st = model_alloc(out, spec->centroids, spec->patch, err)) != LT_OK) {
        return st;
    }
    size_t d = out->d, n = spec->patches;
    float *X = lt_calloc2(n, d, sizeof *X, "k-means patches", err);
    if (!X) {
        lt_kmeans_free(out);
        return LT_ERR;
    }
    lt_rng rng;
    lt_rng_seed(&rng, spec->seed, LT_STREAM_KMEANS);
    lt_kmeans_patch_sample(im, spec->patch, n, &rng, X);
    st = lt_kmeans_poll("patch sampling", err);
    if (st == LT_OK && spec->whiten) {
        st = lt_kmeans_zca_fit(X, n, d, LT_KMEANS_EPS_ZCA, out->mean, out->whiten, err);
        if (st == LT_OK) {
            st = lt_kmeans_zca_apply(X, n, d, out->mean, out->whiten, err);
        }
    } else if (st == LT_OK) {
        for (size_t j = 0; j < d; j++) {
            out->whiten[j * d + j] = 1.0f;
        }
    }
    if (st == LT_OK) {
        st = lt_kmeans_lloyd(X, n, d, out->K, spec->iterations, &rng, spec->threads,
                             out->centroids, on_pass, ctx, err);
    }
    free(X);
    if (st != LT_OK) {
        lt_kmeans_free(out);
    }
    return st;
}

void lt_kmeans_free(lt_kmeans_model *m)
{
    if (!m) {
        return;
    }
    free(m->mean);
    free(m->whiten);
    free(m->centroids);
    memset(m, 0, sizeof *m);
}

lt_status lt_kmeans_save(const lt_kmeans_model *m, const char *dir, lt_error *err)
{
    size_t p = m->patch;
    const size_t shapes[3][4] = {{m->K, 3, p, p}, {3, p, p, 0}, {m->d, m->d, 0, 0}};
    const int ndims[3] = {4, 3, 2};
    const float *data[3] = {m->centroids, m->mean, m->whiten};
    for (int f = 0; f < 3; f++) {
        char path[LT_PATH_MAX];
        lt_status st = lt_path_join(path, dir, FILES[f], err);
        if (st == LT_OK) {
            st = lt_npy_write_f32(path, data[f], shapes[f], ndims[f], err);
        }
        if (st != LT_OK) {
            return st;
        }
    }
    return LT_OK;
}

/* Reads dir/FILES[f] into *data and its shape into shape, checking it against want (ndim
 * values, 0 = any positive size) and every value for being finite. */
static lt_status load_one(const char *dir, int f, const size_t *want, int ndim, float **data,
                          size_t shape[LT_NPY_MAX_DIMS], lt_error *err)
{
    static const char *const WHAT[3] = {"centroids (K, 3, p, p)", "mean (3, p, p)",
                                        "whitening (d, d)"};
    char path[LT_PATH_MAX];
    size_t count = 1;
    int got = 0;
    lt_status st = lt_path_join(path, dir, FILES[f], err);
    if (st != LT_OK || (st = lt_npy_read_f32(path, data, shape, &got, err)) != LT_OK) {
        return st;
    }
    int ok = got == ndim;
    for (int i = 0; ok && i < ndim; i++) {
        ok = want[i] == 0 ? shape[i] > 0 : shape[i] == want[i];
        count *= shape[i];
    }
    for (size_t i = 0; ok && i < count; i++) {
        ok = isfinite((*data)[i]);
    }
    if (!ok) {
        free(*data);
        *data = NULL;
        return lt_fail(err, LT_ERR, "%s: not the k-means %s of this model (another shape, or "
                       "a value that is not finite)", path, WHAT[f]);
    }
    return LT_OK;
}

lt_status lt_kmeans_load(const char *dir, lt_kmeans_model *out, lt_error *err)
{
    memset(out, 0, sizeof *out);
    size_t shape[LT_NPY_MAX_DIMS];
    const size_t cshape[4] = {0, 3, 0, 0};
    lt_status st = load_one(dir, 0, cshape, 4, &out->centroids, shape, err);
    if (st != LT_OK) {
        return st;
    }
    if (shape[2] != shape[3] || shape[0] < 2) {
        lt_kmeans_free(out);
        return lt_fail(err, LT_ERR, "%s/%s: centroids of shape (%zu, 3, %zu, %zu), want "
                       "(K >= 2, 3, p, p)", dir, FILES[0], shape[0], shape[2], shape[3]);
    }
    out->K = shape[0];
    out->patch = shape[2];
    out->d = 3 * out->patch * out->patch;
    const size_t mshape[3] = {3, out->patch, out->patch}, wshape[2] = {out->d, out->d};
    if ((st = load_one(dir, 1, mshape, 3, &out->mean, shape, err)) != LT_OK ||
        (st = load_one(dir, 2, wshape, 2, &out->whiten, shape, err)) != LT_OK) {
        lt_kmeans_free(out);
    }
    return st;
}
