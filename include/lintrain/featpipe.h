/* featpipe.h — data.features: image features computed from the records of an image data
 * set (CIFAR-10/100) before training, a list of stages concatenated in order.
 *
 *   pixels         the 3,072 pixel values as floats
 *   hog            CS231n's hog_feature (features.h)
 *   hue_histogram  CS231n's color_histogram_hsv, `bins` bins (features.h)
 *   kmeans         Coates, Lee & Ng's single-layer features (kmeans.h), 4 x `centroids`
 *
 * A pipeline is fitted on the training split only (the k-means stage samples its
 * patches there), saved in the run folder (kmeans_*.npy, filters.png), loaded back by
 * eval and predict, and applied to any set of images: every image is a task of the
 * thread pool, so the features are the same bytes for any number of threads.
 *
 * [{"name": "pixels"}] alone is no pipeline at all: the records are trained on as they
 * are (uint8 images), exactly as without data.features. */
#ifndef LINTRAIN_FEATPIPE_H
#define LINTRAIN_FEATPIPE_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/config.h"
#include "lintrain/dataset.h"
#include "lintrain/features.h"
#include "lintrain/kmeans.h"
#include "lintrain/metrics.h"
#include "lintrain/splits.h"

typedef enum {
    LT_FEATPIPE_PIXELS,
    LT_FEATPIPE_HOG,
    LT_FEATPIPE_HUE,
    LT_FEATPIPE_KMEANS
} lt_featpipe_kind;

typedef struct {
    lt_featpipe_kind kind;
    const char *name;                /* the stage's name in the config (static) */
    lt_feature_params params;        /* hue_histogram: bins */
    lt_kmeans_fit_spec fit;          /* kmeans */
    lt_kmeans_encode_spec encode;    /* kmeans */
    lt_kmeans_model model;           /* owned: kmeans, once fitted or loaded */
    size_t size;                     /* features per image; kmeans: 0 until fitted */
} lt_featpipe_stage;

typedef struct {
    lt_featpipe_stage *stages;       /* owned: (n) in the config's order */
    size_t n;
    size_t threads;                  /* 0: one per online CPU */
    lt_feature_report *log;          /* owned: (n_log) what fit and apply did, in order */
    size_t n_log;
    char source[512];                /* where the splits' features came from, one line for
                                        the user: "from the cache (key ...)", "recomputed
                                        with the run folder's stages (why)", ... */
} lt_featpipe;

/* Reports the features of a split being computed: stage names and done of total images. */
typedef struct {
    void *ctx;
    void (*on_progress)(void *ctx, const char *what, size_t done, size_t total,
                        double seconds);
} lt_featpipe_observer;

/* The side of the images the stages read (CIFAR's 32 x 32). */
#define LT_FEATPIPE_SIDE 32

/* The most k-means stages a pipeline may hold (the run folder has one set of files). */
#define LT_FEATPIPE_MAX_KMEANS 1

/* The config schema's check of one stage object of data.features at path
 * ("data.features[1]"): its name (did you mean), its keys (unknown ones, types, ranges);
 * the defaults of its missing keys are added to item (a cJSON object). */
lt_status lt_featpipe_check_stage(void *item, const char *path, lt_error *err);

/* The stage names, "|"-separated, and the keys of each, for the reference. */
#define LT_FEATPIPE_DOC                                                                   \
    "image features, stages concatenated in order: {\"name\": pixels | hog | "            \
    "hue_histogram (bins) | kmeans (centroids, patch, stride, patches, iterations, "      \
    "whiten, encoder, pool)}; see docs/features.md"

/* Whether cfg asks for features: data.features is other than [{"name": "pixels"}]. */
int lt_featpipe_wanted(const lt_config *cfg);

/* The stages of cfg->data.features, not fitted; threads and the k-means seed from
 * cfg->train. LT_ECONFIG when the data are not images or two stages are kmeans. */
lt_status lt_featpipe_init(lt_featpipe *p, const lt_config *cfg, lt_error *err);

/* Fits the stages that learn (kmeans) on the images train (uint8 (n, 3 side side)). */
lt_status lt_featpipe_fit(lt_featpipe *p, const lt_dataset *train, size_t side,
                          const lt_featpipe_observer *obs, lt_error *err);

/* Features per image, once fitted or loaded. */
size_t lt_featpipe_size(const lt_featpipe *p);

/* Bytes of the float32 features of n images (SIZE_MAX when it overflows). */
size_t lt_featpipe_bytes(const lt_featpipe *p, size_t n);

/* *out = float32 (in->n, size) features of the images in (labels copied); what names
 * the split for the observer and p->log. */
lt_status lt_featpipe_apply(lt_featpipe *p, const lt_dataset *in, size_t side,
                            const char *what, const lt_featpipe_observer *obs,
                            lt_dataset *out, lt_error *err);

/* Features of one image (3 planes of side x side bytes) into out (size floats), on the
 * calling thread. */
lt_status lt_featpipe_image(const lt_featpipe *p, const uint8_t *image, size_t side,
                            float *out, lt_error *err);

/* Writes what the stages fitted into dir: kmeans_*.npy and filters.png. */
lt_status lt_featpipe_save(const lt_featpipe *p, const char *dir, lt_error *err);

/* Reads what lt_featpipe_save wrote into the stages of p (from lt_featpipe_init), and
 * checks it against their config (centroids, patch). */
lt_status lt_featpipe_load(lt_featpipe *p, const char *dir, lt_error *err);

/* lt_splits_load, then, when cfg has data.features, the pipeline *p: fitted on the
 * training split (fitted_dir NULL) or read from the run folder fitted_dir, and every
 * split replaced by its features (is_image 0, features naming the stages). With a
 * run folder and data.feature_cache, the features come from the cache entry training
 * used when lt_featpipe_cache_lookup finds it holding the folder's stages, else they
 * are recomputed with the folder's stages; nothing is written to the cache either way.
 * p->source says which, and why. Refuses
 * (LT_ECONFIG) a pipeline whose matrices would not fit in memory, with the size it
 * needs. *p is empty without data.features; the caller frees both (also on failure). */
lt_status lt_featpipe_splits(const lt_config *cfg, const char *fitted_dir, lt_featpipe *p,
                             lt_splits *s, const lt_featpipe_observer *obs, lt_error *err);

/* Fits the stages on the original training images (the first s->train_images rows of
 * s->train, without data.augment's copies) and replaces every split by its features. */
lt_status lt_featpipe_compute(lt_featpipe *p, lt_splits *s, const lt_featpipe_observer *obs,
                              lt_error *err);

/* lt_featpipe_compute through the feature cache (featcache.h): a hit reads the fitted
 * stages and the features; a miss computes and stores them (one process per key, the
 * others wait and read). */
lt_status lt_featpipe_cached(const lt_config *cfg, lt_featpipe *p, lt_splits *s,
                             const lt_featpipe_observer *obs, lt_error *err);

/* The features of the three splits from the feature cache entry of cfg's key, without
 * computing or writing anything: read when the entry exists, passes the cache's checks
 * and holds the very stages p holds (loaded from a run folder: k-means centroids, patch
 * mean and whitening equal byte for byte), so that they are the features p computes.
 * Returns 1 when s holds them (p->source "from the cache (key ...)"); else 0 with s
 * untouched and why (one line) in p->source: no cache folder, no entry, a failed check,
 * stages that differ, an unreadable blob. */
int lt_featpipe_cache_lookup(const lt_config *cfg, lt_featpipe *p, lt_splits *s);

/* The stages' sizes once their models are in place (fitted, loaded or read from the
 * cache); LT_ECONFIG when a k-means model's shape is not the config's. */
lt_status lt_featpipe_ready(lt_featpipe *p, lt_error *err);

/* Appends a line to p->log. */
lt_status lt_featpipe_log(lt_featpipe *p, const char *stage, const char *what, double seconds,
                          size_t rows, size_t cols, lt_error *err);

/* Frees what p owns and empties it; accepts NULL. */
void lt_featpipe_free(lt_featpipe *p);

#endif
