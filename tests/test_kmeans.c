/* test_kmeans.c — the k-means features: the normalisation and the triangle code with
 * its quadrant pooling worked out by hand; whitening that whitens (covariance of the
 * whitened patches = identity, or C (C + eps I)^-1 with the reference's eps); Lloyd on
 * hand-made clusters, its objective (recomputed here in double) never rising, empty
 * clusters re-seeded; the fused encoder against a plain one written here in double;
 * the same bytes for 1, 2 and 3 threads; the model's files round trip; the refusals;
 * the filters picture's scaling; a pending SIGINT stopping the fit's steps. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lintrain/interrupt.h"
#include "lintrain/kmeans.h"
#include "testutil.h"

static double *covariance_of(const float *X, size_t n, size_t d)
{
    double *mean = calloc(d, sizeof *mean), *C = calloc(d * d, sizeof *C);
    assert_non_null(mean);
    assert_non_null(C);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            mean[j] += X[i * d + j] / (double)n;
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < d; a++) {
            for (size_t b = 0; b < d; b++) {
                C[a * d + b] += (X[i * d + a] - mean[a]) * (X[i * d + b] - mean[b]) /
                                (double)(n - 1);
            }
        }
    }
    free(mean);
    return C;
}

/* ---- patches, normalisation, grid ---------------------------------------------- */

static void test_normalize_by_hand(void **state)
{
    (void)state;
    /* (3, 12, 15): mean 10, deviations (-7, 2, 5), var 78 / 2 = 39, sqrt(39 + 10) = 7. */
    float x[3] = {3, 12, 15};
    lt_kmeans_patch_normalize(x, 3);
    assert_near(x[0], -1.0, 1e-7);
    assert_near(x[1], 2.0 / 7.0, 1e-7);
    assert_near(x[2], 5.0 / 7.0, 1e-7);
    float flat[4] = {9, 9, 9, 9};
    lt_kmeans_patch_normalize(flat, 4);
    for (int i = 0; i < 4; i++) {
        assert_true(flat[i] == 0.0f);
    }
}

static void test_extract_and_grid(void **state)
{
    (void)state;
    uint8_t rec[3 * 16];
    for (size_t i = 0; i < sizeof rec; i++) {
        rec[i] = (uint8_t)i; /* channel c, pixel (x, y) of a 4 x 4 image: 16 c + 4 y + x */
    }
    float out[12];
    lt_kmeans_patch_extract(rec, 4, 2, 1, 2, out); /* the 2 x 2 patch at x = 1, y = 2 */
    const float want[12] = {9, 10, 13, 14, 25, 26, 29, 30, 41, 42, 45, 46};
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(lt_kmeans_grid(32, 6, 1), 27);
    assert_int_equal(lt_kmeans_half(27), 14); /* MATLAB's round(27 / 2) */
    assert_int_equal(lt_kmeans_grid(32, 6, 2), 14);
    assert_int_equal(lt_kmeans_half(14), 7);
    assert_int_equal(lt_kmeans_grid(32, 6, 5), 6); /* positions 0, 5, ..., 25 */
    assert_int_equal(lt_kmeans_grid(32, 33, 1), 0);
    assert_int_equal(lt_kmeans_grid(32, 6, 0), 0);
}

/* ---- whitening ------------------------------------------------------------------- */

/* n rows of d correlated values: x = A g + shift, g standard normal, A fixed. */
static float *correlated(size_t n, size_t d, uint64_t seed)
{
    float *X = calloc(n * d, sizeof *X);
    assert_non_null(X);
    lt_rng r;
    lt_rng_seed(&r, seed, 9);
    double g[16];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            g[j] = lt_rng_normal(&r);
        }
        for (size_t a = 0; a < d; a++) {
            double v = 3.0 + (double)a;
            for (size_t b = 0; b <= a; b++) {
                v += g[b] * (1.0 + (double)((a * 7 + b * 3) % 5)) * (b == a ? 2.0 : 0.7);
            }
            X[i * d + a] = (float)v;
        }
    }
    return X;
}

static void test_whitening_whitens(void **state)
{
    (void)state;
    size_t n = 20000, d = 6;
    float *X = correlated(n, d, 1), *W = malloc(n * d * sizeof *W);
    float mean[6], P[36];
    lt_error err = {{0}};
    assert_non_null(W);
    double *C = covariance_of(X, n, d);
    /* Without the epsilon: the whitened covariance is the identity. */
    assert_int_equal(lt_kmeans_zca_fit(X, n, d, 1e-9, mean, P, &err), LT_OK);
    for (size_t a = 0; a < d; a++) {
        for (size_t b = 0; b < d; b++) {
            assert_near(P[a * d + b], P[b * d + a], 1e-6); /* ZCA: symmetric */
        }
    }
    memcpy(W, X, n * d * sizeof *W);
    assert_int_equal(lt_kmeans_zca_apply(W, n, d, mean, P, &err), LT_OK);
    double *Cw = covariance_of(W, n, d);
    for (size_t a = 0; a < d; a++) {
        for (size_t b = 0; b < d; b++) {
            assert_near(Cw[a * d + b], a == b ? 1.0 : 0.0, 2e-4);
        }
    }
    free(Cw);
    /* With the reference's eps: P C P = C (C + eps I)^-1, i.e. (P C P)(C + eps I) = C. */
    assert_int_equal(lt_kmeans_zca_fit(X, n, d, LT_KMEANS_EPS_ZCA, mean, P, &err), LT_OK);
    memcpy(W, X, n * d * sizeof *W);
    assert_int_equal(lt_kmeans_zca_apply(W, n, d, mean, P, &err), LT_OK);
    Cw = covariance_of(W, n, d);
    for (size_t a = 0; a < d; a++) {
        for (size_t b = 0; b < d; b++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++) {
                s += Cw[a * d + k] * (C[k * d + b] + (k == b ? LT_KMEANS_EPS_ZCA : 0.0));
            }
            assert_close(s, C[a * d + b], 1e-4);
        }
    }
    for (size_t j = 0; j < d; j++) {
        assert_near(mean[j], 3.0 + (double)j, 0.1); /* the shift, up to sampling noise */
    }
    free(Cw);
    free(C);
    free(X);
    free(W);
}

/* ---- Lloyd ------------------------------------------------------------------------ */

typedef struct {
    const float *X;
    size_t n, d, K, passes, reseeded;
    double obj[64];
    float prev[64 * 8]; /* the centroids of the previous pass (K <= 64, d <= 8) */
    int have_prev;
} pass_log;

static double objective_of(const float *X, size_t n, size_t d, const float *C, size_t K)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double best = INFINITY;
        for (size_t k = 0; k < K; k++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++) {
                double v = (double)X[i * d + j] - C[k * d + j];
                s += v * v;
            }
            best = s < best ? s : best;
        }
        total += best;
    }
    return total;
}

static void log_pass(void *ctx, size_t pass, double objective, size_t reseeded,
                     const float *centroids)
{
    pass_log *l = ctx;
    assert_int_equal(pass, l->passes);
    if (l->have_prev) { /* the objective of this pass's assignment: previous centroids */
        assert_close(objective, objective_of(l->X, l->n, l->d, l->prev, l->K), 1e-5);
    }
    l->obj[l->passes++] = objective;
    l->reseeded += reseeded;
    memcpy(l->prev, centroids, l->K * l->d * sizeof *centroids);
    l->have_prev = 1;
}

/* 2 clusters of 40 points in 3-D, 20 apart, spread 1: found from any start. */
static void test_lloyd_finds_clusters(void **state)
{
    (void)state;
    size_t n = 80, d = 3;
    float X[80 * 3], C[2 * 3];
    const float centre[2][3] = {{10, -4, 2}, {-6, 8, 2}};
    lt_rng r;
    lt_rng_seed(&r, 7, 9);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            X[i * d + j] = centre[i % 2][j] + (float)(lt_rng_uniform(&r) - 0.5);
        }
    }
    lt_error err = {{0}};
    for (uint64_t seed = 1; seed <= 20; seed++) {
        lt_rng_seed(&r, seed, LT_STREAM_KMEANS);
        assert_int_equal(lt_kmeans_lloyd(X, n, d, 2, 4, &r, 1, C, NULL, NULL, &err), LT_OK);
        for (size_t c = 0; c < 2; c++) { /* each true centre has a centroid at its mean */
            double mean[3] = {0};
            for (size_t i = c; i < n; i += 2) {
                for (size_t j = 0; j < d; j++) {
                    mean[j] += X[i * d + j] / 40.0;
                }
            }
            size_t k = fabs(C[0] - centre[c][0]) < fabs(C[3] - centre[c][0]) ? 0 : 1;
            for (size_t j = 0; j < d; j++) {
                assert_near(C[k * d + j], mean[j], 1e-5);
            }
        }
    }
}

static void test_lloyd_objective_never_rises(void **state)
{
    (void)state;
    size_t n = 500, d = 4, K = 12;
    float *X = correlated(n, d, 3), C[12 * 4];
    pass_log log = {X, n, d, K, 0, 0, {0}, {0}, 0};
    lt_rng r;
    lt_rng_seed(&r, 5, LT_STREAM_KMEANS);
    lt_error err = {{0}};
    assert_int_equal(lt_kmeans_lloyd(X, n, d, K, 15, &r, 2, C, log_pass, &log, &err), LT_OK);
    assert_int_equal(log.passes, 15);
    for (size_t t = 1; t < log.passes; t++) {
        assert_true(log.obj[t] <= log.obj[t - 1] * (1.0 + 1e-7));
    }
    assert_true(log.obj[log.passes - 1] < 0.9 * log.obj[0]);
    free(X);
}

/* 10 copies of a and 10 of b, K = 3: two starts are the same point, so a cluster is
 * left empty by the tie rule and must be re-seeded with a row. */
static void test_lloyd_reseeds_empty(void **state)
{
    (void)state;
    float X[20 * 2], C[3 * 2];
    for (size_t i = 0; i < 20; i++) {
        X[2 * i] = i < 10 ? 1.0f : -3.0f;
        X[2 * i + 1] = i < 10 ? 2.0f : 5.0f;
    }
    pass_log log = {X, 20, 2, 3, 0, 0, {0}, {0}, 0};
    lt_rng r;
    lt_rng_seed(&r, 1, LT_STREAM_KMEANS);
    lt_error err = {{0}};
    assert_int_equal(lt_kmeans_lloyd(X, 20, 2, 3, 2, &r, 1, C, log_pass, &log, &err), LT_OK);
    assert_true(log.reseeded >= 1);
    for (size_t k = 0; k < 3; k++) {
        int is_a = C[2 * k] == 1.0f && C[2 * k + 1] == 2.0f;
        int is_b = C[2 * k] == -3.0f && C[2 * k + 1] == 5.0f;
        assert_true(is_a || is_b);
    }
    assert_near(log.obj[1], 0.0, 0.0);
}

/* ---- encoding by hand ---------------------------------------------------------------- */

/* A model of 1-pixel patches (d = 3), no whitening, centroids 0, a, -a with
 * a = (-1, 2/7, 5/7), the normalised pixel (3, 12, 15). */
static void hand_model(lt_kmeans_model *m, float *mean, float *P, float *C)
{
    memset(mean, 0, 3 * sizeof *mean);
    memset(P, 0, 9 * sizeof *P);
    P[0] = P[4] = P[8] = 1.0f;
    const float a[3] = {-1.0f, 2.0f / 7.0f, 5.0f / 7.0f};
    for (int j = 0; j < 3; j++) {
        C[j] = 0.0f;
        C[3 + j] = a[j];
        C[6 + j] = -a[j];
    }
    *m = (lt_kmeans_model){3, 1, 3, mean, P, C};
}

/* Sets pixel (x, y) of a side x side record to rgb. */
static void put_pixel(uint8_t *rec, size_t side, size_t x, size_t y, const uint8_t rgb[3])
{
    for (size_t c = 0; c < 3; c++) {
        rec[c * side * side + y * side + x] = rgb[c];
    }
}

static void test_triangle_and_pool_by_hand(void **state)
{
    (void)state;
    float mean[3], P[9], C[9], out[12];
    lt_kmeans_model m;
    hand_model(&m, mean, P, C);
    const uint8_t A[3] = {3, 12, 15}, NEG[3] = {17, 8, 5}, FLAT[3] = {9, 9, 9};
    /* 2 x 2: one patch per quadrant. TL = a: z = (L, 0, 2L), mean L -> (0, L, 0);
     * TR = 0: z = (0, L, L), mean 2L/3 -> (2L/3, 0, 0); BL = -a -> (0, 0, L). */
    uint8_t rec[12];
    put_pixel(rec, 2, 0, 0, A);
    put_pixel(rec, 2, 1, 0, FLAT);
    put_pixel(rec, 2, 0, 1, NEG);
    put_pixel(rec, 2, 1, 1, FLAT);
    lt_kmeans_images im = {rec, 1, 2};
    lt_kmeans_encode_spec es = {1, LT_KMEANS_TRIANGLE, 1};
    lt_error err = {{0}};
    assert_int_equal(lt_kmeans_encode(&m, &es, &im, out, NULL, NULL, &err), LT_OK);
    double L = sqrt(78.0) / 7.0;
    const double want[12] = {0, L, 0, 2 * L / 3, 0, 0, 0, 0, L, 2 * L / 3, 0, 0};
    for (int i = 0; i < 12; i++) {
        assert_near(out[i], want[i], 1e-6);
    }
    es.encoder = LT_KMEANS_HARD; /* nearest: a -> c2, 0 -> c1, -a -> c3, 0 -> c1 */
    assert_int_equal(lt_kmeans_encode(&m, &es, &im, out, NULL, NULL, &err), LT_OK);
    const float hard[12] = {0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0};
    assert_memory_equal(out, hard, sizeof hard);
    /* 3 x 3, flat but for a at (2, 2): the grid is 3, its first half 2 positions, so
     * the quadrants hold 4, 2, 2 and 1 patches (the middle row and column go first). */
    uint8_t big[27];
    for (size_t i = 0; i < 9; i++) {
        put_pixel(big, 3, i % 3, i / 3, FLAT);
    }
    put_pixel(big, 3, 2, 2, A);
    im = (lt_kmeans_images){big, 1, 3};
    es.encoder = LT_KMEANS_TRIANGLE;
    assert_int_equal(lt_kmeans_encode(&m, &es, &im, out, NULL, NULL, &err), LT_OK);
    const double pooled[12] = {4 * 2 * L / 3, 0, 0, 2 * 2 * L / 3, 0, 0,
                               2 * 2 * L / 3, 0, 0, 0, L, 0};
    for (int i = 0; i < 12; i++) {
        assert_near(out[i], pooled[i], 1e-5);
    }
}

/* ---- the fused encoder against a plain one --------------------------------------- */

typedef struct {
    lt_kmeans_model m;
    uint8_t *x;
    size_t n, side;
} random_case;

static void random_model(random_case *rc, size_t n, size_t side, size_t p, size_t K)
{
    size_t d = 3 * p * p;
    lt_rng r;
    lt_rng_seed(&r, 11, 9);
    rc->n = n;
    rc->side = side;
    rc->x = malloc(n * 3 * side * side);
    rc->m = (lt_kmeans_model){K, p, d, malloc(d * sizeof(float)),
                              malloc(d * d * sizeof(float)), malloc(K * d * sizeof(float))};
    assert_true(rc->x && rc->m.mean && rc->m.whiten && rc->m.centroids);
    for (size_t i = 0; i < n * 3 * side * side; i++) {
        rc->x[i] = (uint8_t)lt_rng_below(&r, 256);
    }
    for (size_t j = 0; j < d; j++) {
        rc->m.mean[j] = (float)(0.2 * lt_rng_normal(&r));
        for (size_t k = 0; k <= j; k++) { /* symmetric, near the identity */
            float v = (float)(0.1 * lt_rng_normal(&r)) + (j == k ? 1.0f : 0.0f);
            rc->m.whiten[j * d + k] = rc->m.whiten[k * d + j] = v;
        }
    }
    for (size_t i = 0; i < K * d; i++) {
        rc->m.centroids[i] = (float)lt_rng_normal(&r);
    }
}

/* extract_features.m in double, one patch at a time, into out (4 K). */
static void plain_encode(const lt_kmeans_model *m, const uint8_t *rec, size_t side,
                         size_t stride, int hard, double *out)
{
    size_t p = m->patch, d = m->d, K = m->K, g = (side - p) / stride + 1, half = (g + 1) / 2;
    double x[300], w[300], z[300];
    memset(out, 0, 4 * K * sizeof *out);
    for (size_t py = 0; py < g; py++) {
        for (size_t px = 0; px < g; px++) {
            double mu = 0.0, ss = 0.0, zm = 0.0;
            for (size_t c = 0; c < 3; c++) {
                for (size_t j = 0; j < p * p; j++) {
                    x[c * p * p + j] = rec[c * side * side + (py * stride + j / p) * side +
                                           px * stride + j % p];
                    mu += x[c * p * p + j] / (double)d;
                }
            }
            for (size_t j = 0; j < d; j++) {
                ss += (x[j] - mu) * (x[j] - mu) / (double)(d - 1);
            }
            for (size_t j = 0; j < d; j++) {
                w[j] = 0.0;
                for (size_t i = 0; i < d; i++) {
                    w[j] += ((x[i] - mu) / sqrt(ss + 10.0) - m->mean[i]) * m->whiten[i * d + j];
                }
            }
            size_t best = 0;
            for (size_t k = 0; k < K; k++) {
                double s = 0.0;
                for (size_t j = 0; j < d; j++) {
                    s += (w[j] - m->centroids[k * d + j]) * (w[j] - m->centroids[k * d + j]);
                }
                z[k] = sqrt(s);
                zm += z[k] / (double)K;
                best = z[k] < z[best] ? k : best;
            }
            double *q = out + (2 * (py >= half) + (px >= half)) * K;
            for (size_t k = 0; k < K; k++) {
                q[k] += hard ? (k == best) : (zm - z[k] > 0 ? zm - z[k] : 0.0);
            }
        }
    }
}

static void check_against_plain(random_case *rc, size_t stride, int hard)
{
    size_t F = 4 * rc->m.K, rec = 3 * rc->side * rc->side;
    float *out = malloc(rc->n * F * sizeof *out);
    double *want = malloc(F * sizeof *want);
    assert_true(out && want);
    lt_kmeans_images im = {rc->x, rc->n, rc->side};
    lt_kmeans_encode_spec es = {stride, hard ? LT_KMEANS_HARD : LT_KMEANS_TRIANGLE, 2};
    lt_error err = {{0}};
    assert_int_equal(lt_kmeans_encode(&rc->m, &es, &im, out, NULL, NULL, &err), LT_OK);
    double worst = 0.0;
    for (size_t i = 0; i < rc->n; i++) {
        plain_encode(&rc->m, rc->x + i * rec, rc->side, stride, hard, want);
        for (size_t f = 0; f < F; f++) {
            /* float sums of a few hundred codes of size ~10: 1e-4 relative is ~50 ulp */
            double e = fabs(out[i * F + f] - want[f]) / (1.0 + fabs(want[f]));
            worst = e > worst ? e : worst;
            if (hard) {
                assert_true(out[i * F + f] == (float)want[f]);
            }
        }
    }
    assert_true(worst < 1e-4);
    free(out);
    free(want);
}

static void free_case(random_case *rc)
{
    free(rc->x);
    lt_kmeans_free(&rc->m);
}

static void test_fused_equals_plain(void **state)
{
    (void)state;
    random_case rc;
    random_model(&rc, 5, 16, 3, 37); /* 14 x 14 = 196 patches: 4 blocks, 37 = 2 x 16 + 5 */
    check_against_plain(&rc, 1, 0);
    check_against_plain(&rc, 1, 1);
    check_against_plain(&rc, 3, 0); /* grid 5: odd, half 3 */
    free_case(&rc);
    random_model(&rc, 3, 11, 5, 2); /* K = 2, a grid of 7 */
    check_against_plain(&rc, 1, 0);
    free_case(&rc);
}

static void test_same_bytes_any_threads(void **state)
{
    (void)state;
    random_case rc;
    random_model(&rc, 40, 12, 3, 50);
    size_t F = 4 * rc.m.K;
    float *out[3];
    lt_kmeans_images im = {rc.x, rc.n, rc.side};
    lt_error err = {{0}};
    for (size_t t = 0; t < 3; t++) {
        out[t] = malloc(rc.n * F * sizeof(float));
        lt_kmeans_encode_spec es = {1, LT_KMEANS_TRIANGLE, t + 1};
        assert_int_equal(lt_kmeans_encode(&rc.m, &es, &im, out[t], NULL, NULL, &err), LT_OK);
    }
    assert_memory_equal(out[0], out[1], rc.n * F * sizeof(float));
    assert_memory_equal(out[0], out[2], rc.n * F * sizeof(float));
    /* And the fit: the same centroids for 1 and 3 threads. */
    lt_kmeans_fit_spec fs = {6, 3, 700, 4, 1, 3, 1};
    lt_kmeans_model a, b;
    assert_int_equal(lt_kmeans_fit(&fs, &im, NULL, NULL, &a, &err), LT_OK);
    fs.threads = 3;
    assert_int_equal(lt_kmeans_fit(&fs, &im, NULL, NULL, &b, &err), LT_OK);
    assert_memory_equal(a.centroids, b.centroids, a.K * a.d * sizeof(float));
    assert_memory_equal(a.whiten, b.whiten, a.d * a.d * sizeof(float));
    lt_kmeans_free(&a);
    lt_kmeans_free(&b);
    for (size_t t = 0; t < 3; t++) {
        free(out[t]);
    }
    free_case(&rc);
}

/* ---- the model's files, refusals, picture ------------------------------------------ */

static void test_save_load_round_trip(void **state)
{
    (void)state;
    random_case rc;
    random_model(&rc, 30, 10, 3, 4);
    lt_kmeans_images im = {rc.x, rc.n, rc.side};
    lt_kmeans_fit_spec fs = {5, 3, 300, 3, 1, 42, 2};
    lt_kmeans_model m, back;
    lt_error err = {{0}};
    assert_int_equal(lt_kmeans_fit(&fs, &im, NULL, NULL, &m, &err), LT_OK);
    assert_int_equal(lt_kmeans_save(&m, tu_tmp, &err), LT_OK);
    if (lt_kmeans_load(tu_tmp, &back, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(back.K, 5);
    assert_int_equal(back.patch, 3);
    assert_int_equal(back.d, 27);
    assert_memory_equal(back.centroids, m.centroids, 5 * 27 * sizeof(float));
    assert_memory_equal(back.mean, m.mean, 27 * sizeof(float));
    assert_memory_equal(back.whiten, m.whiten, 27 * 27 * sizeof(float));
    float *f1 = malloc(rc.n * 20 * sizeof *f1), *f2 = malloc(rc.n * 20 * sizeof *f2);
    lt_kmeans_encode_spec es = {2, LT_KMEANS_TRIANGLE, 1};
    assert_int_equal(lt_kmeans_encode(&m, &es, &im, f1, NULL, NULL, &err), LT_OK);
    assert_int_equal(lt_kmeans_encode(&back, &es, &im, f2, NULL, NULL, &err), LT_OK);
    assert_memory_equal(f1, f2, rc.n * 20 * sizeof *f1);
    /* A mean of another patch size beside these centroids is refused, naming its file. */
    char *path = tu_join(tu_tmp, "other");
    assert_int_equal(tu_runf(NULL, "mkdir -p '%s' && cp '%s'/kmeans_*.npy '%s'", path, tu_tmp,
                             path), 0);
    lt_kmeans_model small = {5, 2, 12, m.mean, m.whiten, m.centroids};
    assert_int_equal(lt_kmeans_save(&small, tu_tmp, &err), LT_OK);
    assert_int_equal(tu_runf(NULL, "cp '%s/kmeans_mean.npy' '%s/'", tu_tmp, path), 0);
    lt_kmeans_free(&back);
    assert_int_equal(lt_kmeans_load(path, &back, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "kmeans_mean.npy"));
    assert_null(back.centroids);
    lt_kmeans_free(&back);
    free(path);
    free(f1);
    free(f2);
    lt_kmeans_free(&m);
    free_case(&rc);
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t px[3 * 64] = {0};
    lt_kmeans_images im = {px, 1, 8};
    lt_error err = {{0}};
    const struct {
        lt_kmeans_fit_spec s;
        const char *says;
    } bad[] = {
        {{1, 3, 100, 2, 1, 0, 1}, "centroids must be 2 or more"},
        {{4, 9, 100, 2, 1, 0, 1}, "patch 9 does not fit 8 x 8"},
        {{4, 0, 100, 2, 1, 0, 1}, "patch 0 does not fit"},
        {{4, 3, 3, 2, 1, 0, 1}, "patches must be between centroids"},
        {{4, 3, 100, 0, 1, 0, 1}, "iterations must be 1 or more"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lt_kmeans_model m;
        assert_int_equal(lt_kmeans_fit(&bad[i].s, &im, NULL, NULL, &m, &err), LT_ECONFIG);
        if (!strstr(err.msg, bad[i].says)) {
            fail_msg("\"%s\" does not say \"%s\"", err.msg, bad[i].says);
        }
    }
    float mean[3], P[9], C[9], out[12];
    lt_kmeans_model m;
    hand_model(&m, mean, P, C);
    lt_kmeans_encode_spec es = {0, LT_KMEANS_TRIANGLE, 1};
    assert_int_equal(lt_kmeans_encode(&m, &es, &im, out, NULL, NULL, &err), LT_ECONFIG);
    assert_non_null(strstr(err.msg, "stride"));
}

static void test_filters_scaling(void **state)
{
    (void)state;
    float mean[12] = {0}, P[144] = {0}, C[5 * 12];
    for (size_t i = 0; i < 5 * 12; i++) {
        C[i] = i < 12 ? (float)i - 4.0f : i < 24 ? 0.5f : (float)(i % 3);
    }
    lt_kmeans_model m = {5, 2, 12, mean, P, C};
    lt_image im;
    lt_error err = {{0}};
    assert_int_equal(lt_kmeans_filters_draw(&m, &im, &err), LT_OK);
    size_t tile = 2 * LT_KMEANS_TILE_ZOOM;
    assert_int_equal(im.width, 3 * (tile + 2) + 2); /* 3 x 2 grid for 5 tiles */
    assert_int_equal(im.height, 2 * (tile + 2) + 2);
    /* Tile 0: value c 4 + y 2 + x - 4, min -4 at R (0, 0) -> 0, max 7 at B (1, 1) -> 255. */
    const uint8_t *tl = im.rgb + (2 * im.width + 2) * 3;
    assert_int_equal(tl[0], 0);
    const uint8_t *br = im.rgb + ((2 + tile - 1) * im.width + 2 + tile - 1) * 3;
    assert_int_equal(br[2], 255);
    assert_int_equal(br[0], (int)lround(255.0 * 3 / 11)); /* R (1, 1) = -1 */
    const uint8_t *flat = im.rgb + (2 * im.width + 2 + tile + 2) * 3; /* tile 1, constant */
    assert_int_equal(flat[0], 128);
    lt_image_free(&im);
}

/* ---- interrupts ------------------------------------------------------------------ */

/* log_pass, then SIGINT raised after pass 1 (under lt_interrupt_install's handler). */
static void log_and_stop(void *ctx, size_t pass, double objective, size_t reseeded,
                         const float *centroids)
{
    log_pass(ctx, pass, objective, reseeded, centroids);
    if (pass == 1) {
        raise(SIGINT);
    }
}

/* A signal pending stops Lloyd within its first pass (no pass reported), the whitening
 * and the whole fit (the model emptied), each LT_EINTERRUPTED naming it; one raised
 * after pass 1 stops Lloyd before pass 2 ends; with none, the fit under the handler
 * gives the bytes it gives without one (the polls change nothing). */
static void test_interrupt_stops_fit(void **state)
{
    (void)state;
    random_case rc;
    random_model(&rc, 30, 10, 3, 4);
    lt_kmeans_images im = {rc.x, rc.n, rc.side};
    lt_kmeans_fit_spec fs = {5, 3, 300, 3, 1, 42, 2};
    lt_kmeans_model ref, m;
    lt_error err = {{0}};
    assert_int_equal(lt_kmeans_fit(&fs, &im, NULL, NULL, &ref, &err), LT_OK);
    assert_int_equal(lt_interrupt_install(), 0);
    assert_int_equal(raise(SIGINT), 0);
    assert_int_equal(lt_kmeans_fit(&fs, &im, NULL, NULL, &m, &err), LT_EINTERRUPTED);
    assert_non_null(strstr(err.msg, "stopped by SIGINT"));
    assert_null(m.centroids);
    size_t n = 500, d = 4, K = 12;
    float *X = correlated(n, d, 3), C[12 * 4], mean[4], P[16];
    pass_log log = {X, n, d, K, 0, 0, {0}, {0}, 0};
    lt_rng r;
    lt_rng_seed(&r, 5, LT_STREAM_KMEANS);
    assert_int_equal(lt_kmeans_lloyd(X, n, d, K, 15, &r, 1, C, log_pass, &log, &err),
                     LT_EINTERRUPTED);
    assert_int_equal(log.passes, 0);
    assert_int_equal(lt_kmeans_zca_fit(X, n, d, 0.1, mean, P, &err), LT_EINTERRUPTED);
    assert_non_null(strstr(err.msg, "whitening: stopped by SIGINT"));
    assert_int_equal(lt_interrupt_install(), 0); /* cleared */
    assert_int_equal(lt_kmeans_lloyd(X, n, d, K, 15, &r, 2, C, log_and_stop, &log, &err),
                     LT_EINTERRUPTED);
    assert_int_equal(log.passes, 2);
    assert_int_equal(lt_interrupt_install(), 0);
    assert_int_equal(lt_kmeans_fit(&fs, &im, NULL, NULL, &m, &err), LT_OK);
    lt_interrupt_uninstall();
    assert_memory_equal(m.centroids, ref.centroids, m.K * m.d * sizeof(float));
    assert_memory_equal(m.whiten, ref.whiten, m.d * m.d * sizeof(float));
    lt_kmeans_free(&m);
    lt_kmeans_free(&ref);
    free(X);
    free_case(&rc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_by_hand),
        cmocka_unit_test(test_extract_and_grid),
        cmocka_unit_test(test_whitening_whitens),
        cmocka_unit_test(test_lloyd_finds_clusters),
        cmocka_unit_test(test_lloyd_objective_never_rises),
        cmocka_unit_test(test_lloyd_reseeds_empty),
        cmocka_unit_test(test_triangle_and_pool_by_hand),
        cmocka_unit_test(test_fused_equals_plain),
        cmocka_unit_test(test_same_bytes_any_threads),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_filters_scaling),
        cmocka_unit_test(test_interrupt_stops_fit),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
