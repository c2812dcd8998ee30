/* kernel_avx2.c — the training kernel's AVX2+FMA implementation for C = 10 classes.
 *
 * Compiled for AVX2 and FMA through function attributes, whatever the build's -march,
 * and used only after a runtime check (__builtin_cpu_supports), so one binary runs
 * everywhere. Shapes are those of CIFAR-10 (C = 10, D = 3072) but any D works: the
 * last D mod 8 features take a scalar path, and loads never read past a row.
 *
 * forward: for each chunk of FWD_CHUNK features (its 10 weight rows, 10 KB, stay in
 * L1), for each row of the block: 10 accumulators of 8 lanes over the chunk, each
 * step one uint8→float conversion and 10 FMAs; a horizontal sum per chunk. The weights
 * are packed chunk by chunk (the 10 rows of a chunk 1 KB apart, see WT_AT): with rows
 * a whole 12 KB feature row apart the loop ran 25 % slower in a microbenchmark, and a
 * whole epoch 9 %.
 * backward: for each 16 features and 5 classes, 10 accumulators summed over the
 * block's rows (dL/ds broadcast from memory); then added into dWt.
 * Every sum runs in a fixed order, so the result depends only on the inputs. */
#include "kernel_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx2,fma")))
#define NC 10          /* classes */
#define FWD_CHUNK 256  /* features per forward chunk */
#define ROW(b, r) ((const uint8_t *)(b)->rows[r]) /* uint8 rows only (avx2_supports) */

/* Where Wt[c][d] lives in this implementation's packing: chunk after chunk of
 * FWD_CHUNK features, the chunk's 10 class rows one after the other. */
#define WT_AT(Wt, c, d) \
    ((Wt) + ((d) / FWD_CHUNK) * NC * FWD_CHUNK + (size_t)(c) * FWD_CHUNK + (d) % FWD_CHUNK)

/* Floats of that packing: D rounded up to whole chunks. */
static size_t avx2_wt_floats(size_t D, size_t C, size_t ld)
{
    (void)C, (void)ld;
    return (D + FWD_CHUNK - 1) / FWD_CHUNK * FWD_CHUNK * NC;
}

static int avx2_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int avx2_supports(size_t C, lt_dtype dtype)
{
    return C == NC && dtype == LT_DTYPE_U8;
}

/* No workspace: dL/ds is broadcast straight from the block's scores. */
static size_t avx2_scratch(size_t D, size_t C, size_t block_rows)
{
    (void)D, (void)C, (void)block_rows;
    return 1;
}

/* t = x[0..8) - shift[0..8) as 8 floats. */
TARGET static inline __m256 centered8(const uint8_t *x, const float *shift)
{
    __m128i bytes = _mm_loadl_epi64((const __m128i *)(const void *)x);
    __m256 xf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    return _mm256_sub_ps(xf, _mm256_loadu_ps(shift));
}

/* The 8 lane sums of a[0..8) as one vector: lane j = Σ_lanes a[j]. */
TARGET static inline __m256 sum8x8(const __m256 *a)
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

TARGET static inline float sum8(__m256 a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The 10 accumulators are named variables, not an array: GCC at -O2 keeps an array
 * of vectors in memory when the loop over it is not unrolled. */
#define ACC_ZERO(a) __m256 a##0 = _mm256_setzero_ps(), a##1 = a##0, a##2 = a##0, a##3 = a##0, \
    a##4 = a##0, a##5 = a##0, a##6 = a##0, a##7 = a##0, a##8 = a##0, a##9 = a##0
/* a_c += t·src[c·stride .. +8) for c in 0..9 */
#define ACC_FMA10(a, t, src, stride)                                            \
    do {                                                                          \
        a##0 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 0 * (stride)), a##0); \
        a##1 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 1 * (stride)), a##1); \
        a##2 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 2 * (stride)), a##2); \
        a##3 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 3 * (stride)), a##3); \
        a##4 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 4 * (stride)), a##4); \
        a##5 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 5 * (stride)), a##5); \
        a##6 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 6 * (stride)), a##6); \
        a##7 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 7 * (stride)), a##7); \
        a##8 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 8 * (stride)), a##8); \
        a##9 = _mm256_fmadd_ps((t), _mm256_loadu_ps((src) + 9 * (stride)), a##9); \
    } while (0)

/* S[0..10) += Σ_{d<n} t_d·W[c·FWD_CHUNK + d] over one row chunk, W the chunk's packed
 * weights (n a multiple of 8). The
 * row's next chunk (next, or NULL) is fetched into L2 meanwhile: the rows of a batch
 * are scattered over the data set and come from memory. */
TARGET static void forward_chunk(const uint8_t *x, const uint8_t *next, const float *shift,
                                 const float *W, size_t n, float *S)
{
    for (size_t d = 0; next && d < n; d += 64) {
        _mm_prefetch((const char *)next + d, _MM_HINT_T1);
    }
    ACC_ZERO(a);
    for (size_t d = 0; d < n; d += 8) {
        __m256 t = centered8(x + d, shift + d);
        ACC_FMA10(a, t, W + d, FWD_CHUNK);
    }
    __m256 first8[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
    _mm256_storeu_ps(S, _mm256_add_ps(_mm256_loadu_ps(S), sum8x8(first8)));
    S[8] += sum8(a8);
    S[9] += sum8(a9);
}

TARGET static void avx2_forward(const lt_kblock *b, float *S)
{
    size_t D = b->D, D8 = D & ~(size_t)7;
    memset(S, 0, b->nb * NC * sizeof *S);
    for (size_t r = 0; r < b->nb; r++) {
        for (size_t d = 0; d < FWD_CHUNK && d < D; d += 64) {
            _mm_prefetch((const char *)ROW(b, r) + d, _MM_HINT_T1);
        }
    }
    for (size_t k0 = 0; k0 < D8; k0 += FWD_CHUNK) {
        size_t n = D8 - k0 < FWD_CHUNK ? D8 - k0 : FWD_CHUNK;
        size_t nn = D8 - k0 - n < FWD_CHUNK ? D8 - k0 - n : FWD_CHUNK;
        for (size_t r = 0; r < b->nb; r++) {
            const uint8_t *x = ROW(b, r) + k0;
            forward_chunk(x, nn > 0 ? x + n : NULL, b->shift + k0, WT_AT(b->Wt, 0, k0), n,
                          S + r * NC);
        }
    }
    for (size_t r = 0; r < b->nb && D8 < D; r++) {
        for (int c = 0; c < NC; c++) {
            float s = 0.0f;
            for (size_t d = D8; d < D; d++) {
                s += ((float)ROW(b, r)[d] - b->shift[d]) * *WT_AT(b->Wt, c, d);
            }
            S[r * NC + (size_t)c] += s;
        }
    }
}

/* *w = a, or *w += a. */
TARGET static inline void store_or_add(float *w, __m256 a, int accumulate)
{
    _mm256_storeu_ps(w, accumulate ? _mm256_add_ps(_mm256_loadu_ps(w), a) : a);
}

/* a<i> += t·dS[k] and a<j> += u·dS[k], class k's dL/ds broadcast once. */
#define FMA_CLASS(k, i, j) \
    (v = _mm256_broadcast_ss(g + (k)), a##i = _mm256_fmadd_ps(t, v, a##i), \
     a##j = _mm256_fmadd_ps(u, v, a##j))

/* dWt[h..h+5][d..d+16) += Σ_r dS[r][h+j]·t_r[d..d+16): a tile of 2 feature vectors by
 * 5 classes (10 accumulators), the classes' dL/ds broadcast from memory. */
TARGET static void backward_tile16(const lt_kblock *b, const float *dS, float *dWt, size_t d,
                                   size_t h)
{
    __m256 s0 = _mm256_loadu_ps(b->shift + d), s1 = _mm256_loadu_ps(b->shift + d + 8);
    ACC_ZERO(a);
    for (size_t r = 0; r < b->nb; r++) {
        const uint8_t *x = ROW(b, r) + d;
        __m256 t = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                                     _mm_loadl_epi64((const __m128i *)(const void *)x))), s0);
        __m256 u = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                                     _mm_loadl_epi64((const __m128i *)(const void *)(x + 8)))), s1);
        const float *g = dS + r * NC + h;
        __m256 v;
        FMA_CLASS(0, 0, 1);
        FMA_CLASS(1, 2, 3);
        FMA_CLASS(2, 4, 5);
        FMA_CLASS(3, 6, 7);
        FMA_CLASS(4, 8, 9);
    }
    __m256 acc[10] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9};
    for (size_t j = 0; j < 5; j++) {
        for (size_t half = 0; half < 2; half++) {
            store_or_add(dWt + (h + j) * b->ld + d + 8 * half, acc[2 * j + half], b->accumulate);
        }
    }
}

/* dWt[0..10)[d..d+8) += Σ_r dS[r][c]·t_r[d..d+8): one feature vector by 10 classes. */
TARGET static void backward_tile8(const lt_kblock *b, const float *dS, float *dWt, size_t d)
{
    ACC_ZERO(a);
    for (size_t r = 0; r < b->nb; r++) {
        __m256 t = centered8(ROW(b, r) + d, b->shift + d);
        const float *g = dS + r * NC;
        a0 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 0), a0);
        a1 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 1), a1);
        a2 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 2), a2);
        a3 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 3), a3);
        a4 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 4), a4);
        a5 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 5), a5);
        a6 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 6), a6);
        a7 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 7), a7);
        a8 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 8), a8);
        a9 = _mm256_fmadd_ps(t, _mm256_broadcast_ss(g + 9), a9);
    }
    __m256 acc[NC] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9};
    for (size_t c = 0; c < NC; c++) {
        store_or_add(dWt + c * b->ld + d, acc[c], b->accumulate);
    }
}

TARGET static void avx2_backward(const lt_kblock *b, const float *dS, float *dWt)
{
    size_t D = b->D, D16 = D & ~(size_t)15, D8 = D & ~(size_t)7;
    for (size_t d = 0; d < D16; d += 16) {
        backward_tile16(b, dS, dWt, d, 0);
        backward_tile16(b, dS, dWt, d, 5);
    }
    if (D8 > D16) {
        backward_tile8(b, dS, dWt, D16);
    }
    for (size_t d = D8; d < D; d++) {
        for (size_t c = 0; c < NC; c++) {
            float s = 0.0f;
            for (size_t r = 0; r < b->nb; r++) {
                s += ((float)ROW(b, r)[d] - b->shift[d]) * dS[r * NC + c];
            }
            float *w = dWt + c * b->ld + d;
            *w = b->accumulate ? *w + s : s;
        }
    }
}

/* Transposes the 8x8 block r[0..8) in place: afterwards r[j][i] is the old r[i][j]. */
TARGET static inline void transpose8(__m256 *r)
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

/* W (D, 10) → Wt in WT_AT's packing, a block of 8 features at a time (blocks never
 * straddle a chunk): classes 0..7 by an 8x8 register transpose, 8 and 9 one by one. */
TARGET static void avx2_pack(const float *W, const float *scale, size_t C, size_t ld, size_t lo,
                             size_t hi, float *Wt)
{
    (void)C, (void)ld;
    size_t d = lo;
    for (; d + 8 <= hi; d += 8) {
        const float *w = W + d * NC;
        __m256 r[8];
        for (int i = 0; i < 8; i++) {
            r[i] = _mm256_loadu_ps(w + NC * i);
        }
        transpose8(r);
        __m256 s = _mm256_loadu_ps(scale + d);
        for (size_t j = 0; j < 8; j++) {
            _mm256_storeu_ps(WT_AT(Wt, j, d), _mm256_mul_ps(r[j], s));
        }
        for (size_t i = 0; i < 8; i++) {
            *WT_AT(Wt, 8, d + i) = w[NC * i + 8] * scale[d + i];
            *WT_AT(Wt, 9, d + i) = w[NC * i + 9] * scale[d + i];
        }
    }
    for (; d < hi; d++) {
        for (size_t j = 0; j < NC; j++) {
            *WT_AT(Wt, j, d) = W[d * NC + j] * scale[d];
        }
    }
}

/* The inverse: the threads' shares summed (in thread order), scaled, transposed back. */
TARGET static void avx2_unpack(const float *const *dWt, size_t nt, const float *scale, size_t C,
                               size_t ld, size_t lo, size_t hi, float *grad)
{
    size_t d = lo;
    for (; d + 8 <= hi; d += 8) {
        __m256 s = _mm256_loadu_ps(scale + d);
        __m256 r[NC];
        for (size_t j = 0; j < NC; j++) {
            __m256 v = _mm256_loadu_ps(dWt[0] + j * ld + d);
            for (size_t t = 1; t < nt; t++) {
                v = _mm256_add_ps(v, _mm256_loadu_ps(dWt[t] + j * ld + d));
            }
            r[j] = _mm256_mul_ps(v, s);
        }
        float tail[2][8];
        _mm256_storeu_ps(tail[0], r[8]);
        _mm256_storeu_ps(tail[1], r[9]);
        transpose8(r);
        float *g = grad + d * NC;
        for (size_t i = 0; i < 8; i++) {
            _mm256_storeu_ps(g + NC * i, r[i]);
            g[NC * i + 8] = tail[0][i];
            g[NC * i + 9] = tail[1][i];
        }
    }
    lt_kernel_unpack_any(dWt, nt, scale, C, ld, d, hi, grad);
}

const struct lt_kernel_impl lt_kernel_avx2_impl = {
    "avx2", 64, LT_KERNEL_SHARES, avx2_available, avx2_supports, avx2_scratch, avx2_wt_floats,
    avx2_forward, avx2_backward, avx2_pack, avx2_unpack,
};

#else /* not x86-64 with GCC or Clang: never available */

static int avx2_available(void)
{
    return 0;
}

const struct lt_kernel_impl lt_kernel_avx2_impl = {"avx2", 64, 1, avx2_available, NULL, NULL, NULL,
                                                   NULL, NULL, NULL, NULL};

#endif
