/* featbench.c — the feature benchmarks' shared parts (featbench.h): clocks, the CPU's
 * name, the k-means encoding timed and its sgemm floor. */
#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lintrain/pool.h"

#include "featbench.h"

double featbench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double featbench_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

void featbench_cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            snprintf(buf, cap, "%s", colon + 2);
            buf[strcspn(buf, "\n")] = '\0';
            break;
        }
    }
    if (f) {
        fclose(f);
    }
}

FILE *featbench_json_open(const char *path, const char *who, const char *cmdline)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", who, path, strerror(errno));
        return NULL;
    }
    char cpu[256];
    featbench_cpu_model(cpu, sizeof cpu);
    fprintf(f, "{\n  \"command\": \"%s\",\n  \"cpu\": \"%s\",\n  \"cpus\": %zu,\n"
               "  \"openblas\": \"%s\",\n", cmdline, cpu, lt_pool_cpus(), openblas_get_config());
    return f;
}

/* One task of the floor: one image's product, into the thread's own scores. */
typedef struct {
    const float *W, *C; /* W (np, d) patches, C (K, d) centroids */
    float *S;           /* (threads, np, K) */
    size_t np, K, d;
} floor_ctx;

static void floor_task(void *arg, size_t task, size_t thread)
{
    (void)task;
    floor_ctx *f = arg;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)f->np, (int)f->K, (int)f->d, 1.0f,
                f->W, (int)f->d, f->C, (int)f->d, 0.0f, f->S + thread * f->np * f->K,
                (int)f->K);
}

int featbench_floor(const lt_kmeans_model *m, size_t np, size_t images, size_t threads,
                    featbench_time *t, lt_error *err)
{
    lt_pool pool = {0};
    if (lt_pool_create(&pool, threads, err) != LT_OK) {
        return 1;
    }
    float *W = lt_calloc2(np, m->d, sizeof(float), "floor patches", err);
    float *S = lt_calloc2(pool.n * np, m->K, sizeof(float), "floor scores", err);
    int bad = !W || !S;
    if (!bad) {
        for (size_t i = 0; i < np * m->d; i++) {
            W[i] = (float)(i % 7) - 3.0f; /* any finite values: the cost is the same */
        }
        floor_ctx f = {W, m->centroids, S, np, m->K, m->d};
        int blas = openblas_get_num_threads();
        openblas_set_num_threads(1);
        double t0 = featbench_now(), c0 = featbench_cpu();
        lt_pool_run(&pool, images, floor_task, &f);
        t->wall = featbench_now() - t0;
        t->cpu = featbench_cpu() - c0;
        openblas_set_num_threads(blas);
    }
    free(W);
    free(S);
    lt_pool_free(&pool);
    return bad;
}

int featbench_encode(const lt_kmeans_model *m, size_t stride, size_t threads,
                     const lt_kmeans_images *im, float *X, featbench_time *t, lt_error *err)
{
    lt_kmeans_encode_spec es = {stride, LT_KMEANS_TRIANGLE, threads};
    double t0 = featbench_now(), c0 = featbench_cpu();
    if (lt_kmeans_encode(m, &es, im, X, NULL, NULL, err) != LT_OK) {
        return 1;
    }
    t->wall = featbench_now() - t0;
    t->cpu = featbench_cpu() - c0;
    return 0;
}
