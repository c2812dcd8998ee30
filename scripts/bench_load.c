/* bench_load.c — how fast an npy data set loads: `make bench` runs it after bench.c
 * (not part of `make test`).
 *
 * Writes a float32 X of 49,000 x 6,400 (1.25 GB: the size of k-means image features) and
 * its int64 labels under --dir (runs/bench), row by row so this process stays small,
 * and the same X as float64 (2.5 GB). Then, each in a child process of its own (its
 * peak resident memory from wait4, against the data it holds): the plain read() of the
 * float32 file into a fresh buffer (the floor: what the page cache and memory give),
 * and lt_npyset_load of each X with the labels, median of --rounds (3) after a warm-up
 * that brings the file into the page cache. Prints a markdown table and writes it to
 * --md (docs/perf/load.md), headed by the command. Needs 4 GB of disk under --dir. */
#define _DEFAULT_SOURCE /* wait4, open_memstream */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lintrain/featcache.h"
#include "lintrain/npyset.h"

#define ROWS 49000
#define COLS 6400

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A v1.0 header for descr and shape text, padded to 64 bytes as numpy does. */
static void write_header(FILE *f, const char *descr, const char *shape)
{
    char dict[256];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     descr, shape);
    size_t pad = 64 - (size_t)(10 + n + 1) % 64, len = (size_t)n + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(len & 0xff),
                             (unsigned char)(len >> 8)};
    fwrite(pre, 1, 10, f);
    fwrite(dict, 1, (size_t)n, f);
    for (size_t i = 0; i < pad; i++) {
        fputc(' ', f);
    }
    fputc('\n', f);
}

/* X as float32 and float64 (the same values) and y, a row at a time; nothing when the
 * three files are already there (written by an earlier run). */
static int write_files(const char *dir)
{
    char p32[512], p64[512], py[512], shape[64];
    snprintf(p32, sizeof p32, "%s/load_x_f32.npy", dir);
    snprintf(p64, sizeof p64, "%s/load_x_f64.npy", dir);
    snprintf(py, sizeof py, "%s/load_y.npy", dir);
    struct stat st;
    if (stat(p32, &st) == 0 && st.st_size == 128 + (off_t)ROWS * COLS * 4 &&
        stat(p64, &st) == 0 && st.st_size == 128 + (off_t)ROWS * COLS * 8 &&
        stat(py, &st) == 0) {
        return 0;
    }
    FILE *f32 = fopen(p32, "wb"), *f64 = fopen(p64, "wb"), *fy = fopen(py, "wb");
    if (!f32 || !f64 || !fy) {
        perror("bench_load: create");
        return 1;
    }
    snprintf(shape, sizeof shape, "(%d, %d)", ROWS, COLS);
    write_header(f32, "<f4", shape);
    write_header(f64, "<f8", shape);
    snprintf(shape, sizeof shape, "(%d,)", ROWS);
    write_header(fy, "<i8", shape);
    static float r32[COLS];
    static double r64[COLS];
    uint64_t state = 1;
    for (int i = 0; i < ROWS; i++) {
        for (int d = 0; d < COLS; d++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            r32[d] = (float)(state >> 40) / (float)(1 << 24);
            r64[d] = r32[d];
        }
        int64_t label = i % 10;
        fwrite(r32, sizeof r32, 1, f32);
        fwrite(r64, sizeof r64, 1, f64);
        fwrite(&label, sizeof label, 1, fy);
    }
    int bad = ferror(f32) || ferror(f64) || ferror(fy);
    bad |= fclose(f32) != 0;
    bad |= fclose(f64) != 0;
    bad |= fclose(fy) != 0;
    if (bad) {
        fprintf(stderr, "bench_load: writing under %s failed\n", dir);
    }
    return bad;
}

/* The floor: read() of the whole file into one fresh buffer, 64 MB at a time; with
 * sum, the feature cache's blob checksum over it too (what opening an entry costs). */
static int raw_read(const char *path, int sum)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        return 1;
    }
    char *buf = malloc((size_t)st.st_size);
    size_t have = 0;
    while (buf && have < (size_t)st.st_size) {
        size_t want = (size_t)st.st_size - have;
        ssize_t r = read(fd, buf + have, want < ((size_t)64 << 20) ? want : (size_t)64 << 20);
        if (r <= 0) {
            break;
        }
        have += (size_t)r;
    }
    close(fd);
    int ok = buf && have == (size_t)st.st_size;
    if (ok && sum) {
        lt_featcache_sum s;
        char hex[LT_FEATCACHE_SUM_HEX];
        lt_featcache_sum_init(&s);
        lt_featcache_sum_update(&s, buf, have);
        lt_featcache_sum_hex(&s, hex);
        ok = hex[0] != '\0';
    }
    free(buf);
    return ok ? 0 : 1;
}

static int raw_read_only(const char *x, const char *y)
{
    (void)y;
    return raw_read(x, 0);
}

static int raw_read_sum(const char *x, const char *y)
{
    (void)y;
    return raw_read(x, 1);
}

static int npy_load(const char *x, const char *y)
{
    lt_dataset ds;
    uint16_t max;
    lt_error err;
    if (lt_npyset_load(x, y, &ds, &max, &err) != LT_OK) {
        fprintf(stderr, "bench_load: %s\n", err.msg);
        return 1;
    }
    lt_dataset_free(&ds);
    return 0;
}

/* Runs one load in a child: its wall and CPU (user + system) seconds, its peak RSS
 * in KB. */
typedef int (*job_fn)(const char *x, const char *y);

static int in_child(job_fn job, const char *x, const char *y, double *seconds, long *rss_kb)
{
    fflush(NULL);
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        return 1;
    }
    if (pid == 0) {
        _exit(job(x, y));
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        return 1;
    }
    seconds[0] = now() - t0;
    seconds[1] = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                 (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One row of the table: median wall and CPU seconds over rounds (after a warm-up),
 * GB/s of the float32 data (1.254 GB) by each, peak RSS against the data. */
static int row(FILE *out, const char *what, job_fn job, const char *x, const char *y,
               int rounds)
{
    double wall[16], cpu[16], s[2];
    long rss = 0, r;
    if (in_child(job, x, y, s, &r) != 0) {
        return 1;
    }
    for (int k = 0; k < rounds; k++) {
        if (in_child(job, x, y, s, &r) != 0) {
            return 1;
        }
        wall[k] = s[0];
        cpu[k] = s[1];
        rss = r > rss ? r : rss;
    }
    qsort(wall, (size_t)rounds, sizeof *wall, cmp_double);
    qsort(cpu, (size_t)rounds, sizeof *cpu, cmp_double);
    double w = wall[rounds / 2], c = cpu[rounds / 2], gb = (double)ROWS * COLS * 4 / 1e9;
    fprintf(out, "| %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %+.1f%% |\n", what, w, gb / w,
            c, gb / c, gb * 1e3, (double)rss * 1024 / 1e6,
            100.0 * ((double)rss * 1024 / 1e9 / gb - 1));
    return 0;
}

static int table(FILE *out, const char *dir, const char *cmd, int rounds)
{
    char p32[512], p64[512], py[512];
    snprintf(p32, sizeof p32, "%s/load_x_f32.npy", dir);
    snprintf(p64, sizeof p64, "%s/load_x_f64.npy", dir);
    snprintf(py, sizeof py, "%s/load_y.npy", dir);
    fprintf(out, "Load of a %d x %d float32 data set (`%s`; median of %d after a warm-up, "
            "each in a fresh process; the files in the page cache; CPU = user + system time of "
            "that process, which a busy machine does not stretch):\n\n", ROWS, COLS, cmd,
            rounds);
    fprintf(out, "| what | wall s | GB/s (wall) | CPU s | GB/s (CPU) | data MB | peak RSS MB | "
            "RSS over data |\n|---|---|---|---|---|---|---|---|\n");
    return row(out, "read() of the float32 file into one buffer (the floor)", raw_read_only,
               p32, NULL, rounds) ||
           row(out, "the same + the feature cache's blob checksum over it", raw_read_sum, p32,
               NULL, rounds) ||
           row(out, "lt_npyset_load, X float32 (N, D) + y int64", npy_load, p32, py, rounds) ||
           row(out, "lt_npyset_load, X float64 converted to float32", npy_load, p64, py,
               rounds);
}

int main(int argc, char **argv)
{
    const char *dir = "runs/bench", *md = NULL;
    int rounds = 3;
    char cmd[512] = "";
    for (int i = 0; i < argc; i++) {
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", i ? " " : "", argv[i]);
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0) {
            dir = argv[i + 1];
        } else if (strcmp(argv[i], "--md") == 0) {
            md = argv[i + 1];
        } else if (strcmp(argv[i], "--rounds") == 0 && atoi(argv[i + 1]) > 0) {
            rounds = atoi(argv[i + 1]) < 16 ? atoi(argv[i + 1]) : 15;
        } else {
            fprintf(stderr, "usage: bench_load [--dir DIR] [--md FILE] [--rounds N]\n");
            return 2;
        }
    }
    char mk[600];
    snprintf(mk, sizeof mk, "mkdir -p '%s'", dir);
    if (system(mk) != 0 || write_files(dir) != 0) {
        return 1;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int rc = !mem || table(mem, dir, cmd, rounds);
    rc |= !mem || fclose(mem) != 0;
    if (rc == 0) {
        fputs(text, stdout);
    }
    FILE *f = md && rc == 0 ? fopen(md, "w") : NULL;
    if (f) {
        fputs(text, f);
        rc = fclose(f) != 0;
    }
    free(text);
    return rc;
}
