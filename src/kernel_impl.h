/* kernel_impl.h — what an implementation of the training kernel provides (internal to
 * kernel.c and the files that hold implementations).
 *
 * The driver (kernel.c) cuts a call's rows into blocks of at most block_rows rows and
 * hands each block to the implementation twice: forward (block scores), and after the
 * loss has turned the scores into dL/ds, backward (the block's share of the weight
 * gradient). Weights arrive transposed and pre-scaled, so an implementation only ever
 * subtracts the shift: with t = x - shift,
 *     x'·W = Σ_d t_d·(scale_d·W[d][c]) = Σ_d t_d·Wt[c][d]
 *     dL/dW[d][c] = scale_d·Σ_r t_rd·dS[r][c]   (the driver applies scale_d). */
#ifndef LINTRAIN_KERNEL_IMPL_H
#define LINTRAIN_KERNEL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/kernel.h"

typedef struct {
    size_t D, C;
    size_t ld;                    /* row stride of dWt (and of Wt, unless packed otherwise) */
    const float *shift;           /* (D) */
    const float *Wt;              /* the transposed, scaled weights, as pack wrote them */
    lt_dtype dtype;               /* of the rows' values */
    const void *const *rows;      /* nb row pointers, D values each */
    size_t nb;                    /* rows in this block, 1..block_rows */
    int accumulate;               /* backward: add to dWt (else overwrite it) */
    float *scratch;               /* the implementation's per-thread workspace */
    size_t c0, c1;                /* backward: the classes [c0, c1) of dWt (0, C: all) */
    float *grad;                  /* backward, when non-NULL (an implementation with
                                   * grad_in_backward): grad[d][c] = scale[d]·dWt[c][d]
                                   * (D, C) is written instead of dWt, as unpack would */
    const float *scale;           /* (D) with grad */
} lt_kblock;

struct lt_kernel_impl {
    const char *name;
    size_t block_rows;            /* most rows handed over at once (fewer for long rows:
                                   * kernel.c's L2 budget) */
    size_t shares;                /* a call's rows are cut into at most this many */
    size_t class_tile;            /* classes of a backward tile, when the backward of more
                                   * than LT_KERNEL_CLASS_SPLIT classes runs by class
                                   * ranges (kernel.c); 0: always by shares of rows */
    int grad_in_backward;         /* 1: by class ranges, the last round's backward writes
                                   * the gradient itself (b->grad), no unpack */
    int (*available)(void);       /* 1 when this CPU can run it */
    int (*supports)(size_t C, lt_dtype dtype); /* 1 when it handles C classes of dtype rows */
    /* Floats of scratch a thread needs. */
    size_t (*scratch_floats)(size_t D, size_t C, size_t block_rows);
    /* Floats of Wt in this implementation's packing (C·ld for the (C, ld) one). */
    size_t (*wt_floats)(size_t D, size_t C, size_t ld);
    /* S (nb, C) = Σ_d t_rd·Wt[c][d] (no bias). */
    void (*forward)(const lt_kblock *b, float *S);
    /* dWt (C, ld) += Σ_r dS[r][c]·t_rd for the classes c in [b->c0, b->c1), or = when
     * !b->accumulate; each element one chain over the rows in order. */
    void (*backward)(const lt_kblock *b, const float *dS, float *dWt);
    /* Features [lo, hi) of Wt[c][d] = scale[d]·W[d][c], in the implementation's
     * packing (lo a multiple of 8). */
    void (*pack)(const float *W, const float *scale, size_t C, size_t ld, size_t lo, size_t hi,
                 float *Wt);
    /* Features [lo, hi) of grad[d][c] = scale[d]·Σ_{t<nt} dWt[t][c][d], the shares
     * summed in order t = 0, 1, .... */
    void (*unpack)(const float *const *dWt, size_t nt, const float *scale, size_t C, size_t ld,
                   size_t lo, size_t hi, float *grad);
};

/* The plain-C pack and unpack (kernel.c), for any C. */
void lt_kernel_pack_any(const float *W, const float *scale, size_t C, size_t ld, size_t lo,
                        size_t hi, float *Wt);
void lt_kernel_unpack_any(const float *const *dWt, size_t nt, const float *scale, size_t C,
                          size_t ld, size_t lo, size_t hi, float *grad);

/* ---- class blocks, for the implementations that pack W by blocks of classes ------

 * C classes in blocks of at most cb: nq = ⌈C / cb⌉ blocks, block q the classes
 * [C·q/nq, C·(q+1)/nq) (widths differ by one at most). The packed weights: block
 * after block (block q at class c0 starts at c0·chunked(ld), ld > D the stride of
 * the (C, ld) layout), inside a block chunk
 * after chunk of `chunk` features, inside a chunk the block's w class rows one after
 * the other: Wt[c0 + j][d] is at lt_kernel_wt_at(w, chunk, j, d) from the block's
 * start. The rows a chunk's FMAs read together are `chunk` floats apart. */
static inline size_t lt_kernel_chunked(size_t D, size_t chunk)
{
    return (D + chunk - 1) / chunk * chunk;
}

static inline size_t lt_kernel_class_blocks(size_t C, size_t cb)
{
    return (C + cb - 1) / cb;
}

/* First class of block q (q = the number of blocks: C). */
static inline size_t lt_kernel_class_lo(size_t C, size_t cb, size_t q)
{
    return C * q / lt_kernel_class_blocks(C, cb);
}

static inline size_t lt_kernel_wt_at(size_t w, size_t chunk, size_t j, size_t d)
{
    return d / chunk * chunk * w + j * chunk + d % chunk;
}

/* Features [lo, hi) of Wt[c][d] = scale[d]·W[d][c] in that packing. */
void lt_kernel_pack_blocks(const float *W, const float *scale, size_t C, size_t ld, size_t cb,
                           size_t chunk, size_t lo, size_t hi, float *Wt);

/* The same, and lt_kernel_unpack_any, in AVX2 (kernel_avx2.c; only on a CPU with it). */
void lt_kernel_pack_blocks_avx2(const float *W, const float *scale, size_t C, size_t ld, size_t cb,
                                size_t chunk, size_t lo, size_t hi, float *Wt);
void lt_kernel_unpack_avx2(const float *const *dWt, size_t nt, const float *scale, size_t C,
                           size_t ld, size_t lo, size_t hi, float *grad);

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Transposes the 8x8 block r[0..8) in place: afterwards r[j][i] is the old r[i][j]. */
__attribute__((target("avx2"), always_inline)) static inline void
lt_kernel_transpose8(__m256 *r)
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}
#endif

extern const struct lt_kernel_impl lt_kernel_avx2_impl;
extern const struct lt_kernel_impl lt_kernel_avx512_impl;

#endif
