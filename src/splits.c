/* splits.c — loading the configured data and cutting it into splits. */
#include "lintrain/splits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static lt_status check_data_dir(const char *dir, lt_error *err)
{
    struct stat st;
    const char *why = NULL;
    if (stat(dir, &st) != 0) {
        why = strerror(errno);
    } else if (!S_ISDIR(st.st_mode)) {
        why = "not a folder";
    }
    if (why) {
        return lt_fail(err, LT_ERR,
                       "data.dir \"%s\": %s; run scripts/get_cifar10.sh to fetch CIFAR-10, "
                       "or set data.dir",
                       dir, why);
    }
    return LT_OK;
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

lt_status lt_splits_load(const lt_config *cfg, lt_splits *s, lt_error *err)
{
    memset(s, 0, sizeof *s);
    lt_dataset all = {0};
    lt_status st = check_data_dir(cfg->data.dir, err);
    if (st == LT_OK) {
        st = lt_cifar_load(cfg->data.dir, cfg->data.train_files.items, cfg->data.train_files.n,
                           &all, err);
    }
    if (st == LT_OK) {
        st = cut(cfg, &all, s, err);
    }
    if (st == LT_OK && cfg->data.test_file[0] != '\0') {
        const char *files[1] = {cfg->data.test_file};
        st = lt_cifar_load(cfg->data.dir, files, 1, &s->test, err);
    }
    if (st == LT_OK) {
        st = cifar10_names(cfg->data.dir, s, err);
    }
    lt_dataset_free(&all);
    if (st != LT_OK) {
        lt_splits_free(s);
    }
    return st;
}

lt_status lt_splits_check(const lt_config *cfg, lt_split_sizes *out, lt_error *err)
{
    memset(out, 0, sizeof *out);
    size_t total = 0, avail;
    lt_status st = check_data_dir(cfg->data.dir, err);
    if (st == LT_OK) {
        st = lt_cifar_count(cfg->data.dir, cfg->data.train_files.items, cfg->data.train_files.n,
                            &total, err);
    }
    if (st == LT_OK) {
        st = split_sizes(cfg, total, &avail, &out->train, err);
        out->val = (size_t)cfg->data.val_size;
    }
    if (st == LT_OK && cfg->data.test_file[0] != '\0') {
        const char *files[1] = {cfg->data.test_file};
        st = lt_cifar_count(cfg->data.dir, files, 1, &out->test, err);
    }
    char names[LT_CIFAR_C][LT_CLASS_NAME_MAX];
    if (st == LT_OK) {
        st = lt_cifar_class_names(cfg->data.dir, names, err);
        out->D = LT_CIFAR_D;
        out->C = LT_CIFAR_C;
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
