/* fuzz_resume.c — libFuzzer harness for resuming a run from a checkpoint
 * (train_checkpoint.c's restore: config comparison, shapes, progress, the permutation of
 * the order; then the driver's: the optimizer's state), on a tiny data set the harness
 * writes once.
 *
 * The input becomes the run folder's checkpoint.bin (CRCs rewritten when its first byte
 * is odd, as in fuzz_checkpoint.c) and lt_train_resume runs. Properties: the status is
 * one of those documented; a refused checkpoint leaves the folder as it was
 * (metrics.jsonl the same length, no summary.json); an accepted one finishes the run
 * (summary.json, and weights.npy unless it diverged). Seeds are checkpoints this very
 * setup writes: LINTRAIN_FUZZ_WRITE_SEEDS=DIR makes the first call save them in DIR. */
#include "fuzz_util.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "lintrain/checkpoint.h"
#include "lintrain/config.h"
#include "lintrain/train.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

#define RESUME_RECORDS 24
#define RESUME_METRICS 65536 /* bytes of filler in metrics.jsonl: room for any length */
/* The checkpoint stores the resolved config, data.dir included, and a resume compares
 * it: the data folder must have the same name in every process, whatever its scratch
 * folder. It is reached through a descriptor with a fixed number. */
#define RESUME_DATA_FD 1000
#define RESUME_DATA_DIR "/dev/fd/1000"

int FUZZ_ENTRY(const uint8_t *data, size_t size);

static lt_config resume_cfg;
static char resume_run[256];
static lt_status resume_last; /* the last input's status (the replay test checks seeds) */

static void resume_cleanup(void)
{
    lt_config_free(&resume_cfg);
}

/* A file of n records, labels i % 10, into the scratch folder's resume/. */
static void resume_write_records(const char *name, int n)
{
    static uint8_t buf[RESUME_RECORDS * LT_CIFAR_RECORD];
    for (int i = 0; i < n; i++) {
        buf[(size_t)i * LT_CIFAR_RECORD] = (uint8_t)(i % LT_CIFAR_C);
        for (int j = 1; j < LT_CIFAR_RECORD; j++) {
            buf[(size_t)i * LT_CIFAR_RECORD + j] = (uint8_t)(i * 13 + j * 5);
        }
    }
    fuzz_write(name, buf, (size_t)n * LT_CIFAR_RECORD);
}

/* Copies the checkpoint of the epoch before (written after that epoch's report) to
 * the seed folder: observer of the one run that writes seeds. */
static void resume_seed_on_epoch(void *ctx, const lt_epoch_report *r)
{
    const char *dir = ctx;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "[ ! -f '%s/checkpoint.bin' ] || cp '%s/checkpoint.bin' '%s/epoch%lld'",
             resume_run, resume_run, dir, r->epoch - 1);
    FUZZ_CHECK(system(cmd) == 0);
}

/* The data in scratch/resume/ (a folder of its own: other harnesses may share the
 * scratch folder, and a batches.meta.txt there would be read as class names). */
static void resume_setup(void)
{
    char data[200];
    snprintf(data, sizeof data, "%s/resume", fuzz_scratch());
    FUZZ_CHECK(mkdir(data, 0777) == 0);
    resume_write_records("resume/train.bin", RESUME_RECORDS);
    resume_write_records("resume/test.bin", 6);
    snprintf(resume_run, sizeof resume_run, "%s/run", data);
    int fd = open(data, O_RDONLY | O_DIRECTORY);
    FUZZ_CHECK(fd >= 0 && dup2(fd, RESUME_DATA_FD) == RESUME_DATA_FD);
    close(fd);
    char out_set[300];
    snprintf(out_set, sizeof out_set, "output.dir=\"%s\"", resume_run);
    const char *sets[] = {"data.dir=\"" RESUME_DATA_DIR "\"", out_set,
                          "data.train_files=[\"train.bin\"]",
                          "data.test_file=\"test.bin\"", "data.val_size=4",
                          "data.preprocess=scale", "train.batch_size=8", "train.epochs=3",
                          "train.log_every=1", "train.threads=1"};
    lt_error err;
    if (lt_config_load(&resume_cfg, NULL, sets, sizeof sets / sizeof sets[0], &err) != LT_OK) {
        fprintf(stderr, "fuzz_resume: %s\n", err.msg);
        abort();
    }
    atexit(resume_cleanup);
    const char *seeds = getenv("LINTRAIN_FUZZ_WRITE_SEEDS");
    if (seeds) {
        lt_train_observer obs = {.ctx = (void *)seeds, .on_epoch = resume_seed_on_epoch};
        lt_summary s;
        FUZZ_CHECK(lt_train(&resume_cfg, &obs, &s, &err) == LT_OK);
    }
}

static long long resume_file_size(const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", resume_run, name);
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (!resume_run[0]) {
        resume_setup();
    }
    /* A fresh unfinished folder: filler metrics, the input as checkpoint.bin. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s'", resume_run, resume_run);
    FUZZ_CHECK(system(cmd) == 0);
    static char filler[RESUME_METRICS];
    memset(filler, ' ', sizeof filler);
    fuzz_write("resume/run/metrics.jsonl", filler, sizeof filler);
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy != NULL);
    if (size > 0) {
        memcpy(copy, data, size);
    }
    if (size >= LT_CKPT_HEADER && (data[0] & 1u)) {
        copy[0] = 'L';
        lt_checkpoint_seal(copy, size);
    }
    fuzz_write("resume/run/checkpoint.bin", copy, size);
    free(copy);
    lt_summary s;
    lt_error err = {{0}};
    lt_status st = lt_train_resume(&resume_cfg, NULL, &s, &err);
    resume_last = st;
    if (st == LT_ERR || st == LT_ECONFIG) {
        FUZZ_CHECK(err.msg[0] != '\0' && strchr(err.msg, '\n') == NULL);
        FUZZ_CHECK(resume_file_size("metrics.jsonl") == RESUME_METRICS);
        FUZZ_CHECK(resume_file_size("summary.json") < 0);
    } else {
        FUZZ_CHECK(st == LT_OK || st == LT_EDIVERGED);
        FUZZ_CHECK(resume_file_size("summary.json") > 0);
        FUZZ_CHECK((resume_file_size("weights.npy") > 0) == (st == LT_OK));
    }
    return 0;
}
