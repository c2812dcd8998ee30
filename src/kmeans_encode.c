/* kmeans_encode.c — the k-means encoding of whole images (extract_features.m), fused:
 * per image, its g x g patches are normalised and whitened ((x - mean) P, one sgemm),
 * then taken ROWS at a time: the ROWS x K products with the centroids (one sgemm, a
 * block that stays in the L2 cache), the distances z = sqrt(|x|^2 - 2 x.c + |c|^2), the
 * code and its sum into the patch's quadrant are made on that block before the next is
 * computed, so the g^2 x K matrix of extract_features.m never exists. One image is one
 * task of lintrain's pool, computed by one thread (OpenBLAS kept at one thread) in a
 * fixed order: the bytes do not depend on the number of threads. */
#include "lintrain/kmeans.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/pool.h"

#define ROWS 64   /* patches per product block: ROWS x K floats (400 KB at K = 1600) */
#define LANES 16  /* partial sums of the mean distance, so that the loop vectorizes */
#define CHUNK 256 /* images between two progress calls */

typedef struct {
    const lt_kmeans_model *m;
    const lt_kmeans_images *im;
    lt_kmeans_encoder encoder;
    size_t g, half, stride, first; /* first: the chunk's first image */
    float *cc;      /* (K) |c_k|^2 */
    float *scratch; /* per thread: patches (g^2, d), whitened (g^2, d), S (ROWS, K) */
    size_t per_thread;
    float *out;
} enc_ctx;

/* z_k = sqrt(max(0, xx + cc_k - 2 s_k)) in place; returns their mean. */
static float distances(float *s, const float *cc, float xx, size_t K)
{
    float lane[LANES] = {0};
    size_t k = 0;
    for (; k + LANES <= K; k += LANES) {
        for (size_t l = 0; l < LANES; l++) {
            float z2 = xx + cc[k + l] - 2.0f * s[k + l];
            float z = sqrtf(z2 > 0.0f ? z2 : 0.0f);
            s[k + l] = z;
            lane[l] += z;
        }
    }
    float tail = 0.0f;
    for (; k < K; k++) {
        float z2 = xx + cc[k] - 2.0f * s[k];
        s[k] = sqrtf(z2 > 0.0f ? z2 : 0.0f);
        tail += s[k];
    }
    float sum = tail;
    for (size_t l = 0; l < LANES; l++) {
        sum += lane[l];
    }
    return sum / (float)K;
}

/* Adds the code of the patch whose distances are z (K) into acc (K). */
static void add_code(const enc_ctx *e, const float *z, float mu, float *acc)
{
    size_t K = e->m->K;
    if (e->encoder == LT_KMEANS_HARD) {
        size_t best = 0;
        for (size_t k = 1; k < K; k++) {
            best = z[k] < z[best] ? k : best;
        }
        acc[best] += 1.0f;
        return;
    }
    for (size_t k = 0; k < K; k++) {
        float f = mu - z[k];
        acc[k] += f > 0.0f ? f : 0.0f;
    }
}

/* The image's normalised, centred patches into Xp (g^2, d), row-major over positions. */
static void image_patches(const enc_ctx *e, const uint8_t *rec, float *Xp)
{
    size_t d = e->m->d;
    for (size_t py = 0; py < e->g; py++) {
        for (size_t px = 0; px < e->g; px++) {
            float *x = Xp + (py * e->g + px) * d;
            lt_kmeans_patch_extract(rec, e->im->side, e->m->patch, px * e->stride,
                                    py * e->stride, x);
            lt_kmeans_patch_normalize(x, d);
            for (size_t j = 0; j < d; j++) {
                x[j] -= e->m->mean[j];
            }
        }
    }
}

static void encode_image(void *arg, size_t task, size_t thread)
{
    const enc_ctx *e = arg;
    size_t i = e->first + task, d = e->m->d, K = e->m->K, np = e->g * e->g;
    float *Xp = e->scratch + thread * e->per_thread, *W = Xp + np * d, *S = W + np * d;
    float *out = e->out + i * LT_KMEANS_QUADRANTS * K;
    image_patches(e, e->im->x + i * 3 * e->im->side * e->im->side, Xp);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)np, (int)d, (int)d, 1.0f, Xp,
                (int)d, e->m->whiten, (int)d, 0.0f, W, (int)d);
    memset(out, 0, LT_KMEANS_QUADRANTS * K * sizeof *out);
    for (size_t r0 = 0; r0 < np; r0 += ROWS) {
        size_t rows = np - r0 < ROWS ? np - r0 : ROWS;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)K, (int)d, 1.0f,
                    W + r0 * d, (int)d, e->m->centroids, (int)d, 0.0f, S, (int)K);
        for (size_t r = 0; r < rows; r++) {
            size_t pos = r0 + r, py = pos / e->g, px = pos % e->g;
            size_t q = 2 * (py >= e->half) + (px >= e->half);
            const float *w = W + pos * d;
            float xx = 0.0f;
            for (size_t j = 0; j < d; j++) {
                xx += w[j] * w[j];
            }
            float *z = S + r * K;
            float mu = distances(z, e->cc, xx, K);
            add_code(e, z, mu, out + q * K);
        }
    }
}

static lt_status encode_check(const lt_kmeans_model *m, const lt_kmeans_encode_spec *spec,
                              const lt_kmeans_images *im, lt_error *err)
{
    if (spec->stride == 0) {
        return lt_fail(err, LT_ECONFIG, "k-means features: stride must be 1 or more");
    }
    if (m->patch == 0 || m->patch > im->side) {
        return lt_fail(err, LT_ECONFIG,
                       "k-means features: patch %zu does not fit %zu x %zu images", m->patch,
                       im->side, im->side);
    }
    if (spec->encoder != LT_KMEANS_TRIANGLE && spec->encoder != LT_KMEANS_HARD) {
        return lt_fail(err, LT_ECONFIG, "k-means features: unknown encoder %d",
                       (int)spec->encoder);
    }
    return LT_OK;
}

static void run_chunks(enc_ctx *e, lt_pool *pool, lt_kmeans_progress_fn progress, void *ctx)
{
    size_t n = e->im->n;
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    for (e->first = 0; e->first < n; e->first += CHUNK) {
        size_t count = n - e->first < CHUNK ? n - e->first : CHUNK;
        lt_pool_run(pool, count, encode_image, e);
        if (progress) {
            progress(ctx, e->first + count, n);
        }
    }
    openblas_set_num_threads(blas_threads);
}

lt_status lt_kmeans_encode(const lt_kmeans_model *m, const lt_kmeans_encode_spec *spec,
                           const lt_kmeans_images *im, float *out,
                           lt_kmeans_progress_fn progress, void *ctx, lt_error *err)
{
    lt_status st = encode_check(m, spec, im, err);
    if (st != LT_OK) {
        return st;
    }
    enc_ctx e = {m, im, spec->encoder, 0, 0, spec->stride, 0, NULL, NULL, 0, out};
    e.g = lt_kmeans_grid(im->side, m->patch, spec->stride);
    e.half = lt_kmeans_half(e.g);
    e.per_thread = 2 * e.g * e.g * m->d + ROWS * m->K;
    lt_pool pool;
    if ((st = lt_pool_create(&pool, spec->threads, err)) != LT_OK) {
        return st;
    }
    e.cc = lt_calloc(m->K, sizeof *e.cc, "k-means encoding", err);
    e.scratch = lt_calloc2(pool.n, e.per_thread, sizeof *e.scratch, "k-means encoding", err);
    st = LT_ERR;
    if (e.cc && e.scratch) {
        for (size_t k = 0; k < m->K; k++) {
            double s = 0.0;
            for (size_t j = 0; j < m->d; j++) {
                s += (double)m->centroids[k * m->d + j] * m->centroids[k * m->d + j];
            }
            e.cc[k] = (float)s;
        }
        run_chunks(&e, &pool, progress, ctx);
        st = LT_OK;
    }
    free(e.cc);
    free(e.scratch);
    lt_pool_free(&pool);
    return st;
}
