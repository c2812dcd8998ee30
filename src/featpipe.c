/* featpipe.c — a pipeline of feature stages fitted, applied, saved and loaded
 * (featpipe.h). Images go through in chunks: each stage computes the chunk's features
 * (one task of the pool per image, or the k-means encoder's own pool) into its columns
 * of the output, and the observer hears of each finished chunk. */
#include "lintrain/featpipe.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/fsutil.h"
#include "lintrain/interrupt.h"
#include "lintrain/pool.h"
#include <time.h>

/* Images per chunk: the k-means scratch of a chunk is CHUNK x 4K floats. */
#define CHUNK 256

#define FILTERS_FILE "filters.png"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

lt_status lt_featpipe_log(lt_featpipe *p, const char *stage, const char *what, double seconds,
                          size_t rows, size_t cols, lt_error *err)
{
    lt_feature_report *log = realloc(p->log, (p->n_log + 1) * sizeof *log);
    if (!log) {
        return lt_fail(err, LT_ERR, "out of memory logging the feature stages");
    }
    p->log = log;
    log[p->n_log++] = (lt_feature_report){stage, what, seconds, rows, cols};
    return LT_OK;
}

size_t lt_featpipe_size(const lt_featpipe *p)
{
    size_t D = 0;
    for (size_t i = 0; i < p->n; i++) {
        D += p->stages[i].size;
    }
    return D;
}

size_t lt_featpipe_bytes(const lt_featpipe *p, size_t n)
{
    size_t D = lt_featpipe_size(p);
    return D && n > SIZE_MAX / sizeof(float) / D ? SIZE_MAX : n * D * sizeof(float);
}

/* The size of a stage that needs no fit, after checking it fits side x side images. */
static lt_status fixed_size(lt_featpipe_stage *s, size_t side, lt_error *err)
{
    if (s->kind == LT_FEATPIPE_PIXELS) {
        s->size = 3 * side * side;
        return LT_OK;
    }
    const lt_feature_kind *kind = lt_features_find(s->name);
    lt_status st = kind->check(&s->params, side, side, err);
    if (st == LT_OK) {
        s->size = kind->size(&s->params, side, side);
    }
    return st;
}

/* Refuses more patches than the images hold (positions x images). */
static lt_status check_patches(const lt_kmeans_fit_spec *f, const lt_kmeans_images *im,
                               lt_error *err)
{
    size_t g = lt_kmeans_grid(im->side, f->patch, 1);
    if (f->patch <= im->side && f->patches > g * g * im->n) {
        return lt_fail(err, LT_ECONFIG, "patches: %zu is more than the %zu distinct %zux%zu "
                       "patches of the %zu training images", f->patches, g * g * im->n,
                       f->patch, f->patch, im->n);
    }
    return LT_OK;
}

static lt_status fit_kmeans(lt_featpipe *p, lt_featpipe_stage *s, const lt_dataset *train,
                            size_t side, lt_error *err)
{
    lt_kmeans_images im = {train->x, train->n, side};
    double t0 = now();
    lt_status st = lt_kmeans_fit_check(&s->fit, &im, err);
    if (st == LT_OK) {
        st = check_patches(&s->fit, &im, err);
    }
    if (st == LT_OK && lt_kmeans_grid(side, s->fit.patch, s->encode.stride) == 0) {
        st = lt_fail(err, LT_ECONFIG, "stride %zu places no %zux%zu patch", s->encode.stride,
                     s->fit.patch, s->fit.patch);
    }
    if (st == LT_OK) {
        st = lt_kmeans_fit(&s->fit, &im, NULL, NULL, &s->model, err);
    }
    int sig = lt_interrupt_pending();
    if (st == LT_EINTERRUPTED && sig) { /* as apply_chunks says it */
        st = lt_fail(err, LT_EINTERRUPTED, "stopped by %s while fitting the k-means features "
                     "(before training: nothing to resume)", lt_interrupt_name(sig));
    }
    if (st == LT_OK) {
        s->size = lt_kmeans_features(&s->model);
        st = lt_featpipe_log(p, s->name, "fit", now() - t0, s->fit.patches, s->model.d, err);
    }
    return st;
}

lt_status lt_featpipe_fit(lt_featpipe *p, const lt_dataset *train, size_t side,
                          const lt_featpipe_observer *obs, lt_error *err)
{
    (void)obs;
    for (size_t i = 0; i < p->n; i++) {
        lt_featpipe_stage *s = &p->stages[i];
        lt_status st = s->kind == LT_FEATPIPE_KMEANS ? fit_kmeans(p, s, train, side, err)
                                                     : fixed_size(s, side, err);
        if (st == LT_EINTERRUPTED) {
            return st;
        }
        if (st != LT_OK) {
            char where[64];
            snprintf(where, sizeof where, "data.features[%zu] (%s)", i, s->name);
            lt_error_prefix(err, where);
            return st;
        }
    }
    return LT_OK;
}

/* ---- applying ------------------------------------------------------------------------ */

typedef struct {
    const lt_featpipe_stage *s;
    const uint8_t *x;   /* the chunk's first image */
    size_t side, row, col;
    float *out;         /* the chunk's first output row */
} chunk_ctx;

static void stage_image(const lt_featpipe_stage *s, const uint8_t *image, size_t side,
                        float *out)
{
    if (s->kind == LT_FEATPIPE_PIXELS) {
        for (size_t j = 0; j < 3 * side * side; j++) {
            out[j] = (float)image[j];
        }
    } else if (s->kind == LT_FEATPIPE_HOG) {
        lt_features_hog(image, side, side, out);
    } else {
        lt_features_hue(image, side, side, s->params.bins, out);
    }
}

static void chunk_task(void *ctx, size_t task, size_t thread)
{
    (void)thread;
    const chunk_ctx *c = ctx;
    stage_image(c->s, c->x + task * 3 * c->side * c->side, c->side,
                c->out + task * c->row + c->col);
}

/* Stage s of count images at x into columns col.. of out (rows of row floats). */
static lt_status stage_chunk(const lt_featpipe_stage *s, lt_pool *pool, const uint8_t *x,
                             size_t count, size_t side, float *out, size_t row, size_t col,
                             float *scratch, lt_error *err)
{
    if (s->kind != LT_FEATPIPE_KMEANS) {
        chunk_ctx c = {s, x, side, row, col, out};
        lt_pool_run(pool, count, chunk_task, &c);
        return LT_OK;
    }
    lt_kmeans_images im = {x, count, side};
    lt_status st = lt_kmeans_encode(&s->model, &s->encode, &im, scratch, NULL, NULL, err);
    for (size_t i = 0; st == LT_OK && i < count; i++) {
        memcpy(out + i * row + col, scratch + i * s->size, s->size * sizeof *out);
    }
    return st;
}

/* Every chunk of in through every stage; seconds[i] gets stage i's time. */
static lt_status apply_chunks(const lt_featpipe *p, const lt_dataset *in, size_t side,
                              const char *what, const lt_featpipe_observer *obs,
                              lt_dataset *out, double *seconds, lt_error *err)
{
    size_t kmeans_size = 0;
    for (size_t i = 0; i < p->n; i++) {
        kmeans_size = p->stages[i].kind == LT_FEATPIPE_KMEANS ? p->stages[i].size : kmeans_size;
    }
    lt_pool pool;
    lt_status st = lt_pool_create(&pool, p->threads, err);
    if (st != LT_OK) {
        return st;
    }
    float *scratch = lt_calloc2(CHUNK, kmeans_size ? kmeans_size : 1, sizeof *scratch,
                                "k-means codes", err);
    st = scratch ? LT_OK : LT_ERR;
    double t0 = now();
    for (size_t first = 0; st == LT_OK && first < in->n; first += CHUNK) {
        size_t count = in->n - first < CHUNK ? in->n - first : CHUNK, col = 0;
        for (size_t i = 0; i < p->n && st == LT_OK; i++) {
            double ts = now();
            st = stage_chunk(&p->stages[i], &pool, lt_dataset_u8(in, first), count, side,
                             (float *)out->x + first * out->D, out->D, col, scratch, err);
            seconds[i] += now() - ts;
            col += p->stages[i].size;
        }
        if (obs && obs->on_progress) {
            obs->on_progress(obs->ctx, what, first + count, in->n, now() - t0);
        }
        int sig = lt_interrupt_pending();
        if (st == LT_OK && sig) {
            st = lt_fail(err, LT_EINTERRUPTED, "stopped by %s while computing the %s "
                         "features (before training: nothing to resume)",
                         lt_interrupt_name(sig), what);
        }
    }
    free(scratch);
    lt_pool_free(&pool);
    return st;
}

lt_status lt_featpipe_apply(lt_featpipe *p, const lt_dataset *in, size_t side,
                            const char *what, const lt_featpipe_observer *obs,
                            lt_dataset *out, lt_error *err)
{
    if (in->dtype != LT_DTYPE_U8 || in->D != 3 * side * side) {
        return lt_fail(err, LT_ERR, "feature stages: the records are not %zux%zu images",
                       side, side);
    }
    double *seconds = lt_calloc(p->n ? p->n : 1, sizeof *seconds, "stage times", err);
    lt_status st = seconds ? lt_dataset_create(out, in->n, lt_featpipe_size(p), LT_DTYPE_F32,
                                               err)
                           : LT_ERR;
    if (st == LT_OK && in->n > 0) {
        memcpy(out->labels, in->labels, in->n * sizeof *in->labels);
        st = apply_chunks(p, in, side, what, obs, out, seconds, err);
    }
    for (size_t i = 0; i < p->n && st == LT_OK; i++) {
        st = lt_featpipe_log(p, p->stages[i].name, what, seconds[i], in->n, p->stages[i].size,
                             err);
    }
    free(seconds);
    if (st != LT_OK) {
        lt_dataset_free(out);
    }
    return st;
}

lt_status lt_featpipe_image(const lt_featpipe *p, const uint8_t *image, size_t side,
                            float *out, lt_error *err)
{
    size_t col = 0;
    for (size_t i = 0; i < p->n; i++) {
        const lt_featpipe_stage *s = &p->stages[i];
        if (s->kind != LT_FEATPIPE_KMEANS) {
            stage_image(s, image, side, out + col);
        } else {
            lt_kmeans_encode_spec one = s->encode;
            one.threads = 1;
            lt_kmeans_images im = {image, 1, side};
            lt_status st = lt_kmeans_encode(&s->model, &one, &im, out + col, NULL, NULL, err);
            if (st != LT_OK) {
                return st;
            }
        }
        col += s->size;
    }
    return LT_OK;
}

/* ---- the run folder ------------------------------------------------------------------ */

lt_status lt_featpipe_save(const lt_featpipe *p, const char *dir, lt_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->stages[i].kind != LT_FEATPIPE_KMEANS) {
            continue;
        }
        char path[LT_PATH_MAX];
        lt_status st = lt_kmeans_save(&p->stages[i].model, dir, err);
        if (st == LT_OK) {
            st = lt_path_join(path, dir, FILTERS_FILE, err);
        }
        if (st == LT_OK) {
            st = lt_kmeans_filters_write(&p->stages[i].model, path, err);
        }
        if (st != LT_OK) {
            return st;
        }
    }
    return LT_OK;
}

lt_status lt_featpipe_ready(lt_featpipe *p, lt_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        lt_featpipe_stage *s = &p->stages[i];
        if (s->kind != LT_FEATPIPE_KMEANS) {
            lt_status st = fixed_size(s, LT_FEATPIPE_SIDE, err);
            if (st != LT_OK) {
                return st;
            }
        } else if (s->model.K != s->fit.centroids || s->model.patch != s->fit.patch) {
            return lt_fail(err, LT_ECONFIG, "the k-means model has %zu centroids of %zux%zu, "
                           "the config's data.features[%zu] %zu of %zux%zu", s->model.K,
                           s->model.patch, s->model.patch, i, s->fit.centroids, s->fit.patch,
                           s->fit.patch);
        } else {
            s->size = lt_kmeans_features(&s->model);
        }
    }
    return LT_OK;
}

lt_status lt_featpipe_load(lt_featpipe *p, const char *dir, lt_error *err)
{
    lt_status st = LT_OK;
    for (size_t i = 0; i < p->n && st == LT_OK; i++) {
        if (p->stages[i].kind == LT_FEATPIPE_KMEANS) {
            st = lt_kmeans_load(dir, &p->stages[i].model, err);
        }
    }
    st = st == LT_OK ? lt_featpipe_ready(p, err) : st;
    if (st != LT_OK) {
        lt_error_prefix(err, dir);
    }
    return st;
}

void lt_featpipe_free(lt_featpipe *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        lt_kmeans_free(&p->stages[i].model);
    }
    free(p->stages);
    free(p->log);
    memset(p, 0, sizeof *p);
}
