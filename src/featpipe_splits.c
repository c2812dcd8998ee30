/* featpipe_splits.c — the splits a config asks for, through its data.features: the
 * images loaded, the stages fitted on the training split (or read from a run folder),
 * and every split replaced by its float32 features. */
#include "lintrain/featpipe.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Physical memory in bytes (SIZE_MAX when unknown). */
static size_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) {
        return SIZE_MAX;
    }
    return (size_t)pages * (size_t)page;
}

/* Refuses, before any work, a pipeline whose matrices would not fit in memory: the
 * features of every split, the images, and the k-means fit's peak. The training split
 * counts as many rows as it has: twice its images with data.augment "hflip". */
static lt_status check_memory(const lt_featpipe *p, const lt_splits *s, lt_error *err)
{
    size_t n = s->train.n + s->val.n + s->test.n;
    size_t need = lt_featpipe_bytes(p, n), images = n * LT_FEATPIPE_SIDE * LT_FEATPIPE_SIDE * 3;
    for (size_t i = 0; i < p->n; i++) {
        if (p->stages[i].kind == LT_FEATPIPE_KMEANS) {
            size_t fit = lt_kmeans_fit_bytes(&p->stages[i].fit, p->threads);
            need = need > SIZE_MAX - fit ? SIZE_MAX : need + fit;
        }
    }
    need = need > SIZE_MAX - images ? SIZE_MAX : need + images;
    size_t have = physical_memory();
    if (need > have) {
        return lt_fail(err, LT_ECONFIG, "data.features: the features of %zu images (%zu per "
                       "image) and the fit need %.1f GB, more than this machine's %.1f GB of "
                       "memory", n, lt_featpipe_size(p), (double)need / 1e9,
                       (double)have / 1e9);
    }
    return LT_OK;
}

/* The features of one split, in place of its images. */
static lt_status split_features(lt_featpipe *p, lt_dataset *ds, const char *what,
                                const lt_featpipe_observer *obs, lt_error *err)
{
    lt_dataset out;
    lt_status st = lt_featpipe_apply(p, ds, LT_FEATPIPE_SIDE, what, obs, &out, err);
    if (st == LT_OK) {
        lt_dataset_free(ds);
        *ds = out;
    }
    return st;
}

static lt_status all_splits(lt_featpipe *p, lt_splits *s, const lt_featpipe_observer *obs,
                            lt_error *err)
{
    lt_dataset *split[] = {&s->train, &s->val, &s->test};
    const char *names[] = {"train", "val", "test"};
    lt_status st = LT_OK;
    for (size_t i = 0; i < 3 && st == LT_OK; i++) {
        st = split_features(p, split[i], names[i], obs, err);
    }
    return st;
}

lt_status lt_featpipe_compute(lt_featpipe *p, lt_splits *s, const lt_featpipe_observer *obs,
                              lt_error *err)
{
    /* Fitted on the original training images only (not data.augment's copies): the
     * same seed fits the same model with or without them. */
    lt_dataset originals = s->train;
    originals.n = s->train_images;
    lt_status st = lt_featpipe_fit(p, &originals, LT_FEATPIPE_SIDE, obs, err);
    return st == LT_OK ? all_splits(p, s, obs, err) : st;
}

/* The features with the stages loaded from a run folder: the cache entry training
 * used when it holds those very stages, else computed. Nothing is written to the cache:
 * an entry holds what fitting its key's stages gives, and the folder's stages cannot
 * be vouched for as that (another feature code version, an edited file). */
static lt_status from_folder(const lt_config *cfg, lt_featpipe *p, lt_splits *s,
                             const lt_featpipe_observer *obs, lt_error *err)
{
    if (cfg->data.feature_cache && lt_featpipe_cache_lookup(cfg, p, s)) {
        return LT_OK;
    }
    if (!cfg->data.feature_cache) {
        snprintf(p->source, sizeof p->source, "recomputed with the run folder's stages "
                 "(data.feature_cache is false)");
    }
    return all_splits(p, s, obs, err);
}

/* The stage names "|"-joined into s->features. */
static void name_stages(const lt_featpipe *p, lt_splits *s)
{
    size_t used = 0;
    s->features[0] = '\0';
    for (size_t i = 0; i < p->n && used < sizeof s->features; i++) {
        int n = snprintf(s->features + used, sizeof s->features - used, "%s%s",
                         i ? "|" : "", p->stages[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
}

lt_status lt_featpipe_splits(const lt_config *cfg, const char *fitted_dir, lt_featpipe *p,
                             lt_splits *s, const lt_featpipe_observer *obs, lt_error *err)
{
    memset(p, 0, sizeof *p);
    lt_status st = lt_splits_load(cfg, s, err);
    if (st != LT_OK || !lt_featpipe_wanted(cfg)) {
        return st;
    }
    if ((st = lt_featpipe_init(p, cfg, err)) == LT_OK && !s->is_image) {
        st = lt_fail(err, LT_ECONFIG, "data.features: the records are not 32x32 images");
    }
    if (st == LT_OK) {
        st = check_memory(p, s, err);
    }
    if (st == LT_OK && fitted_dir) {
        st = lt_featpipe_load(p, fitted_dir, err);
        st = st == LT_OK ? from_folder(cfg, p, s, obs, err) : st;
    } else if (st == LT_OK) {
        snprintf(p->source, sizeof p->source, "computed (data.feature_cache is false)");
        st = cfg->data.feature_cache ? lt_featpipe_cached(cfg, p, s, obs, err)
                                     : lt_featpipe_compute(p, s, obs, err);
    }
    if (st == LT_OK) {
        s->is_image = 0;
        name_stages(p, s);
    } else {
        lt_splits_free(s);
        lt_featpipe_free(p);
    }
    return st;
}
