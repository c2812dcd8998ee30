/* rng.h — PCG32 (O'Neill, pcg-random.org): a small, seeded generator passed
 * explicitly to whatever needs randomness (init, shuffling). Never rand(). */
#ifndef LINTRAIN_RNG_H
#define LINTRAIN_RNG_H

#include <stddef.h>
#include <stdint.h>

/* The streams of a training run: init, shuffling, random search and the training
 * records scored at each epoch end draw from separate streams, so that changing one
 * does not change what the others draw. gradcheck starts from LT_STREAM_INIT too.
 * LT_STREAM_KMEANS: the k-means features' patches, initial and re-seeded centroids. */
enum {
    LT_STREAM_INIT = 1,
    LT_STREAM_SHUFFLE = 2,
    LT_STREAM_SEARCH = 3,
    LT_STREAM_EVAL = 4,
    LT_STREAM_KMEANS = 5
};

typedef struct {
    uint64_t state;
    uint64_t inc;   /* stream selector, always odd */
} lt_rng;

void lt_rng_seed(lt_rng *r, uint64_t seed, uint64_t stream);
uint32_t lt_rng_u32(lt_rng *r);
/* Uniform in [0, bound), without modulo bias; bound > 0. */
uint32_t lt_rng_below(lt_rng *r, uint32_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double lt_rng_uniform(lt_rng *r);
/* Standard normal (Box–Muller; one draw per call, the pair's second is discarded so
 * that the state depends only on the number of calls). */
double lt_rng_normal(lt_rng *r);
/* Fisher–Yates shuffle of idx[0..n). n < 2^32. */
void lt_rng_shuffle(lt_rng *r, size_t *idx, size_t n);

#endif
