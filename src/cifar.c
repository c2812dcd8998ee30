/* cifar.c — loads CIFAR-10 and CIFAR-100 binary files into one lt_dataset (dataset.h)
 * and reads CIFAR-10's class names from batches.meta.txt.
 *
 * Layout (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version"): each file
 * is a sequence of records and nothing else: CIFAR-10's <1 label byte><3072 pixel
 * bytes>, CIFAR-100's <coarse label byte><fine label byte><3072 pixel bytes>.
 * Loading is two passes: the first checks every file's size (so a typo in the last
 * file name fails before 150 MB are allocated) and sums the records; the second
 * reads the records into one allocation. Record numbers in messages count from 0. */
#include "lintrain/cifar.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define META_FILE "batches.meta.txt"

const lt_cifar_layout LT_CIFAR10_LAYOUT = {"CIFAR-10", LT_CIFAR_RECORD, 0, LT_CIFAR_C,
                                         "label"};
const lt_cifar_layout LT_CIFAR100_FINE = {"CIFAR-100", LT_CIFAR_D + 2, 1, 100, "fine label"};
const lt_cifar_layout LT_CIFAR100_COARSE = {"CIFAR-100", LT_CIFAR_D + 2, 0, 20, "coarse label"};

/* The order of the labels 0..9 in the official release (batches.meta.txt). */
static const char *const standard_names[LT_CIFAR_C] = {
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
};

/* "dir/name" in a new string; name alone when it is absolute or dir is NULL/empty. */
static char *join_path(const char *dir, const char *name, lt_error *err)
{
    int use_dir = dir && dir[0] != '\0' && name[0] != '/';
    size_t dlen = use_dir ? strlen(dir) : 0;
    size_t nlen = strlen(name);
    /* No overflow possible: both strings already exist in memory. */
    char *path = lt_calloc(dlen + nlen + 2, 1, "file path", err);
    if (!path) {
        return NULL;
    }
    if (use_dir) {
        memcpy(path, dir, dlen);
        if (dir[dlen - 1] != '/') {
            path[dlen++] = '/';
        }
    }
    memcpy(path + dlen, name, nlen + 1);
    return path;
}

/* Checks that st describes a regular file holding a whole, non-zero number of
 * records and stores that number in *records. */
static lt_status check_size(const lt_cifar_layout *lay, const char *path,
                            const struct stat *st, size_t *records, lt_error *err)
{
    if (S_ISDIR(st->st_mode)) {
        return lt_fail(err, LT_ERR, "%s: is a directory, not a %s batch file", path,
                       lay->name);
    }
    if (!S_ISREG(st->st_mode)) {
        return lt_fail(err, LT_ERR, "%s: not a regular file", path);
    }
    if (st->st_size < 0 || (uintmax_t)st->st_size > SIZE_MAX) {
        return lt_fail(err, LT_ERR, "%s: size %jd bytes is too large for this machine",
                       path, (intmax_t)st->st_size);
    }
    size_t size = (size_t)st->st_size;
    if (size == 0) {
        return lt_fail(err, LT_ERR, "%s: no records (empty file)", path);
    }
    if (size % lay->record != 0) {
        return lt_fail(err, LT_ERR,
                       "%s: size %zu bytes is not a multiple of the %zu-byte record "
                       "(%zu whole records + %zu bytes)",
                       path, size, lay->record, size / lay->record,
                       size % lay->record);
    }
    *records = size / lay->record;
    return LT_OK;
}

/* First pass: the number of records in path, or an error naming it. stat() before
 * fopen() so that a FIFO or device given by mistake is refused instead of blocking. */
static lt_status count_records(const lt_cifar_layout *lay, const char *path,
                               size_t *records, lt_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    return check_size(lay, path, &st, records, err);
}

lt_status lt_cifar_count(const char *dir, const char *const *files, size_t nfiles,
                         size_t *records, lt_error *err)
{
    return lt_cifar_count_as(&LT_CIFAR10_LAYOUT, dir, files, nfiles, records, err);
}

lt_status lt_cifar_count_as(const lt_cifar_layout *lay, const char *dir,
                            const char *const *files, size_t nfiles, size_t *records,
                            lt_error *err)
{
    *records = 0;
    for (size_t k = 0; k < nfiles; k++) {
        size_t n = 0;
        char *path = join_path(dir, files[k], err);
        lt_status st = path ? count_records(lay, path, &n, err) : LT_ERR;
        FILE *f = st == LT_OK ? fopen(path, "rb") : NULL;
        if (st == LT_OK && !f) {
            st = lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
        }
        if (f) {
            fclose(f);
        }
        free(path);
        if (st != LT_OK) {
            return st;
        }
        *records += n;
    }
    return LT_OK;
}

/* Second pass: reads exactly `records` records of path into labels[0..records) and
 * pixels[0..records*D). The size is checked again on the open file, since it may have
 * changed since the first pass. */
static lt_status read_records(const lt_cifar_layout *lay, const char *path, size_t records,
                              uint16_t *labels, uint8_t *pixels, lt_error *err)
{
    lt_status st = LT_ERR;
    FILE *f = fopen(path, "rb");
    if (!f) {
        return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat sb;
    size_t now = 0;
    /* Records are read one by one through stdio: a 1 MB buffer makes that a few large
     * read() calls instead of one per 4 KB (a failure only keeps the default). */
    setvbuf(f, NULL, _IOFBF, (size_t)1 << 20);
    if (fstat(fileno(f), &sb) != 0) {
        lt_fail(err, LT_ERR, "%s: cannot stat: %s", path, strerror(errno));
        goto cleanup;
    }
    if (check_size(lay, path, &sb, &now, err) != LT_OK) {
        goto cleanup;
    }
    if (now != records) {
        lt_fail(err, LT_ERR, "%s: changed from %zu to %zu records while loading",
                path, records, now);
        goto cleanup;
    }
    uint8_t rec[LT_CIFAR_D + 8];
    for (size_t i = 0; i < records; i++) {
        size_t got = fread(rec, 1, lay->record, f);
        if (got != lay->record) {
            if (ferror(f)) {
                lt_fail(err, LT_ERR, "%s: record %zu (0-based): read error: %s", path, i,
                        strerror(errno));
            } else {
                lt_fail(err, LT_ERR, "%s: record %zu (0-based): unexpected end of file "
                        "(%zu of %zu bytes)", path, i, got, lay->record);
            }
            goto cleanup;
        }
        uint8_t label = rec[lay->label_at];
        if (label >= lay->classes) {
            lt_fail(err, LT_ERR, "%s: record %zu (0-based, byte offset %zu): %s %u is "
                    "out of range 0..%u", path, i, i * lay->record + lay->label_at,
                    lay->label, (unsigned)label, lay->classes - 1);
            goto cleanup;
        }
        labels[i] = label;
        memcpy(pixels + i * LT_CIFAR_D, rec + lay->record - LT_CIFAR_D, LT_CIFAR_D);
    }
    st = LT_OK;
cleanup:
    /* Read-only stream: a failing fclose loses no data, and the records are in. */
    fclose(f);
    return st;
}

lt_status lt_cifar_load(const char *dir, const char *const *files, size_t nfiles,
                        lt_dataset *out, lt_error *err)
{
    return lt_cifar_load_as(&LT_CIFAR10_LAYOUT, dir, files, nfiles, out, err);
}

lt_status lt_cifar_load_as(const lt_cifar_layout *lay, const char *dir,
                           const char *const *files, size_t nfiles, lt_dataset *out,
                           lt_error *err)
{
    lt_status st = LT_ERR;
    lt_dataset ds = {0, LT_CIFAR_D, LT_DTYPE_U8, NULL, NULL};
    size_t *counts = NULL;
    char *path = NULL;

    memset(out, 0, sizeof *out);
    if (nfiles == 0 || !files) {
        return lt_fail(err, LT_ERR, "no %s files given to load", lay->name);
    }
    counts = lt_calloc(nfiles, sizeof *counts, "record counts", err);
    if (!counts) {
        goto cleanup;
    }
    for (size_t k = 0; k < nfiles; k++) {
        path = join_path(dir, files[k], err);
        if (!path || count_records(lay, path, &counts[k], err) != LT_OK) {
            goto cleanup;
        }
        free(path);
        path = NULL;
        if (counts[k] > SIZE_MAX - ds.n) {
            lt_fail(err, LT_ERR, "%zu files: total record count overflows", nfiles);
            goto cleanup;
        }
        ds.n += counts[k];
    }
    if (lt_dataset_create(&ds, ds.n, LT_CIFAR_D, LT_DTYPE_U8, err) != LT_OK) {
        goto cleanup;
    }
    size_t at = 0;
    for (size_t k = 0; k < nfiles; k++) {
        path = join_path(dir, files[k], err);
        if (!path || read_records(lay, path, counts[k], ds.labels + at,
                                  (uint8_t *)ds.x + at * LT_CIFAR_D, err) != LT_OK) {
            goto cleanup;
        }
        free(path);
        path = NULL;
        at += counts[k];
    }
    *out = ds;
    st = LT_OK;
cleanup:
    free(path);
    free(counts);
    if (st != LT_OK) {
        lt_dataset_free(&ds);
    }
    return st;
}

/* Removes trailing white space (including the '\n' and a Windows '\r') in place. */
static size_t rstrip(char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)s[len - 1])) {
        len--;
    }
    s[len] = '\0';
    return len;
}

/* Reads the first LT_CIFAR_C non-empty lines of an open meta file into names. */
static lt_status read_names(FILE *f, const char *path,
                            char names[LT_CIFAR_C][LT_CLASS_NAME_MAX], lt_error *err)
{
    lt_status st = LT_ERR;
    char *line = NULL;
    size_t cap = 0, found = 0, lineno = 0;
    ssize_t got;
    while (found < LT_CIFAR_C && (got = getline(&line, &cap, f)) != -1) {
        lineno++;
        size_t len = rstrip(line, (size_t)got);
        if (strlen(line) != len) {
            lt_fail(err, LT_ERR, "%s: line %zu: contains a NUL byte", path, lineno);
            goto cleanup;
        }
        if (len == 0) {
            continue; /* the official file ends with blank lines */
        }
        if (len >= LT_CLASS_NAME_MAX) {
            lt_fail(err, LT_ERR, "%s: line %zu: class name of %zu bytes is longer than "
                    "the limit of %d", path, lineno, len, LT_CLASS_NAME_MAX - 1);
            goto cleanup;
        }
        memcpy(names[found++], line, len + 1);
    }
    if (ferror(f)) {
        lt_fail(err, LT_ERR, "%s: read error: %s", path, strerror(errno));
        goto cleanup;
    }
    if (found < LT_CIFAR_C) {
        lt_fail(err, LT_ERR, "%s: found %zu class names, expected %d (one per line)",
                path, found, LT_CIFAR_C);
        goto cleanup;
    }
    st = LT_OK;
cleanup:
    free(line);
    return st;
}

lt_status lt_cifar_class_names(const char *dir, char names[LT_CIFAR_C][LT_CLASS_NAME_MAX],
                               lt_error *err)
{
    /* Filled here and copied out only on success, so a bad file leaves names alone. */
    char tmp[LT_CIFAR_C][LT_CLASS_NAME_MAX];
    lt_status st = LT_ERR;
    FILE *f = NULL;
    char *path = join_path(dir, META_FILE, err);
    if (!path) {
        return LT_ERR;
    }
    f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) {
            for (int c = 0; c < LT_CIFAR_C; c++) {
                snprintf(names[c], LT_CLASS_NAME_MAX, "%s", standard_names[c]);
            }
            st = LT_OK;
        } else {
            lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
        }
        goto cleanup;
    }
    if (read_names(f, path, tmp, err) != LT_OK) {
        goto cleanup;
    }
    memcpy(names, tmp, sizeof tmp);
    st = LT_OK;
cleanup:
    if (f) {
        fclose(f); /* read-only: nothing to lose */
    }
    free(path);
    return st;
}
