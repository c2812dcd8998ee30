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
 * Also the machine's bound: one core's FMA peak (AVX2, 256-bit, and AVX-512 where the
 * CPU has it), measured, and the epoch's 6.02 GFLOP at that peak on every core. And the
 * kernel rows (bench_kernel.c): softmax SGD epochs at batch 256 on synthetic data of
 * other shapes (C = 100 uint8, float32 of 6,400 features), each through avx2 and
 * avx512 where the CPU runs them, with the fraction of the FMA peak they reach.
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

#include "bench.h"
#include "bench_kernel.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- one training job, in a child -------------------------------------------------- */

typedef struct {
    job *j;
    double t_call, t_last_step;
    long long epoch;
    double cpu_mark;     /* CPU seconds at the end of the last epoch's evaluation */
} watch;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_start(void *ctx, const lt_run_info *info)
{
    watch *w = ctx;
    (void)info;
    w->j->setup_s = now() - w->t_call;
    w->cpu_mark = cpu_now();
}

static void on_progress(void *ctx, long long done, long long total, double epoch_seconds)
{
    watch *w = ctx;
    if (done == total && w->epoch < MAX_EPOCHS) {
        w->j->epoch_s[w->epoch] = epoch_seconds;
        w->j->cpu_s[w->epoch] = cpu_now() - w->cpu_mark;
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
    w->cpu_mark = cpu_now();
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
    watch w = {j, now(), 0.0, 0, 0.0};
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
    *seconds = bench_report_median(t + 1, 5);
    free(X);
    free(W);
    free(S);
    free(G);
    return 0;
}

/* ---- children --------------------------------------------------------------------- */

typedef enum { TASK_JOB, TASK_LOAD, TASK_FLOOR, TASK_KERNEL } task;

/* A kernel row: 1 + o->epochs epochs, the first a warm-up. */
static int run_kernel_row(const options *o, job *j)
{
    lt_error err;
    j->n_epochs = o->epochs + 1;
    if (bench_kernel_epochs(j->shape, j->kernel, o->threads, j->n_epochs, j->epoch_s, j->cpu_s,
                           &err) != 0) {
        fprintf(stderr, "bench: %s: %s\n", j->name, err.msg);
        j->status = "failed";
        return 1;
    }
    j->status = "ok";
    return 0;
}

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
        } else if (what == TASK_KERNEL) {
            rc = run_kernel_row(o, j);
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

/* ---- main ------------------------------------------------------------------------ */

static const char USAGE[] =
    "usage: bench [--data DIR] [--epochs N] [--threads T] [--kernel NAME] [--only JOB]\n"
    "             [--no-floor] [--no-load] [--json FILE] [--md FILE] [--runs DIR]\n"
    "Times lintrain on the full CIFAR-10: {softmax, svm} x {sgd, adamw} x batch\n"
    "{256, 4096, full}, N timed epochs (default 5) after a warm-up epoch each; then the\n"
    "kernel rows: softmax SGD at batch 256 on synthetic data, through avx2 and avx512.\n"
    "JOB is loss/optimizer/batch, e.g. softmax/sgd/256 (batch 0 = full), or a kernel\n"
    "row's data/kernel: c10-u8, c100-u8 or f32-6400 / avx2 or avx512.\n";

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
    static const char *kernels[] = {"avx2", "avx512"};
    for (size_t s = 0; bench_kernel_shape_at(s); s++) {
        for (int k = 0; k < 2; k++) {
            job *j = &jobs[n];
            memset(j, 0, sizeof *j);
            j->shape = bench_kernel_shape_at(s);
            j->kernel = kernels[k];
            j->floor_s = -1.0;
            snprintf(j->name, sizeof j->name, "%s/%s", j->shape->name, j->kernel);
            n += (!o->only || strcmp(o->only, j->name) == 0) && lt_kernel_available(j->kernel);
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

/* Runs every job in a child, a CIFAR-10 job with its sgemm floor; says how it went. */
static void run_jobs(const options *o, job *jobs, int n)
{
    for (int i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (j->shape) {
            in_child(o, TASK_KERNEL, j, NULL);
            if (strcmp(j->status, "ok") == 0) {
                fprintf(stderr, "bench: %-20s %.4f s/epoch, %.4f CPU s, %ld MB\n", j->name,
                        bench_report_median(j->epoch_s + 1, j->n_epochs - 1),
                        bench_report_median(j->cpu_s + 1, j->n_epochs - 1), j->rss_kb / 1024);
            }
            continue;
        }
        if (!lt_optim_find(j->optim)) {
            j->status = "skipped: optimizer not in this build";
            fprintf(stderr, "bench: %s: %s\n", j->name, j->status);
            continue;
        }
        char out[512];
        snprintf(out, sizeof out, "%s/run-%s-%s-%ld", o->runs_dir, j->loss, j->optim, j->batch);
        in_child(o, TASK_JOB, j, out);
        if (!o->skip_floor) {
            job fl = *j;
            if (in_child(o, TASK_FLOOR, &fl, NULL) == 0) {
                j->floor_s = fl.floor_s;
            }
        }
        if (strcmp(j->status, "ok") == 0) {
            fprintf(stderr, "bench: %-20s %.4f s/epoch (eval %.4f s), %ld MB", j->name,
                    bench_report_median(j->epoch_s + 1, j->n_epochs - 1),
                    bench_report_median(j->eval_s + 1, j->n_epochs - 1), j->rss_kb / 1024);
            if (j->floor_s > 0) {
                fprintf(stderr, ", bare sgemm %.4f s", j->floor_s);
            }
            fputc('\n', stderr);
        } else {
            fprintf(stderr, "bench: %s: %s\n", j->name, j->status);
        }
    }
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
    double load_s = bench_report_median(loads, 3);
    if (!o.skip_load) {
        fprintf(stderr, "bench: load + preprocess of 60,000 images: %.3f s\n", load_s);
    }
    run_jobs(&o, jobs, n);
    peaks pk = {bench_kernel_fma_peak(256), bench_kernel_fma_peak(512)};
    bench_report_markdown(stdout, jobs, n, load_s, kernel_used, &o, &pk);
    FILE *md = fopen(o.md_path, "w");
    if (!md) {
        fprintf(stderr, "bench: %s: %s\n", o.md_path, strerror(errno));
        return 1;
    }
    bench_report_markdown(md, jobs, n, load_s, kernel_used, &o, &pk);
    if (fclose(md) != 0) {
        return 1;
    }
    return bench_report_json(o.json_path, jobs, n, load_s, &o, kernel_used, &pk);
}
