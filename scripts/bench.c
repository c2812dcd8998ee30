/* bench.c — lintrain's speed on the full CIFAR-10: `make bench` (not part of `make test`).
 *
 * For each job (loss × optimizer × batch size) a child process trains for 1 + --epochs
 * epochs through lt_train, with an observer that times every epoch's updates (the
 * first epoch is a warm-up and is not counted) and every epoch-end evaluation
 * separately; the parent takes the child's peak resident memory from wait4. Then, in
 * children as well: the time to load and preprocess all 60,000 images (median of 3,
 * the first warming the file cache), and the bare-sgemm floor — the two OpenBLAS
 * products a minibatch needs, X·W and Xᵀ·G, on float data already in memory.
 *
 * Also the machine's bound: one core's FMA peak (AVX2, 256-bit), measured, and the
 * epoch's 6.02 GFLOP at that peak on every core.
 *
 * Writes one JSON file and one markdown table (`make bench`: docs/perf/bench.{json,md},
 * which the docs link to), headed by the command that made them; prints the table. Run
 * folders go to --runs DIR (runs/bench). Only same-run ratios mean much on a shared
 * machine: scripts/bench_peers runs the peers beside this. */
#define _DEFAULT_SOURCE /* wait4 */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lintrain/config.h"
#include "lintrain/kernel.h"
#include "lintrain/optim.h"
#include "lintrain/preprocess.h"
#include "lintrain/splits.h"
#include "lintrain/train.h"

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
} job;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    if (n <= 0) {
        return NAN;
    }
    double s[MAX_EPOCHS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* ---- one training job, in a child -------------------------------------------------- */

typedef struct {
    job *j;
    double t_call, t_last_step;
    long long epoch;
} watch;

static void on_start(void *ctx, const lt_run_info *info)
{
    watch *w = ctx;
    (void)info;
    w->j->setup_s = now() - w->t_call;
}

static void on_progress(void *ctx, long long done, long long total, double epoch_seconds)
{
    watch *w = ctx;
    if (done == total && w->epoch < MAX_EPOCHS) {
        w->j->epoch_s[w->epoch] = epoch_seconds;
        w->t_last_step = now();
    }
}

static void on_epoch(void *ctx, const lt_epoch_report *r)
{
    watch *w = ctx;
    (void)r;
    if (w->epoch < MAX_EPOCHS) {
        w->j->eval_s[w->epoch] = now() - w->t_last_step;
    }
    w->epoch++;
}

/* The learning rates are the shipped configs' (SGD) or a stable AdamW one; speed does
 * not depend on them as long as nothing diverges. */
static int run_job(const options *o, job *j, const char *out_dir)
{
    char sets[16][256];
    int n = 0;
    snprintf(sets[n++], 256, "data.dir=\"%s\"", o->data_dir);
    snprintf(sets[n++], 256, "model.loss=%s", j->loss);
    snprintf(sets[n++], 256, "regularization.lambda=%s", strcmp(j->loss, "svm") ? "1e2" : "1e3");
    snprintf(sets[n++], 256, "optimizer.name=%s", j->optim);
    snprintf(sets[n++], 256, "optimizer.lr=%s",
             strcmp(j->optim, "sgd") ? "1e-4" : strcmp(j->loss, "svm") ? "1e-6" : "3e-7");
    snprintf(sets[n++], 256, "train.batch_size=%ld", j->batch);
    snprintf(sets[n++], 256, "train.epochs=%d", o->epochs + 1);
    snprintf(sets[n++], 256, "train.threads=%d", o->threads);
    snprintf(sets[n++], 256, "train.kernel=%s", o->kernel);
    snprintf(sets[n++], 256, "train.log_every=0");
    snprintf(sets[n++], 256, "output.dir=\"%s\"", out_dir);
    const char *ptrs[16];
    for (int i = 0; i < n; i++) {
        ptrs[i] = sets[i];
    }
    lt_config cfg;
    lt_error err;
    if (lt_config_load(&cfg, NULL, ptrs, (size_t)n, &err) != LT_OK) {
        fprintf(stderr, "bench: %s: %s\n", j->name, err.msg);
        return 1;
    }
    watch w = {j, now(), 0.0, 0};
    lt_train_observer obs = {.ctx = &w, .on_start = on_start, .on_progress = on_progress,
                             .on_epoch = on_epoch};
    lt_summary s;
    lt_status st = lt_train(&cfg, &obs, &s, &err);
    j->total_s = now() - w.t_call;
    j->n_epochs = (int)w.epoch;
    j->test_acc = s.test.accuracy;
    j->status = st == LT_OK ? "ok" : st == LT_EDIVERGED ? "diverged" : "failed";
    if (st != LT_OK && st != LT_EDIVERGED) {
        fprintf(stderr, "bench: %s: %s\n", j->name, err.msg);
    }
    lt_config_free(&cfg);
    return st == LT_OK ? 0 : 1;
}

/* ---- the load, and the sgemm floor ------------------------------------------------- */

/* Loads the default splits (49,000 + 1,000 + 10,000) and fits mean_image. */
static int time_load(const options *o, double *seconds)
{
    char set[256];
    snprintf(set, sizeof set, "data.dir=\"%s\"", o->data_dir);
    const char *sets[1] = {set};
    lt_config cfg;
    lt_error err;
    if (lt_config_load(&cfg, NULL, sets, 1, &err) != LT_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    double t0 = now();
    lt_splits s;
    lt_preprocess p;
    lt_status st = lt_splits_load(&cfg, &s, &err);
    if (st == LT_OK) {
        st = lt_preprocess_fit(&p, cfg.data.preprocess, &s.train, s.is_image, &err);
        *seconds = now() - t0;
        lt_preprocess_free(&p);
        lt_splits_free(&s);
    }
    if (st != LT_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
    }
    lt_config_free(&cfg);
    return st == LT_OK ? 0 : 1;
}

/* Seconds for the sgemm products of one epoch of 49,000 rows in batches of `batch`
 * (0: full batch, done in 4096-row slices accumulated into G) with the data already
 * float in memory: scores = X·W, then G = Xᵀ·S. Median of 5 after a warm-up. */
static int time_floor(long batch, int threads, double *seconds)
{
    const size_t N = 49000, D = LT_CIFAR_D, C = LT_CIFAR_C;
    size_t rows = batch == 0 || batch > 4096 ? 4096 : (size_t)batch;
    float *X = malloc(rows * D * sizeof *X), *W = malloc(D * C * sizeof *W);
    float *S = malloc(rows * C * sizeof *S), *G = malloc(D * C * sizeof *G);
    if (!X || !W || !S || !G) {
        return 1;
    }
    for (size_t i = 0; i < rows * D; i++) {
        X[i] = (float)(i % 251) - 125.0f;
    }
    for (size_t i = 0; i < D * C; i++) {
        W[i] = 1e-4f * (float)(i % 7);
    }
    openblas_set_num_threads(threads > 0 ? threads : (int)lt_pool_cpus());
    double t[6];
    for (int rep = 0; rep < 6; rep++) {
        double t0 = now();
        size_t per = batch == 0 ? N : (size_t)batch;
        for (size_t first = 0; first < N; first += per) {
            size_t in_batch = N - first < per ? N - first : per;
            for (size_t s = 0; s < in_batch; s += rows) {
                int n = (int)(in_batch - s < rows ? in_batch - s : rows);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, (int)C, (int)D, 1.0f, X,
                            (int)D, W, (int)C, 0.0f, S, (int)C);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)D, (int)C, n, 1.0f, X,
                            (int)D, S, (int)C, s ? 1.0f : 0.0f, G, (int)C);
            }
        }
        t[rep] = now() - t0;
    }
    *seconds = median(t + 1, 5);
    free(X);
    free(W);
    free(S);
    free(G);
    return 0;
}

/* ---- the machine's bound ------------------------------------------------------------ */

#define EPOCH_GFLOP (4.0 * 49000 * LT_CIFAR_D * LT_CIFAR_C / 1e9) /* X·W and Xᵀ·G */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* GFLOP/s of one core running 12 independent chains of 256-bit FMAs (enough to cover
 * the FMA latency on current x86 cores); best of 3 half-second runs, CPU time, so a
 * busy machine slows it less. The chains start from different values so that the
 * compiler cannot merge them. */
__attribute__((target("avx2,fma"))) static double fma_peak(void)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        return NAN;
    }
    double best = 0.0;
    for (int rep = 0; rep < 3; rep++) {
        __m256 a[12];
        for (int i = 0; i < 12; i++) {
            a[i] = _mm256_set1_ps(1.0f + 0.125f * (float)i);
        }
        __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-6f);
        const long iters = 50000000;
        struct timespec t0, t1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        for (long k = 0; k < iters; k++) {
            a[0] = _mm256_fmadd_ps(a[0], x, y), a[1] = _mm256_fmadd_ps(a[1], x, y);
            a[2] = _mm256_fmadd_ps(a[2], x, y), a[3] = _mm256_fmadd_ps(a[3], x, y);
            a[4] = _mm256_fmadd_ps(a[4], x, y), a[5] = _mm256_fmadd_ps(a[5], x, y);
            a[6] = _mm256_fmadd_ps(a[6], x, y), a[7] = _mm256_fmadd_ps(a[7], x, y);
            a[8] = _mm256_fmadd_ps(a[8], x, y), a[9] = _mm256_fmadd_ps(a[9], x, y);
            a[10] = _mm256_fmadd_ps(a[10], x, y), a[11] = _mm256_fmadd_ps(a[11], x, y);
        }
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        float keep[8], sum = 0.0f;
        for (int i = 0; i < 12; i++) {
            _mm256_storeu_ps(keep, a[i]);
            sum += keep[0];
        }
        double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        double gflops = sum != 0.0f && sec > 0 ? 12.0 * 16.0 * (double)iters / sec / 1e9 : 0.0;
        best = gflops > best ? gflops : best;
    }
    return best;
}
#else
static double fma_peak(void)
{
    return NAN;
}
#endif

/* ---- children --------------------------------------------------------------------- */

typedef enum { TASK_JOB, TASK_LOAD, TASK_FLOOR } task;

/* Runs the task in a child; *j gets what it measured (through a pipe) and its peak
 * memory. */
static int in_child(const options *o, task what, job *j, const char *out_dir)
{
    int fd[2];
    if (pipe(fd) != 0) {
        perror("bench: pipe");
        return 1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        return 1;
    }
    if (pid == 0) {
        close(fd[0]);
        int rc = 0;
        if (what == TASK_JOB) {
            rc = run_job(o, j, out_dir);
        } else if (what == TASK_LOAD) {
            rc = time_load(o, &j->setup_s);
        } else {
            rc = time_floor(j->batch, o->threads, &j->floor_s);
        }
        ssize_t wrote = write(fd[1], j, sizeof *j);
        close(fd[1]);
        _exit(wrote == (ssize_t)sizeof *j ? (rc ? 3 : 0) : 4);
    }
    close(fd[1]);
    job got;
    size_t have = 0;
    while (have < sizeof got) {
        ssize_t r = read(fd[0], (char *)&got + have, sizeof got - have);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            break;
        }
        have += (size_t)r;
    }
    close(fd[0]);
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("bench: wait4");
        return 1;
    }
    if (have != sizeof got) {
        j->status = "failed: the child died";
        return 1;
    }
    /* The child is a copy of this process: its pointers (to string constants and to
     * what existed before the fork) mean the same here. */
    *j = got;
    j->rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
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

static void write_markdown(FILE *f, const job *jobs, int n, double load_s, const char *kernel,
                           const options *o, double peak)
{
    fprintf(f, "Written by `%s`: seconds per epoch are the median of %d timed epochs after a "
               "warm-up epoch (updates only; the epoch-end evaluation apart).\n\n",
            o->cmdline, o->epochs);
    fprintf(f, "| job | batch | s/epoch (median) | images/s | eval s/epoch | eval %% | "
               "bare sgemm s/epoch | vs sgemm | peak RSS MB | test acc |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        const job *j = &jobs[i];
        char b[16];
        batch_name(j->batch, b, sizeof b);
        if (strcmp(j->status, "ok") != 0) {
            fprintf(f, "| %s/%s | %s | %s | | | | | | | |\n", j->loss, j->optim, b, j->status);
            continue;
        }
        double e = median(j->epoch_s + 1, j->n_epochs - 1);
        double v = median(j->eval_s + 1, j->n_epochs - 1);
        fprintf(f, "| %s/%s | %s | %.4f | %.0f | %.4f | %.1f | ", j->loss, j->optim, b, e,
                49000.0 / e, v, 100.0 * v / e);
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
    if (!isnan(peak)) {
        size_t cpus = lt_pool_cpus();
        fprintf(f, " FMA peak %.1f GFLOP/s per core (AVX2): an epoch's %.2f GFLOP take at "
                   "least %.1f ms on 1 core, %.1f ms on %zu.", peak, EPOCH_GFLOP,
                1e3 * EPOCH_GFLOP / peak, 1e3 * EPOCH_GFLOP / peak / (double)cpus, cpus);
    }
    fputc('\n', f);
}

static void json_doubles(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s%.6f", i ? ", " : "", v[i]);
    }
    fputc(']', f);
}

/* The first "model name" line of /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t cap)
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

static int write_json(const char *path, const job *jobs, int n, double load_s, const options *o,
                      const char *kernel_used, double peak)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    fprintf(f, "{\n  \"command\": \"%s\",\n", o->cmdline);
    fprintf(f, "  \"cpu\": \"%s\",\n  \"cpus\": %zu,\n", cpu, lt_pool_cpus());
    fprintf(f, "  \"openblas\": \"%s\",\n  \"kernel\": \"%s\",\n  \"threads\": %d,\n",
            openblas_get_config(), kernel_used, o->threads);
    fprintf(f, "  \"timed_epochs\": %d,\n  \"train_images\": 49000,\n", o->epochs);
    if (isnan(peak)) {
        fprintf(f, "  \"fma_peak_gflops_per_core\": null,\n");
    } else {
        fprintf(f, "  \"fma_peak_gflops_per_core\": %.2f,\n  \"epoch_gflop\": %.4f,\n", peak,
                EPOCH_GFLOP);
    }
    if (isnan(load_s)) {
        fprintf(f, "  \"load_preprocess_s\": null,\n  \"jobs\": [\n");
    } else {
        fprintf(f, "  \"load_preprocess_s\": %.6f,\n  \"jobs\": [\n", load_s);
    }
    for (int i = 0; i < n; i++) {
        const job *j = &jobs[i];
        int m = j->n_epochs > 1 ? j->n_epochs - 1 : 0;
        double e = median(j->epoch_s + 1, m), v = median(j->eval_s + 1, m);
        fprintf(f, "    {\"loss\": \"%s\", \"optimizer\": \"%s\", \"batch\": %ld, "
                   "\"status\": \"%s\"",
                j->loss, j->optim, j->batch, j->status);
        if (strcmp(j->status, "ok") == 0) {
            fprintf(f, ",\n     \"epoch_s_median\": %.6f, \"images_per_s\": %.1f, "
                       "\"eval_s_median\": %.6f,\n     \"epoch_s\": ", e, 49000.0 / e, v);
            json_doubles(f, j->epoch_s + 1, m);
            fprintf(f, ", \"warmup_epoch_s\": %.6f, \"eval_s\": ", j->epoch_s[0]);
            json_doubles(f, j->eval_s + 1, m);
            fprintf(f, ",\n     \"setup_s\": %.6f, \"run_s\": %.6f, \"peak_rss_mb\": %.1f, "
                       "\"test_acc\": %.4f", j->setup_s, j->total_s, (double)j->rss_kb / 1024.0,
                    j->test_acc);
            if (j->floor_s > 0) {
                fprintf(f, ", \"sgemm_floor_s\": %.6f", j->floor_s);
            }
        }
        fprintf(f, "}%s\n", i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static const char USAGE[] =
    "usage: bench [--data DIR] [--epochs N] [--threads T] [--kernel NAME] [--only JOB]\n"
    "             [--no-floor] [--no-load] [--json FILE] [--md FILE] [--runs DIR]\n"
    "Times lintrain on the full CIFAR-10: {softmax, svm} x {sgd, adamw} x batch\n"
    "{256, 4096, full}, N timed epochs (default 5) after a warm-up epoch each.\n"
    "JOB is loss/optimizer/batch, e.g. softmax/sgd/256 (batch 0 = full).\n";

static int parse(int argc, char **argv, options *o)
{
    *o = (options){"data/cifar-10-batches-bin", "runs/bench/bench.json", "runs/bench/bench.md",
                   "runs/bench", "auto", NULL, "bench", 5, 0, 0, 0};
    size_t len = strlen(o->cmdline);
    for (int i = 1; i < argc && len + strlen(argv[i]) + 2 < sizeof o->cmdline; i++) {
        len += (size_t)snprintf(o->cmdline + len, sizeof o->cmdline - len, " %s", argv[i]);
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-floor") == 0) {
            o->skip_floor = 1;
            continue;
        }
        if (strcmp(a, "--no-load") == 0) {
            o->skip_load = 1;
            continue;
        }
        if (!v) {
            fputs(USAGE, stderr);
            return 2;
        }
        i++;
        char *end = NULL;
        if (strcmp(a, "--data") == 0) {
            o->data_dir = v;
        } else if (strcmp(a, "--json") == 0) {
            o->json_path = v;
        } else if (strcmp(a, "--runs") == 0) {
            o->runs_dir = v;
        } else if (strcmp(a, "--md") == 0) {
            o->md_path = v;
        } else if (strcmp(a, "--kernel") == 0) {
            o->kernel = v;
        } else if (strcmp(a, "--only") == 0) {
            o->only = v;
        } else if (strcmp(a, "--epochs") == 0) {
            long e = strtol(v, &end, 10);
            if (*end || e < 1 || e >= MAX_EPOCHS) {
                fprintf(stderr, "bench: --epochs: 1..%d\n", MAX_EPOCHS - 1);
                return 2;
            }
            o->epochs = (int)e;
        } else if (strcmp(a, "--threads") == 0) {
            long t = strtol(v, &end, 10);
            if (*end || t < 0 || t > 1024) {
                fprintf(stderr, "bench: --threads: 0..1024\n");
                return 2;
            }
            o->threads = (int)t;
        } else {
            fputs(USAGE, stderr);
            return 2;
        }
    }
    return 0;
}

/* The jobs: every loss, optimizer and batch size (only o->only's when it names one). */
static int make_jobs(const options *o, job *jobs)
{
    static const char *losses[] = {"softmax", "svm"}, *optims[] = {"sgd", "adamw"};
    static const long batches[] = {256, 4096, 0};
    int n = 0;
    for (int a = 0; a < 2; a++) {
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 3; c++) {
                job *j = &jobs[n];
                memset(j, 0, sizeof *j);
                j->loss = losses[a];
                j->optim = optims[b];
                j->batch = batches[c];
                j->floor_s = -1.0;
                snprintf(j->name, sizeof j->name, "%s/%s/%ld", j->loss, j->optim, j->batch);
                if (o->only && strcmp(o->only, j->name) != 0) {
                    continue;
                }
                n++;
            }
        }
    }
    return n;
}

/* The implementation name resolves to on this CPU (a static string), or NULL with the
 * reason printed. */
static const char *resolve_kernel(const char *name)
{
    lt_kernel k;
    lt_error err;
    float zero[1] = {0}, one[1] = {1};
    if (lt_kernel_create(&k, name, 1, LT_CIFAR_C, LT_DTYPE_U8, 1, zero, one, &err) != LT_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return NULL;
    }
    const char *used = lt_kernel_name(&k);
    lt_kernel_free(&k);
    return used;
}

/* Creates folder dir (and its parents) when missing. */
static int make_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench: cannot create %s\n", dir);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    job jobs[MAX_JOBS];
    int n = make_jobs(&o, jobs);
    if (n == 0) {
        fprintf(stderr, "bench: no job named %s\n", o.only);
        return 2;
    }
    const char *kernel_used = resolve_kernel(o.kernel);
    if (!kernel_used) {
        return 2;
    }
    const char *dir = o.runs_dir;
    if (make_dir(dir) != 0) {
        return 1;
    }
    /* Load time: three children, the first warms the file cache. */
    double loads[3] = {NAN, NAN, NAN};
    for (int i = 0; i < (o.skip_load ? 0 : 3); i++) {
        job l;
        memset(&l, 0, sizeof l);
        if (in_child(&o, TASK_LOAD, &l, NULL) != 0) {
            fprintf(stderr, "bench: loading %s failed (run scripts/get_cifar10.sh?)\n", o.data_dir);
            return 1;
        }
        loads[i] = l.setup_s;
    }
    double load_s = median(loads, 3);
    if (!o.skip_load) {
        fprintf(stderr, "bench: load + preprocess of 60,000 images: %.3f s\n", load_s);
    }
    for (int i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (!lt_optim_find(j->optim)) {
            j->status = "skipped: optimizer not in this build";
            fprintf(stderr, "bench: %s: %s\n", j->name, j->status);
            continue;
        }
        char out[512];
        snprintf(out, sizeof out, "%s/run-%s-%s-%ld", dir, j->loss, j->optim, j->batch);
        in_child(&o, TASK_JOB, j, out);
        if (!o.skip_floor) {
            job fl = *j;
            if (in_child(&o, TASK_FLOOR, &fl, NULL) == 0) {
                j->floor_s = fl.floor_s;
            }
        }
        if (strcmp(j->status, "ok") == 0) {
            fprintf(stderr, "bench: %-20s %.4f s/epoch (eval %.4f s), %ld MB", j->name,
                    median(j->epoch_s + 1, j->n_epochs - 1),
                    median(j->eval_s + 1, j->n_epochs - 1), j->rss_kb / 1024);
            if (j->floor_s > 0) {
                fprintf(stderr, ", bare sgemm %.4f s", j->floor_s);
            }
            fputc('\n', stderr);
        } else {
            fprintf(stderr, "bench: %s: %s\n", j->name, j->status);
        }
    }
    double peak = fma_peak();
    write_markdown(stdout, jobs, n, load_s, kernel_used, &o, peak);
    FILE *md = fopen(o.md_path, "w");
    if (!md) {
        fprintf(stderr, "bench: %s: %s\n", o.md_path, strerror(errno));
        return 1;
    }
    write_markdown(md, jobs, n, load_s, kernel_used, &o, peak);
    if (fclose(md) != 0) {
        return 1;
    }
    return write_json(o.json_path, jobs, n, load_s, &o, kernel_used, peak);
}
