/* kmeans_lloyd.c — Lloyd's k-means as run_kmeans.m computes it: the assignment as one
 * matrix product per block of rows (argmax_k x.c_k - |c_k|^2 / 2, which is the nearest
 * centroid), the update as the mean of each cluster's rows. Two choices differ from
 * run_kmeans.m: the centroids start at K distinct rows drawn at random (its
 * randn * 0.1 start leaves many clusters empty in the first passes, which it then sets
 * to zero), and an empty cluster is re-seeded with a random row instead of being set
 * to zero. The blocks of rows are tasks of lintrain's pool, each with a one-thread
 * sgemm; the sums are made afterwards in row order, so the result does not depend on
 * the number of threads. */
#include "lintrain/kmeans.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/pool.h"

#define BLOCK 256 /* rows per task: BLOCK x K floats of products per thread */
#define GROUP 32  /* blocks per run of the pool; the interrupt is polled between runs */

typedef struct {
    const float *X, *C;
    size_t n, d, K;
    size_t first;    /* the block of the pool run's task 0 */
    float *half_cc;  /* (K) |c_k|^2 / 2 */
    float *scratch;  /* (threads, BLOCK, K) */
    uint32_t *label; /* (n) */
    double *obj;     /* (blocks) the objective of each block's rows */
} lloyd_ctx;

/* Block first + task: nearest centroid of rows [b BLOCK, ...) and their squared distances' sum. */
static void assign_block(void *arg, size_t task, size_t thread)
{
    lloyd_ctx *c = arg;
    size_t b = c->first + task;
    size_t r0 = b * BLOCK, rows = c->n - r0 < BLOCK ? c->n - r0 : BLOCK, K = c->K;
    const float *Xb = c->X + r0 * c->d;
    float *S = c->scratch + thread * BLOCK * K;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)K, (int)c->d, 1.0f,
                Xb, (int)c->d, c->C, (int)c->d, 0.0f, S, (int)K);
    double obj = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const float *s = S + r * K;
        size_t best = 0;
        float bv = s[0] - c->half_cc[0];
        for (size_t k = 1; k < K; k++) {
            float v = s[k] - c->half_cc[k];
            if (v > bv) {
                bv = v;
                best = k;
            }
        }
        double xx = 0.0;
        for (size_t j = 0; j < c->d; j++) {
            xx += (double)Xb[r * c->d + j] * Xb[r * c->d + j];
        }
        double dist = xx - 2.0 * (double)bv;
        obj += dist > 0.0 ? dist : 0.0;
        c->label[r0 + r] = (uint32_t)best;
    }
    c->obj[b] = obj;
}

/* The new centroids: each cluster's mean; empty clusters take a row drawn from rng.
 * Returns the number of clusters re-seeded. */
static size_t update(const lloyd_ctx *c, double *sums, size_t *counts, lt_rng *rng, float *C)
{
    size_t d = c->d, K = c->K, reseeded = 0;
    memset(sums, 0, K * d * sizeof *sums);
    memset(counts, 0, K * sizeof *counts);
    for (size_t i = 0; i < c->n; i++) {
        double *s = sums + (size_t)c->label[i] * d;
        const float *x = c->X + i * d;
        for (size_t j = 0; j < d; j++) {
            s[j] += x[j];
        }
        counts[c->label[i]]++;
    }
    for (size_t k = 0; k < K; k++) {
        if (counts[k] == 0) {
            size_t row = lt_rng_below(rng, (uint32_t)c->n);
            memcpy(C + k * d, c->X + row * d, d * sizeof *C);
            reseeded++;
            continue;
        }
        for (size_t j = 0; j < d; j++) {
            C[k * d + j] = (float)(sums[k * d + j] / (double)counts[k]);
        }
    }
    return reseeded;
}

/* C = K distinct rows of X, drawn by a partial Fisher-Yates shuffle of the indices. */
static lt_status init_centroids(const float *X, size_t n, size_t d, size_t K, lt_rng *rng,
                                float *C, lt_error *err)
{
    size_t *idx = lt_calloc(n, sizeof *idx, "k-means init", err);
    if (!idx) {
        return LT_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    for (size_t k = 0; k < K; k++) {
        size_t j = k + lt_rng_below(rng, (uint32_t)(n - k));
        size_t t = idx[k];
        idx[k] = idx[j];
        idx[j] = t;
        memcpy(C + k * d, X + idx[k] * d, d * sizeof *C);
    }
    free(idx);
    return LT_OK;
}

static void half_norms(const float *C, size_t K, size_t d, float *half_cc)
{
    for (size_t k = 0; k < K; k++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++) {
            s += (double)C[k * d + j] * C[k * d + j];
        }
        half_cc[k] = (float)(0.5 * s);
    }
}

lt_status lt_kmeans_lloyd(const float *X, size_t n, size_t d, size_t K, size_t iterations,
                          lt_rng *rng, size_t threads, float *C, lt_kmeans_pass_fn on_pass,
                          void *ctx, lt_error *err)
{
    if (K < 1 || n < K || n > UINT32_MAX) {
        return lt_fail(err, LT_ERR, "k-means: %zu rows for %zu centroids", n, K);
    }
    lt_pool pool;
    lt_status st = lt_pool_create(&pool, threads, err);
    if (st != LT_OK) {
        return st;
    }
    size_t blocks = (n + BLOCK - 1) / BLOCK;
    lloyd_ctx c = {X, C, n, d, K, 0, NULL, NULL, NULL, NULL};
    c.half_cc = lt_calloc(K, sizeof *c.half_cc, "k-means norms", err);
    c.scratch = lt_calloc2(pool.n * BLOCK, K, sizeof *c.scratch, "k-means products", err);
    c.label = lt_calloc(n, sizeof *c.label, "k-means labels", err);
    c.obj = lt_calloc(blocks, sizeof *c.obj, "k-means objective", err);
    double *sums = lt_calloc2(K, d, sizeof *sums, "k-means sums", err);
    size_t *counts = lt_calloc(K, sizeof *counts, "k-means counts", err);
    st = LT_ERR;
    if (!c.half_cc || !c.scratch || !c.label || !c.obj || !sums || !counts) {
        goto cleanup;
    }
    if ((st = init_centroids(X, n, d, K, rng, C, err)) != LT_OK) {
        goto cleanup;
    }
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    for (size_t pass = 0; pass < iterations && st == LT_OK; pass++) {
        half_norms(C, K, d, c.half_cc);
        for (c.first = 0; c.first < blocks && st == LT_OK; c.first += GROUP) {
            lt_pool_run(&pool, blocks - c.first < GROUP ? blocks - c.first : GROUP,
                        assign_block, &c);
            st = lt_kmeans_poll("clustering", err);
        }
        if (st != LT_OK) {
            break;
        }
        double obj = 0.0;
        for (size_t b = 0; b < blocks; b++) {
            obj += c.obj[b];
        }
        size_t reseeded = update(&c, sums, counts, rng, C);
        if (on_pass) {
            on_pass(ctx, pass, obj, reseeded, C);
        }
    }
    openblas_set_num_threads(blas_threads);
cleanup:
    free(c.half_cc);
    free(c.scratch);
    free(c.label);
    free(c.obj);
    free(sums);
    free(counts);
    lt_pool_free(&pool);
    return st;
}
