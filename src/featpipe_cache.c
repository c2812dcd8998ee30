/* featpipe_cache.c — data.features through the feature cache (featcache.h): the
 * features of the three splits, and what the stages fitted, looked up under a key of
 * everything they depend on, computed and stored on a miss.
 *
 * The key: the stages' resolved config (defaults included), the seed, the format and
 * its label set, the split sizes (val_size, limit_train), data.augment when it is set
 * (the training features then have twice the rows) and each data file's identity.
 * The thread count is not in it: the features are the same bytes for any. Blobs:
 * train.f32, val.f32, test.f32 (n x D float32, row-major) and, for a kmeans stage,
 * kmeans_centroids.f32 (K x d), kmeans_mean.f32 (d), kmeans_whiten.f32 (d x d). */
#include "lintrain/featpipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "lintrain/featcache.h"

static const char *const SPLITS[] = {"train", "val", "test"};

/* A k-means stage's blobs: its model's centroids, patch mean and whitening. */
static const char *const KMEANS_BLOBS[3] = {"kmeans_centroids.f32", "kmeans_mean.f32",
                                            "kmeans_whiten.f32"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static lt_status add_file(lt_featcache_key *k, const lt_config *cfg, const char *name,
                          lt_error *err)
{
    char path[LT_PATH_MAX];
    lt_status st = name[0] == '/' ? (snprintf(path, sizeof path, "%s", name), LT_OK)
                                  : lt_path_join(path, cfg->data.dir, name, err);
    return st == LT_OK ? lt_featcache_key_add_file(k, "file", path, err) : st;
}

/* The stages as one line of JSON, and the config the splits depend on. */
static lt_status build_key(lt_featcache_key *k, const lt_config *cfg, const lt_featpipe *p,
                           lt_error *err)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < cfg->data.features.n; i++) {
        cJSON_AddItemToArray(list, cJSON_Duplicate(cfg->data.features.items[i], 1));
    }
    char *stages = list ? cJSON_PrintUnformatted(list) : NULL;
    cJSON_Delete(list);
    if (!stages) {
        return lt_fail(err, LT_ERR, "out of memory making the feature cache key");
    }
    char splits[256], summary[256] = "";
    snprintf(splits, sizeof splits, "format=%s label=%s val_size=%lld limit_train=%lld "
             "seed=%lld", cfg->data.format, cfg->data.label ? cfg->data.label : "",
             cfg->data.val_size, cfg->data.limit_train, cfg->train.seed);
    lt_status st = lt_featcache_key_add(k, "stages", stages, err);
    cJSON_free(stages);
    st = st == LT_OK ? lt_featcache_key_add(k, "splits", splits, err) : st;
    /* Only when set: the keys of runs without data.augment stay what they were. */
    if (st == LT_OK && lt_splits_hflip_wanted(cfg)) {
        st = lt_featcache_key_add(k, "augment", "hflip", err);
    }
    for (size_t i = 0; i < cfg->data.train_files.n && st == LT_OK; i++) {
        st = add_file(k, cfg, cfg->data.train_files.items[i], err);
    }
    if (st == LT_OK && cfg->data.test_file[0]) {
        st = add_file(k, cfg, cfg->data.test_file, err);
    }
    for (size_t i = 0; i < p->n; i++) {
        size_t used = strlen(summary);
        snprintf(summary + used, sizeof summary - used, "%s%s", i ? " + " : "",
                 p->stages[i].name);
    }
    if (lt_splits_hflip_wanted(cfg)) {
        size_t used = strlen(summary);
        snprintf(summary + used, sizeof summary - used, ", train + hflip");
    }
    lt_featcache_key_summary(k, summary);
    return st;
}

/* The k-means model of stage s from e. */
static lt_status read_model(const lt_featcache_entry *e, lt_featpipe_stage *s, lt_error *err)
{
    lt_kmeans_model *m = &s->model;
    m->K = s->fit.centroids;
    m->patch = s->fit.patch;
    m->d = 3 * m->patch * m->patch;
    m->centroids = lt_calloc2(m->K, m->d, sizeof(float), "k-means centroids", err);
    m->mean = lt_calloc(m->d, sizeof(float), "k-means mean", err);
    m->whiten = lt_calloc2(m->d, m->d, sizeof(float), "k-means whitening", err);
    lt_status st = m->centroids && m->mean && m->whiten ? LT_OK : LT_ERR;
    float *dst[3] = {m->centroids, m->mean, m->whiten};
    const size_t count[3] = {m->K * m->d, m->d, m->d * m->d};
    for (int f = 0; f < 3 && st == LT_OK; f++) {
        st = lt_featcache_read_into(e, KMEANS_BLOBS[f], dst[f], count[f] * sizeof(float), err);
    }
    return st;
}

/* The three splits' features from e in place of s's records, each split replaced only
 * once all three are read. */
static lt_status read_splits(const lt_featcache_entry *e, lt_featpipe *p, lt_splits *s,
                             lt_error *err)
{
    lt_dataset *split[] = {&s->train, &s->val, &s->test};
    lt_dataset out[3];
    double seconds[3] = {0};
    size_t D = lt_featpipe_size(p);
    lt_status st = LT_OK;
    memset(out, 0, sizeof out);
    for (size_t i = 0; i < 3 && st == LT_OK; i++) {
        double t0 = now();
        char name[32];
        snprintf(name, sizeof name, "%s.f32", SPLITS[i]);
        size_t n = split[i]->n;
        if ((st = lt_dataset_create(&out[i], n, D, LT_DTYPE_F32, err)) == LT_OK) {
            memcpy(out[i].labels, split[i]->labels, n * sizeof *out[i].labels);
            st = lt_featcache_read_into(e, name, out[i].x, n * D * sizeof(float), err);
        }
        seconds[i] = now() - t0;
    }
    for (size_t i = 0; i < 3 && st == LT_OK; i++) {
        st = lt_featpipe_log(p, "cache", SPLITS[i], seconds[i], split[i]->n, D, err);
    }
    for (size_t i = 0; i < 3; i++) {
        if (st == LT_OK) {
            lt_dataset_free(split[i]);
            *split[i] = out[i];
        } else {
            lt_dataset_free(&out[i]);
        }
    }
    return st;
}

/* A hit: the fitted stages and the three splits' features from e. */
static lt_status read_entry(const lt_featcache_entry *e, lt_featpipe *p, lt_splits *s,
                            lt_error *err)
{
    lt_status st = LT_OK;
    for (size_t i = 0; i < p->n && st == LT_OK; i++) {
        if (p->stages[i].kind == LT_FEATPIPE_KMEANS) {
            st = read_model(e, &p->stages[i], err);
        }
    }
    st = st == LT_OK ? lt_featpipe_ready(p, err) : st;
    return st == LT_OK ? read_splits(e, p, s, err) : st;
}

/* A miss: computed, then stored. */
static lt_status fill_entry(const char *root, const lt_featcache_key *k, lt_featpipe *p,
                            lt_splits *s, const lt_featpipe_observer *obs, lt_error *err)
{
    lt_status st = lt_featpipe_compute(p, s, obs, err);
    lt_featcache_writer w;
    if (st != LT_OK || (st = lt_featcache_writer_begin(&w, root, k, err)) != LT_OK) {
        return st;
    }
    const lt_dataset *split[] = {&s->train, &s->val, &s->test};
    for (size_t i = 0; i < 3 && st == LT_OK; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s.f32", SPLITS[i]);
        st = lt_featcache_writer_add(&w, name, split[i]->x,
                                     split[i]->n * split[i]->D * sizeof(float), err);
    }
    for (size_t i = 0; i < p->n && st == LT_OK; i++) {
        const lt_kmeans_model *m = &p->stages[i].model;
        if (p->stages[i].kind != LT_FEATPIPE_KMEANS) {
            continue;
        }
        const float *src[3] = {m->centroids, m->mean, m->whiten};
        const size_t count[3] = {m->K * m->d, m->d, m->d * m->d};
        for (int f = 0; f < 3 && st == LT_OK; f++) {
            st = lt_featcache_writer_add(&w, KMEANS_BLOBS[f], src[f], count[f] * sizeof(float),
                                         err);
        }
    }
    if (st != LT_OK) {
        lt_featcache_writer_abort(&w);
        return st;
    }
    return lt_featcache_writer_commit(&w, k, err);
}

/* Looks up, else locks (waiting for another process filling the same key), looks up
 * again, else computes and stores. */
static lt_status through(const char *root, const lt_featcache_key *k, lt_featpipe *p,
                         lt_splits *s, const lt_featpipe_observer *obs, lt_error *err)
{
    char hex[LT_SHA256_HEX], reason[256];
    lt_featcache_key_hex(k, hex);
    lt_featcache_entry e;
    int found = 0;
    snprintf(p->source, sizeof p->source, "from the cache (key %.16s)", hex);
    lt_status st = lt_featcache_open(&e, root, k, &found, reason, sizeof reason, err);
    if (st == LT_OK && found) {
        st = read_entry(&e, p, s, err);
        lt_featcache_entry_free(&e);
        return st;
    }
    lt_featcache_guard g;
    if (st != LT_OK || (st = lt_featcache_lock(&g, root, hex, NULL, NULL, err)) != LT_OK) {
        return st;
    }
    st = lt_featcache_open(&e, root, k, &found, reason, sizeof reason, err);
    if (st == LT_OK && found) {
        st = read_entry(&e, p, s, err);
        lt_featcache_entry_free(&e);
    } else if (st == LT_OK) {
        snprintf(p->source, sizeof p->source, "computed and stored in the cache (key %.16s)",
                 hex);
        st = fill_entry(root, k, p, s, obs, err);
    }
    lt_featcache_unlock(&g);
    return st;
}

lt_status lt_featpipe_cached(const lt_config *cfg, lt_featpipe *p, lt_splits *s,
                             const lt_featpipe_observer *obs, lt_error *err)
{
    char root[LT_PATH_MAX];
    lt_featcache_key k;
    lt_status st = lt_featcache_root(root, err);
    if (st != LT_OK) {
        lt_error_prefix(err, "feature cache (data.feature_cache: false turns it off)");
        return st;
    }
    lt_featcache_key_init(&k, LT_FEATCACHE_VERSION);
    st = build_key(&k, cfg, p, err);
    if (st == LT_OK) {
        st = through(root, &k, p, s, obs, err);
    }
    lt_featcache_key_free(&k);
    /* A config the stages refuse, or a stop, is not the cache's failure. */
    if (st != LT_OK && st != LT_EINTERRUPTED && st != LT_ECONFIG) {
        lt_error_prefix(err, "feature cache (data.feature_cache: false turns it off)");
    }
    return st;
}

/* Whether the k-means blobs of e hold the bytes of p's models; else why names the
 * first that does not. */
static int same_models(const lt_featcache_entry *e, const lt_featpipe *p, char *why,
                       size_t cap)
{
    static const char *const WHAT[3] = {"centroids", "patch mean", "whitening"};
    for (size_t i = 0; i < p->n; i++) {
        const lt_kmeans_model *m = &p->stages[i].model;
        if (p->stages[i].kind != LT_FEATPIPE_KMEANS) {
            continue;
        }
        const float *mine[3] = {m->centroids, m->mean, m->whiten};
        const size_t want[3] = {m->K * m->d, m->d, m->d * m->d};
        for (int f = 0; f < 3; f++) {
            void *bytes = NULL;
            size_t got = 0;
            lt_error err;
            if (lt_featcache_read(e, KMEANS_BLOBS[f], &bytes, &got, &err) != LT_OK) {
                snprintf(why, cap, "%.200s", err.msg);
                return 0;
            }
            int same = got == want[f] * sizeof(float) && memcmp(bytes, mine[f], got) == 0;
            free(bytes);
            if (!same) {
                snprintf(why, cap, "its k-means %s differ from the run folder's", WHAT[f]);
                return 0;
            }
        }
    }
    return 1;
}

int lt_featpipe_cache_lookup(const lt_config *cfg, lt_featpipe *p, lt_splits *s)
{
    char root[LT_PATH_MAX], hex[LT_SHA256_HEX] = "", why[256] = "";
    lt_featcache_key k;
    lt_featcache_entry e;
    lt_error err = {{0}};
    int found = 0, hit = 0;
    lt_featcache_key_init(&k, LT_FEATCACHE_VERSION);
    lt_status st = lt_featcache_root(root, &err);
    st = st == LT_OK ? build_key(&k, cfg, p, &err) : st;
    if (st == LT_OK) {
        lt_featcache_key_hex(&k, hex);
        st = lt_featcache_open(&e, root, &k, &found, why, sizeof why, &err);
    }
    if (st != LT_OK) {
        snprintf(why, sizeof why, "%.200s", err.msg);
    } else if (found) {
        if (same_models(&e, p, why, sizeof why)) {
            hit = read_splits(&e, p, s, &err) == LT_OK;
            if (!hit) {
                snprintf(why, sizeof why, "%.200s", err.msg);
            }
        }
        lt_featcache_entry_free(&e);
    }
    lt_featcache_key_free(&k);
    if (hit) {
        snprintf(p->source, sizeof p->source, "from the cache (key %.16s)", hex);
    } else {
        snprintf(p->source, sizeof p->source, "recomputed with the run folder's stages "
                 "(feature cache%s%.16s: %s)", hex[0] ? ", key " : "", hex, why);
    }
    return hit;
}
