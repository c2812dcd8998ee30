/* runfolder.h — a finished run folder, read back (eval, predict, plot), and the files
 * training adds beside the weights: preprocess.npy and templates.png.
 *
 * preprocess.npy: float32 (2, 3072), row 0 the shift and row 1 the scale of the
 * fitted preprocessing (x' = (x − shift)·scale, preprocess.h), so that a run folder
 * predicts without the training data. A folder without it (from an older lintrain)
 * gets the statistics refit on the configured training split: the same numbers,
 * since the fit is deterministic. */
#ifndef LINTRAIN_RUNFOLDER_H
#define LINTRAIN_RUNFOLDER_H

#include <stddef.h>

#include "lintrain/cifar.h"
#include "lintrain/common.h"
#include "lintrain/config.h"
#include "lintrain/fsutil.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/preprocess.h"

#define LT_PREPROCESS_FILE "preprocess.npy"
#define LT_TEMPLATES_FILE "templates.png"

typedef struct {
    char dir[LT_PATH_MAX];
    lt_config cfg;          /* owned: the run's config.json (or --config) with --set */
    lt_model model;         /* owned: weights.npy, bias.npy */
    lt_preprocess prep;     /* owned */
    int prep_refit;         /* 1: preprocess.npy was missing and the fit was redone */
    const lt_loss *loss;
    char class_names[LT_CIFAR_C][LT_CLASS_NAME_MAX];
} lt_run;

#define LT_RUN_NO_PREPROCESS 1u /* lt_run_open flag: leave run->prep empty */

/* Opens run folder dir: the config is config (NULL: dir/config.json) with sets
 * applied; then the weights, the preprocessing (unless flags has
 * LT_RUN_NO_PREPROCESS) and the class names (from data.dir's batches.meta.txt, or
 * the standard names). Errors name the file; a folder without weights.npy is "not a
 * finished run". */
lt_status lt_run_open(lt_run *run, const char *dir, const char *config,
                      const char *const *sets, size_t n_sets, unsigned flags, lt_error *err);
void lt_run_free(lt_run *run);

/* Writes dir/preprocess.npy. */
lt_status lt_preprocess_save(const char *dir, const lt_preprocess *p, lt_error *err);

/* Reads dir/preprocess.npy; LT_OK with *found = 0 when it does not exist. */
lt_status lt_preprocess_load(const char *dir, lt_preprocess *p, int *found, lt_error *err);

/* What training writes after the weights: preprocess.npy and templates.png. */
lt_status lt_run_write_extras(const char *dir, const lt_model *m, const lt_preprocess *p,
                              char names[][LT_CLASS_NAME_MAX], lt_error *err);

#endif
