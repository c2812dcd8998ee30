/* fuzz_util.h — what the libFuzzer harnesses share: a scratch folder for the files the
 * loaders insist on reading from disk, and the entry point's name.
 *
 * Each harness defines FUZZ_ENTRY, which is LLVMFuzzerTestOneInput when built for
 * libFuzzer (make fuzz) and another name when tests/test_fuzz_replay.c includes all the
 * harnesses to replay their seeds and past findings under make test. */
#ifndef LINTRAIN_FUZZ_UTIL_H
#define LINTRAIN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Stops the process so that libFuzzer (or the replay test) reports the input. */
#define FUZZ_CHECK(cond)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static char fuzz_dir[64];

static inline void fuzz_cleanup(void)
{
    char cmd[128];
    if (fuzz_dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "warning: could not remove %s\n", fuzz_dir);
        }
        fuzz_dir[0] = '\0';
    }
}

/* The scratch folder, created on first use and removed at exit. */
static inline const char *fuzz_scratch(void)
{
    if (!fuzz_dir[0]) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/lintrain-fuzz-XXXXXX");
        if (!mkdtemp(fuzz_dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(fuzz_cleanup);
    }
    return fuzz_dir;
}

/* Writes n bytes to the scratch folder's file name; returns its path (static). */
static inline const char *fuzz_write(const char *name, const void *data, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

#endif
