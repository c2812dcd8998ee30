/* train_driver.h — inside the trainer: what every run shares (train.c) and the drivers
 * that run one optimizer family each. Not part of the library's interface (train.h is):
 * only train*.c and tests include it.
 *
 * A driver is chosen once, from the optimizer table's family (lt_train_driver_for):
 *   first-order    minibatch updates with a scheduled rate (train.c)
 *   L-BFGS         the full-batch objective handed to lbfgs.c, one step() per epoch
 *                  (train_lbfgs.c)
 *   random search  Gaussian samples scored on the whole training split (train_search.c)
 * Its state lives behind lt_trainer.state; the trainer's own saved state is a table of
 * blocks (train_checkpoint.c), to which the driver adds its blocks. */
#ifndef LINTRAIN_TRAIN_DRIVER_H
#define LINTRAIN_TRAIN_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "lintrain/checkpoint.h"
#include "lintrain/config.h"
#include "lintrain/kernel.h"
#include "lintrain/lbfgs.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/optim.h"
#include "lintrain/penalty.h"
#include "lintrain/featpipe.h"
#include "lintrain/preprocess.h"
#include "lintrain/rng.h"
#include "lintrain/metrics.h"
#include "lintrain/splits.h"
#include "lintrain/train.h"

#define LT_TRAIN_CKPT_FILE "checkpoint.bin"

typedef struct lt_train_driver lt_train_driver;

/* One run. Fields marked (saved) are in checkpoint.bin. */
typedef struct {
    const lt_config *cfg;
    const lt_train_observer *obs;
    const lt_loss *loss;
    const lt_penalty *penalty;
    const lt_optim_kind *kind;
    const lt_train_driver *driver;
    void *state;                /* owned by the driver: its setup makes it, its free frees it */
    lt_splits data;
    lt_featpipe feat;           /* data.features: the fitted stages (empty without) */
    lt_preprocess prep;
    lt_model model;             /* (saved) params */
    lt_rng rng_shuffle;         /* (saved) */
    lt_metrics metrics;
    size_t batch;               /* rows per update */
    long long epochs;           /* set by the driver's setup */
    long long steps_per_epoch;  /* set by the driver's setup (L-BFGS: at most; search: trials) */
    long long step;             /* (saved) updates done (L-BFGS iterations, search trials) */
    size_t *order;              /* (saved) owned: (n_train) this epoch's order of records */
    float *grad;                /* owned: (n_params) gradient, params layout */
    lt_kernel kernel;           /* scores, loss and gradient straight from uint8 pixels */
    size_t *eval_idx;           /* owned: training records scored at each epoch end */
    size_t n_eval;              /* how many: train.eval_train_size, or all */
    double t0;
    lt_epoch_report last_epoch; /* (saved) */
    double loss0;               /* (saved) training loss (data + λR, the eval sample) at the
                                   initial weights: what train.divergence_factor multiplies */
    int resume;                 /* continue the run folder's checkpoint.bin */
    long long epoch0;           /* (saved) whole epochs done before this process */
    long long k0;               /* (saved) updates of epoch epoch0 + 1 done before it */
    long long metrics_bytes;    /* (saved) length of metrics.jsonl at the checkpoint */
    long long ckpt_epochs;      /* epochs in the last checkpoint written or read; -1: none */
    float *best;                /* (saved) owned: (n_params) params at the best val_acc */
    long long best_epoch;       /* (saved) its epoch; 0 until an epoch was validated */
    lt_eval best_val;           /* (saved) the validation split at best_epoch */
    bool early_stopped;
} lt_trainer;

/* What a driver does. setup runs once the model exists (initialized, or zero before a
 * resume), before anything is written: it sets t->epochs and t->steps_per_epoch and
 * makes t->state. run trains epochs t->epoch0 + 1 .. t->epochs (from t->step and t->k0
 * on a resume). save adds the driver's blocks to a checkpoint (they must live until it
 * is written: keep them in t->state); restore takes them back, after the trainer's own
 * blocks; free releases t->state (also after a failed setup). */
struct lt_train_driver {
    const char *name;
    bool whole_epochs;  /* checkpoints only at epoch ends (steps_per_epoch is at most) */
    const char *hint;   /* what to try when it diverges */
    lt_status (*setup)(lt_trainer *t, lt_error *err);
    lt_status (*run)(lt_trainer *t, lt_error *err);
    lt_status (*save)(lt_trainer *t, lt_checkpoint *ck, lt_error *err);
    lt_status (*restore)(lt_trainer *t, const lt_checkpoint *ck, lt_error *err);
    void (*free)(lt_trainer *t);
};

extern const lt_train_driver lt_train_first_order_driver;  /* train.c */
extern const lt_train_driver lt_train_lbfgs_driver;        /* train_lbfgs.c */
extern const lt_train_driver lt_train_search_driver;       /* train_search.c */

/* The driver of an optimizer family. */
const lt_train_driver *lt_train_driver_for(lt_optim_family family);

/* ---- shared by the drivers (train.c) ---------------------------------------------- */

double lt_train_now(void);
/* Whether no element of x (n) is Inf or NaN. */
int lt_train_all_finite(const float *x, size_t n);
/* Mean data loss of rows [first, first + rows) of this epoch's order; its gradient into
 * grad (params layout; NULL: loss only). */
double lt_train_batch_loss(lt_trainer *t, size_t first, size_t rows, float *grad);
/* λR(W) at the current weights. */
double lt_train_penalty(const lt_trainer *t);
/* Evaluates the epoch, tracks the best one, writes its metrics line, tells the observer. */
lt_status lt_train_end_epoch(lt_trainer *t, long long epoch, lt_error *err);
/* After lt_train_end_epoch: a training loss (data + λR) that is not finite, or more than
 * train.divergence_factor times the initial one, is a divergence (lr: the rate of the
 * epoch's last update, NAN for none to show). */
lt_status lt_train_check_epoch_loss(const lt_trainer *t, long long epoch, double lr,
                                    lt_error *err);
/* The one divergence message: where (step, epoch and, when finite, the rate), what
 * (printf-style) and the driver's hint; LT_EDIVERGED. run() adds where the last good
 * checkpoint is. */
lt_status lt_train_diverged(const lt_trainer *t, long long step, long long epoch, double lr,
                            lt_error *err, const char *what, ...)
    __attribute__((format(printf, 6, 7)));
/* Stops after a signal once the update under way is done: writes the checkpoint for
 * epoch - 1 whole epochs and k updates, then LT_EINTERRUPTED. */
lt_status lt_train_interrupted(lt_trainer *t, long long epoch, long long k, lt_error *err);

/* ---- the trainer's checkpoint (train_checkpoint.c) ---------------------------------- */

/* Writes checkpoint.bin for the state after epochs_done whole epochs and k updates of
 * the next; metrics.jsonl is synced first and its length recorded. */
lt_status lt_train_checkpoint_save(lt_trainer *t, long long epochs_done, long long k,
                                   lt_error *err);
/* Reads the run folder's checkpoint.bin into the trainer set up from the same config. */
lt_status lt_train_checkpoint_restore(lt_trainer *t, lt_error *err);

/* ---- L-BFGS's state as checkpoint blocks (train_lbfgs.c) ---------------------------- */

/* What lt_train_lbfgs_save hands to the checkpoint besides L's own arrays; it must live
 * until the checkpoint is written, then lt_train_lbfgs_saved_free. */
typedef struct {
    double *hist;          /* owned: (2, num_old, n) the pairs y then s, oldest first */
    double real[2];        /* t, h_diag */
    uint64_t count[4];     /* history, num_old, n_iter, func_evals */
} lt_train_lbfgs_saved;

/* Adds L's state between two steps to ck: blocks "lbfgs.count" (u64: history, num_old,
 * n_iter, func_evals), "lbfgs.real" (t, h_diag), "lbfgs.hist" (the num_old pairs),
 * "lbfgs.ro" (num_old), "lbfgs.d", "lbfgs.g", "lbfgs.prev_g" (n each). L's arrays are
 * borrowed, so L and *saved must outlive the write. With x (double, which the float
 * parameters cannot replace) the next step from the restored state is bit for bit the
 * step of the state saved. */
lt_status lt_train_lbfgs_save(const lt_lbfgs *L, lt_checkpoint *ck,
                              lt_train_lbfgs_saved *saved, lt_error *err);
/* Frees what lt_train_lbfgs_save allocated; accepts a zeroed *saved. */
void lt_train_lbfgs_saved_free(lt_train_lbfgs_saved *saved);
/* Restores what lt_train_lbfgs_save stored into L, created with the same n and history.
 * A missing or mis-sized block, another history length, num_old > history or a
 * non-finite number is an error naming the block; L may then hold part of the state. */
lt_status lt_train_lbfgs_restore(lt_lbfgs *L, const lt_checkpoint *ck, lt_error *err);

#endif
