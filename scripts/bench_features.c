/* bench_features.c — the feature extractors' speed on CIFAR-10 images, the table of
 * `make bench` (docs/perf/features.md and .json); `make bench-features` prints it only.
 * Not part of make test.
 *
 * Loads the images of --data DIR (the full set's six files, or the committed sample's)
 * and times, --rounds times after one warm-up round, on --threads threads:
 * - hog (144 values), hue_histogram (--bins, 10) and both concatenated, as a
 *   data.features list computes them, over every image (the library's pool: images shared
 *   out in tasks of 256). Also a checksum of the features, equal for any thread count.
 * - the k-means encoding of the shipped configs/kmeans_svm.json stage (1,600 centroids,
 *   6 x 6, stride 1, whitening, triangle, quadrants) of the first --kmeans-images training
 *   images, each round beside its sgemm floor: the same patches x centroids products
 *   alone, same images, same threads (featbench.c, shared with kmeans_bench.c). The
 *   centroids are fitted once on --kmeans-patches patches in --kmeans-iterations passes,
 *   or read from a k-means run folder (--kmeans-load DIR): their values do not change
 *   the encoding's cost.
 * Prints the table; --md FILE and --json FILE also write it, headed by the command. */
#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/cifar.h"
#include "lintrain/features.h"
#include "lintrain/pool.h"

#include "featbench.h"

#define TASK 256
#define MAX_ROUNDS 64
#define WARMUP_IMAGES 200

static const char *const FILES[] = {"data_batch_1.bin", "data_batch_2.bin",
                                    "data_batch_3.bin", "data_batch_4.bin",
                                    "data_batch_5.bin", "test_batch.bin"};

typedef struct {
    const char *data, *md, *json, *load;
    char cmdline[512];          /* how the table was made, for its header */
    size_t threads, bins, rounds;
    lt_kmeans_fit_spec fit;     /* the shipped stage's shapes; patches, passes: ours */
    size_t stride, km_images;
} options;

/* One extractor row: its stages, concatenated per image as data.features does. */
typedef struct {
    const char *name;
    const lt_feature_kind *kinds[2];
    size_t nkinds, size;         /* stages; features per image (the stages' sum) */
    const lt_feature_params *params;
    const lt_dataset *data;
    float *out;                  /* (n, size) */
    featbench_time t[MAX_ROUNDS];
} job;

/* The k-means row: rounds of the encoding and its floor, same images. */
typedef struct {
    size_t images, K, patch, d, np, fit_patches, fit_iterations;
    featbench_time enc[MAX_ROUNDS], floor[MAX_ROUNDS];
} kmeans_row;

static void run_task(void *ctx, size_t task, size_t thread)
{
    (void)thread;
    job *j = ctx;
    const uint8_t *pixels = j->data->x;
    size_t end = (task + 1) * TASK < j->data->n ? (task + 1) * TASK : j->data->n;
    for (size_t i = task * TASK; i < end; i++) {
        float *out = j->out + i * j->size;
        for (size_t k = 0; k < j->nkinds; k++) {
            j->kinds[k]->compute(j->params, pixels + i * LT_CIFAR_D, 32, 32, out);
            out += j->kinds[k]->size(j->params, 32, 32);
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), n in 1 .. MAX_ROUNDS. */
static double median(const double *v, size_t n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof s[0], cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* Field f (wall or cpu) of t[0..n), or its ratio to u's (u[r].f / t[r].f), medianed. */
static double median_time(const featbench_time *t, const featbench_time *u, size_t n, int cpu)
{
    double v[MAX_ROUNDS];
    for (size_t r = 0; r < n; r++) {
        double x = cpu ? t[r].cpu : t[r].wall;
        v[r] = u ? (cpu ? u[r].cpu : u[r].wall) / x : x;
    }
    return median(v, n);
}

/* rounds passes of j over every image, after a warm-up pass. */
static void time_job(lt_pool *pool, job *j, size_t rounds)
{
    size_t tasks = (j->data->n + TASK - 1) / TASK;
    lt_pool_run(pool, tasks, run_task, j);
    for (size_t r = 0; r < rounds; r++) {
        double t0 = featbench_now(), c0 = featbench_cpu();
        lt_pool_run(pool, tasks, run_task, j);
        j->t[r] = (featbench_time){featbench_now() - t0, featbench_cpu() - c0};
    }
}

static double checksum(const job *j)
{
    double sum = 0;
    for (size_t i = 0; i < j->data->n * j->size; i++) {
        sum += j->out[i];
    }
    return sum;
}

/* The model to encode with: read from o->load, or fitted on the training images. */
static int kmeans_model(const options *o, const lt_dataset *data, lt_kmeans_model *m,
                        kmeans_row *row, lt_error *err)
{
    if (o->load) {
        row->fit_patches = 0;
        return lt_kmeans_load(o->load, m, err) != LT_OK;
    }
    size_t n = data->n < 50000 ? data->n : 50000; /* the training images come first */
    lt_kmeans_images im = {data->x, n, 32};
    row->fit_patches = o->fit.patches;
    row->fit_iterations = o->fit.iterations;
    double t0 = featbench_now();
    if (lt_kmeans_fit(&o->fit, &im, NULL, NULL, m, err) != LT_OK) {
        return 1;
    }
    fprintf(stderr, "k-means fitted on %zu patches, %zu pass(es): %.1f s\n", o->fit.patches,
            o->fit.iterations, featbench_now() - t0);
    return 0;
}

/* The k-means row: a warm-up, then rounds of (floor, encoding) on the same images. */
static int time_kmeans(const options *o, const lt_dataset *data, kmeans_row *row,
                       lt_error *err)
{
    lt_kmeans_model m = {0};
    float *X = NULL;
    int bad = kmeans_model(o, data, &m, row, err);
    if (!bad) {
        size_t g = lt_kmeans_grid(32, m.patch, o->stride);
        row->images = o->km_images < data->n ? o->km_images : data->n;
        row->K = m.K;
        row->patch = m.patch;
        row->d = m.d;
        row->np = g * g;
        X = lt_calloc2(row->images, lt_kmeans_features(&m), sizeof(float), "codes", err);
        bad = !X;
    }
    lt_kmeans_images warm = {data->x, row->images < WARMUP_IMAGES ? row->images
                                                                  : WARMUP_IMAGES, 32};
    lt_kmeans_images im = {data->x, row->images, 32};
    featbench_time t;
    bad = bad || featbench_floor(&m, row->np, warm.n, o->threads, &t, err) ||
          featbench_encode(&m, o->stride, o->threads, &warm, X, &t, err);
    for (size_t r = 0; r < o->rounds && !bad; r++) {
        bad = featbench_floor(&m, row->np, im.n, o->threads, &row->floor[r], err) ||
              featbench_encode(&m, o->stride, o->threads, &im, X, &row->enc[r], err);
        fprintf(stderr, "k-means round %zu: floor %.2f s, encoding %.2f s\n", r + 1,
                row->floor[r].wall, row->enc[r].wall);
    }
    free(X);
    lt_kmeans_free(&m);
    return bad;
}

static const char *const NO_FLOOR =
    "none: per-pixel arithmetic and binning, not a matrix product";

/* The table, headed by the command, the CPU and the libraries used. */
static void write_markdown(FILE *f, const options *o, const job *jobs, size_t njobs,
                           const kmeans_row *k, size_t threads)
{
    char cpu[256];
    featbench_cpu_model(cpu, sizeof cpu);
    fprintf(f, "Written by `%s` on %s (%zu CPUs): hog and hue_histogram are lintrain's C, the "
               "k-means products OpenBLAS sgemm (%s, core %s). Each figure is the median of %zu "
               "rounds after a warm-up round, on %zu thread(s).\n\n", o->cmdline, cpu,
            lt_pool_cpus(), openblas_get_config(), openblas_get_corename(), o->rounds, threads);
    fprintf(f, "| extractor | features/image | images/round | images/s | CPU s/round | "
               "images per CPU s | threads | floor | fraction of floor (wall; CPU) |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < njobs; i++) {
        const job *j = &jobs[i];
        double w = median_time(j->t, NULL, o->rounds, 0), c = median_time(j->t, NULL,
                                                                          o->rounds, 1);
        fprintf(f, "| %s | %zu | %zu | %.0f | %.3f | %.0f | %zu | %s | |\n", j->name, j->size,
                j->data->n, (double)j->data->n / w, c, (double)j->data->n / c, threads,
                NO_FLOOR);
    }
    double w = median_time(k->enc, NULL, o->rounds, 0), c = median_time(k->enc, NULL,
                                                                        o->rounds, 1);
    fprintf(f, "| kmeans encoding: %zu centroids, %zux%zu, stride %zu, whitening, triangle, "
               "quadrants | %zu | %zu | %.1f | %.2f | %.1f | %zu | sgemm alone: %.1f images/s, "
               "%.1f per CPU s | %.2f; %.2f |\n", k->K, k->patch, k->patch, o->stride,
            4 * k->K, k->images, (double)k->images / w, c, (double)k->images / c, threads,
            (double)k->images / median_time(k->floor, NULL, o->rounds, 0),
            (double)k->images / median_time(k->floor, NULL, o->rounds, 1),
            median_time(k->enc, k->floor, o->rounds, 0),
            median_time(k->enc, k->floor, o->rounds, 1));
    fprintf(f, "\nThe k-means floor: per image one sgemm of its %zu patches x %zu values by the "
               "%zu centroids, alone (no normalisation, whitening, distances or pooling), timed "
               "in each round just before the encoding of the same images on the same threads. "
               "Fraction of floor = the floor's seconds / the encoding's, per round, then the "
               "median: on a shared machine both slow down together, so the fraction is the "
               "stable figure and images/s is not. ", k->np, k->d, k->K);
    if (k->fit_patches) {
        fprintf(f, "The centroids were fitted once, before the rounds, on %zu patches in %zu "
                   "Lloyd pass(es) (the shipped config fits 400,000 in 10); the encoding's "
                   "cost depends on the shapes, not on the centroids' values.\n",
                k->fit_patches, k->fit_iterations);
    } else {
        fprintf(f, "The centroids were read from `%s`.\n", o->load);
    }
    fprintf(f, "\nhog and hue_histogram have no floor: gradients, arctan2, binning and the RGB "
               "to hue conversion are per-pixel arithmetic, with no matrix product a library "
               "could do faster to compare against.\n");
}

static void json_times(FILE *f, const char *key, const featbench_time *t, size_t n)
{
    for (int cpu = 0; cpu < 2; cpu++) {
        fprintf(f, ", \"%s%s\": [", key, cpu ? "cpu_s" : "wall_s");
        for (size_t r = 0; r < n; r++) {
            fprintf(f, "%s%.6f", r ? ", " : "", cpu ? t[r].cpu : t[r].wall);
        }
        fputc(']', f);
    }
}

/* Every round's seconds, as JSON; nonzero (said on stderr) when path cannot be written. */
static int write_json(const char *path, const options *o, const job *jobs, size_t njobs,
                      const kmeans_row *k, size_t threads)
{
    FILE *f = featbench_json_open(path, "bench_features", o->cmdline);
    if (!f) {
        return 1;
    }
    fprintf(f, "  \"openblas_core\": \"%s\",\n  \"threads\": %zu,\n  \"rounds\": %zu,\n"
               "  \"extractors\": [\n", openblas_get_corename(), threads, o->rounds);
    for (size_t i = 0; i < njobs; i++) {
        fprintf(f, "    {\"name\": \"%s\", \"features\": %zu, \"images\": %zu, "
                   "\"images_per_s\": %.1f, \"floor\": \"%s\"", jobs[i].name, jobs[i].size,
                jobs[i].data->n,
                (double)jobs[i].data->n / median_time(jobs[i].t, NULL, o->rounds, 0), NO_FLOOR);
        json_times(f, "", jobs[i].t, o->rounds);
        fprintf(f, "},\n");
    }
    fprintf(f, "    {\"name\": \"kmeans\", \"centroids\": %zu, \"patch\": %zu, \"stride\": %zu, "
               "\"patches_per_image\": %zu, \"features\": %zu, \"images\": %zu, "
               "\"fit_patches\": %zu, \"fit_iterations\": %zu,\n     \"images_per_s\": %.2f, "
               "\"floor_images_per_s\": %.2f, \"fraction_of_floor\": %.4f, "
               "\"fraction_of_floor_cpu\": %.4f\n     ", k->K, k->patch, o->stride, k->np,
            4 * k->K, k->images, k->fit_patches, k->fit_iterations,
            (double)k->images / median_time(k->enc, NULL, o->rounds, 0),
            (double)k->images / median_time(k->floor, NULL, o->rounds, 0),
            median_time(k->enc, k->floor, o->rounds, 0),
            median_time(k->enc, k->floor, o->rounds, 1));
    json_times(f, "encode_", k->enc, o->rounds);
    json_times(f, "floor_", k->floor, o->rounds);
    fprintf(f, "}\n  ]\n}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_features: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

static const char USAGE[] =
    "usage: bench_features [--data DIR] [--threads T (0: one per CPU)] [--bins N]\n"
    "       [--rounds R] [--kmeans-images N] [--kmeans-patches N] [--kmeans-iterations I]\n"
    "       [--kmeans-load DIR] [--md FILE] [--json FILE]\n";

/* The value of a numeric option into *out; -1 when it is not a number in [lo, hi]. */
static int number(const char *s, size_t lo, size_t hi, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || errno || v < lo || v > hi) {
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int parse(int argc, char **argv, options *o)
{
    *o = (options){"data/cifar-10-batches-bin", NULL, NULL, NULL, "bench_features", 1, 10, 5,
                   {1600, 6, 16000, 1, 1, 0, 0}, 1, 2000};
    size_t len = strlen(o->cmdline);
    for (int i = 1; i < argc && len + strlen(argv[i]) + 2 < sizeof o->cmdline; i++) {
        len += (size_t)snprintf(o->cmdline + len, sizeof o->cmdline - len, " %s", argv[i]);
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        int bad = 0;
        if (strcmp(a, "--data") == 0) o->data = v;
        else if (strcmp(a, "--md") == 0) o->md = v;
        else if (strcmp(a, "--json") == 0) o->json = v;
        else if (strcmp(a, "--kmeans-load") == 0) o->load = v;
        else if (strcmp(a, "--threads") == 0) bad = number(v, 0, 1024, &o->threads);
        else if (strcmp(a, "--bins") == 0) bad = number(v, 1, 100000, &o->bins);
        else if (strcmp(a, "--rounds") == 0) bad = number(v, 1, MAX_ROUNDS, &o->rounds);
        else if (strcmp(a, "--kmeans-images") == 0) bad = number(v, 1, 60000, &o->km_images);
        else if (strcmp(a, "--kmeans-patches") == 0)
            bad = number(v, 2, 10000000, &o->fit.patches);
        else if (strcmp(a, "--kmeans-iterations") == 0)
            bad = number(v, 1, 1000, &o->fit.iterations);
        else bad = -1;
        if (bad) {
            return -1;
        }
    }
    o->fit.threads = o->threads;
    return argc % 2 == 1 ? 0 : -1;
}

/* The three extractor rows, timed; prints each with its checksum. */
static int time_extractors(const options *o, lt_pool *pool, job *jobs, lt_error *err)
{
    for (size_t k = 0; k < 3; k++) {
        jobs[k].out = lt_calloc2(jobs[k].data->n, jobs[k].size, sizeof(float), "features", err);
        if (!jobs[k].out) {
            return 1;
        }
        time_job(pool, &jobs[k], o->rounds);
        fprintf(stderr, "%s: %.0f images/s, checksum %.9g\n", jobs[k].name,
                (double)jobs[k].data->n / median_time(jobs[k].t, NULL, o->rounds, 0),
                checksum(&jobs[k]));
        free(jobs[k].out);
        jobs[k].out = NULL;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "%s", USAGE);
        return 2;
    }
    lt_error err = {{0}};
    lt_dataset data = {0};
    lt_pool pool = {0};
    const lt_feature_kind *hog = lt_features_find("hog"), *hue = lt_features_find("hue_histogram");
    lt_feature_params params = {o.bins};
    char hue_name[64], both_name[80];
    snprintf(hue_name, sizeof hue_name, "hue_histogram (%zu bins)", o.bins);
    snprintf(both_name, sizeof both_name, "hog + hue_histogram (%zu bins)", o.bins);
    size_t hs = hog->size(&params, 32, 32), us = hue->size(&params, 32, 32);
    job jobs[3] = {{.name = "hog", .kinds = {hog, NULL}, .nkinds = 1, .size = hs},
                   {.name = hue_name, .kinds = {hue, NULL}, .nkinds = 1, .size = us},
                   {.name = both_name, .kinds = {hog, hue}, .nkinds = 2, .size = hs + us}};
    for (size_t k = 0; k < 3; k++) {
        jobs[k].params = &params;
        jobs[k].data = &data;
    }
    kmeans_row km = {0};
    int rc = 1;
    if (lt_cifar_load(o.data, FILES, 6, &data, &err) != LT_OK ||
        lt_pool_create(&pool, o.threads, &err) != LT_OK ||
        time_extractors(&o, &pool, jobs, &err) || time_kmeans(&o, &data, &km, &err)) {
        fprintf(stderr, "bench_features: %s\n", err.msg);
        goto cleanup;
    }
    write_markdown(stdout, &o, jobs, 3, &km, pool.n);
    FILE *md = o.md ? fopen(o.md, "w") : NULL;
    if (o.md && !md) {
        fprintf(stderr, "bench_features: %s: %s\n", o.md, strerror(errno));
        goto cleanup;
    }
    if (md) {
        write_markdown(md, &o, jobs, 3, &km, pool.n);
        if (fclose(md) != 0) {
            fprintf(stderr, "bench_features: %s: %s\n", o.md, strerror(errno));
            goto cleanup;
        }
    }
    rc = o.json ? write_json(o.json, &o, jobs, 3, &km, pool.n) : 0;
cleanup:
    lt_pool_free(&pool);
    lt_dataset_free(&data);
    return rc;
}
