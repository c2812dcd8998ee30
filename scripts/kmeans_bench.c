/* kmeans_bench.c — the k-means features on the full CIFAR-10, timed: the fit (patches,
 * whitening, Lloyd), the encoding of --images training images (images/s), and the
 * sgemm floor of that encoding (the same patches x centroids products alone, one
 * thread per image as the encoder makes them). Writes the fitted model and filters.png
 * to --out; with --features also the codes of --images training and --test test images
 * as train_features.npy and test_features.npy (and their labels as .npy of floats), for
 * a quick check of their accuracy. Build: make build/release/kmeans_bench. The timing and
 * the floor are featbench.c's, shared with bench_features.c (the table of make bench). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/cifar.h"
#include "lintrain/fsutil.h"
#include "lintrain/kmeans.h"
#include "lintrain/npy.h"

#include "featbench.h"

typedef struct {
    const char *data, *out, *load;
    size_t images, test, threads, stride;
    int features;
    lt_kmeans_fit_spec fit;
} options;

static void on_pass(void *ctx, size_t pass, double objective, size_t reseeded,
                    const float *centroids)
{
    (void)centroids;
    fprintf(stderr, "  pass %zu: objective %.6g, re-seeded %zu, %.1f s\n", pass + 1,
            objective, reseeded, featbench_now() - *(double *)ctx);
}

static size_t number(const char *s)
{
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end) {
        fprintf(stderr, "kmeans_bench: not a number: %s\n", s);
        exit(2);
    }
    return (size_t)v;
}

static void parse(int argc, char **argv, options *o)
{
    *o = (options){"data/cifar-10-batches-bin", "runs/kmeans_bench", NULL, 2000, 0, 0, 1, 0,
                   {1600, 6, 400000, 10, 1, 0, 0}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--features") == 0) {
            o->features = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "usage: kmeans_bench [--data DIR] [--out DIR] [--load DIR] "
                    "[--centroids K] [--patch P] [--patches N] [--iterations I] [--stride S] "
                    "[--images N] [--test N] [--threads T] [--features]\n");
            exit(2);
        }
        i++;
        if (strcmp(a, "--data") == 0) o->data = v;
        else if (strcmp(a, "--out") == 0) o->out = v;
        else if (strcmp(a, "--load") == 0) o->load = v;
        else if (strcmp(a, "--centroids") == 0) o->fit.centroids = number(v);
        else if (strcmp(a, "--patch") == 0) o->fit.patch = number(v);
        else if (strcmp(a, "--patches") == 0) o->fit.patches = number(v);
        else if (strcmp(a, "--iterations") == 0) o->fit.iterations = number(v);
        else if (strcmp(a, "--stride") == 0) o->stride = number(v);
        else if (strcmp(a, "--images") == 0) o->images = number(v);
        else if (strcmp(a, "--test") == 0) o->test = number(v);
        else if (strcmp(a, "--threads") == 0) o->threads = number(v);
        else {
            fprintf(stderr, "kmeans_bench: unknown option %s\n", a);
            exit(2);
        }
    }
    o->fit.threads = o->threads;
}

static void sgemm_floor(const lt_kmeans_model *m, size_t np, size_t images, size_t threads)
{
    featbench_time t;
    lt_error err = {{0}};
    if (featbench_floor(m, np, images, threads, &t, &err) != 0) {
        fprintf(stderr, "kmeans_bench: floor: %s\n", err.msg);
        return;
    }
    printf("sgemm floor: %.1f images/s, %.1f per CPU second\n", (double)images / t.wall,
           (double)images / t.cpu);
}

static int save_features(const char *dir, const char *name, const float *X, size_t n,
                         size_t D, const lt_dataset *ds)
{
    char path[LT_PATH_MAX], file[64];
    lt_error err = {{0}};
    size_t shape[2] = {n, D};
    float *y = calloc(n, sizeof *y);
    for (size_t i = 0; i < n; i++) {
        y[i] = (float)ds->labels[i];
    }
    snprintf(file, sizeof file, "%s_features.npy", name);
    int bad = lt_path_join(path, dir, file, &err) != LT_OK ||
              lt_npy_write_f32(path, X, shape, 2, &err) != LT_OK;
    snprintf(file, sizeof file, "%s_labels.npy", name);
    bad = bad || lt_path_join(path, dir, file, &err) != LT_OK ||
          lt_npy_write_f32(path, y, shape, 1, &err) != LT_OK;
    free(y);
    if (bad) {
        fprintf(stderr, "kmeans_bench: %s\n", err.msg);
    }
    return bad;
}

static int encode(const options *o, const lt_kmeans_model *m, const lt_dataset *ds,
                  size_t n, const char *name)
{
    lt_kmeans_images im = {ds->x, n, 32};
    size_t D = lt_kmeans_features(m);
    float *X = calloc(n * D, sizeof *X);
    lt_error err = {{0}};
    featbench_time t;
    if (!X || featbench_encode(m, o->stride, o->threads, &im, X, &t, &err) != 0) {
        fprintf(stderr, "kmeans_bench: encode: %s\n", X ? err.msg : "out of memory");
        free(X);
        return 1;
    }
    printf("encode %s: %zu images in %.2f s (%.2f CPU s): %.1f images/s, %.1f per CPU second "
           "(60,000 images: %.0f s)\n", name, n, t.wall, t.cpu, (double)n / t.wall,
           (double)n / t.cpu, 60000.0 * t.wall / (double)n);
    int bad = o->features ? save_features(o->out, name, X, n, D, ds) : 0;
    free(X);
    return bad;
}

static int fit_or_load(const options *o, const lt_dataset *train, lt_kmeans_model *m)
{
    lt_error err = {{0}};
    if (o->load) {
        if (lt_kmeans_load(o->load, m, &err) != LT_OK) {
            fprintf(stderr, "kmeans_bench: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    lt_kmeans_images im = {train->x, train->n, 32};
    double t0 = featbench_now(), c0 = featbench_cpu();
    if (lt_kmeans_fit(&o->fit, &im, on_pass, &t0, m, &err) != LT_OK) {
        fprintf(stderr, "kmeans_bench: fit: %s\n", err.msg);
        return 1;
    }
    printf("fit: %zu patches %zux%zu, %zu centroids, %zu passes: %.1f s (%.1f CPU s)\n",
           o->fit.patches, o->fit.patch, o->fit.patch, o->fit.centroids, o->fit.iterations,
           featbench_now() - t0, featbench_cpu() - c0);
    char path[LT_PATH_MAX];
    if (lt_mkdir_p(o->out, &err) != LT_OK || lt_kmeans_save(m, o->out, &err) != LT_OK ||
        lt_path_join(path, o->out, "filters.png", &err) != LT_OK ||
        lt_kmeans_filters_write(m, path, &err) != LT_OK) {
        fprintf(stderr, "kmeans_bench: %s\n", err.msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    parse(argc, argv, &o);
    static const char *const TRAIN[] = {"data_batch_1.bin", "data_batch_2.bin",
                                        "data_batch_3.bin", "data_batch_4.bin",
                                        "data_batch_5.bin"};
    static const char *const TEST[] = {"test_batch.bin"};
    lt_dataset train = {0}, test = {0};
    lt_error err = {{0}};
    lt_kmeans_model m = {0};
    int bad = lt_cifar_load(o.data, TRAIN, 5, &train, &err) != LT_OK ||
              (o.test && lt_cifar_load(o.data, TEST, 1, &test, &err) != LT_OK);
    if (bad) {
        fprintf(stderr, "kmeans_bench: %s\n", err.msg);
        return 1;
    }
    bad = fit_or_load(&o, &train, &m);
    size_t g = lt_kmeans_grid(32, m.patch, o.stride);
    if (!bad) {
        printf("sgemm floor, %zu x %zu x %zu per image:\n", g * g, m.K, m.d);
        sgemm_floor(&m, g * g, 200, o.threads);
        bad = encode(&o, &m, &train, o.images < train.n ? o.images : train.n, "train");
    }
    if (!bad && o.test) {
        bad = encode(&o, &m, &test, o.test < test.n ? o.test : test.n, "test");
    }
    lt_kmeans_free(&m);
    lt_dataset_free(&train);
    lt_dataset_free(&test);
    return bad;
}
