/* featbench.h — what the feature benchmarks share (scripts/bench_features.c, the
 * extractors' table of `make bench`, and scripts/kmeans_bench.c): the clocks, the CPU's
 * name, and the k-means encoding timed beside its sgemm floor. */
#ifndef FEATBENCH_H
#define FEATBENCH_H

#include <stddef.h>
#include <stdio.h>

#include "lintrain/common.h"
#include "lintrain/kmeans.h"

/* Seconds of one measured step: wall, and CPU of this process (all its threads). */
typedef struct {
    double wall, cpu;
} featbench_time;

/* The monotonic clock, seconds. */
double featbench_now(void);

/* CPU seconds (user + system) this process has used, all threads. */
double featbench_cpu(void);

/* The first "model name" of /proc/cpuinfo into buf, or "unknown". */
void featbench_cpu_model(char *buf, size_t cap);

/* Opens path for writing a JSON object and writes its head: "command" (cmdline), "cpu",
 * "cpus" and "openblas" (the library's configuration), each line ending in a comma.
 * NULL, said on stderr after who, when path cannot be opened. */
FILE *featbench_json_open(const char *path, const char *who, const char *cmdline);

/* The sgemm floor of m's encoding: images products of np patches (np, d) times the
 * centroids (K, d) transposed, the image-sized product alone, one image per task of a
 * pool of threads threads (0: one per CPU), each with a one-thread OpenBLAS as the
 * encoder runs it. No normalisation, whitening or codes. Nonzero (err filled) when
 * memory or threads are short. */
int featbench_floor(const lt_kmeans_model *m, size_t np, size_t images, size_t threads,
                    featbench_time *t, lt_error *err);

/* Encodes the im->n images with m (triangle codes at stride, on threads threads) into
 * X, (im->n, 4 K) the caller's, and times it. Nonzero (err filled) on failure. */
int featbench_encode(const lt_kmeans_model *m, size_t stride, size_t threads,
                     const lt_kmeans_images *im, float *X, featbench_time *t, lt_error *err);

#endif
