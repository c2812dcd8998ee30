/* splits.c — loading the configured data and cutting it into splits. */
#include "lintrain/splits.h"

#include <errno.h>
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

static lt_status cut(const lt_config *cfg, lt_dataset *all, lt_splits *s, lt_error *err)
{
    size_t total = all->n;
    size_t val = (size_t)cfg->data.val_size;
    if (val >= total) {
        return lt_fail(err, LT_ECONFIG,
                       "data.val_size: %zu leaves no training records (the training files hold %zu)",
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
    if ((unsigned long long)cfg->train.batch_size > ntrain) {
        return lt_fail(err, LT_ECONFIG,
                       "train.batch_size: %lld is larger than the %zu training records "
                       "(use 0 for full batch)",
                       cfg->train.batch_size, ntrain);
    }
    /* Validation is copied out; training is the first records, kept in place (no
     * second copy of 150 MB). */
    lt_status st = lt_dataset_slice(all, avail, val, &s->val, err);
    if (st == LT_OK) {
        s->train = *all;
        memset(all, 0, sizeof *all);
        st = lt_dataset_truncate(&s->train, ntrain, err);
    }
    return st;
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
        st = lt_cifar_class_names(cfg->data.dir, s->class_names, err);
    }
    lt_dataset_free(&all);
    if (st != LT_OK) {
        lt_splits_free(s);
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
}
