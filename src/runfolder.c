/* runfolder.c — reading a finished run folder; preprocess.npy and templates.png. */
#include "lintrain/runfolder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lintrain/npy.h"
#include "lintrain/splits.h"
#include "lintrain/templates.h"

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

lt_status lt_preprocess_save(const char *dir, const lt_preprocess *p, lt_error *err)
{
    char path[LT_PATH_MAX];
    lt_status st = lt_path_join(path, dir, LT_PREPROCESS_FILE, err);
    if (st != LT_OK) {
        return st;
    }
    float *both = lt_calloc(2 * LT_CIFAR_D, sizeof(float), "preprocess.npy", err);
    if (!both) {
        return LT_ERR;
    }
    memcpy(both, p->shift, LT_CIFAR_D * sizeof(float));
    memcpy(both + LT_CIFAR_D, p->scale, LT_CIFAR_D * sizeof(float));
    size_t shape[2] = {2, LT_CIFAR_D};
    st = lt_npy_write_f32(path, both, shape, 2, err);
    free(both);
    return st;
}

lt_status lt_preprocess_load(const char *dir, lt_preprocess *p, int *found, lt_error *err)
{
    memset(p, 0, sizeof *p);
    *found = 0;
    char path[LT_PATH_MAX];
    lt_status st = lt_path_join(path, dir, LT_PREPROCESS_FILE, err);
    if (st != LT_OK || !file_exists(path)) {
        return st;
    }
    float *data = NULL;
    size_t shape[LT_NPY_MAX_DIMS];
    int ndim = 0;
    if ((st = lt_npy_read_f32(path, &data, shape, &ndim, err)) != LT_OK) {
        return st;
    }
    if (ndim != 2 || shape[0] != 2 || shape[1] != LT_CIFAR_D) {
        free(data);
        return lt_fail(err, LT_ERR, "%s: has the wrong shape: expected (2, %d)", path,
                       LT_CIFAR_D);
    }
    p->shift = lt_calloc(LT_CIFAR_D, sizeof(float), "preprocess shift", err);
    p->scale = lt_calloc(LT_CIFAR_D, sizeof(float), "preprocess scale", err);
    if (!p->shift || !p->scale) {
        free(data);
        lt_preprocess_free(p);
        return LT_ERR;
    }
    memcpy(p->shift, data, LT_CIFAR_D * sizeof(float));
    memcpy(p->scale, data + LT_CIFAR_D, LT_CIFAR_D * sizeof(float));
    free(data);
    *found = 1;
    return LT_OK;
}

lt_status lt_run_write_extras(const char *dir, const lt_model *m, const lt_preprocess *p,
                              char names[][LT_CLASS_NAME_MAX], lt_error *err)
{
    char path[LT_PATH_MAX];
    lt_status st = lt_preprocess_save(dir, p, err);
    if (st == LT_OK) {
        st = lt_path_join(path, dir, LT_TEMPLATES_FILE, err);
    }
    if (st == LT_OK) {
        st = lt_templates_write(path, m->W, m->C, names, err);
    }
    return st;
}

/* The preprocessing fitted again on the configured training split. */
static lt_status refit(lt_run *run, lt_error *err)
{
    lt_splits data;
    lt_status st = lt_splits_load(&run->cfg, &data, err);
    if (st != LT_OK) {
        lt_error_prefix(err, "no " LT_PREPROCESS_FILE " in the run folder, and refitting "
                             "the preprocessing failed");
        return st;
    }
    st = lt_preprocess_fit(&run->prep, run->cfg.data.preprocess, &data.train, err);
    lt_splits_free(&data);
    run->prep_refit = 1;
    return st;
}

lt_status lt_run_open(lt_run *run, const char *dir, const char *config,
                      const char *const *sets, size_t n_sets, unsigned flags, lt_error *err)
{
    memset(run, 0, sizeof *run);
    char cfg_path[LT_PATH_MAX], weights[LT_PATH_MAX], bias[LT_PATH_MAX];
    lt_status st = LT_OK;
    if ((size_t)snprintf(run->dir, sizeof run->dir, "%s", dir) >= sizeof run->dir ||
        (st = lt_path_join(cfg_path, dir, "config.json", err)) != LT_OK ||
        (st = lt_path_join(weights, dir, "weights.npy", err)) != LT_OK ||
        (st = lt_path_join(bias, dir, "bias.npy", err)) != LT_OK) {
        return st != LT_OK ? st : lt_fail(err, LT_ERR, "%s: path too long", dir);
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        return lt_fail(err, LT_ERR, "--run %s: %s", dir,
                       stat(dir, &sb) != 0 ? strerror(errno) : "not a folder");
    }
    if (!file_exists(weights)) {
        return lt_fail(err, LT_ERR, "--run %s: not a finished run folder (no weights.npy)",
                       dir);
    }
    if ((st = lt_config_load(&run->cfg, config ? config : cfg_path, sets, n_sets, err)) !=
            LT_OK ||
        (st = lt_model_create(&run->model, LT_CIFAR_D, LT_CIFAR_C, err)) != LT_OK ||
        (st = lt_model_load(&run->model, weights, bias, err)) != LT_OK) {
        lt_run_free(run);
        return st;
    }
    run->loss = lt_loss_find(run->cfg.model.loss);
    int found = 0;
    if (!(flags & LT_RUN_NO_PREPROCESS)) {
        st = lt_preprocess_load(dir, &run->prep, &found, err);
    }
    if (st == LT_OK && !found && !(flags & LT_RUN_NO_PREPROCESS)) {
        st = refit(run, err);
    }
    if (st == LT_OK) {
        st = lt_cifar_class_names(run->cfg.data.dir, run->class_names, err);
    }
    if (st != LT_OK) {
        lt_run_free(run);
    }
    return st;
}

void lt_run_free(lt_run *run)
{
    if (!run) {
        return;
    }
    lt_config_free(&run->cfg);
    lt_model_free(&run->model);
    lt_preprocess_free(&run->prep);
    memset(run, 0, sizeof *run);
}
