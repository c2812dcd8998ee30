/* kmeans.h — single-layer k-means features of Coates, Lee & Ng ("An Analysis of
 * Single-Layer Networks in Unsupervised Feature Learning", AISTATS 2011), as their
 * reference code (kmeans_demo.m, run_kmeans.m, extract_features.m) computes them:
 *
 *   fit:    random patch x patch x 3 patches of the training images, each normalised
 *           for brightness and contrast ((x - mean) / sqrt(var + LT_KMEANS_EPS_NORM),
 *           var with n - 1, pixels 0..255); ZCA whitening fitted on them
 *           (P = V diag(1 / sqrt(lambda + LT_KMEANS_EPS_ZCA)) V^T of their covariance);
 *           Lloyd's k-means on the whitened patches.
 *   encode: every patch of an image at a stride, normalised and whitened the same way;
 *           "triangle" f_k = max(0, mean_j z_j - z_k), z_k the Euclidean distance to
 *           centroid k (or "hard": one-hot of the nearest centroid); the codes summed
 *           over the four quadrants of the grid of patch positions -> 4 K floats.
 *
 * Images are records of 3 planes of side x side bytes (R, G, B), each plane row-major:
 * a CIFAR record's pixels when side is 32. A patch is a vector of d = 3 p p values,
 * value c p p + y p + x holding channel c of its pixel (x, y), the order of the
 * reference code. Everything is float32 but the patch statistics, the covariance and
 * its eigenvectors (double). Matrix products go through OpenBLAS sgemm, one thread of
 * OpenBLAS per thread of lintrain's pool; results do not depend on the thread count. */
#ifndef LINTRAIN_KMEANS_H
#define LINTRAIN_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/image.h"
#include "lintrain/rng.h"

#define LT_KMEANS_EPS_NORM 10.0 /* kmeans_demo.m: sqrt(var(patches,[],2) + 10) */
#define LT_KMEANS_EPS_ZCA 0.1   /* kmeans_demo.m: diag(sqrt(1./(diag(D) + 0.1))) */
#define LT_KMEANS_QUADRANTS 4

typedef enum {
    LT_KMEANS_TRIANGLE = 0, /* max(0, mean_j z_j - z_k) */
    LT_KMEANS_HARD = 1      /* 1 for the nearest centroid (the lowest index on a tie) */
} lt_kmeans_encoder;

/* n images of 3 side x side planes each; not owned. */
typedef struct {
    const uint8_t *x; /* (n, 3 side side) */
    size_t n, side;
} lt_kmeans_images;

typedef struct {
    size_t centroids;  /* K >= 2 */
    size_t patch;      /* p, 1 <= p <= side */
    size_t patches;    /* patches sampled for the fit, >= K */
    size_t iterations; /* Lloyd passes, >= 1 */
    int whiten;        /* ZCA whitening (else mean 0, identity) */
    uint64_t seed;     /* draws from stream LT_STREAM_KMEANS */
    size_t threads;    /* 0: one per CPU */
} lt_kmeans_fit_spec;

typedef struct {
    size_t stride;             /* >= 1, between patch positions */
    lt_kmeans_encoder encoder;
    size_t threads;            /* 0: one per CPU */
} lt_kmeans_encode_spec;

/* What the fit learns, all that encoding needs besides the encode spec. */
typedef struct {
    size_t K, patch, d; /* centroids, patch side, d = 3 patch patch */
    float *mean;        /* owned: (d) mean of the normalised patches (zero: no whitening) */
    float *whiten;      /* owned: (d, d) symmetric ZCA matrix (identity: no whitening) */
    float *centroids;   /* owned: (K, d) in the whitened space */
} lt_kmeans_model;

/* After each Lloyd pass: its number (from 0), the objective sum_i min_k |x_i - c_k|^2 of
 * the assignment it made (centroids of the previous pass), the empty clusters it
 * re-seeded, and the centroids it produced, (K, d). */
typedef void (*lt_kmeans_pass_fn)(void *ctx, size_t pass, double objective, size_t reseeded,
                                  const float *centroids);

/* Called by the calling thread between chunks of images: done of total encoded. */
typedef void (*lt_kmeans_progress_fn)(void *ctx, size_t done, size_t total);

/* Patch positions along one axis: (side - patch) / stride + 1 (0 if patch > side). */
size_t lt_kmeans_grid(size_t side, size_t patch, size_t stride);

/* Grid positions in the first (top, left) half: round(g / 2) as extract_features.m's
 * halfr = round(prows/2), so the middle row and column of an odd grid go there. */
size_t lt_kmeans_half(size_t g);

/* LT_ECONFIG with the parameter named when spec cannot be fitted on images: K < 2,
 * patch 0 or larger than the images, fewer patches than K, no iteration, no images. */
lt_status lt_kmeans_fit_check(const lt_kmeans_fit_spec *spec, const lt_kmeans_images *im,
                              lt_error *err);

/* Bytes the fit holds at its peak (patches, labels, sums, per-thread products). */
size_t lt_kmeans_fit_bytes(const lt_kmeans_fit_spec *spec, size_t threads);

/* Fits *out (freed with lt_kmeans_free) on im. on_pass may be NULL. The fit polls
 * lt_interrupt_pending (interrupt.h) between its steps, between blocks of rows of the
 * whitening and within every Lloyd pass (a fraction of a second apart on CIFAR-10's
 * 400,000 patches), and returns LT_EINTERRUPTED with *out empty once a signal asked
 * to stop; the polls change no result. */
lt_status lt_kmeans_fit(const lt_kmeans_fit_spec *spec, const lt_kmeans_images *im,
                        lt_kmeans_pass_fn on_pass, void *ctx, lt_kmeans_model *out,
                        lt_error *err);

/* Features per image: LT_KMEANS_QUADRANTS * K. */
size_t lt_kmeans_features(const lt_kmeans_model *m);

/* Encodes every image of im into out (im->n, 4 K) row-major: feature q K + k is
 * centroid k summed over quadrant q (0 top-left, 1 top-right, 2 bottom-left,
 * 3 bottom-right, extract_features.m's q1..q4). The patches x centroids products are
 * made a few rows at a time and turned into codes while in cache. Each image is
 * computed alone, so the bytes are the same for any thread count. progress may be
 * NULL. LT_ECONFIG when the stride is 0 or a patch does not fit the images. */
lt_status lt_kmeans_encode(const lt_kmeans_model *m, const lt_kmeans_encode_spec *spec,
                           const lt_kmeans_images *im, float *out,
                           lt_kmeans_progress_fn progress, void *ctx, lt_error *err);

/* Writes dir/kmeans_centroids.npy (K, 3, p, p), dir/kmeans_mean.npy (3, p, p) and
 * dir/kmeans_whiten.npy (d, d), each atomically. */
lt_status lt_kmeans_save(const lt_kmeans_model *m, const char *dir, lt_error *err);

/* Reads what lt_kmeans_save wrote; shapes that disagree, or a value that is not
 * finite, are errors naming the file. */
lt_status lt_kmeans_load(const char *dir, lt_kmeans_model *out, lt_error *err);

/* Frees what m owns and empties it; accepts NULL. */
void lt_kmeans_free(lt_kmeans_model *m);

/* The centroids as colour tiles (the paper's figure): a square-ish grid, each tile
 * p x p enlarged LT_KMEANS_TILE_ZOOM times, min-max scaled to 0..255 over its own
 * values (all channels together: a constant tile is mid grey). */
#define LT_KMEANS_TILE_ZOOM 4
lt_status lt_kmeans_filters_draw(const lt_kmeans_model *m, lt_image *out, lt_error *err);
lt_status lt_kmeans_filters_write(const lt_kmeans_model *m, const char *path, lt_error *err);

/* ---- the steps, for the tests and for callers that compose their own ------------- */

/* LT_EINTERRUPTED ("k-means STEP: stopped by SIGINT") when a signal asked to stop
 * (lt_interrupt_pending), else LT_OK. */
lt_status lt_kmeans_poll(const char *step, lt_error *err);

/* Copies the raw patch of record rec at (x, y) into out (d floats, 0..255). */
void lt_kmeans_patch_extract(const uint8_t *rec, size_t side, size_t p, size_t x, size_t y,
                             float *out);

/* In place: x = (x - mean) / sqrt(var + LT_KMEANS_EPS_NORM), var with d - 1 (d >= 2). */
void lt_kmeans_patch_normalize(float *x, size_t d);

/* count normalised patches into out (count, d): patch i from image i mod n, as
 * kmeans_demo.m cycles through the images, at a position drawn from rng. */
void lt_kmeans_patch_sample(const lt_kmeans_images *im, size_t p, size_t count, lt_rng *rng,
                            float *out);

/* ZCA of X (n, d), n >= 2: mean (d) and P (d, d) = V diag(1/sqrt(lambda + eps)) V^T of
 * the covariance (n - 1), eigenpairs by cyclic Jacobi in double. Polls lt_kmeans_poll
 * between blocks of rows (LT_EINTERRUPTED). */
lt_status lt_kmeans_zca_fit(const float *X, size_t n, size_t d, double eps, float *mean,
                            float *P, lt_error *err);

/* In place: X = (X - mean) P, a block of rows at a time; polls lt_kmeans_poll between
 * blocks (LT_EINTERRUPTED, X then partly whitened). */
lt_status lt_kmeans_zca_apply(float *X, size_t n, size_t d, const float *mean, const float *P,
                              lt_error *err);

/* Lloyd's k-means on X (n, d), n >= K >= 1: C (K, d) starts at K distinct rows drawn
 * from rng; each pass assigns every row to its nearest centroid (|x|^2 - 2 x.c + |c|^2,
 * products by sgemm, the lowest index on a tie) and moves each centroid to its rows'
 * mean (summed in double, in row order); a cluster left empty is re-seeded with a
 * row drawn from rng. threads: 0 = one per CPU. Polls lt_kmeans_poll between groups
 * of blocks of rows (LT_EINTERRUPTED, C then unfinished). */
lt_status lt_kmeans_lloyd(const float *X, size_t n, size_t d, size_t K, size_t iterations,
                          lt_rng *rng, size_t threads, float *C, lt_kmeans_pass_fn on_pass,
                          void *ctx, lt_error *err);

#endif
