/* bench_features.c — the HOG and hue-histogram extractors' speed on CIFAR-10 images:
 * `make bench-features` (BENCH_FEATURES_ARGS passes options). Not part of make test.
 *
 * Loads the images of --data DIR (the full set's six files, or the committed sample's),
 * computes hog (144 values) and hue_histogram (--bins, 10) for every image, --rounds
 * times, on --threads threads (the library's pool: images shared out in tasks of 256),
 * and prints images/s per extractor and for both: the median round, after one warm-up
 * round. Also a checksum of the features, equal for any number of threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lintrain/cifar.h"
#include "lintrain/features.h"
#include "lintrain/pool.h"

#define TASK 256
#define MAX_ROUNDS 64
#define HOG_SIZE 144

static const char *const FILES[] = {"data_batch_1.bin", "data_batch_2.bin",
                                    "data_batch_3.bin", "data_batch_4.bin",
                                    "data_batch_5.bin", "test_batch.bin"};

typedef struct {
    const lt_dataset *data;
    const lt_feature_kind *kind;
    lt_feature_params params;
    size_t size;  /* features per image */
    float *out;   /* (n, size) */
} job;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run_task(void *ctx, size_t task, size_t thread)
{
    (void)thread;
    job *j = ctx;
    const uint8_t *pixels = j->data->x;
    size_t end = (task + 1) * TASK < j->data->n ? (task + 1) * TASK : j->data->n;
    for (size_t i = task * TASK; i < end; i++) {
        j->kind->compute(&j->params, pixels + i * LT_CIFAR_D, 32, 32, j->out + i * j->size);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median seconds of rounds passes of j over every image (after a warm-up pass). */
static double time_job(lt_pool *pool, job *j, int rounds)
{
    double s[MAX_ROUNDS];
    size_t tasks = (j->data->n + TASK - 1) / TASK;
    lt_pool_run(pool, tasks, run_task, j);
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        lt_pool_run(pool, tasks, run_task, j);
        s[r] = now() - t0;
    }
    qsort(s, (size_t)rounds, sizeof s[0], cmp_double);
    return s[rounds / 2];
}

static double checksum(const job *j)
{
    double sum = 0;
    for (size_t i = 0; i < j->data->n * j->size; i++) {
        sum += j->out[i];
    }
    return sum;
}

static int parse(int argc, char **argv, const char **dir, long *threads, long *bins, int *rounds)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        char *end;
        long v = strtol(argv[i + 1], &end, 10);
        if (strcmp(argv[i], "--data") == 0) {
            *dir = argv[i + 1];
            continue;
        }
        if (*end != '\0' || v < 0 || v > 100000) {
            return -1;
        }
        if (strcmp(argv[i], "--threads") == 0) {
            *threads = v;
        } else if (strcmp(argv[i], "--bins") == 0 && v >= 1) {
            *bins = v;
        } else if (strcmp(argv[i], "--rounds") == 0 && v >= 1 && v <= MAX_ROUNDS) {
            *rounds = (int)v;
        } else {
            return -1;
        }
    }
    return argc % 2 == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *dir = "data/cifar-10-batches-bin";
    long threads = 1, bins = 10;
    int rounds = 5, rc = 1;
    if (parse(argc, argv, &dir, &threads, &bins, &rounds) != 0) {
        fprintf(stderr, "usage: bench_features [--data DIR] [--threads T (0: one per CPU)] "
                        "[--bins N] [--rounds R]\n");
        return 2;
    }
    lt_error err;
    lt_dataset data = {0};
    lt_pool pool = {0};
    job jobs[2] = {{&data, lt_features_find("hog"), {0}, HOG_SIZE, NULL},
                   {&data, lt_features_find("hue_histogram"), {(size_t)bins}, (size_t)bins,
                    NULL}};
    if (lt_cifar_load(dir, FILES, 6, &data, &err) != LT_OK ||
        lt_pool_create(&pool, (size_t)threads, &err) != LT_OK) {
        fprintf(stderr, "bench_features: %s\n", err.msg);
        goto cleanup;
    }
    printf("%zu images of %s, %zu thread(s), median of %d rounds\n", data.n, dir, pool.n,
           rounds);
    double total = 0;
    for (int k = 0; k < 2; k++) {
        jobs[k].out = lt_calloc2(data.n, jobs[k].size, sizeof(float), "features", &err);
        if (!jobs[k].out) {
            fprintf(stderr, "bench_features: %s\n", err.msg);
            goto cleanup;
        }
        double s = time_job(&pool, &jobs[k], rounds);
        total += s;
        printf("%-14s %9.0f images/s  (%.3f s)  checksum %.9g\n", jobs[k].kind->name,
               (double)data.n / s, s, checksum(&jobs[k]));
    }
    printf("%-14s %9.0f images/s  (%.3f s)\n", "both", (double)data.n / total, total);
    rc = 0;
cleanup:
    free(jobs[0].out);
    free(jobs[1].out);
    lt_pool_free(&pool);
    lt_dataset_free(&data);
    return rc;
}
