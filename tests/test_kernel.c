/* test_kernel.c — every training-kernel implementation against the sgemm oracle
 * (oracle_loss_grad on float features made here), the thread pool, determinism.
 *
 * Two kinds of data:
 *  - exact: pixels and shift are integers in [0, 63], scale 1, weights k/64 with
 *    |k| <= 16. Every product t·w is a multiple of 1/64 below 16 in magnitude and every
 *    partial sum over D <= 3072 features stays below 2^24/64, so scores are exact in
 *    float whatever the order of summation: the kernels must give the oracle's scores
 *    bit for bit, hence the same loss terms and the same dL/ds. Only the gradient
 *    sums Σ_r t·dS round, and two orders of summing n terms differ by at most
 *    2·γ(n)·Σ_r |t·dS| (γ(n) = n·u/(1 − n·u), u = 2^-24: Higham, "Accuracy and
 *    Stability of Numerical Algorithms", §3.1), the tolerance used.
 *  - real: pixels in [0, 255], a float shift and scale, Gaussian weights. The scale is
 *    folded into the weights (two roundings per product instead of the oracle's two),
 *    so each score may differ by 2·γ(D + 3)·Σ_d |x'·w| + u·|s| — a rigorous bound,
 *    checked per score. Softmax's p moves by at most max_j |Δs_j| (its Jacobian's
 *    rows have absolute sums 2·p_c·(1 − p_c) <= 1/2; 1 leaves room for second order),
 *    and the loss by 2·max_j |Δs_j|, from which the bounds on dL/ds, the gradient and
 *    the loss follow. The hinge's gradient jumps at a kink, so the SVM gradient is
 *    checked on exact data only.
 * Shapes are ragged on purpose: n not a multiple of the 64-row block (nor of the
 * shares, nor of the threads), D not a multiple of the 8- and 16-wide vectors, C other
 * than 10 for the implementations that take any C; and every result must be the same
 * bits for 1 to 4 threads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lintrain/kernel.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/pool.h"
#include "lintrain/rng.h"
#include "sgemm_oracle.h"
#include "testutil.h"

#define U 0x1p-24 /* unit roundoff of float */

static double gamma_n(double n)
{
    return n * U / (1.0 - n * U);
}

typedef struct {
    size_t n, D, C, nrec;
    uint8_t *pix;     /* (nrec, D) */
    float *xf;        /* (nrec, D) the same records as float32 (plus a fraction on real data) */
    int f32;          /* the kernel and the oracle read xf (else pix) */
    uint16_t *labels; /* (nrec) */
    size_t *idx;      /* (n) distinct records, shuffled */
    float *shift, *scale;
    lt_model m;
    /* the oracle's answers */
    float *X;         /* (n, D) features */
    uint16_t *y;      /* (n) labels of the rows */
    float *S;         /* (n, C) scores */
    float *dS;        /* (n, C) dL/ds of the mean loss */
    float *grad;      /* (n_params) */
    double loss;
    size_t correct;
} problem;

static void make_problem(problem *p, size_t n, size_t D, size_t C, int exact, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->D = D;
    p->C = C;
    p->nrec = n + 5;
    lt_rng r;
    lt_rng_seed(&r, seed, 7);
    p->pix = malloc(p->nrec * D);
    p->xf = malloc(p->nrec * D * sizeof *p->xf);
    p->labels = malloc(p->nrec * sizeof *p->labels);
    p->idx = malloc(p->nrec * sizeof *p->idx);
    p->shift = malloc(D * sizeof(float));
    p->scale = malloc(D * sizeof(float));
    assert_true(p->pix && p->labels && p->idx && p->shift && p->scale);
    for (size_t i = 0; i < p->nrec * D; i++) {
        p->pix[i] = (uint8_t)lt_rng_below(&r, exact ? 64 : 256);
        p->xf[i] = (float)p->pix[i] + (exact ? 0.0f : (float)lt_rng_uniform(&r));
    }
    for (size_t i = 0; i < p->nrec; i++) {
        p->labels[i] = (uint16_t)lt_rng_below(&r, (uint32_t)C);
        p->idx[i] = i;
    }
    lt_rng_shuffle(&r, p->idx, p->nrec);
    for (size_t d = 0; d < D; d++) {
        p->shift[d] = exact ? (float)lt_rng_below(&r, 64) : (float)(255.0 * lt_rng_uniform(&r));
        p->scale[d] = exact ? 1.0f : (float)(0.005 + 0.03 * lt_rng_uniform(&r));
    }
    assert_int_equal(lt_model_create(&p->m, D, C, NULL), LT_OK);
    for (size_t k = 0; k < p->m.n_params; k++) {
        p->m.params[k] = exact ? (float)((int)lt_rng_below(&r, 33) - 16) / 64.0f
                               : (float)(0.05 * lt_rng_normal(&r));
    }
}

static void free_problem(problem *p)
{
    free(p->pix);
    free(p->xf);
    free(p->labels);
    free(p->idx);
    free(p->shift);
    free(p->scale);
    free(p->X);
    free(p->y);
    free(p->S);
    free(p->dS);
    free(p->grad);
    lt_model_free(&p->m);
}

/* The oracle: float features as preprocess.c makes them, then sgemm_oracle.c. */
static void oracle(problem *p, const lt_loss *loss, double margin)
{
    size_t n = p->n, D = p->D, C = p->C;
    p->X = malloc(n * D * sizeof(float));
    p->y = malloc(n * sizeof *p->y);
    p->S = malloc(n * C * sizeof(float));
    p->dS = malloc(n * C * sizeof(float));
    p->grad = malloc(p->m.n_params * sizeof(float));
    float *work = malloc(n * C * sizeof(float));
    assert_true(p->X && p->y && p->S && p->dS && p->grad && work);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *x = p->pix + p->idx[i] * D;
        const float *xf = p->xf + p->idx[i] * D;
        for (size_t d = 0; d < D; d++) {
            p->X[i * D + d] = ((p->f32 ? xf[d] : (float)x[d]) - p->shift[d]) * p->scale[d];
        }
        p->y[i] = p->labels[p->idx[i]];
    }
    oracle_scores(&p->m, p->X, n, p->S);
    loss->sum_and_grad(p->S, p->y, n, C, margin, 1.0 / (double)n, p->dS);
    p->loss = oracle_loss_grad(&p->m, loss, margin, p->X, p->y, n, work, p->grad, &p->correct);
    free(work);
}

/* Largest |Δs| the real-data bound allows for score (i, c). */
static double score_tol(const problem *p, size_t i, size_t c)
{
    double sum = 0.0;
    for (size_t d = 0; d < p->D; d++) {
        sum += fabs((double)p->X[i * p->D + d] * p->m.W[d * p->C + c]);
    }
    return 2.0 * gamma_n((double)p->D + 3.0) * sum + U * fabs((double)p->S[i * p->C + c]) +
           U * fabs((double)p->m.b[c]);
}

typedef struct {
    const char *impl;
    size_t threads;
    const char *loss;
    int exact;
    int f32;          /* float32 rows, else uint8 */
} variant;

static void check(const problem *p, const variant *v, const float *S, const float *grad,
                  double loss, size_t correct)
{
    size_t n = p->n, D = p->D, C = p->C;
    double *rowtol = calloc(n, sizeof *rowtol); /* max_c |Δs| allowed in row i */
    assert_non_null(rowtol);
    size_t near_ties = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < C; c++) {
            double got = S[i * C + c], want = p->S[i * C + c];
            double tol = v->exact ? 0.0 : score_tol(p, i, c);
            rowtol[i] = fmax(rowtol[i], tol);
            if (fabs(got - want) > tol) {
                fail_msg("%s, %zu threads, %s, n %zu D %zu C %zu: score (%zu, %zu) %.9g, oracle "
                         "%.9g, tolerance %.3g", v->impl, v->threads, v->loss, n, D, C, i, c, got,
                         want, tol);
            }
        }
        /* A row whose two best scores are within the tolerance may flip its prediction. */
        const float *s = p->S + i * C;
        size_t best = 0;
        for (size_t c = 1; c < C; c++) {
            best = s[c] > s[best] ? c : best;
        }
        for (size_t c = 0; c < C; c++) {
            near_ties += c != best && s[best] - s[c] <= 2.0 * rowtol[i];
        }
    }
    double lip = strcmp(v->loss, "softmax") == 0 ? 2.0 : 2.0 * (double)(C - 1);
    double ltol = 1e-12 * (1.0 + fabs(p->loss));
    for (size_t i = 0; i < n; i++) {
        ltol += lip * rowtol[i] / (double)n;
    }
    if (fabs(loss - p->loss) > ltol) {
        fail_msg("%s, %zu threads, %s, n %zu D %zu: loss %.17g, oracle %.17g, tolerance %.3g",
                 v->impl, v->threads, v->loss, n, D, loss, p->loss, ltol);
    }
    if ((correct > p->correct ? correct - p->correct : p->correct - correct) > near_ties) {
        fail_msg("%s, %zu threads: %zu right, oracle %zu (%zu near ties)", v->impl, v->threads,
                 correct, p->correct, near_ties);
    }
    if (!grad || (!v->exact && strcmp(v->loss, "svm") == 0)) {
        free(rowtol);
        return;
    }
    /* |Δ dS[r][c]|: 0 on exact data (same scores, same code), else p's move over n plus
     * one rounding of each side's float dS. */
    double gn = 2.0 * gamma_n((double)n + 3.0);
    for (size_t c = 0; c < C; c++) {
        for (size_t d = 0; d <= D; d++) { /* d = D: the bias */
            double mag = 0.0, moved = 0.0;
            for (size_t r = 0; r < n; r++) {
                double t = d < D ? p->X[r * D + d] : 1.0;
                double dsr = p->dS[r * C + c];
                double dds = v->exact ? 0.0 : rowtol[r] / (double)n + 2.0 * U * fabs(dsr);
                mag += fabs(t * dsr);
                moved += fabs(t) * dds;
            }
            size_t k = d < D ? d * C + c : D * C + c;
            double tol = gn * mag + moved + U * fabs((double)p->grad[k]);
            if (fabs((double)grad[k] - p->grad[k]) > tol) {
                fail_msg("%s, %zu threads, %s, n %zu D %zu C %zu: gradient %s[%zu][%zu] %.9g, "
                         "oracle %.9g, tolerance %.3g", v->impl, v->threads, v->loss, n, D, C,
                         d < D ? "W" : "b", d < D ? d : c, d < D ? c : 0, grad[k], p->grad[k], tol);
            }
        }
    }
    free(rowtol);
}

static void run_variant(size_t n, size_t D, size_t C, const variant *v, uint64_t seed)
{
    problem p;
    make_problem(&p, n, D, C, v->exact, seed);
    p.f32 = v->f32;
    lt_dtype dtype = v->f32 ? LT_DTYPE_F32 : LT_DTYPE_U8;
    const lt_loss *loss = lt_loss_find(v->loss);
    double margin = 1.0;
    oracle(&p, loss, margin);
    lt_kernel k;
    lt_error err;
    if (lt_kernel_create(&k, v->impl, D, C, dtype, v->threads, p.shift, p.scale,
                         &err) != LT_OK) {
        fail_msg("%s: %s", v->impl, err.msg);
    }
    lt_rows rows = {v->f32 ? (const void *)p.xf : p.pix, dtype, p.labels, p.idx, 0, n};
    float *S = malloc(n * C * sizeof(float));
    float *grad = malloc(p.m.n_params * sizeof(float));
    float *again = malloc(p.m.n_params * sizeof(float));
    assert_true(S && grad && again);
    lt_kernel_scores(&k, &p.m, &rows, S);
    size_t correct = 0, correct2 = 0;
    double l = lt_kernel_loss_grad(&k, &p.m, loss, margin, &rows, grad, &correct);
    check(&p, v, S, grad, l, correct);
    /* Without a gradient: the same loss and count. */
    double l2 = lt_kernel_loss_grad(&k, &p.m, loss, margin, &rows, NULL, &correct2);
    assert_true(l2 == l);
    assert_int_equal(correct2, correct);
    /* Same inputs: the same bits, again and with any other number of threads (the
     * shares depend on n only). sgemm's threads are OpenBLAS's: not promised there. */
    lt_kernel_loss_grad(&k, &p.m, loss, margin, &rows, again, NULL);
    assert_memory_equal(grad, again, p.m.n_params * sizeof(float));
    lt_kernel_free(&k);
    for (size_t threads = 1; strcmp(v->impl, "sgemm") != 0 && threads <= 4; threads++) {
        assert_int_equal(lt_kernel_create(&k, v->impl, D, C, dtype, threads, p.shift,
                                          p.scale, &err),
                         LT_OK);
        double l3 = lt_kernel_loss_grad(&k, &p.m, loss, margin, &rows, again, NULL);
        assert_true(l3 == l);
        assert_memory_equal(grad, again, p.m.n_params * sizeof(float));
        lt_kernel_free(&k);
    }
    free(S);
    free(grad);
    free(again);
    free_problem(&p);
}

/* With 8 shares of 64-row blocks, 600 rows make shares of two blocks (75 = 64 + 11);
 * float32 rows of 3,072 features come in blocks of 42 (the L2 budget), also two. */
static const size_t NS[] = {1, 5, 63, 64, 65, 130, 301, 600};
static const size_t DS[] = {1, 7, 8, 13, 16, 24, 100, 777, 3072};

/* Every (n, D) pair for the implementation (the first few when small), both losses,
 * exact and real data, 1 to 3 threads. */
static void sweep(const char *impl, size_t C, int small)
{
    if (!lt_kernel_available(impl)) {
        print_message("kernel %s: not available on this CPU, skipped\n", impl);
        return;
    }
    const char *losses[] = {"softmax", "svm"};
    uint64_t seed = 1;
    size_t nn = sizeof NS / sizeof NS[0], nd = sizeof DS / sizeof DS[0];
    for (size_t a = 0; a < (small ? 5 : nn); a++) {
        for (size_t b = 0; b < (small ? 7 : nd); b++) {
            for (int exact = 0; exact < 2; exact++) {
                variant v = {impl, 1 + seed % 3, losses[seed % 2], exact, (int)(seed / 2 % 2)};
                run_variant(NS[a], DS[b], C, &v, seed++);
                variant w = {impl, 1 + seed % 3, losses[seed % 2], exact, (int)(seed / 2 % 2)};
                run_variant(NS[a], DS[b], C, &w, seed++);
            }
        }
    }
}

/* The class counts the SIMD kernels are swept over: below, at and between their class
 * blocks (10 for avx2, 12 for avx512), on both sides of LT_KERNEL_CLASS_SPLIT, and many
 * blocks. */
static const size_t CS[] = {2, 3, 13, 17, 20, 100};

static void test_avx2_against_oracle(void **state)
{
    (void)state;
    sweep("avx2", 10, 0);
    for (size_t i = 0; i < sizeof CS / sizeof CS[0]; i++) {
        sweep("avx2", CS[i], 1);
    }
}

static void test_avx512_against_oracle(void **state)
{
    (void)state;
    sweep("avx512", 10, 0);
    for (size_t i = 0; i < sizeof CS / sizeof CS[0]; i++) {
        sweep("avx512", CS[i], 1);
    }
}

static void test_portable_against_oracle(void **state)
{
    (void)state;
    sweep("portable", 10, 0);
    sweep("portable", 3, 1);
    sweep("portable", 17, 1);
}

static void test_sgemm_against_oracle(void **state)
{
    (void)state;
    sweep("sgemm", 10, 0);
    sweep("sgemm", 3, 1);
}

static void test_auto_and_big_blocks(void **state)
{
    (void)state;
    /* More rows than the sgemm kernel's 1024-row block; auto on full CIFAR shapes. */
    variant v = {"sgemm", 2, "softmax", 1, 1};
    run_variant(1100, 13, 10, &v, 99);
    variant w = {"auto", 2, "softmax", 0, 0};
    run_variant(300, 3072, 10, &w, 100);
    variant x = {"auto", 0, "svm", 1, 0};
    run_variant(64, 3072, 10, &x, 101);
    variant y = {"auto", 2, "softmax", 0, 1};
    run_variant(70, 1001, 10, &y, 102);
}

/* A thousand classes: a hundred class blocks, uint8 and float32, both losses. */
static void test_many_classes(void **state)
{
    (void)state;
    const char *impls[] = {"avx512", "avx2", "portable"};
    for (size_t i = 0; i < 3; i++) {
        if (!lt_kernel_available(impls[i])) {
            print_message("kernel %s: not available on this CPU, skipped\n", impls[i]);
            continue;
        }
        variant v = {impls[i], 3, "softmax", 0, 1}, w = {impls[i], 2, "svm", 1, 0};
        run_variant(70, 133, 1000, &v, 200 + i);
        run_variant(65, 41, 1000, &w, 210 + i);
    }
}

/* A bug that drops one feature of 3072 must not pass for rounding: on exact data the
 * scores are compared bit for bit, so the oracle's own scores with one weight changed
 * by the smallest step that data allows (1/64) must differ. */
static void test_exact_mode_can_fail(void **state)
{
    (void)state;
    problem p;
    make_problem(&p, 8, 3072, 10, 1, 5);
    oracle(&p, lt_loss_find("softmax"), 1.0);
    float *S = malloc(8 * 10 * sizeof(float));
    assert_non_null(S);
    p.m.W[1234 * 10 + 3] += 1.0f / 64.0f;
    oracle_scores(&p.m, p.X, 8, S);
    size_t differ = 0;
    for (size_t i = 0; i < 8; i++) {
        differ += S[i * 10 + 3] != p.S[i * 10 + 3];
    }
    /* A row differs unless its feature 1234 is exactly 0 after the shift. */
    size_t zero = 0;
    for (size_t i = 0; i < 8; i++) {
        zero += p.X[i * 3072 + 1234] == 0.0f;
    }
    assert_int_equal(differ, 8 - zero);
    assert_true(differ > 0);
    free(S);
    free_problem(&p);
}

/* Blocks hold at most 512 KB of rows (8 rows at least, the implementation's 64 at
 * most), from D and dtype alone: worked by hand, 524,288 / (6,400 · 4) = 20.48. */
static void test_block_rows_fit_the_l2_budget(void **state)
{
    (void)state;
    static const struct {
        size_t D;
        lt_dtype dtype;
        size_t rows;
    } cases[] = {{3072, LT_DTYPE_U8, 64}, {6400, LT_DTYPE_F32, 20}, {3072, LT_DTYPE_F32, 42},
                 {100000, LT_DTYPE_F32, 8}, {8192, LT_DTYPE_U8, 64}};
    size_t Dmax = 100000;
    float *shift = calloc(Dmax, sizeof *shift), *scale = calloc(Dmax, sizeof *scale);
    assert_non_null(shift);
    assert_non_null(scale);
    lt_kernel k;
    lt_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t threads = 1; threads <= 2; threads++) {
            assert_int_equal(lt_kernel_create(&k, "portable", cases[i].D, 10, cases[i].dtype,
                                              threads, shift, scale, &err), LT_OK);
            assert_int_equal(k.block_rows, cases[i].rows);
            lt_kernel_free(&k);
        }
    }
    free(shift);
    free(scale);
}

/* Above LT_KERNEL_CLASS_SPLIT classes the SIMD kernels split the backward by class
 * ranges, in rounds of 8 blocks of rows (one weight gradient, not one per share); at the
 * split and below, and always with portable and sgemm, by shares of rows. Calls of several
 * rounds (1,029 rows of 3,072 uint8: 512 + 512 + 5) agree with the oracle, the same bits
 * for 1 to 4 threads. */
static void test_large_c_splits_by_classes(void **state)
{
    (void)state;
    float shift[8] = {0}, scale[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const char *impls[] = {"avx2", "avx512", "portable", "sgemm"};
    for (size_t i = 0; i < 4; i++) {
        if (!lt_kernel_available(impls[i])) {
            continue;
        }
        for (size_t C = 15; C <= 18; C++) {
            lt_kernel k;
            lt_error err;
            assert_int_equal(lt_kernel_create(&k, impls[i], 8, C, LT_DTYPE_U8, 2, shift, scale,
                                              &err), LT_OK);
            int split = i < 2 && C > LT_KERNEL_CLASS_SPLIT;
            assert_int_equal(k.by_class, split);
            assert_int_equal(k.round_rows, split ? LT_KERNEL_SHARES * k.block_rows : 0);
            assert_true((k.rrows != NULL) == split);
            lt_kernel_free(&k);
        }
    }
    for (size_t i = 0; i < 2; i++) {
        if (!lt_kernel_available(impls[i])) {
            continue;
        }
        variant v = {impls[i], 1, "softmax", 0, 0}, w = {impls[i], 2, "svm", 1, 1};
        run_variant(1029, 3072, 17, &v, 41);
        run_variant(1029, 100, 100, &w, 42);
    }
}

static void test_unknown_and_unsupported(void **state)
{
    (void)state;
    float shift[4] = {0}, scale[4] = {1, 1, 1, 1};
    lt_kernel k;
    lt_error err;
    assert_int_equal(lt_kernel_create(&k, "avx3", 4, 10, LT_DTYPE_U8, 1, shift, scale, &err),
                     LT_ECONFIG);
    assert_non_null(strstr(err.msg, "avx3"));
    const char *simd[] = {"avx2", "avx512"};
    for (size_t i = 0; i < 2; i++) {
        lt_status want = lt_kernel_available(simd[i]) ? LT_OK : LT_ECONFIG;
        assert_int_equal(lt_kernel_create(&k, simd[i], 4, 3, LT_DTYPE_F32, 1, shift, scale, &err),
                         want);
        if (want == LT_OK) {
            assert_string_equal(lt_kernel_name(&k), simd[i]);
            lt_kernel_free(&k);
        } else {
            assert_non_null(strstr(err.msg, "needs a CPU"));
        }
    }
    assert_int_equal(lt_kernel_create(&k, "portable", 4, 3, LT_DTYPE_U8, 2, shift, scale, &err),
                     LT_OK);
    assert_string_equal(lt_kernel_name(&k), "portable");
    assert_int_equal(k.threads, 2);
    assert_int_equal(k.n_shares, LT_KERNEL_SHARES);
    lt_kernel_free(&k);
    lt_kernel_free(&k); /* freeing twice, or an empty kernel, is harmless */
    assert_string_equal(lt_kernel_name_at(0), "auto");
    assert_null(lt_kernel_name_at(5));
    /* auto: the widest SIMD kernel the CPU runs. */
    assert_int_equal(lt_kernel_create(&k, "auto", 4, 3, LT_DTYPE_U8, 1, shift, scale, &err),
                     LT_OK);
    assert_string_equal(lt_kernel_name(&k), lt_kernel_available("avx512") ? "avx512"
                                            : lt_kernel_available("avx2")  ? "avx2"
                                                                           : "portable");
    lt_kernel_free(&k);
}

/* ---- the pool ---------------------------------------------------------------------- */

typedef struct {
    size_t calls[200];
    size_t bad_thread;
    size_t threads;
} tally;

/* Each task writes only its own slot (as the pool requires). */
static void count_call(void *ctx, size_t task, size_t thread)
{
    tally *c = ctx;
    c->calls[task]++;
    if (thread >= c->threads) {
        c->bad_thread++;
    }
}

static void test_pool_runs_every_task_once(void **state)
{
    (void)state;
    const size_t ntasks[] = {0, 1, 2, 3, 8, 200};
    for (size_t n = 1; n <= 4; n++) {
        lt_pool pool;
        assert_int_equal(lt_pool_create(&pool, n, NULL), LT_OK);
        assert_int_equal(pool.n, n);
        for (size_t k = 0; k < sizeof ntasks / sizeof ntasks[0]; k++) {
            tally c;
            memset(&c, 0, sizeof c);
            c.threads = n;
            for (int run = 0; run < 300; run++) {
                lt_pool_run(&pool, ntasks[k], count_call, &c);
            }
            for (size_t t = 0; t < 200; t++) {
                assert_int_equal(c.calls[t], t < ntasks[k] ? 300 : 0);
            }
            assert_int_equal(c.bad_thread, 0);
        }
        lt_pool_free(&pool);
        lt_pool_free(&pool);
    }
    lt_pool pool;
    assert_int_equal(lt_pool_create(&pool, 0, NULL), LT_OK);
    assert_int_equal(pool.n, lt_pool_cpus());
    lt_pool_free(&pool);
    lt_error err;
    assert_int_equal(lt_pool_create(&pool, LT_POOL_MAX_THREADS + 1, &err), LT_ERR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_avx2_against_oracle),
        cmocka_unit_test(test_avx512_against_oracle),
        cmocka_unit_test(test_portable_against_oracle),
        cmocka_unit_test(test_sgemm_against_oracle),
        cmocka_unit_test(test_auto_and_big_blocks),
        cmocka_unit_test(test_many_classes),
        cmocka_unit_test(test_exact_mode_can_fail),
        cmocka_unit_test(test_block_rows_fit_the_l2_budget),
        cmocka_unit_test(test_large_c_splits_by_classes),
        cmocka_unit_test(test_unknown_and_unsupported),
        cmocka_unit_test(test_pool_runs_every_task_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
