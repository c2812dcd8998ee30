/* kernel_avx512.c — the training kernel's AVX-512 implementation, for any number of
 * classes C and uint8 or float32 rows.
 *
 * Compiled for AVX-512 (F, BW, VL, DQ) through function attributes and used only after
 * a runtime check, like kernel_avx2.c, whose design it follows with vectors of 16
 * floats and 32 registers: forward blocks of at most 12 classes (C = 10: one block;
 * 100: nine of 11 or 12) scored for two rows at once (24 accumulators, each weight
 * vector loaded once for both), backward tiles of 32 features by 8 classes over the
 * rows' features centered once into the scratch for all the tiles. By class ranges
 * (kernel.c) the last round's tiles go straight into the gradient, scaled and
 * transposed, with no unpack pass. The last features of a row (D mod 16) are read
 * through a mask, so no scalar path remains and no load reads past a row. Sums run in
 * a fixed order, but not kernel_avx2.c's: the two give different last bits.
 *
 * Where it is faster than avx2 depends on the CPU: cores that execute a 512-bit FMA
 * as one operation (Zen 5, Intel server cores with two FMA units) run it about twice
 * as fast per instruction; cores that split it in two (Zen 4) gain less. */
#include "kernel_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define INLINE TARGET static inline __attribute__((always_inline))
#define CB 12           /* most classes of a forward block */
#define FWD_CHUNK 256   /* features per forward chunk */
#define BT 8            /* classes of a backward tile */
#ifndef BWD_AHEAD
#define BWD_AHEAD 64    /* features ahead the backward fetches rows into L1 */
#endif

static size_t avx512_wt_floats(size_t D, size_t C, size_t ld)
{
    (void)D;
    return lt_kernel_chunked(ld, FWD_CHUNK) * C;
}

static int avx512_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int avx512_supports(size_t C, lt_dtype dtype)
{
    return C >= 1 && (dtype == LT_DTYPE_U8 || dtype == LT_DTYPE_F32);
}

/* The backward's centered features: 32 of each row of a round (by class ranges) or of a
 * block. */
static size_t avx512_scratch(size_t D, size_t C, size_t block_rows)
{
    (void)D, (void)C;
    return 32 * LT_KERNEL_SHARES * block_rows;
}

/* The mask of the first n (<= 16) lanes. */
static inline __mmask16 lanes(size_t n)
{
    return (__mmask16)(n >= 16 ? 0xFFFF : (1u << n) - 1u);
}

/* Features d .. d+16 of row x minus shift, lanes outside mask k zero (never read). */
INLINE __m512 centered16(const void *x, size_t d, const float *shift, __mmask16 k, int f32)
{
    __m512 v;
    if (f32) {
        v = _mm512_maskz_loadu_ps(k, (const float *)x + d);
    } else {
        __m128i bytes = _mm_maskz_loadu_epi8(k, (const uint8_t *)x + d);
        v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
    }
    return _mm512_sub_ps(v, _mm512_maskz_loadu_ps(k, shift + d));
}

/* a folded to 8 lanes: lane i = a[i] + a[i + 8]. */
INLINE __m256 fold(__m512 a)
{
    return _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
}

/* The 8 lane sums of a[0..8) as one vector (as kernel_avx2.c's sum8x8, after a fold). */
INLINE __m256 sum16x8(const __m512 *a)
{
    __m256 h01 = _mm256_hadd_ps(fold(a[0]), fold(a[1]));
    __m256 h23 = _mm256_hadd_ps(fold(a[2]), fold(a[3]));
    __m256 h45 = _mm256_hadd_ps(fold(a[4]), fold(a[5]));
    __m256 h67 = _mm256_hadd_ps(fold(a[6]), fold(a[7]));
    __m256 q0 = _mm256_hadd_ps(h01, h23);
    __m256 q1 = _mm256_hadd_ps(h45, h67);
    __m256 lo = _mm256_permute2f128_ps(q0, q1, 0x20);
    __m256 hi = _mm256_permute2f128_ps(q0, q1, 0x31);
    return _mm256_add_ps(lo, hi);
}

/* a[j] += t·W[j·FWD_CHUNK + d ..] for features d .. d+16 (those in mask k) of row x,
 * and e[j] the same for row y when R = 2 (each weight vector loaded once for both). */
INLINE void forward_step(const void *x, const void *y, size_t d, const float *shift,
                         const float *W, __mmask16 k, __m512 *a, __m512 *e, const int w,
                         const int R, const int f32)
{
    __m512 t = centered16(x, d, shift, k, f32);
    __m512 u = R == 2 ? centered16(y, d, shift, k, f32) : t;
#pragma GCC unroll 16
    for (int j = 0; j < w; j++) {
        __m512 v = _mm512_maskz_loadu_ps(k, W + (size_t)j * FWD_CHUNK + d);
        if (R == 2) { /* one load for both rows: GCC would fold it into each FMA */
            __asm__("" : "+v"(v));
        }
        a[j] = _mm512_fmadd_ps(t, v, a[j]);
        if (R == 2) {
            e[j] = _mm512_fmadd_ps(u, v, e[j]);
        }
    }
}

/* S[0..w) += the lane sums of a[0..w). */
INLINE void forward_reduce(const __m512 *a, float *S, const int w)
{
    int j = 0;
#pragma GCC unroll 2
    for (; j + 8 <= w; j += 8) {
        _mm256_storeu_ps(S + j, _mm256_add_ps(_mm256_loadu_ps(S + j), sum16x8(a + j)));
    }
#pragma GCC unroll 16
    for (; j < w; j++) {
        S[j] += _mm512_reduce_add_ps(a[j]);
    }
}

/* S[0..w) += Σ_{d<n} t_d·W[j·FWD_CHUNK + d] over one chunk of row x (n <= FWD_CHUNK,
 * any n), and when R = 2 the same into T for row y; the rows' next chunks (nx, ny, or
 * NULL) are prefetched meanwhile. */
INLINE void forward_chunk(const void *x, const void *y, const void *nx, const void *ny,
                          const float *shift, const float *W, size_t n, float *S, float *T,
                          const int w, const int R, const int f32)
{
    size_t bytes = f32 ? 4 * n : n;
    for (size_t d = 0; nx && d < bytes; d += 64) {
        _mm_prefetch((const char *)nx + d, _MM_HINT_T1);
        if (R == 2) {
            _mm_prefetch((const char *)ny + d, _MM_HINT_T1);
        }
    }
    __m512 a[CB], e[CB];
#pragma GCC unroll 16
    for (int j = 0; j < w; j++) {
        a[j] = _mm512_setzero_ps();
        e[j] = a[j];
    }
    size_t d = 0;
    for (; d + 16 <= n; d += 16) {
        forward_step(x, y, d, shift, W, (__mmask16)0xFFFF, a, e, w, R, f32);
    }
    if (d < n) {
        forward_step(x, y, d, shift, W, lanes(n - d), a, e, w, R, f32);
    }
    forward_reduce(a, S, w);
    if (R == 2) {
        forward_reduce(e, T, w);
    }
}

#define FWD_CASE(w, R, f32) \
    case w: forward_chunk(x, y, nx, ny, shift, W, n, S, T, w, R, f32); break
#define FWD_CASES(R, f32)                                                                  \
    FWD_CASE(1, R, f32); FWD_CASE(2, R, f32); FWD_CASE(3, R, f32); FWD_CASE(4, R, f32);    \
    FWD_CASE(5, R, f32); FWD_CASE(6, R, f32); FWD_CASE(7, R, f32); FWD_CASE(8, R, f32);    \
    FWD_CASE(9, R, f32); FWD_CASE(10, R, f32); FWD_CASE(11, R, f32); FWD_CASE(12, R, f32)

/* forward_chunk for w classes (1 .. CB) of one row (y NULL) or two, compiled for each. */
TARGET static void forward_chunk_u8(const void *x, const void *y, const void *nx,
                                    const void *ny, const float *shift, const float *W,
                                    size_t n, float *S, float *T, int w)
{
    if (y) {
        switch (w) { FWD_CASES(2, 0); default: break; }
    } else {
        switch (w) { FWD_CASES(1, 0); default: break; }
    }
}

TARGET static void forward_chunk_f32(const void *x, const void *y, const void *nx,
                                     const void *ny, const float *shift, const float *W,
                                     size_t n, float *S, float *T, int w)
{
    if (y) {
        switch (w) { FWD_CASES(2, 1); default: break; }
    } else {
        switch (w) { FWD_CASES(1, 1); default: break; }
    }
}

TARGET static void avx512_forward(const lt_kblock *b, float *S)
{
    const void *const *rows = b->rows;
    int f32 = b->dtype == LT_DTYPE_F32;
    size_t D = b->D, C = b->C, esize = f32 ? 4 : 1;
    memset(S, 0, b->nb * C * sizeof *S);
    for (size_t r = 0; r < b->nb; r++) {
        for (size_t d = 0; d < FWD_CHUNK * esize && d < D * esize; d += 64) {
            _mm_prefetch((const char *)rows[r] + d, _MM_HINT_T1);
        }
    }
    size_t nq = lt_kernel_class_blocks(C, CB);
    for (size_t q = 0; q < nq; q++) {
        size_t c0 = lt_kernel_class_lo(C, CB, q), w = lt_kernel_class_lo(C, CB, q + 1) - c0;
        const float *Wb = b->Wt + c0 * lt_kernel_chunked(b->ld, FWD_CHUNK);
        for (size_t k0 = 0; k0 < D; k0 += FWD_CHUNK) {
            size_t n = D - k0 < FWD_CHUNK ? D - k0 : FWD_CHUNK;
            for (size_t r = 0; r < b->nb; r += 2) {
                const char *x = (const char *)rows[r] + k0 * esize;
                const char *y = r + 1 < b->nb ? (const char *)rows[r + 1] + k0 * esize : NULL;
                int last = k0 + n >= D;
                (f32 ? forward_chunk_f32 : forward_chunk_u8)(
                    x, y, last ? NULL : x + n * esize, last || !y ? NULL : y + n * esize,
                    b->shift + k0, Wb + k0 * w, n, S + r * C + c0, y ? S + (r + 1) * C + c0 : NULL,
                    (int)w);
            }
        }
    }
}

/* The last round's tile (classes h .. h+m, features d .. d+16·V in masks k0, k1, sums
 * a and e) written to b->grad as unpack would: grad[d][c] = scale[d]·(dWt[c][d] + sum),
 * the 8x16 blocks transposed in registers. */
TARGET static void backward_grad(const lt_kblock *b, const float *dWt, const __m512 *a,
                                 const __m512 *e, size_t d, size_t h, __mmask16 k0,
                                 __mmask16 k1, int m, int V)
{
    for (int half = 0; half < V; half++) {
        __mmask16 mk = half ? k1 : k0;
        size_t dd = d + 16 * (size_t)half, nf = (size_t)__builtin_popcount(mk);
        __m512 s = _mm512_maskz_loadu_ps(mk, b->scale + dd);
        __m256 lo[8], hi[8];
        for (int k = 0; k < 8; k++) {
            __m512 v = k < m ? (half ? e[k] : a[k]) : _mm512_setzero_ps();
            if (k < m && b->accumulate) {
                v = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, dWt + (h + k) * b->ld + dd), v);
            }
            v = _mm512_mul_ps(v, s);
            lo[k] = _mm512_castps512_ps256(v);
            hi[k] = _mm512_extractf32x8_ps(v, 1);
        }
        lt_kernel_transpose8(lo);
        lt_kernel_transpose8(hi);
        __mmask8 mc = (__mmask8)((1u << m) - 1u);
        float *g = b->grad + dd * b->C + h;
        for (size_t i = 0; i < 8 && i < nf; i++) {
            _mm256_mask_storeu_ps(g + i * b->C, mc, lo[i]);
        }
        for (size_t i = 8; i < nf; i++) {
            _mm256_mask_storeu_ps(g + i * b->C, mc, hi[i - 8]);
        }
    }
}

/* dWt[h..h+m)[d..d+16·V) += Σ_r dS[r][h+j]·t_r[...]: V vectors of features by m
 * classes, t_r the centered features backward_center left in the scratch; stored
 * through masks k0 and k1 when `masked` (the row's last features). */
INLINE void backward_tile(const lt_kblock *b, const float *dS, float *dWt, size_t d, size_t h,
                          __mmask16 k0, __mmask16 k1, const int m, const int V, const int masked)
{
    if (!masked) {
        k0 = k1 = (__mmask16)0xFFFF;
    }
    __m512 a[BT], e[BT]; /* two 1-D arrays: GCC keeps a 2-D one in memory */
#pragma GCC unroll 16
    for (int k = 0; k < m; k++) {
        a[k] = _mm512_setzero_ps();
        e[k] = a[k];
    }
    const float *T = b->scratch;
    for (size_t r = 0; r < b->nb; r++) {
        __m512 t = _mm512_loadu_ps(T + 32 * r);
        __m512 u = V == 2 ? _mm512_loadu_ps(T + 32 * r + 16) : t;
        const float *g = dS + r * b->C + h;
#pragma GCC unroll 16
        for (int k = 0; k < m; k++) {
            __m512 v = _mm512_set1_ps(g[k]);
            a[k] = _mm512_fmadd_ps(t, v, a[k]);
            if (V == 2) {
                e[k] = _mm512_fmadd_ps(u, v, e[k]);
            }
        }
    }
    if (b->grad) { /* copied: passing a and e themselves kept them in memory in the loop */
        __m512 o[2 * BT];
#pragma GCC unroll 16
        for (int k = 0; k < m; k++) {
            o[k] = a[k];
            o[BT + k] = e[k];
        }
        backward_grad(b, dWt, o, o + BT, d, h, k0, k1, m, V);
        return;
    }
#pragma GCC unroll 16
    for (int k = 0; k < m; k++) {
        for (int half = 0; half < V; half++) {
            float *w = dWt + (h + (size_t)k) * b->ld + d + 16 * (size_t)half;
            __mmask16 mk = half ? k1 : k0;
            __m512 v = half ? e[k] : a[k];
            v = b->accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(mk, w), v) : v;
            _mm512_mask_storeu_ps(w, mk, v);
        }
    }
}

#define BWD_CASE(m, V, mk) \
    case m: backward_tile(b, dS, dWt, d, h, k0, k1, m, V, mk); break
#define BWD_TILES(V, mk)                                                                  \
    BWD_CASE(1, V, mk); BWD_CASE(2, V, mk); BWD_CASE(3, V, mk); BWD_CASE(4, V, mk);       \
    BWD_CASE(5, V, mk); BWD_CASE(6, V, mk); BWD_CASE(7, V, mk); BWD_CASE(8, V, mk)

/* The tiles of features [d, d + 16·V) (masks k0, k1 when `masked`), the block's
 * classes. */
TARGET static void backward_tiles(const lt_kblock *b, const float *dS, float *dWt, size_t d,
                                  __mmask16 k0, __mmask16 k1, int V, int masked)
{
    for (size_t h = b->c0; h < b->c1; h += BT) {
        int m = b->c1 - h < BT ? (int)(b->c1 - h) : BT;
        if (V == 2 && !masked) {
            switch (m) { BWD_TILES(2, 0); default: break; }
        } else if (V == 2) {
            switch (m) { BWD_TILES(2, 1); default: break; }
        } else {
            switch (m) { BWD_TILES(1, 1); default: break; }
        }
    }
}

/* The scratch's row r = features [d, d + 32) of row r, centered (lanes outside masks
 * k0, k1 zero): converted once for all the class tiles. */
TARGET static void backward_center(const lt_kblock *b, size_t d, __mmask16 k0, __mmask16 k1,
                                   int f32)
{
    float *T = b->scratch;
    for (size_t r = 0; r < b->nb; r++) {
        _mm512_storeu_ps(T + 32 * r, centered16(b->rows[r], d, b->shift, k0, f32));
        _mm512_storeu_ps(T + 32 * r + 16, centered16(b->rows[r], d + 16, b->shift, k1, f32));
    }
}

/* Fetches features [d, d + 32) of every row of the block into L1. */
static inline void backward_prefetch(const lt_kblock *b, size_t d, size_t esize)
{
    for (size_t off = d * esize; off < (d + 32) * esize && off < b->D * esize; off += 64) {
        for (size_t r = 0; r < b->nb; r++) {
            _mm_prefetch((const char *)b->rows[r] + off, _MM_HINT_T0);
        }
    }
}

TARGET static void avx512_backward(const lt_kblock *b, const float *dS, float *dWt)
{
    int f32 = b->dtype == LT_DTYPE_F32;
    for (size_t d = 0; d < b->D; d += 32) {
        size_t left = b->D - d < 32 ? b->D - d : 32;
        if (BWD_AHEAD && (f32 || d % 64 == 0)) {
            backward_prefetch(b, d + BWD_AHEAD, f32 ? 4 : 1);
        }
        __mmask16 k0 = lanes(left), k1 = left > 16 ? lanes(left - 16) : 0;
        backward_center(b, d, k0, k1, f32);
        backward_tiles(b, dS, dWt, d, k0, k1, left > 16 ? 2 : 1, left < 32);
    }
}

TARGET static void avx512_pack(const float *W, const float *scale, size_t C, size_t ld, size_t lo,
                               size_t hi, float *Wt)
{
    lt_kernel_pack_blocks_avx2(W, scale, C, ld, CB, FWD_CHUNK, lo, hi, Wt);
}

const struct lt_kernel_impl lt_kernel_avx512_impl = {
    "avx512", 64, LT_KERNEL_SHARES, BT, 1, avx512_available, avx512_supports, avx512_scratch,
    avx512_wt_floats, avx512_forward, avx512_backward, avx512_pack, lt_kernel_unpack_avx2,
};

#else /* not x86-64 with GCC or Clang: never available */

static int avx512_available(void)
{
    return 0;
}

const struct lt_kernel_impl lt_kernel_avx512_impl = {
    "avx512", 64, 1, 0, 0, avx512_available, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

#endif
