/* train.h — one training run from a validated config to a finished run folder.
 *
 * The trainer does not print: it hands step and epoch records to an observer (the
 * console in cli_train.c), and writes the run folder: config.json, metrics.jsonl,
 * summary.json, weights.npy (float32 (3072, 10)) and bias.npy (float32 (10,)); with a
 * validation split also best_weights.npy and best_bias.npy, the parameters at the epoch
 * of the highest val_acc. train.early_stopping_patience > 0 ends the run once that many
 * epochs pass without a higher val_acc. */
#ifndef LINTRAIN_TRAIN_H
#define LINTRAIN_TRAIN_H

#include <stddef.h>

#include "lintrain/checkpoint.h"
#include "lintrain/common.h"
#include "lintrain/config.h"
#include "lintrain/optim.h"
#include "lintrain/metrics.h"

typedef struct {
    size_t n_train, n_val, n_test;
    size_t train_images;        /* training images before data.augment (n_train without) */
    long long steps_per_epoch;  /* L-BFGS: iterations at most; random search: trials */
    long long epochs;           /* random search: 1 */
    size_t batch_size;    /* rows per update (the last batch of an epoch may be smaller) */
    const char *out_dir;
    lt_optim_family family;
    long long resumed_step, resumed_epochs; /* updates and whole epochs done before a resume */
    size_t D;                   /* values per record (features with data.features) */
    int is_image;               /* records are 32x32x3 images as loaded (no data.features) */
} lt_run_info;

/* Every callback may be NULL. */
typedef struct {
    void *ctx;
    void (*on_start)(void *ctx, const lt_run_info *info);
    void (*on_step)(void *ctx, const lt_step_report *r);      /* every log_every updates */
    void (*on_progress)(void *ctx, long long step_in_epoch, long long steps_per_epoch,
                        double epoch_seconds);                 /* after every update */
    void (*on_epoch)(void *ctx, const lt_epoch_report *r);
    void (*on_trial)(void *ctx, const lt_trial_report *r);    /* random search, every
                                                                  log_every trials */
    void (*on_note)(void *ctx, const char *note);             /* one line for the user
                                                                  (no picture of W: why) */
    void (*on_features)(void *ctx, const char *split, size_t done, size_t total,
                        double seconds);                       /* data.features: images of
                                                                  a split computed so far */
} lt_train_observer;

/* Trains as cfg says. Returns LT_OK, LT_ERR (data or I/O), LT_ECONFIG (a size that
 * does not fit the data; nothing written), LT_EDIVERGED (summary.json then says
 * "diverged"; checkpoint.bin stays the last good one) or LT_EINTERRUPTED (SIGINT or
 * SIGTERM seen by lt_interrupt_pending: the update under way was finished and a
 * checkpoint written; no summary.json). Writes checkpoint.bin every
 * train.checkpoint_every epochs. *out is filled whenever training started. */
lt_status lt_train(const lt_config *cfg, const lt_train_observer *obs, lt_summary *out,
                   lt_error *err);

/* Continues the run in cfg->output.dir from its checkpoint.bin; cfg must be that
 * folder's config.json (output.dir may differ, if the folder moved). The checkpoint is
 * read and checked whole before the folder is touched: a missing, truncated or damaged
 * one is LT_ERR, one written for another config or other data LT_ECONFIG. Then as
 * lt_train; the finished run's files are byte for byte those of a run never stopped
 * (metrics.jsonl and summary.json but for their "seconds"). */
lt_status lt_train_resume(const lt_config *cfg, const lt_train_observer *obs, lt_summary *out,
                          lt_error *err);

/* The whole epochs done by the run that wrote checkpoint ck (its "progress" block). */
lt_status lt_train_checkpoint_epochs(const lt_checkpoint *ck, long long *done, lt_error *err);

#endif
