/* bench_report.c — the tables of `make bench` (scripts/bench.c): markdown for the docs,
 * JSON with every epoch's time. */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/pool.h"

#include "bench.h"
#include "featbench.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_report_median(const double *v, int n)
{
    if (n <= 0) {
        return NAN;
    }
    double s[MAX_EPOCHS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* ---- output ----------------------------------------------------------------------- */

static void batch_name(long batch, char *buf, size_t cap)
{
    if (batch == 0) {
        snprintf(buf, cap, "full");
    } else {
        snprintf(buf, cap, "%ld", batch);
    }
}

static double peak_of(const peaks *p, const char *kernel)
{
    return strcmp(kernel, "avx512") == 0 ? p->avx512 : strcmp(kernel, "avx2") == 0 ? p->avx2
                                                                                   : NAN;
}

/* The kernel rows' table (none: nothing). */
static void markdown_kernel_rows(FILE *f, const job *jobs, int n, const peaks *p)
{
    int head = 0;
    for (int i = 0; i < n; i++) {
        const job *j = &jobs[i];
        if (!j->shape) {
            continue;
        }
        if (!head++) {
            fprintf(f, "\nKernel rows: softmax, SGD, batch 256, synthetic data (scripts/"
                       "bench_kernel.c); %% of peak = GFLOP / CPU seconds / the FMA peak of one "
                       "core for the kernel's vector width.\n\n| data | kernel | s/epoch | "
                       "CPU s/epoch | GFLOP/epoch | GFLOP/s per CPU s | %% of FMA peak | "
                       "peak RSS MB |\n|---|---|---|---|---|---|---|---|\n");
        }
        if (strcmp(j->status, "ok") != 0) {
            fprintf(f, "| %s | %s | %s | | | | | |\n", j->shape->what, j->kernel, j->status);
            continue;
        }
        double e = bench_report_median(j->epoch_s + 1, j->n_epochs - 1);
        double c = bench_report_median(j->cpu_s + 1, j->n_epochs - 1);
        double gf = bench_kernel_epoch_gflop(j->shape);
        fprintf(f, "| %s | %s | %.4f | %.4f | %.2f | %.1f | %.0f %% | %.0f |\n", j->shape->what,
                j->kernel, e, c, gf, gf / c, 100.0 * gf / c / peak_of(p, j->kernel),
                (double)j->rss_kb / 1024.0);
    }
}

void bench_report_markdown(FILE *f, const job *jobs, int n, double load_s, const char *kernel,
                           const options *o, const peaks *pk)
{
    fprintf(f, "Written by `%s`: seconds per epoch are the median of %d timed epochs after a "
               "warm-up epoch (updates only; the epoch-end evaluation apart).\n\n",
            o->cmdline, o->epochs);
    if (n > 0 && !jobs[0].shape) { /* the CIFAR-10 jobs come first */
        fprintf(f, "| job | batch | s/epoch (median) | CPU s/epoch | images/s | eval s/epoch "
                   "| eval %% | bare sgemm s/epoch | vs sgemm | peak RSS MB | test acc |\n");
        fprintf(f, "|---|---|---|---|---|---|---|---|---|---|---|\n");
    }
    for (int i = 0; i < n; i++) {
        const job *j = &jobs[i];
        char b[16];
        batch_name(j->batch, b, sizeof b);
        if (j->shape) {
            continue;
        }
        if (strcmp(j->status, "ok") != 0) {
            fprintf(f, "| %s/%s | %s | %s | | | | | | | | |\n", j->loss, j->optim, b,
                    j->status);
            continue;
        }
        double e = bench_report_median(j->epoch_s + 1, j->n_epochs - 1);
        double v = bench_report_median(j->eval_s + 1, j->n_epochs - 1);
        fprintf(f, "| %s/%s | %s | %.4f | %.4f | %.0f | %.4f | %.1f | ", j->loss, j->optim, b, e,
                bench_report_median(j->cpu_s + 1, j->n_epochs - 1), 49000.0 / e, v, 100.0 * v / e);
        if (j->floor_s > 0) {
            fprintf(f, "%.4f | %.2f× | ", j->floor_s, e / j->floor_s);
        } else {
            fprintf(f, "| | ");
        }
        fprintf(f, "%.0f | %.4f |\n", (double)j->rss_kb / 1024.0, j->test_acc);
    }
    if (!isnan(load_s)) {
        fprintf(f, "\nLoad and preprocess 60,000 images (warm cache, median of 3): %.3f s.",
                load_s);
    }
    fprintf(f, "\nKernel `%s`, train.threads %d.", kernel, o->threads);
    double peak = peak_of(pk, kernel);
    if (!isnan(pk->avx2)) {
        fprintf(f, " FMA peak per core: %.1f GFLOP/s with AVX2", pk->avx2);
        if (!isnan(pk->avx512)) {
            fprintf(f, ", %.1f with AVX-512", pk->avx512);
        }
        fputc('.', f);
    }
    if (!isnan(peak)) {
        size_t cpus = lt_pool_cpus();
        fprintf(f, " At the `%s` peak, an epoch's %.2f GFLOP take at least %.1f ms on 1 core, "
                   "%.1f ms on %zu.", kernel, EPOCH_GFLOP, 1e3 * EPOCH_GFLOP / peak,
                1e3 * EPOCH_GFLOP / peak / (double)cpus, cpus);
    }
    fputc('\n', f);
    markdown_kernel_rows(f, jobs, n, pk);
}

static void json_doubles(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s%.6f", i ? ", " : "", v[i]);
    }
    fputc(']', f);
}

/* "key": v, or "key": null for NAN. */
static void json_num(FILE *f, const char *key, double v)
{
    if (isnan(v)) {
        fprintf(f, "\"%s\": null", key);
    } else {
        fprintf(f, "\"%s\": %.6f", key, v);
    }
}

static void json_job(FILE *f, const job *j)
{
    int m = j->n_epochs > 1 ? j->n_epochs - 1 : 0;
    double e = bench_report_median(j->epoch_s + 1, m), v = bench_report_median(j->eval_s + 1, m);
    if (j->shape) {
        fprintf(f, "    {\"data\": \"%s\", \"kernel\": \"%s\", \"rows\": %zu, \"D\": %zu, "
                   "\"C\": %zu, \"dtype\": \"%s\", \"batch\": 256, \"status\": \"%s\"",
                j->shape->name, j->kernel, j->shape->n, j->shape->D, j->shape->C,
                j->shape->dtype == LT_DTYPE_F32 ? "float32" : "uint8", j->status);
    } else {
        fprintf(f, "    {\"loss\": \"%s\", \"optimizer\": \"%s\", \"batch\": %ld, "
                   "\"status\": \"%s\"", j->loss, j->optim, j->batch, j->status);
    }
    if (strcmp(j->status, "ok") != 0) {
        fputc('}', f);
        return;
    }
    fprintf(f, ",\n     \"epoch_s_median\": %.6f, \"cpu_s_median\": %.6f, \"epoch_s\": ", e,
            bench_report_median(j->cpu_s + 1, m));
    json_doubles(f, j->epoch_s + 1, m);
    fprintf(f, ", \"cpu_s\": ");
    json_doubles(f, j->cpu_s + 1, m);
    fprintf(f, ", \"warmup_epoch_s\": %.6f, \"peak_rss_mb\": %.1f", j->epoch_s[0],
            (double)j->rss_kb / 1024.0);
    if (j->shape) {
        fprintf(f, ", \"epoch_gflop\": %.4f}", bench_kernel_epoch_gflop(j->shape));
        return;
    }
    fprintf(f, ",\n     \"images_per_s\": %.1f, \"eval_s_median\": %.6f, \"eval_s\": ",
            49000.0 / e, v);
    json_doubles(f, j->eval_s + 1, m);
    fprintf(f, ",\n     \"setup_s\": %.6f, \"run_s\": %.6f, \"test_acc\": %.4f", j->setup_s,
            j->total_s, j->test_acc);
    if (j->floor_s > 0) {
        fprintf(f, ", \"sgemm_floor_s\": %.6f", j->floor_s);
    }
    fputc('}', f);
}

int bench_report_json(const char *path, const job *jobs, int n, double load_s, const options *o,
                      const char *kernel_used, const peaks *pk)
{
    FILE *f = featbench_json_open(path, "bench", o->cmdline);
    if (!f) {
        return 1;
    }
    fprintf(f, "  \"kernel\": \"%s\",\n  \"threads\": %d,\n", kernel_used, o->threads);
    fprintf(f, "  \"timed_epochs\": %d,\n  \"train_images\": 49000,\n  \"epoch_gflop\": %.4f,"
               "\n  ", o->epochs, EPOCH_GFLOP);
    json_num(f, "fma_peak_gflops_per_core", pk->avx2);
    fprintf(f, ",\n  ");
    json_num(f, "fma_peak_avx512_gflops_per_core", pk->avx512);
    fprintf(f, ",\n  ");
    json_num(f, "load_preprocess_s", load_s);
    fprintf(f, ",\n  \"jobs\": [\n");
    for (int i = 0; i < n; i++) {
        json_job(f, &jobs[i]);
        fprintf(f, "%s\n", i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

