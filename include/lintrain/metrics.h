/* metrics.h — what a run reports as it goes: the records handed to observers (the
 * console) and written to the run folder's metrics.jsonl, and summary.json. */
#ifndef LINTRAIN_METRICS_H
#define LINTRAIN_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "lintrain/common.h"
#include "lintrain/evaluate.h"
#include "lintrain/fsutil.h"

typedef struct {
    long long step;   /* updates done, from 1 */
    long long epoch;  /* from 1 */
    double lr;        /* rate used by this update (L-BFGS: the line search's step length) */
    double batch_loss; /* mean data loss of the update's batch + lambda * R(W) before the
                          update (L-BFGS: the full-batch objective after the iteration) */
} lt_step_report;

/* A feature stage's work (data.features): fitting it, or computing a split's features. */
typedef struct {
    const char *stage;    /* "kmeans", "hog", ... */
    const char *what;     /* "fit", or the split: "train", "val", "test" */
    double seconds;
    size_t rows, cols;    /* fit: the patches sampled and their values; else the split's
                             images and the stage's features per image */
} lt_feature_report;

/* Random search: one per trial. */
typedef struct {
    long long trial;      /* from 1 */
    long long trials;
    double train_loss;      /* data loss + lambda * R of this trial's sample, whole split */
    double best_train_loss; /* lowest so far, this one included */
} lt_trial_report;

typedef struct {
    long long epoch, epochs, step;
    double seconds;   /* since training started */
    lt_eval train;    /* the eval sample of the training split (train.eval_train_size);
                         train.loss is the mean data loss */
    double train_penalty; /* lambda * R(W) at the epoch's end */
    lt_eval val;      /* n = 0 when there is no validation split; data loss */
} lt_epoch_report;

typedef struct {
    const char *status;   /* "ok" or "diverged" */
    lt_eval train, val, test;
    size_t train_images;  /* training images before data.augment: train.n without it, half
                             of it with hflip (summary.json's n_train_images, then) */
    double train_penalty; /* lambda * R(W) at the end */
    double initial_train_loss; /* data + lambda * R on the eval sample before any update:
                                  the reference of train.divergence_factor */
    long long steps, epochs;
    double seconds;
    long long best_epoch; /* epoch of the highest val_acc (first on ties); 0 without validation */
    lt_eval best_val;     /* the validation split at best_epoch */
    lt_eval best_test;    /* the test split with the weights of best_epoch */
    bool early_stopped;   /* stopped by train.early_stopping_patience before train.epochs */
} lt_summary;

/* metrics.jsonl: one JSON object per line, flushed line by line so that a run that
 * stops early leaves every line it wrote whole. */
typedef struct {
    FILE *f;
    char path[LT_PATH_MAX];
} lt_metrics;

lt_status lt_metrics_open(lt_metrics *m, const char *dir, lt_error *err);
lt_status lt_metrics_step(lt_metrics *m, const lt_step_report *r, lt_error *err);
lt_status lt_metrics_feature(lt_metrics *m, const lt_feature_report *r, lt_error *err);
lt_status lt_metrics_epoch(lt_metrics *m, const lt_epoch_report *r, lt_error *err);
lt_status lt_metrics_trial(lt_metrics *m, const lt_trial_report *r, lt_error *err);
lt_status lt_metrics_close(lt_metrics *m, lt_error *err);

/* Opens dir/metrics.jsonl to continue a run: cuts it back to its first length bytes
 * (what a checkpoint recorded; lines written after it are dropped, since the resumed
 * run writes them again) and appends from there. A file shorter than length is an
 * error. */
lt_status lt_metrics_reopen(lt_metrics *m, const char *dir, long long length, lt_error *err);

/* Flushes the lines written so far to disk; *length gets the file's length. */
lt_status lt_metrics_sync(lt_metrics *m, long long *length, lt_error *err);

/* Writes o as indented JSON and a newline to dir/name atomically, and deletes o (a
 * cJSON object; NULL, as cJSON returns when out of memory, is an error). For
 * summary.json, eval.json, data.json. */
struct cJSON;
lt_status lt_metrics_write_json(const char *dir, const char *name, struct cJSON *o,
                                lt_error *err);

/* Writes dir/summary.json atomically. */
lt_status lt_metrics_summary(const char *dir, const lt_summary *s, lt_error *err);

#endif
