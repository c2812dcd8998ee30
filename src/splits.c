/* splits.c — loading the configured data and cutting it into splits. */
#include "lintrain/splits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lintrain/fsutil.h"
#include "lintrain/names.h"
#include "lintrain/npy.h"
#include "lintrain/npyset.h"

/* How to get the data of each format, for a missing data folder. */
static const char *fetch_hint(const char *format)
{
    if (strcmp(format, "cifar100") == 0) {
        return "run scripts/get_cifar100.sh to fetch CIFAR-100, or set data.dir";
    }
    if (strcmp(format, "npy") == 0) {
        return "set data.dir to the folder of data.train_x and data.train_y (relative file "
               "names are taken from it)";
    }
    return "run scripts/get_cifar10.sh to fetch CIFAR-10, or set data.dir";
}

static lt_status check_data_dir(const lt_config *cfg, lt_error *err)
{
    struct stat st;
    const char *why = NULL, *dir = cfg->data.dir;
    if (stat(dir, &st) != 0) {
        why = strerror(errno);
    } else if (!S_ISDIR(st.st_mode)) {
        why = "not a folder";
    }
    if (why) {
        return lt_fail(err, LT_ERR, "data.dir \"%s\": %s; %s", dir, why,
                       fetch_hint(cfg->data.format));
    }
    return LT_OK;
}

static int is_format(const lt_config *cfg, const char *format)
{
    return strcmp(cfg->data.format, format) == 0;
}

/* The CIFAR layout of the config's format and label. */
static const lt_cifar_layout *layout_of(const lt_config *cfg)
{
    if (is_format(cfg, "cifar100")) {
        return strcmp(cfg->data.label, "coarse") == 0 ? &LT_CIFAR100_COARSE
                                                       : &LT_CIFAR100_FINE;
    }
    return &LT_CIFAR10_LAYOUT;
}

/* name in data.dir, or name itself when absolute. */
static lt_status data_path(const lt_config *cfg, const char *name, char out[LT_PATH_MAX],
                           lt_error *err)
{
    if (name[0] == '/') {
        if (strlen(name) >= LT_PATH_MAX) {
            return lt_fail(err, LT_ERR, "%s: path too long", name);
        }
        memcpy(out, name, strlen(name) + 1);
        return LT_OK;
    }
    return lt_path_join(out, cfg->data.dir, name, err);
}

/* The sizes of the splits that total training-file records give, or the config's
 * mistake (val_size, limit_train too large) as LT_ECONFIG. */
static lt_status split_sizes(const lt_config *cfg, size_t total, size_t *avail_out,
                             size_t *ntrain_out, lt_error *err)
{
    size_t val = (size_t)cfg->data.val_size;
    if (val >= total) {
        return lt_fail(err, LT_ECONFIG,
                       "data.val_size: %zu leaves no training records (the training files "
                       "hold %zu)",
                       val, total);
    }
    size_t avail = total - val, ntrain = avail;
    if (cfg->data.limit_train > 0) {
        if ((unsigned long long)cfg->data.limit_train > avail) {
            return lt_fail(err, LT_ECONFIG,
                           "data.limit_train: %lld is more than the %zu training records "
                           "(%zu in the files minus data.val_size %zu)",
                           cfg->data.limit_train, avail, total, val);
        }
        ntrain = (size_t)cfg->data.limit_train;
    }
    *avail_out = avail;
    *ntrain_out = ntrain;
    return LT_OK;
}

static lt_status cut(const lt_config *cfg, lt_dataset *all, lt_splits *s, lt_error *err)
{
    size_t val = (size_t)cfg->data.val_size, avail, ntrain;
    lt_status st = split_sizes(cfg, all->n, &avail, &ntrain, err);
    if (st != LT_OK) {
        return st;
    }
    /* Validation is copied out; training is the first records, kept in place (no
     * second copy of 150 MB). */
    st = lt_dataset_slice(all, avail, val, &s->val, err);
    if (st == LT_OK) {
        s->train = *all;
        memset(all, 0, sizeof *all);
        st = lt_dataset_truncate(&s->train, ntrain, err);
    }
    return st;
}

/* CIFAR-10's C = 10 class names into s. */
static lt_status cifar10_names(const char *dir, lt_splits *s, lt_error *err)
{
    s->C = LT_CIFAR_C;
    s->is_image = 1;
    s->class_names = lt_calloc(LT_CIFAR_C, sizeof *s->class_names, "class names", err);
    if (!s->class_names) {
        return LT_ERR;
    }
    return lt_cifar_class_names(dir, s->class_names, err);
}

/* Reads the names file at path (in data.dir); C must be exactly want when want > 0. */
static lt_status names_file(const lt_config *cfg, const char *name, size_t want,
                            char (**names)[LT_CLASS_NAME_MAX], size_t *n, lt_error *err)
{
    char path[LT_PATH_MAX];
    lt_status st = data_path(cfg, name, path, err);
    if (st == LT_OK) {
        st = lt_names_read(path, names, n, err);
    }
    if (st == LT_OK && want > 0 && *n != want) {
        st = lt_fail(err, LT_ERR, "%s: %zu class names, CIFAR-100's %s labels have %zu", path,
                     *n, cfg->data.label, want);
    }
    if (st == LT_OK && *n < 2) {
        st = lt_fail(err, LT_ERR, "%s: %zu class name; a classifier needs at least 2", path,
                     *n);
    }
    if (st != LT_OK) {
        free(*names);
        *names = NULL;
    }
    return st;
}

/* CIFAR-100's 100 fine or 20 coarse names into s. */
static lt_status cifar100_names(const lt_config *cfg, lt_splits *s, lt_error *err)
{
    const lt_cifar_layout *lay = layout_of(cfg);
    s->is_image = 1;
    const char *file = lay == &LT_CIFAR100_COARSE ? "coarse_label_names.txt"
                                                  : "fine_label_names.txt";
    return names_file(cfg, file, lay->classes, &s->class_names, &s->C, err);
}

/* "0", "1", ..., for an npy data set without data.class_names. */
static lt_status numbered_names(lt_splits *s, size_t C, lt_error *err)
{
    s->C = C;
    s->class_names = lt_calloc(C, sizeof *s->class_names, "class names", err);
    for (size_t c = 0; s->class_names && c < C; c++) {
        snprintf(s->class_names[c], LT_CLASS_NAME_MAX, "%zu", c);
    }
    return s->class_names ? LT_OK : LT_ERR;
}

/* An npy data set's C and names: data.class_names, whose count must cover every label
 * of all and test, or max label + 1. */
static lt_status npy_names(const lt_config *cfg, const lt_dataset *all, const lt_dataset *test,
                           size_t max_label, lt_splits *s, lt_error *err)
{
    if (cfg->data.class_names[0] == '\0') {
        if (max_label == 0) {
            return lt_fail(err, LT_ERR, "%s: every label is 0; a classifier needs at least "
                           "2 classes", cfg->data.train_y);
        }
        return numbered_names(s, max_label + 1, err);
    }
    lt_status st = names_file(cfg, cfg->data.class_names, 0, &s->class_names, &s->C, err);
    char what[LT_PATH_MAX + 64];
    snprintf(what, sizeof what, "data.class_names \"%s\" has %zu names", cfg->data.class_names,
             s->C);
    if (st == LT_OK) {
        st = lt_npyset_check_labels(all, s->C, cfg->data.train_y, what, err);
    }
    if (st == LT_OK && test->n > 0) {
        st = lt_npyset_check_labels(test, s->C, cfg->data.test_y, what, err);
    }
    return st;
}

/* Loads X and y of an npy data set (named in data.dir) into ds; *max gets its largest
 * label. */
static lt_status npy_load(const lt_config *cfg, const char *x, const char *y, lt_dataset *ds,
                          uint16_t *max, lt_error *err)
{
    char xp[LT_PATH_MAX], yp[LT_PATH_MAX];
    lt_status st = data_path(cfg, x, xp, err);
    if (st == LT_OK) {
        st = data_path(cfg, y, yp, err);
    }
    return st == LT_OK ? lt_npyset_load(xp, yp, ds, max, err) : st;
}

/* The test set must have the training set's features. */
static lt_status same_features(const lt_config *cfg, const lt_dataset *all,
                               const lt_dataset *test, lt_error *err)
{
    if (test->D != all->D || test->dtype != all->dtype) {
        return lt_fail(err, LT_ERR, "data.test_x \"%s\": %zu features of %s, but data.train_x "
                       "\"%s\" has %zu of %s", cfg->data.test_x, test->D,
                       test->dtype == LT_DTYPE_U8 ? "uint8" : "float", cfg->data.train_x,
                       all->D, all->dtype == LT_DTYPE_U8 ? "uint8" : "float");
    }
    return LT_OK;
}

/* All training-file records into all, the test split into s->test, C and names into s. */
static lt_status load_records(const lt_config *cfg, lt_dataset *all, lt_splits *s,
                              lt_error *err)
{
    if (is_format(cfg, "npy")) {
        uint16_t max = 0, tmax = 0;
        lt_status st = npy_load(cfg, cfg->data.train_x, cfg->data.train_y, all, &max, err);
        if (st == LT_OK && cfg->data.test_x[0] != '\0') {
            st = npy_load(cfg, cfg->data.test_x, cfg->data.test_y, &s->test, &tmax, err);
            st = st == LT_OK ? same_features(cfg, all, &s->test, err) : st;
        }
        return st == LT_OK ? npy_names(cfg, all, &s->test, max > tmax ? max : tmax, s, err)
                           : st;
    }
    const lt_cifar_layout *lay = layout_of(cfg);
    lt_status st = lt_cifar_load_as(lay, cfg->data.dir, cfg->data.train_files.items,
                                    cfg->data.train_files.n, all, err);
    if (st == LT_OK && cfg->data.test_file[0] != '\0') {
        const char *files[1] = {cfg->data.test_file};
        st = lt_cifar_load_as(lay, cfg->data.dir, files, 1, &s->test, err);
    }
    if (st == LT_OK) {
        st = is_format(cfg, "cifar100") ? cifar100_names(cfg, s, err)
                                        : cifar10_names(cfg->data.dir, s, err);
    }
    return st;
}

lt_status lt_splits_load(const lt_config *cfg, lt_splits *s, lt_error *err)
{
    memset(s, 0, sizeof *s);
    lt_dataset all = {0};
    lt_status st = check_data_dir(cfg, err);
    if (st == LT_OK) {
        st = load_records(cfg, &all, s, err);
    }
    if (st == LT_OK) {
        st = cut(cfg, &all, s, err);
    }
    if (st == LT_OK) {
        st = lt_splits_augment(cfg, s, err);
    }
    lt_dataset_free(&all);
    if (st != LT_OK) {
        lt_splits_free(s);
    }
    return st;
}

/* The largest label of the npy file y_path (in data.dir). */
static lt_status npy_max_label(const lt_config *cfg, const char *y, size_t n, uint16_t *max,
                               lt_error *err)
{
    char yp[LT_PATH_MAX];
    lt_npy_file nf;
    lt_status st = data_path(cfg, y, yp, err);
    st = st == LT_OK ? lt_npy_open(yp, &nf, err) : st;
    if (st != LT_OK) {
        return st;
    }
    uint16_t *labels = lt_calloc(n + 1, sizeof *labels, "labels", err);
    st = labels ? lt_npy_read_labels(&nf, labels, max, err) : LT_ERR;
    free(labels);
    lt_npy_close(&nf);
    return st;
}

/* An npy data set's C: the names in data.class_names, or max label + 1 (labels read). */
static lt_status npy_classes(const lt_config *cfg, const lt_split_sizes *out, size_t total,
                             size_t *C, lt_error *err)
{
    if (cfg->data.class_names[0] != '\0') {
        char (*names)[LT_CLASS_NAME_MAX] = NULL;
        lt_status st = names_file(cfg, cfg->data.class_names, 0, &names, C, err);
        free(names);
        return st;
    }
    uint16_t max = 0, tmax = 0;
    lt_status st = npy_max_label(cfg, cfg->data.train_y, total, &max, err);
    if (st == LT_OK && cfg->data.test_x[0] != '\0') {
        st = npy_max_label(cfg, cfg->data.test_y, out->test, &tmax, err);
    }
    *C = (size_t)(max > tmax ? max : tmax) + 1;
    return st;
}

/* The record counts and D of an npy data set's training and test files, from their
 * headers, and C. */
static lt_status npy_count(const lt_config *cfg, size_t *total, lt_split_sizes *out,
                           lt_error *err)
{
    char xp[LT_PATH_MAX], yp[LT_PATH_MAX];
    lt_npyset_shape shape = {0}, tshape = {0};
    lt_status st = data_path(cfg, cfg->data.train_x, xp, err);
    st = st == LT_OK ? data_path(cfg, cfg->data.train_y, yp, err) : st;
    st = st == LT_OK ? lt_npyset_count(xp, yp, &shape, err) : st;
    *total = shape.n;
    out->D = shape.D;
    if (st == LT_OK && cfg->data.test_x[0] != '\0') {
        st = data_path(cfg, cfg->data.test_x, xp, err);
        st = st == LT_OK ? data_path(cfg, cfg->data.test_y, yp, err) : st;
        st = st == LT_OK ? lt_npyset_count(xp, yp, &tshape, err) : st;
        out->test = tshape.n;
    }
    return st == LT_OK ? npy_classes(cfg, out, *total, &out->C, err) : st;
}

/* The record counts of CIFAR training and test files, from their sizes, and the names. */
static lt_status cifar_count(const lt_config *cfg, size_t *total, lt_split_sizes *out,
                             lt_error *err)
{
    size_t *test = &out->test;
    const lt_cifar_layout *lay = layout_of(cfg);
    lt_status st = lt_cifar_count_as(lay, cfg->data.dir, cfg->data.train_files.items,
                                     cfg->data.train_files.n, total, err);
    if (st == LT_OK && cfg->data.test_file[0] != '\0') {
        const char *files[1] = {cfg->data.test_file};
        st = lt_cifar_count_as(lay, cfg->data.dir, files, 1, test, err);
    }
    lt_splits names = {0};
    if (st == LT_OK) {
        st = is_format(cfg, "cifar100") ? cifar100_names(cfg, &names, err)
                                        : cifar10_names(cfg->data.dir, &names, err);
    }
    free(names.class_names);
    out->D = LT_CIFAR_D;
    out->C = names.C;
    return st;
}

lt_status lt_splits_check(const lt_config *cfg, lt_split_sizes *out, lt_error *err)
{
    memset(out, 0, sizeof *out);
    size_t total = 0, avail;
    lt_status st = check_data_dir(cfg, err);
    if (st == LT_OK) {
        st = is_format(cfg, "npy") ? npy_count(cfg, &total, out, err)
                                   : cifar_count(cfg, &total, out, err);
    }
    if (st == LT_OK) {
        st = split_sizes(cfg, total, &avail, &out->train, err);
        out->val = (size_t)cfg->data.val_size;
        out->train *= lt_splits_hflip_wanted(cfg) ? 2 : 1;
    }
    return st;
}

void lt_splits_free(lt_splits *s)
{
    if (!s) {
        return;
    }
    lt_dataset_free(&s->train);
    lt_dataset_free(&s->val);
    lt_dataset_free(&s->test);
    free(s->class_names);
    s->class_names = NULL;
    s->C = 0;
}
