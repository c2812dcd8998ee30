/* kernel.c — the training kernel's driver, its implementation table, and the portable
 * and sgemm implementations (kernel_avx2.c and kernel_avx512.c hold the SIMD ones).
 *
 * One call (lt_kernel_loss_grad / lt_kernel_scores) over n rows, three runs of the pool:
 *   pack     Wt[c][d] = scale[d]·W[d][c], one range of features per thread
 *   shares   S = min(n, impl->shares) tasks: share s is rows n·s/S .. n·(s+1)/S, in
 *            blocks: gather row pointers and labels, forward, + b, accuracy count,
 *            loss and dL/ds (the loss table's sum_and_grad, mean scale 1/n), db,
 *            backward into the share's own dWt
 *   unpack   grad[d][c] = scale[d]·Σ_s dWt_s[c][d] in share order, by feature ranges
 * Above LT_KERNEL_CLASS_SPLIT classes, with an implementation that has a class_tile,
 * the rows go in rounds of n_shares · block_rows: the shares of a round write its row
 * pointers and dL/ds to one buffer and do no backward; then one part per thread takes
 * a range of class tiles and sums it over all the round's rows into the one dWt (the
 * round after the first adds to it; the last writes grad itself where the
 * implementation can, else unpack reads the one dWt). Calls without a gradient run the
 * same rounds and shares, so the loss is summed the same way.
 * The loss is summed in double per block, then over shares and rounds in order. The
 * shares and rounds, and so every sum, depend on n alone: results are the same bits
 * whatever the number of threads and whichever thread runs which share. */
#include "lintrain/kernel.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_impl.h"

/* What one thread works in (whatever share it runs). */
struct lt_kernel_thread {
    const void **rows;     /* (block_rows) row pointers of the current block */
    uint16_t *y;           /* (block_rows) their labels */
    float *S;              /* (block_rows, C) scores, then dL/ds */
    float *scratch;        /* the implementation's */
};

/* What one share of a call's rows adds up. */
struct lt_kernel_share {
    float *dWt;            /* (C, ld) the share's part of the weight gradient */
    float *db;             /* (C) of the bias gradient */
    double loss;           /* Σ L_i over its rows */
    size_t correct;
};

/* ---- plain-C pack and unpack, for any C ------------------------------------------ */

void lt_kernel_pack_any(const float *W, const float *scale, size_t C, size_t ld, size_t lo,
                        size_t hi, float *Wt)
{
    for (size_t d = lo; d < hi; d++) {
        for (size_t j = 0; j < C; j++) {
            Wt[j * ld + d] = W[d * C + j] * scale[d];
        }
    }
}

void lt_kernel_unpack_any(const float *const *dWt, size_t nt, const float *scale, size_t C,
                          size_t ld, size_t lo, size_t hi, float *grad)
{
    for (size_t d = lo; d < hi; d++) {
        for (size_t j = 0; j < C; j++) {
            float s = dWt[0][j * ld + d];
            for (size_t t = 1; t < nt; t++) {
                s += dWt[t][j * ld + d];
            }
            grad[d * C + j] = s * scale[d];
        }
    }
}

void lt_kernel_pack_blocks(const float *W, const float *scale, size_t C, size_t ld, size_t cb,
                           size_t chunk, size_t lo, size_t hi, float *Wt)
{
    size_t nq = lt_kernel_class_blocks(C, cb);
    for (size_t q = 0; q < nq; q++) {
        size_t c0 = lt_kernel_class_lo(C, cb, q), w = lt_kernel_class_lo(C, cb, q + 1) - c0;
        float *Wb = Wt + c0 * lt_kernel_chunked(ld, chunk);
        for (size_t d = lo; d < hi; d++) {
            for (size_t j = 0; j < w; j++) {
                Wb[lt_kernel_wt_at(w, chunk, j, d)] = W[d * C + c0 + j] * scale[d];
            }
        }
    }
}

/* ---- portable: plain C, any C ----------------------------------------------------- */

#define PORTABLE_CHUNK 256  /* features converted at once */

static int always(void)
{
    return 1;
}

static int any_classes(size_t C, lt_dtype dtype)
{
    (void)dtype;
    return C >= 1;
}

/* One chunk of centered features. */
static size_t portable_scratch(size_t D, size_t C, size_t block_rows)
{
    (void)D, (void)C, (void)block_rows;
    return PORTABLE_CHUNK;
}

/* t = features [k0, k0 + n) of row r of the block, minus the shift. */
static void center(const lt_kblock *b, size_t r, size_t k0, size_t n, float *t)
{
    const float *shift = b->shift + k0;
    if (b->dtype == LT_DTYPE_F32) {
        const float *x = (const float *)b->rows[r] + k0;
        for (size_t d = 0; d < n; d++) {
            t[d] = x[d] - shift[d];
        }
        return;
    }
    const uint8_t *x = (const uint8_t *)b->rows[r] + k0;
    for (size_t d = 0; d < n; d++) {
        t[d] = (float)x[d] - shift[d];
    }
}

static void portable_forward(const lt_kblock *b, float *S)
{
    size_t D = b->D, C = b->C;
    float *t = b->scratch;
    memset(S, 0, b->nb * C * sizeof *S);
    for (size_t r = 0; r < b->nb; r++) {
        for (size_t k0 = 0; k0 < D; k0 += PORTABLE_CHUNK) {
            size_t n = D - k0 < PORTABLE_CHUNK ? D - k0 : PORTABLE_CHUNK;
            center(b, r, k0, n, t);
            for (size_t c = 0; c < C; c++) {
                const float *w = b->Wt + c * b->ld + k0;
                float s = 0.0f;
                for (size_t d = 0; d < n; d++) {
                    s += t[d] * w[d];
                }
                S[r * C + c] += s;
            }
        }
    }
}

static void portable_backward(const lt_kblock *b, const float *dS, float *dWt)
{
    size_t D = b->D, C = b->C;
    float *t = b->scratch;
    for (size_t c = b->c0; !b->accumulate && c < b->c1; c++) {
        memset(dWt + c * b->ld, 0, D * sizeof *dWt);
    }
    for (size_t r = 0; r < b->nb; r++) {
        for (size_t k0 = 0; k0 < D; k0 += PORTABLE_CHUNK) {
            size_t n = D - k0 < PORTABLE_CHUNK ? D - k0 : PORTABLE_CHUNK;
            center(b, r, k0, n, t);
            for (size_t c = b->c0; c < b->c1; c++) {
                float g = dS[r * C + c];
                float *w = dWt + c * b->ld + k0;
                for (size_t d = 0; d < n; d++) {
                    w[d] += g * t[d];
                }
            }
        }
    }
}

/* ---- sgemm: the block converted to float, OpenBLAS for both products ------------- */

/* The block's centered features, (block_rows, D). */
static size_t sgemm_scratch(size_t D, size_t C, size_t block_rows)
{
    (void)C;
    return block_rows * D;
}

static void sgemm_forward(const lt_kblock *b, float *S)
{
    for (size_t r = 0; r < b->nb; r++) {
        center(b, r, 0, b->D, b->scratch + r * b->D);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b->nb, (int)b->C, (int)b->D, 1.0f,
                b->scratch, (int)b->D, b->Wt, (int)b->ld, 0.0f, S, (int)b->C);
}

/* Reuses the features forward left in scratch. */
static void sgemm_backward(const lt_kblock *b, const float *dS, float *dWt)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(b->c1 - b->c0), (int)b->D,
                (int)b->nb, 1.0f, dS + b->c0, (int)b->C, b->scratch, (int)b->D,
                b->accumulate ? 1.0f : 0.0f, dWt + b->c0 * b->ld, (int)b->ld);
}

/* Wt as (C, ld). */
static size_t rows_of_ld(size_t D, size_t C, size_t ld)
{
    (void)D;
    return C * ld;
}

static const struct lt_kernel_impl portable_impl = {
    "portable", 64, LT_KERNEL_SHARES, 0, 0, always, any_classes, portable_scratch, rows_of_ld,
    portable_forward, portable_backward, lt_kernel_pack_any, lt_kernel_unpack_any,
};

/* One share: OpenBLAS threads each product itself. */
static const struct lt_kernel_impl sgemm_impl = {
    "sgemm", 1024, 1, 0, 0, always, any_classes, sgemm_scratch, rows_of_ld, sgemm_forward,
    sgemm_backward, lt_kernel_pack_any, lt_kernel_unpack_any,
};

/* ---- the table ------------------------------------------------------------------- */

static const char *const NAMES[] = {"auto", "avx512", "avx2", "portable", "sgemm"};
#define N_NAMES (sizeof NAMES / sizeof NAMES[0])

const char *lt_kernel_name_at(size_t i)
{
    return i < N_NAMES ? NAMES[i] : NULL;
}

/* What "auto" runs: the first of these the CPU can run and that handles C and dtype
 * (measured fastest first; docs/performance.md). */
static const struct lt_kernel_impl *const AUTO_ORDER[] = {
    &lt_kernel_avx512_impl, &lt_kernel_avx2_impl, &portable_impl,
};

/* The implementation named name (auto: the fastest this CPU runs for C classes of
 * dtype rows), or NULL. */
static const struct lt_kernel_impl *find_impl(const char *name, size_t C, lt_dtype dtype)
{
    if (strcmp(name, "auto") == 0) {
        size_t i = 0;
        while (!AUTO_ORDER[i]->available() || !AUTO_ORDER[i]->supports(C, dtype)) {
            i++;
        }
        return AUTO_ORDER[i];
    }
    const struct lt_kernel_impl *all[] = {&lt_kernel_avx512_impl, &lt_kernel_avx2_impl,
                                          &portable_impl, &sgemm_impl};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, all[i]->name) == 0) {
            return all[i];
        }
    }
    return NULL;
}

int lt_kernel_available(const char *name)
{
    const struct lt_kernel_impl *impl = find_impl(name, 10, LT_DTYPE_U8);
    return impl && impl->available();
}

const char *lt_kernel_name(const lt_kernel *k)
{
    return k->impl->name;
}

/* ---- create / free ---------------------------------------------------------------- */

#define ALIGN 64 /* a cache line: a 32-byte load from an aligned row never straddles two */

/* count zeroed floats aligned to ALIGN, or NULL with err filled. Free with free(). */
static float *alloc_floats(size_t count, const char *what, lt_error *err)
{
    size_t bytes;
    if (lt_size_mul(count ? count : 1, sizeof(float), &bytes) != 0 || bytes > SIZE_MAX - ALIGN) {
        lt_fail(err, LT_ERR, "out of memory: %s (%zu floats)", what, count);
        return NULL;
    }
    bytes = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    float *p = aligned_alloc(ALIGN, bytes);
    if (!p) {
        lt_fail(err, LT_ERR, "out of memory: %s (%zu bytes)", what, bytes);
        return NULL;
    }
    memset(p, 0, bytes);
    return p;
}

/* Row stride of Wt and dWt: D rounded up to a cache line, plus one line, so that the C
 * rows read together do not sit a multiple of 4 KB apart (D = 3072 floats is exactly
 * 12 KB): rows that far apart share L1 sets, and 10 of them overflow its 8 ways. */
static size_t padded_stride(size_t D)
{
    return (D + 15) / 16 * 16 + 16;
}

/* Rows of a block: as many as fit KERNEL_L2_BUDGET bytes (the rows stay in a core's L2
 * between forward and backward; with float32 rows of 6,400 features, 64 rows were 1.6
 * MB), at least 8 and at most the implementation's. From D and dtype alone, never the
 * machine's cache: the blocks fix the order of the sums, so the same bits everywhere.
 * 512 KB (20 rows of 6,400 floats): an epoch of 49,000 such rows at batch 256 took 0.85x
 * the CPU time of 32-row blocks with avx512, 0.87x with avx2; 256 and 768 KB were no
 * faster than 32 rows (docs/performance.md). */
#define KERNEL_L2_BUDGET (512 * 1024)

static size_t block_rows_for(const struct lt_kernel_impl *impl, size_t D, lt_dtype dtype)
{
    if (impl == &sgemm_impl) { /* converts whole blocks to float for OpenBLAS: big ones */
        return impl->block_rows;
    }
    size_t bytes = D * lt_dtype_size(dtype), rows = bytes ? KERNEL_L2_BUDGET / bytes : 0;
    rows = rows < 8 ? 8 : rows;
    return rows < impl->block_rows ? rows : impl->block_rows;
}

static lt_status thread_create(lt_kernel_thread *th, const lt_kernel *k, lt_error *err)
{
    size_t rows = k->block_rows;
    th->rows = lt_calloc(rows, sizeof *th->rows, "kernel rows", err);
    th->y = lt_calloc(rows, sizeof *th->y, "kernel labels", err);
    th->S = lt_calloc(rows * k->C, sizeof *th->S, "kernel scores", err);
    th->scratch = lt_calloc(k->impl->scratch_floats(k->D, k->C, rows), sizeof(float),
                            "kernel workspace", err);
    return th->rows && th->y && th->S && th->scratch ? LT_OK : LT_ERR;
}

static void thread_free(lt_kernel_thread *th)
{
    free(th->rows);
    free(th->y);
    free(th->S);
    free(th->scratch);
}

/* Share s's sums: a gradient of its own, unless the backward runs by class ranges (one
 * gradient, share 0's). */
static lt_status share_create(lt_kernel_share *sh, size_t s, const lt_kernel *k, size_t nwt,
                              lt_error *err)
{
    sh->dWt = s == 0 || !k->by_class ? alloc_floats(nwt, "kernel gradient", err) : NULL;
    sh->db = lt_calloc(k->C, sizeof *sh->db, "kernel gradient", err);
    return (sh->dWt || s > 0) && sh->db ? LT_OK : LT_ERR;
}

/* The threads' workspaces, the shares' sums and, by class ranges, the round's rows. */
static lt_status work_create(lt_kernel *k, size_t nwt, lt_error *err)
{
    k->th = lt_calloc(k->n_threads, sizeof *k->th, "kernel threads", err);
    k->sh = lt_calloc(k->n_shares, sizeof *k->sh, "kernel shares", err);
    if (!k->th || !k->sh) {
        return LT_ERR;
    }
    lt_status st = LT_OK;
    for (size_t t = 0; st == LT_OK && t < k->n_threads; t++) {
        st = thread_create(&k->th[t], k, err);
    }
    for (size_t s = 0; st == LT_OK && s < k->n_shares; s++) {
        st = share_create(&k->sh[s], s, k, nwt, err);
    }
    if (st != LT_OK || !k->by_class) {
        return st;
    }
    k->rrows = lt_calloc(k->round_rows, sizeof *k->rrows, "kernel rows", err);
    k->rS = lt_calloc(k->round_rows * k->C, sizeof *k->rS, "kernel scores", err);
    return k->rrows && k->rS ? LT_OK : LT_ERR;
}

static void share_free(lt_kernel_share *sh)
{
    free(sh->dWt);
    free(sh->db);
}

lt_status lt_kernel_create(lt_kernel *k, const char *name, size_t D, size_t C, lt_dtype dtype,
                           size_t threads, const float *shift, const float *scale, lt_error *err)
{
    memset(k, 0, sizeof *k);
    const struct lt_kernel_impl *impl = find_impl(name, C, dtype);
    if (!impl) {
        return lt_fail(err, LT_ECONFIG, "train.kernel: unknown \"%s\"", name);
    }
    if (!impl->available()) {
        return lt_fail(err, LT_ECONFIG, "train.kernel: \"%s\" needs a CPU with %s; this one "
                       "lacks them (use \"auto\")", name,
                       impl == &lt_kernel_avx2_impl ? "AVX2 and FMA" : "AVX-512 (F, BW, VL, DQ)");
    }
    if (!impl->supports(C, dtype)) {
        return lt_fail(err, LT_ECONFIG, "train.kernel: \"%s\" does not handle %zu classes "
                       "of %s values (use \"auto\")", name, C,
                       dtype == LT_DTYPE_F32 ? "float32" : "uint8");
    }
    if (threads == 0) {
        threads = lt_pool_cpus();
    }
    k->impl = impl;
    k->D = D;
    k->C = C;
    k->dtype = dtype;
    k->ld = padded_stride(D);
    k->block_rows = block_rows_for(impl, D, dtype);
    k->threads = threads;
    /* One threading model: OpenBLAS's threads for sgemm, else lintrain's pool. */
    int sgemm = impl == &sgemm_impl;
    openblas_set_num_threads(sgemm ? (int)threads : 1);
    lt_status st = lt_pool_create(&k->pool, sgemm ? 1 : threads, err);
    if (st != LT_OK) {
        return st;
    }
    size_t nwt;
    if (lt_size_mul(C, k->ld, &nwt) != 0) {
        lt_kernel_free(k);
        return lt_fail(err, LT_ERR, "kernel: %zu x %zu weights overflow", C, D);
    }
    k->n_threads = k->pool.n;
    k->n_shares = impl->shares;
    k->by_class = impl->class_tile > 0 && C > LT_KERNEL_CLASS_SPLIT;
    k->round_rows = k->by_class ? k->n_shares * k->block_rows : 0;
    if ((st = work_create(k, nwt, err)) != LT_OK) {
        lt_kernel_free(k);
        return st;
    }
    k->Wt = alloc_floats(impl->wt_floats(D, C, k->ld), "kernel weights", err);
    k->shift = alloc_floats(D, "kernel preprocessing", err);
    k->scale = alloc_floats(D, "kernel preprocessing", err);
    if (!k->Wt || !k->shift || !k->scale) {
        lt_kernel_free(k);
        return LT_ERR;
    }
    memcpy(k->shift, shift, D * sizeof *shift);
    memcpy(k->scale, scale, D * sizeof *scale);
    return LT_OK;
}

void lt_kernel_free(lt_kernel *k)
{
    if (!k) {
        return;
    }
    lt_pool_free(&k->pool);
    for (size_t t = 0; k->th && t < k->n_threads; t++) {
        thread_free(&k->th[t]);
    }
    for (size_t s = 0; k->sh && s < k->n_shares; s++) {
        share_free(&k->sh[s]);
    }
    free(k->th);
    free(k->sh);
    free(k->rrows);
    free(k->rS);
    free(k->Wt);
    free(k->shift);
    free(k->scale);
    memset(k, 0, sizeof *k);
}

/* ---- one call ------------------------------------------------------------------- */

typedef struct {
    lt_kernel *k;
    const lt_model *m;
    const lt_loss *loss;
    double margin;
    const lt_rows *rows;
    float *grad;     /* NULL: no gradient */
    float *scores;   /* non-NULL: scores only, written here */
    size_t r0, rn;   /* the current round: rows [r0, r0 + rn) */
    double loss_sum; /* Σ L_i over the rounds so far */
    size_t correct;
} call;

/* The shares of a round of n rows: at most the implementation's, none empty. (A
 * batch of 256 rows makes 8 shares of 32: measured a little faster than 4 of 64, whose
 * rows do not stay in L2 as well between forward and backward.) */
static size_t n_shares(const lt_kernel *k, size_t n)
{
    return n < k->n_shares ? n : k->n_shares;
}

/* Gathers the row pointers and labels of rows [first, first + nb) of the call. */
static void gather(const lt_rows *rows, size_t D, size_t first, size_t nb, const void **ptr,
                   uint16_t *y)
{
    size_t bytes = D * lt_dtype_size(rows->dtype);
    for (size_t r = 0; r < nb; r++) {
        size_t rec = rows->idx ? rows->idx[first + r] : rows->start + first + r;
        ptr[r] = (const uint8_t *)rows->x + rec * bytes;
        y[r] = rows->labels ? rows->labels[rec] : 0;
    }
}

/* S (nb, C) += b; db += Σ_r dS[r] (dS non-NULL). */
static void add_bias(float *S, const float *b, size_t nb, size_t C)
{
    for (size_t r = 0; r < nb; r++) {
        for (size_t j = 0; j < C; j++) {
            S[r * C + j] += b[j];
        }
    }
}

static void sum_db(const float *dS, size_t nb, size_t C, float *db)
{
    for (size_t r = 0; r < nb; r++) {
        for (size_t j = 0; j < C; j++) {
            db[j] += dS[r * C + j];
        }
    }
}

/* Share `task` of the round, on thread `thread`'s workspace: by class ranges, the
 * scores and dL/ds go to the round's buffer, for class_job. */
static void share_job(void *ctx, size_t task, size_t thread)
{
    const call *c = ctx;
    const lt_kernel *k = c->k;
    lt_kernel_thread *th = &k->th[thread];
    lt_kernel_share *sh = &k->sh[task];
    size_t C = k->C, S = n_shares(k, c->rn);
    size_t lo = c->r0 + c->rn * task / S, hi = c->r0 + c->rn * (task + 1) / S;
    sh->loss = 0.0;
    sh->correct = 0;
    memset(sh->db, 0, C * sizeof *sh->db);
    double scale = 1.0 / (double)c->rows->n;
    for (size_t first = lo; first < hi; first += k->block_rows) {
        size_t nb = hi - first < k->block_rows ? hi - first : k->block_rows;
        const void **ptr = k->by_class ? k->rrows + (first - c->r0) : th->rows;
        float *Sb = k->by_class ? k->rS + (first - c->r0) * C : th->S;
        gather(c->rows, k->D, first, nb, ptr, th->y);
        lt_kblock b = {k->D, C,  k->ld,       k->shift,    k->Wt, c->rows->dtype,
                       ptr,  nb, first > lo, th->scratch, 0,     C, NULL, NULL};
        k->impl->forward(&b, Sb);
        add_bias(Sb, c->m->b, nb, C);
        if (c->scores) {
            memcpy(c->scores + first * C, Sb, nb * C * sizeof *Sb);
            continue;
        }
        sh->correct += lt_loss_count_correct(Sb, th->y, nb, C);
        float *dS = c->grad ? Sb : NULL;
        sh->loss += c->loss->sum_and_grad(Sb, th->y, nb, C, c->margin, scale, dS);
        if (dS) {
            sum_db(dS, nb, C, sh->db);
            if (!k->by_class) {
                k->impl->backward(&b, dS, sh->dWt);
            }
        }
    }
}

/* Part `task` of the round's weight gradient: a range of whole backward tiles of
 * classes (one part per thread), over all the round's rows. Each gradient element is
 * one chain over the rows whatever the cut: the same bits for any number of threads. */
static void class_job(void *ctx, size_t task, size_t thread)
{
    const call *c = ctx;
    const lt_kernel *k = c->k;
    size_t C = k->C, bt = k->impl->class_tile, tiles = (C + bt - 1) / bt, T = k->pool.n;
    size_t c0 = bt * (tiles * task / T), c1 = bt * (tiles * (task + 1) / T);
    lt_kblock b = {k->D,    C,      k->ld,      k->shift,           k->Wt,
                   c->rows->dtype, k->rrows, c->rn, c->r0 > 0, k->th[thread].scratch,
                   c0 < C ? c0 : C, c1 < C ? c1 : C, NULL, k->scale};
    if (k->impl->grad_in_backward && c->r0 + c->rn == c->rows->n) {
        b.grad = c->grad;
    }
    k->impl->backward(&b, k->rS, k->sh[0].dWt);
}

/* Features [lo, hi) of part `task` of `parts`, cut at multiples of 8 (the vector width
 * of pack and unpack). Every feature is computed alone, so the cut changes no result. */
static void feature_range(size_t D, size_t task, size_t parts, size_t *lo, size_t *hi)
{
    size_t blocks = (D + 7) / 8;
    *lo = 8 * (blocks * task / parts);
    *hi = task + 1 == parts ? D : 8 * (blocks * (task + 1) / parts);
    *lo = *lo < D ? *lo : D;
}

static void pack_job(void *ctx, size_t task, size_t thread)
{
    const call *c = ctx;
    const lt_kernel *k = c->k;
    size_t lo, hi;
    (void)thread;
    feature_range(k->D, task, k->pool.n, &lo, &hi);
    k->impl->pack(c->m->W, k->scale, k->C, k->ld, lo, hi, k->Wt);
}

static void unpack_job(void *ctx, size_t task, size_t thread)
{
    const call *c = ctx;
    const lt_kernel *k = c->k;
    const float *parts[LT_KERNEL_SHARES];
    size_t lo, hi, S = k->by_class ? 1 : n_shares(k, c->rows->n);
    (void)thread;
    for (size_t s = 0; s < S; s++) {
        parts[s] = k->sh[s].dWt;
    }
    feature_range(k->D, task, k->pool.n, &lo, &hi);
    k->impl->unpack(parts, S, k->scale, k->C, k->ld, lo, hi, c->grad);
}

/* Adds the round's shares, in order, to the call's sums (the bias gradient: set by the
 * first round). */
static void add_round(call *c)
{
    const lt_kernel *k = c->k;
    size_t S = n_shares(k, c->rn);
    for (size_t s = 0; s < S; s++) {
        c->loss_sum += k->sh[s].loss;
        c->correct += k->sh[s].correct;
    }
    float *gb = c->grad ? c->grad + k->C * k->D : NULL;
    for (size_t j = 0; gb && S > 0 && j < k->C; j++) {
        float sum = k->sh[0].db[j];
        for (size_t s = 1; s < S; s++) {
            sum += k->sh[s].db[j];
        }
        gb[j] = c->r0 == 0 ? sum : gb[j] + sum;
    }
}

/* pack; per round the shares (and by class ranges, the backward's parts); unpack. The
 * pack and unpack split by features, one part per thread: a single call on one
 * thread. Without class ranges the call is one round. */
static void run(call *c)
{
    lt_kernel *k = c->k;
    size_t n = c->rows->n, R = k->by_class ? k->round_rows : n;
    lt_pool_run(&k->pool, k->pool.n, pack_job, c);
    c->r0 = 0;
    do {
        c->rn = n - c->r0 < R ? n - c->r0 : R;
        lt_pool_run(&k->pool, n_shares(k, c->rn), share_job, c);
        if (k->by_class && c->grad && !c->scores && c->rn > 0) {
            lt_pool_run(&k->pool, k->pool.n, class_job, c);
        }
        add_round(c);
        c->r0 += c->rn;
    } while (c->r0 < n);
    if (c->grad) {
        if (n == 0) {
            memset(c->grad, 0, (k->C * k->D + k->C) * sizeof *c->grad);
            return;
        }
        if (!k->by_class || !k->impl->grad_in_backward) {
            lt_pool_run(&k->pool, k->pool.n, unpack_job, c);
        }
    }
}

double lt_kernel_loss_grad(lt_kernel *k, const lt_model *m, const lt_loss *loss,
                           double margin, const lt_rows *rows, float *grad, size_t *correct)
{
    call c = {k, m, loss, margin, rows, grad, NULL, 0, 0, 0.0, 0};
    run(&c);
    if (correct) {
        *correct = c.correct;
    }
    return rows->n ? c.loss_sum / (double)rows->n : 0.0;
}

void lt_kernel_scores(lt_kernel *k, const lt_model *m, const lt_rows *rows, float *scores)
{
    call c = {k, m, NULL, 0.0, rows, NULL, scores, 0, 0, 0.0, 0};
    run(&c);
}
