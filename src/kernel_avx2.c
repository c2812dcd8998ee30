/* kernel_avx2.c — the training kernel's AVX2+FMA implementation, for any number of
 * classes C and uint8 or float32 rows.
 *
 * Compiled for AVX2 and FMA through function attributes, whatever the build's -march,
 * and used only after a runtime check (__builtin_cpu_supports), so one binary runs
 * everywhere. Any D works: the last D mod 8 features take a scalar path, and loads
 * never read past a row.
 *
 * The classes are cut into blocks of at most AVX2_CB = 10 (kernel_impl.h's class
 * blocks: widths differ by one at most, so C = 10 is one block, 17 is 9 + 8, 100 is
 * ten of 10). forward: for each class block, for each chunk of FWD_CHUNK features
 * (the block's weight rows, at most 10 KB, stay in L1), for each row of the block of
 * rows: one accumulator of 8 lanes per class over the chunk, each step one load of 8
 * features (uint8 widened to float, or float) and one FMA per class; a horizontal sum
 * per chunk. The weights are packed block by block and chunk by chunk (the class rows
 * of a chunk 1 KB apart, see lt_kernel_wt_at): with rows a whole 12 KB feature row
 * apart the loop ran 25 % slower in a microbenchmark, and a whole epoch 9 %.
 * backward: for each 16 features and 5 classes, 10 accumulators summed over the
 * block's rows (dL/ds broadcast from memory); then added into dWt. With more than two
 * tiles of classes the 16 features of every row are centered once into the scratch
 * for all of them (with two, C = 10, centering in each tile was faster).
 * Every sum runs in a fixed order, so the result depends only on the inputs; each
 * gradient element is one chain over the rows whatever the tiling, and for C = 10 the
 * scores are summed exactly as by the kernel written for 10 classes alone. */
#include "kernel_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx2,fma")))
/* Inlined into a caller whose w, m, f32 are constants: the loops over classes unroll
 * and the accumulator arrays live in registers. */
#define INLINE TARGET static inline __attribute__((always_inline))
#define CB 10           /* most classes of a forward block */
#define FWD_CHUNK 256   /* features per forward chunk */
#define BT 5            /* classes of a backward tile */

/* Floats of the packing: every class's row stride rounded up to whole chunks. */
static size_t avx2_wt_floats(size_t D, size_t C, size_t ld)
{
    (void)D;
    return lt_kernel_chunked(ld, FWD_CHUNK) * C;
}

static int avx2_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int avx2_supports(size_t C, lt_dtype dtype)
{
    return C >= 1 && (dtype == LT_DTYPE_U8 || dtype == LT_DTYPE_F32);
}

/* The backward's centered features: 16 of each row of a round (by class ranges) or of a
 * block. */
static size_t avx2_scratch(size_t D, size_t C, size_t block_rows)
{
    (void)D, (void)C;
    return 16 * LT_KERNEL_SHARES * block_rows;
}

/* Features d .. d+8 of row x, minus shift[d .. d+8), as 8 floats. */
INLINE __m256 centered8(const void *x, size_t d, const float *shift, int f32)
{
    __m256 v;
    if (f32) {
        v = _mm256_loadu_ps((const float *)x + d);
    } else {
        __m128i bytes = _mm_loadl_epi64((const __m128i *)(const void *)((const uint8_t *)x + d));
        v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    }
    return _mm256_sub_ps(v, _mm256_loadu_ps(shift + d));
}

/* Feature d of row x as a float. */
static inline float feature(const void *x, size_t d, int f32)
{
    return f32 ? ((const float *)x)[d] : (float)((const uint8_t *)x)[d];
}

/* The 8 lane sums of a[0..8) as one vector: lane j = Σ_lanes a[j]. */
INLINE __m256 sum8x8(const __m256 *a)
{
    __m256 h01 = _mm256_hadd_ps(a[0], a[1]);
    __m256 h23 = _mm256_hadd_ps(a[2], a[3]);
    __m256 h45 = _mm256_hadd_ps(a[4], a[5]);
    __m256 h67 = _mm256_hadd_ps(a[6], a[7]);
    __m256 q0 = _mm256_hadd_ps(h01, h23); /* per 128-bit half: a0 a1 a2 a3 */
    __m256 q1 = _mm256_hadd_ps(h45, h67); /* per 128-bit half: a4 a5 a6 a7 */
    __m256 lo = _mm256_permute2f128_ps(q0, q1, 0x20);
    __m256 hi = _mm256_permute2f128_ps(q0, q1, 0x31);
    return _mm256_add_ps(lo, hi);
}

INLINE float sum8(__m256 a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* S[0..w) += Σ_{d<n} t_d·W[j·FWD_CHUNK + d] over one chunk of a row, W the chunk's
 * packed weights of a class block of w classes (n a multiple of 8). The row's next
 * chunk (next, or NULL) is fetched into L2 meanwhile: the rows of a batch are
 * scattered over the data set and come from memory. */
INLINE void forward_chunk(const void *x, const void *next, const float *shift, const float *W,
                          size_t n, float *S, const int w, const int f32)
{
    size_t bytes = f32 ? 4 * n : n;
    for (size_t d = 0; next && d < bytes; d += 64) {
        _mm_prefetch((const char *)next + d, _MM_HINT_T1);
    }
    __m256 a[CB];
#pragma GCC unroll 16
    for (int j = 0; j < w; j++) {
        a[j] = _mm256_setzero_ps();
    }
    for (size_t d = 0; d < n; d += 8) {
        __m256 t = centered8(x, d, shift, f32);
#pragma GCC unroll 16
        for (int j = 0; j < w; j++) {
            a[j] = _mm256_fmadd_ps(t, _mm256_loadu_ps(W + (size_t)j * FWD_CHUNK + d), a[j]);
        }
    }
    int j = 0;
    if (w >= 8) {
        _mm256_storeu_ps(S, _mm256_add_ps(_mm256_loadu_ps(S), sum8x8(a)));
        j = 8;
    }
#pragma GCC unroll 16
    for (; j < w; j++) {
        S[j] += sum8(a[j]);
    }
}

#define FWD_CASE(w, f32) \
    case w: forward_chunk(x, next, shift, W, n, S, w, f32); break

/* forward_chunk for a block of w classes (1 .. CB), compiled for each w. */
TARGET static void forward_chunk_u8(const void *x, const void *next, const float *shift,
                                    const float *W, size_t n, float *S, int w)
{
    switch (w) {
        FWD_CASE(1, 0); FWD_CASE(2, 0); FWD_CASE(3, 0); FWD_CASE(4, 0); FWD_CASE(5, 0);
        FWD_CASE(6, 0); FWD_CASE(7, 0); FWD_CASE(8, 0); FWD_CASE(9, 0); FWD_CASE(10, 0);
        default: break;
    }
}

TARGET static void forward_chunk_f32(const void *x, const void *next, const float *shift,
                                     const float *W, size_t n, float *S, int w)
{
    switch (w) {
        FWD_CASE(1, 1); FWD_CASE(2, 1); FWD_CASE(3, 1); FWD_CASE(4, 1); FWD_CASE(5, 1);
        FWD_CASE(6, 1); FWD_CASE(7, 1); FWD_CASE(8, 1); FWD_CASE(9, 1); FWD_CASE(10, 1);
        default: break;
    }
}

/* The scores of class block [c0, c0 + w) over every row of the block. */
TARGET static void forward_block(const lt_kblock *b, const void *const *rows, int f32, size_t c0,
                                 size_t w, float *S)
{
    size_t D = b->D, C = b->C, D8 = D & ~(size_t)7, esize = f32 ? 4 : 1;
    const float *Wb = b->Wt + c0 * lt_kernel_chunked(b->ld, FWD_CHUNK);
    for (size_t k0 = 0; k0 < D8; k0 += FWD_CHUNK) {
        size_t n = D8 - k0 < FWD_CHUNK ? D8 - k0 : FWD_CHUNK;
        size_t nn = D8 - k0 - n < FWD_CHUNK ? D8 - k0 - n : FWD_CHUNK;
        for (size_t r = 0; r < b->nb; r++) {
            const char *x = (const char *)rows[r] + k0 * esize;
            const void *next = nn > 0 ? x + n * esize : NULL;
            (f32 ? forward_chunk_f32 : forward_chunk_u8)(x, next, b->shift + k0, Wb + k0 * w, n,
                                                          S + r * C + c0, (int)w);
        }
    }
    for (size_t r = 0; r < b->nb && D8 < D; r++) {
        for (size_t j = 0; j < w; j++) {
            float s = 0.0f;
            for (size_t d = D8; d < D; d++) {
                s += (feature(rows[r], d, f32) - b->shift[d]) *
                     Wb[lt_kernel_wt_at(w, FWD_CHUNK, j, d)];
            }
            S[r * C + c0 + j] += s;
        }
    }
}

TARGET static void avx2_forward(const lt_kblock *b, float *S)
{
    const void *const *rows = b->rows;
    int f32 = b->dtype == LT_DTYPE_F32;
    size_t esize = f32 ? 4 : 1, C = b->C;
    memset(S, 0, b->nb * C * sizeof *S);
    for (size_t r = 0; r < b->nb; r++) {
        for (size_t d = 0; d < FWD_CHUNK * esize && d < b->D * esize; d += 64) {
            _mm_prefetch((const char *)rows[r] + d, _MM_HINT_T1);
        }
    }
    size_t nq = lt_kernel_class_blocks(C, CB);
    for (size_t q = 0; q < nq; q++) {
        size_t c0 = lt_kernel_class_lo(C, CB, q);
        forward_block(b, rows, f32, c0, lt_kernel_class_lo(C, CB, q + 1) - c0, S);
    }
}

/* *w = a, or *w += a. */
INLINE void store_or_add(float *w, __m256 a, int accumulate)
{
    _mm256_storeu_ps(w, accumulate ? _mm256_add_ps(_mm256_loadu_ps(w), a) : a);
}

/* dWt[h..h+m)[d..d+8·V) += Σ_r dS[r][h+j]·t_r[d..d+8·V): a tile of V feature vectors
 * by m classes, the classes' dL/ds broadcast from memory. */
INLINE void backward_tile(const lt_kblock *b, const float *dS, float *dWt, size_t d, size_t h,
                          const int m, const int V, const int pre, const int f32)
{
    __m256 a[BT], e[BT]; /* two 1-D arrays: GCC keeps a 2-D one in memory */
#pragma GCC unroll 16
    for (int k = 0; k < m; k++) {
        a[k] = _mm256_setzero_ps();
        e[k] = a[k];
    }
    const float *T = b->scratch;
    for (size_t r = 0; r < b->nb; r++) {
        __m256 t = pre ? _mm256_loadu_ps(T + 16 * r) : centered8(b->rows[r], d, b->shift, f32);
        __m256 u = V == 2 ? (pre ? _mm256_loadu_ps(T + 16 * r + 8)
                                 : centered8(b->rows[r], d + 8, b->shift, f32))
                          : t;
        const float *g = dS + r * b->C + h;
#pragma GCC unroll 16
        for (int k = 0; k < m; k++) {
            __m256 v = _mm256_broadcast_ss(g + k);
            a[k] = _mm256_fmadd_ps(t, v, a[k]);
            if (V == 2) {
                e[k] = _mm256_fmadd_ps(u, v, e[k]);
            }
        }
    }
#pragma GCC unroll 16
    for (int k = 0; k < m; k++) {
        for (int half = 0; half < V; half++) {
            store_or_add(dWt + (h + (size_t)k) * b->ld + d + 8 * (size_t)half,
                         half ? e[k] : a[k], b->accumulate);
        }
    }
}

#define BWD_CASE(m, V, pre, f32) \
    case m: backward_tile(b, dS, dWt, d, h, m, V, pre, f32); break
#define BWD_TILES(V, pre, f32)                                                            \
    BWD_CASE(1, V, pre, f32); BWD_CASE(2, V, pre, f32); BWD_CASE(3, V, pre, f32);         \
    BWD_CASE(4, V, pre, f32); BWD_CASE(5, V, pre, f32)
#define BWD_WIDTHS(V, pre, f32) \
    switch (m) { BWD_TILES(V, pre, f32); default: break; }

/* The tiles of features [d, d + 8·V), the block's classes, compiled for each tile
 * width: over the features backward_center left in the scratch (pre), or centering
 * them in each tile (as for C = 10: two tiles, where converting once was slower). */
TARGET static void backward_tiles(const lt_kblock *b, const float *dS, float *dWt, size_t d,
                                  int V, int pre, int f32)
{
    for (size_t h = b->c0; h < b->c1; h += BT) {
        int m = b->c1 - h < BT ? (int)(b->c1 - h) : BT;
        if (pre) {
            if (V == 2) BWD_WIDTHS(2, 1, 0) else BWD_WIDTHS(1, 1, 0)
        } else if (f32) {
            if (V == 2) BWD_WIDTHS(2, 0, 1) else BWD_WIDTHS(1, 0, 1)
        } else {
            if (V == 2) BWD_WIDTHS(2, 0, 0) else BWD_WIDTHS(1, 0, 0)
        }
    }
}

/* The scratch's row r = features [d, d + 8·V) of row r, centered: converted once for
 * all the class tiles. */
TARGET static void backward_center(const lt_kblock *b, size_t d, int V, int f32)
{
    float *T = b->scratch;
    for (size_t r = 0; r < b->nb; r++) {
        for (int half = 0; half < V; half++) {
            _mm256_storeu_ps(T + 16 * r + 8 * half,
                             centered8(b->rows[r], d + 8 * (size_t)half, b->shift, f32));
        }
    }
}

TARGET static void avx2_backward(const lt_kblock *b, const float *dS, float *dWt)
{
    const void *const *rows = b->rows;
    int f32 = b->dtype == LT_DTYPE_F32;
    size_t D = b->D, C = b->C, D16 = D & ~(size_t)15, D8 = D & ~(size_t)7;
    int pre = b->c1 - b->c0 > 2 * BT;
    for (size_t d = 0; d < D8; d += 16) {
        int V = d < D16 ? 2 : 1;
        if (pre) {
            backward_center(b, d, V, f32);
        }
        backward_tiles(b, dS, dWt, d, V, pre, f32);
    }
    for (size_t d = D8; d < D; d++) {
        for (size_t c = b->c0; c < b->c1; c++) {
            float s = 0.0f;
            for (size_t r = 0; r < b->nb; r++) {
                s += (feature(rows[r], d, f32) - b->shift[d]) * dS[r * C + c];
            }
            float *w = dWt + c * b->ld + d;
            *w = b->accumulate ? *w + s : s;
        }
    }
}

/* The 8 classes [j0, j0 + 8) of block Wb (w classes) for features d .. d+8: W's 8x8
 * tile transposed in registers, scaled. */
INLINE void pack_tile8(const float *W, const float *scale, size_t C, size_t c0, size_t w,
                       size_t chunk, size_t j0, size_t d, float *Wb)
{
    __m256 r[8], s = _mm256_loadu_ps(scale + d);
    for (size_t i = 0; i < 8; i++) {
        r[i] = _mm256_loadu_ps(W + (d + i) * C + c0 + j0);
    }
    lt_kernel_transpose8(r);
    for (size_t j = 0; j < 8; j++) {
        _mm256_storeu_ps(Wb + lt_kernel_wt_at(w, chunk, j0 + j, d), _mm256_mul_ps(r[j], s));
    }
}

TARGET void lt_kernel_pack_blocks_avx2(const float *W, const float *scale, size_t C, size_t ld,
                                       size_t cb, size_t chunk, size_t lo, size_t hi, float *Wt)
{
    size_t nq = lt_kernel_class_blocks(C, cb), d8 = lo + (hi - lo) / 8 * 8;
    for (size_t q = 0; q < nq; q++) {
        size_t c0 = lt_kernel_class_lo(C, cb, q), w = lt_kernel_class_lo(C, cb, q + 1) - c0;
        float *Wb = Wt + c0 * lt_kernel_chunked(ld, chunk);
        for (size_t d = lo; d < d8; d += 8) {
            size_t j = 0;
            for (; j + 8 <= w; j += 8) {
                pack_tile8(W, scale, C, c0, w, chunk, j, d, Wb);
            }
            for (size_t i = 0; j < w && i < 8; i++) {
                const float *row = W + (d + i) * C + c0;
                for (size_t k = j; k < w; k++) {
                    Wb[lt_kernel_wt_at(w, chunk, k, d + i)] = row[k] * scale[d + i];
                }
            }
        }
    }
    lt_kernel_pack_blocks(W, scale, C, ld, cb, chunk, d8, hi, Wt);
}

/* W (D, C) → Wt in lt_kernel_wt_at's packing (lo a multiple of 8, so that no 8
 * features straddle a chunk). */
TARGET static void avx2_pack(const float *W, const float *scale, size_t C, size_t ld, size_t lo,
                             size_t hi, float *Wt)
{
    lt_kernel_pack_blocks_avx2(W, scale, C, ld, CB, FWD_CHUNK, lo, hi, Wt);
}

/* The inverse: the shares summed (in share order), scaled, transposed back 8 features
 * by 8 classes at a time, the last C mod 8 classes one by one. */
TARGET void lt_kernel_unpack_avx2(const float *const *dWt, size_t nt, const float *scale,
                                  size_t C, size_t ld, size_t lo, size_t hi, float *grad)
{
    size_t d = lo;
    for (; d + 8 <= hi; d += 8) {
        __m256 s = _mm256_loadu_ps(scale + d);
        for (size_t c0 = 0; c0 < C; c0 += 8) {
            size_t w = C - c0 < 8 ? C - c0 : 8;
            __m256 r[8];
            for (size_t j = 0; j < w; j++) {
                __m256 v = _mm256_loadu_ps(dWt[0] + (c0 + j) * ld + d);
                for (size_t t = 1; t < nt; t++) {
                    v = _mm256_add_ps(v, _mm256_loadu_ps(dWt[t] + (c0 + j) * ld + d));
                }
                r[j] = _mm256_mul_ps(v, s);
            }
            float *g = grad + d * C + c0;
            if (w == 8) {
                lt_kernel_transpose8(r);
                for (size_t i = 0; i < 8; i++) {
                    _mm256_storeu_ps(g + C * i, r[i]);
                }
                continue;
            }
            float tail[8][8];
            for (size_t j = 0; j < w; j++) {
                _mm256_storeu_ps(tail[j], r[j]);
            }
            for (size_t i = 0; i < 8; i++) {
                for (size_t j = 0; j < w; j++) {
                    g[C * i + j] = tail[j][i];
                }
            }
        }
    }
    lt_kernel_unpack_any(dWt, nt, scale, C, ld, d, hi, grad);
}

const struct lt_kernel_impl lt_kernel_avx2_impl = {
    "avx2", 64, LT_KERNEL_SHARES, BT, 0, avx2_available, avx2_supports, avx2_scratch,
    avx2_wt_floats, avx2_forward, avx2_backward, avx2_pack, lt_kernel_unpack_avx2,
};

#else /* not x86-64 with GCC or Clang: never available */

static int avx2_available(void)
{
    return 0;
}

const struct lt_kernel_impl lt_kernel_avx2_impl = {"avx2", 64, 1, 0, 0, avx2_available, NULL,
                                                   NULL, NULL, NULL, NULL, NULL, NULL};

#endif
