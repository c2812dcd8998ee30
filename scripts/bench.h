/* bench.h — what scripts/bench.c (the driver) and scripts/bench_report.c (its tables)
 * share: the options and the jobs. */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>

#include "lintrain/cifar.h"

#include "bench_kernel.h"

#define MAX_EPOCHS 64
#define MAX_JOBS 32

typedef struct {
    const char *data_dir, *json_path, *md_path, *runs_dir, *kernel, *only;
    char cmdline[512];   /* how this table was made, for its header */
    int epochs;          /* timed epochs, after one warm-up epoch */
    int threads;         /* train.threads; 0 = one per CPU */
    int skip_floor;
    int skip_load;
} options;

typedef struct {
    char name[64];
    const char *loss, *optim;
    long batch;          /* 0 = full batch */
    const char *status;  /* "ok", "diverged", "skipped: ...", "failed: ..." */
    double epoch_s[MAX_EPOCHS], eval_s[MAX_EPOCHS];
    int n_epochs;
    double setup_s, total_s, test_acc;
    long rss_kb;
    double floor_s;      /* bare sgemm, same shapes; < 0 when not measured */
    double cpu_s[MAX_EPOCHS]; /* CPU seconds of each epoch's updates (all threads) */
    const bench_shape *shape; /* a kernel row's data, or NULL: a CIFAR-10 job */
    const char *kernel;       /* a kernel row's implementation */
} job;

/* One core's FMA peaks, GFLOP/s (NAN: the CPU lacks the instructions). */
typedef struct {
    double avx2, avx512;
} peaks;

#define EPOCH_GFLOP (4.0 * 49000 * LT_CIFAR_D * LT_CIFAR_C / 1e9) /* X·W and Xᵀ·G */

/* The median of v[0..n) (NAN when n <= 0; n <= MAX_EPOCHS). */
double bench_report_median(const double *v, int n);

/* The tables: the CIFAR-10 jobs', then the kernel rows'. */
void bench_report_markdown(FILE *f, const job *jobs, int n, double load_s, const char *kernel,
                           const options *o, const peaks *pk);

/* Everything measured, as JSON, to path; nonzero (said on stderr) when it cannot. */
int bench_report_json(const char *path, const job *jobs, int n, double load_s, const options *o,
                      const char *kernel_used, const peaks *pk);

#endif
