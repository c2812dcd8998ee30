/* train.h — one training run from a validated config to a finished run folder.
 *
 * The trainer does not print: it hands step and epoch records to an observer (the
 * console in main.c), and writes the run folder: config.json, metrics.jsonl,
 * summary.json, weights.npy (float32 (3072, 10)) and bias.npy (float32 (10,)); with a
 * validation split also best_weights.npy and best_bias.npy, the parameters at the epoch
 * of the highest val_acc. train.early_stopping_patience > 0 ends the run once that many
 * epochs pass without a higher val_acc. */
#ifndef LINTRAIN_TRAIN_H
#define LINTRAIN_TRAIN_H

#include <stddef.h>

#include "lintrain/common.h"
#include "lintrain/config.h"
#include "lintrain/runlog.h"

typedef struct {
    size_t n_train, n_val, n_test;
    long long steps_per_epoch, epochs;
    size_t batch_size;    /* rows per update (the last batch of an epoch may be smaller) */
    const char *out_dir;
} lt_run_info;

/* Every callback may be NULL. */
typedef struct {
    void *ctx;
    void (*on_start)(void *ctx, const lt_run_info *info);
    void (*on_step)(void *ctx, const lt_step_report *r);      /* every log_every updates */
    void (*on_progress)(void *ctx, long long step_in_epoch, long long steps_per_epoch,
                        double epoch_seconds);                 /* after every update */
    void (*on_epoch)(void *ctx, const lt_epoch_report *r);
} lt_train_observer;

/* Trains as cfg says. Returns LT_OK, LT_ERR (data or I/O), LT_ECONFIG (a size that
 * does not fit the data; nothing written) or LT_EDIVERGED (summary.json then says
 * "diverged"). *out is filled whenever training started. */
lt_status lt_train(const lt_config *cfg, const lt_train_observer *obs, lt_summary *out,
                   lt_error *err);

#endif
