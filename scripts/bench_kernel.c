/* bench_kernel.c — the kernel rows of `make bench`: softmax SGD epochs on synthetic
 * data of the shapes other data sets have, and the machine's FMA peaks.
 *
 * A row's epoch is what lt_train's is for a first-order optimizer, without the data
 * loading, logging and checks: shuffle the order, then for each batch of 256 the
 * kernel's loss and gradient (rows read by index, straight from the data), the L2
 * penalty's gradient and the SGD update. Speed does not depend on the values (no
 * denormals: uniform bytes, or floats in [0, 1)); labels are uniform. */
#include "bench_kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lintrain/kernel.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/optim.h"
#include "lintrain/penalty.h"
#include "lintrain/rng.h"

#define BATCH 256

static const bench_shape SHAPES[] = {
    {"c10-u8", "CIFAR-10: 49,000 x 3,072 uint8, C = 10", 49000, 3072, 10, LT_DTYPE_U8},
    {"c100-u8", "CIFAR-100 fine: 49,000 x 3,072 uint8, C = 100", 49000, 3072, 100, LT_DTYPE_U8},
    {"f32-6400", "features: 49,000 x 6,400 float32, C = 10", 49000, 6400, 10, LT_DTYPE_F32},
};

const bench_shape *bench_kernel_shape_at(size_t i)
{
    return i < sizeof SHAPES / sizeof SHAPES[0] ? &SHAPES[i] : NULL;
}

double bench_kernel_epoch_gflop(const bench_shape *s)
{
    return 4.0 * (double)s->n * (double)s->D * (double)s->C / 1e9;
}

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Everything one row trains with. */
typedef struct {
    void *x;
    uint16_t *labels;
    size_t *order;
    float *shift, *scale, *grad;
    lt_model m;
    lt_kernel k;
    lt_optimizer opt;
} bench_run;

static void run_free(bench_run *r)
{
    free(r->x);
    free(r->labels);
    free(r->order);
    free(r->shift);
    free(r->scale);
    free(r->grad);
    lt_model_free(&r->m);
    lt_kernel_free(&r->k);
    lt_optimizer_free(&r->opt);
}

/* The synthetic data: uniform bytes, or floats in [0, 1); the shift their mean. */
static void fill(const bench_shape *s, bench_run *r, lt_rng *rng)
{
    size_t values = s->n * s->D;
    if (s->dtype == LT_DTYPE_U8) {
        uint8_t *x = r->x;
        for (size_t i = 0; i < values; i++) {
            x[i] = (uint8_t)(lt_rng_u32(rng) >> 24);
        }
    } else {
        float *x = r->x;
        for (size_t i = 0; i < values; i++) {
            x[i] = (float)(lt_rng_u32(rng) >> 8) * 0x1p-24f;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        r->labels[i] = (uint16_t)lt_rng_below(rng, (uint32_t)s->C);
        r->order[i] = i;
    }
    for (size_t d = 0; d < s->D; d++) {
        r->shift[d] = s->dtype == LT_DTYPE_U8 ? 127.5f : 0.5f;
        r->scale[d] = 1.0f;
    }
    for (size_t i = 0; i < s->D * s->C; i++) {
        r->m.W[i] = (float)(1e-4 * lt_rng_normal(rng));
    }
}

static int run_create(const bench_shape *s, const char *kernel, int threads, bench_run *r,
                      lt_error *err)
{
    memset(r, 0, sizeof *r);
    r->x = lt_calloc2(s->n, s->D, lt_dtype_size(s->dtype), "bench data", err);
    r->labels = lt_calloc(s->n, sizeof *r->labels, "bench labels", err);
    r->order = lt_calloc(s->n, sizeof *r->order, "bench order", err);
    r->shift = lt_calloc(s->D, sizeof *r->shift, "bench shift", err);
    r->scale = lt_calloc(s->D, sizeof *r->scale, "bench scale", err);
    if (!r->x || !r->labels || !r->order || !r->shift || !r->scale ||
        lt_model_create(&r->m, s->D, s->C, err) != LT_OK) {
        return 1;
    }
    r->grad = lt_calloc(r->m.n_params, sizeof *r->grad, "bench gradient", err);
    lt_rng rng;
    lt_rng_seed(&rng, 13, 0);
    if (r->grad) {
        fill(s, r, &rng);
    }
    lt_optim_params p;
    memset(&p, 0, sizeof p);
    return !r->grad ||
           lt_kernel_create(&r->k, kernel, s->D, s->C, s->dtype, (size_t)threads, r->shift,
                            r->scale, err) != LT_OK ||
           lt_optimizer_create(&r->opt, lt_optim_find("sgd"), &p, r->m.n_params, s->D * s->C,
                               err) != LT_OK;
}

/* One epoch of batch-BATCH SGD; the mean batch loss (NAN when it diverged). */
static double epoch(const bench_shape *s, bench_run *r, lt_rng *rng)
{
    const lt_loss *loss = lt_loss_find("softmax");
    const lt_penalty *l2 = lt_penalty_find("l2");
    lt_rng_shuffle(rng, r->order, s->n);
    double sum = 0.0;
    size_t batches = 0;
    for (size_t first = 0; first < s->n; first += BATCH, batches++) {
        size_t rows = s->n - first < BATCH ? s->n - first : BATCH;
        lt_rows batch = {r->x, s->dtype, r->labels, r->order + first, 0, rows};
        sum += lt_kernel_loss_grad(&r->k, &r->m, loss, 0.0, &batch, r->grad, NULL);
        l2->add_grad(r->m.W, s->D * s->C, 1e-3, 0.0, r->grad);
        lt_optimizer_step(&r->opt, r->m.params, r->grad, 1e-7);
    }
    return sum / (double)batches;
}

int bench_kernel_epochs(const bench_shape *s, const char *kernel, int threads, int epochs,
                        double *wall_s, double *cpu_s, lt_error *err)
{
    bench_run r;
    int rc = run_create(s, kernel, threads, &r, err);
    lt_rng rng;
    lt_rng_seed(&rng, 13, 1);
    for (int e = 0; rc == 0 && e < epochs; e++) {
        double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
        double loss = epoch(s, &r, &rng);
        wall_s[e] = seconds(CLOCK_MONOTONIC) - w0;
        cpu_s[e] = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (!isfinite(loss)) {
            rc = 1;
            lt_fail(err, LT_ERR, "%s: the loss diverged in epoch %d", s->name, e + 1);
        }
    }
    run_free(&r);
    return rc;
}

/* ---- the machine's bound --------------------------------------------------------- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define FMA_ITERS 50000000L

/* GFLOP/s of `chains` chains of FMAs of `lanes` floats that took sec seconds (0 when the
 * result, kept so that the loop is not removed, came out zero). */
static double gflops(int chains, int lanes, double sec, float kept)
{
    return kept != 0.0f && sec > 0 ? 2.0 * chains * lanes * (double)FMA_ITERS / sec / 1e9 : 0.0;
}

/* 12 independent chains of 256-bit FMAs (enough to cover the FMA latency on current
 * x86 cores), started from different values so that the compiler cannot merge them. */
__attribute__((target("avx2,fma"))) static double peak256(void)
{
    __m256 a[12];
    for (int i = 0; i < 12; i++) {
        a[i] = _mm256_set1_ps(1.0f + 0.125f * (float)i);
    }
    __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-6f);
    double t0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (long k = 0; k < FMA_ITERS; k++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) {
            a[i] = _mm256_fmadd_ps(a[i], x, y);
        }
    }
    double sec = seconds(CLOCK_PROCESS_CPUTIME_ID) - t0;
    float keep[8], sum = 0.0f;
    for (int i = 0; i < 12; i++) {
        _mm256_storeu_ps(keep, a[i]);
        sum += keep[0];
    }
    return gflops(12, 8, sec, sum);
}

/* The same with 16 chains of 512-bit FMAs (AVX-512 has 32 registers; cores with two
 * 512-bit FMA units and a latency of 4 need 8 chains at least). */
__attribute__((target("avx512f"))) static double peak512(void)
{
    __m512 a[16];
    for (int i = 0; i < 16; i++) {
        a[i] = _mm512_set1_ps(1.0f + 0.125f * (float)i);
    }
    __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-6f);
    double t0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (long k = 0; k < FMA_ITERS; k++) {
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            a[i] = _mm512_fmadd_ps(a[i], x, y);
        }
    }
    double sec = seconds(CLOCK_PROCESS_CPUTIME_ID) - t0;
    float sum = 0.0f;
    for (int i = 0; i < 16; i++) {
        sum += _mm512_reduce_add_ps(a[i]);
    }
    return gflops(16, 16, sec, sum);
}

double bench_kernel_fma_peak(int bits)
{
    __builtin_cpu_init();
    int ok = bits == 512 ? __builtin_cpu_supports("avx512f")
                         : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (!ok) {
        return NAN;
    }
    double best = 0.0;
    for (int rep = 0; rep < 3; rep++) {
        double g = bits == 512 ? peak512() : peak256();
        best = g > best ? g : best;
    }
    return best;
}
#else
double bench_kernel_fma_peak(int bits)
{
    (void)bits;
    return NAN;
}
#endif
