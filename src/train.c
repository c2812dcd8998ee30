/* train.c — the training loops, one per optimizer family (optim.h):
 *   first-order    minibatches drawn from a seeded shuffle, one forward/backward
 *                  through sgemm, the penalty, the scheduled rate, the update;
 *   L-BFGS         the full-batch objective handed to lbfgs.c, one step() per epoch;
 *   random search  Gaussian samples scored on the full training split, the best kept;
 * evaluation at every epoch end; the run folder at the end. */
#include "lintrain/train.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lintrain/checkpoint.h"
#include "lintrain/evaluate.h"
#include "lintrain/fsutil.h"
#include "lintrain/interrupt.h"
#include "lintrain/lbfgs.h"
#include "lintrain/kernel.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/npy.h"
#include "lintrain/optim.h"
#include "lintrain/penalty.h"
#include "lintrain/preprocess.h"
#include "lintrain/rng.h"
#include "lintrain/run.h"
#include "lintrain/schedule.h"
#include "lintrain/splits.h"

/* PCG32 streams: init, shuffling and random search draw from separate streams, so
 * that changing one does not change what the others draw. */
#define STREAM_INIT 1
#define STREAM_SHUFFLE 2
#define STREAM_SEARCH 3
#define STREAM_EVAL 4   /* the training records scored at each epoch end */

typedef struct {
    const lt_config *cfg;
    const lt_train_observer *obs;
    const lt_loss *loss;
    const lt_penalty *penalty;
    const lt_schedule *schedule;
    lt_splits data;
    lt_preprocess prep;
    lt_model model;
    const lt_optim_kind *kind;
    lt_optimizer opt;
    lt_rng rng_shuffle;
    lt_metrics metrics;
    size_t batch;               /* rows per update */
    long long epochs;           /* 1 for random search */
    long long steps_per_epoch;  /* L-BFGS: at most; random search: trials */
    long long step;             /* updates done (L-BFGS iterations, search trials) */
    size_t *order;              /* owned: (n_train) this epoch's order of records */
    float *grad;                /* owned: (n_params) gradient, params layout */
    lt_kernel kernel;           /* scores, loss and gradient straight from uint8 pixels */
    size_t *eval_idx;           /* owned: training records scored at each epoch end */
    size_t n_eval;              /* how many: train.eval_train_size, or all */
    double t0;
    lt_epoch_report last_epoch;
    double loss0;               /* training loss (data + λR, the eval sample) at the initial
                                   weights: what train.divergence_factor multiplies */
    /* L-BFGS only */
    long long epoch;            /* the epoch running */
    long long iter0;            /* iterations done before this epoch */
    double epoch_t0;
    lt_status iter_status;      /* a failure in the iteration callback */
    lt_error iter_err;
    /* Checkpoints (see "checkpoint and resume" below). */
    int resume;                 /* continue the run folder's checkpoint.bin */
    long long epoch0;           /* whole epochs done before this process */
    long long k0;               /* updates of epoch epoch0 + 1 done before this process */
    long long metrics_bytes;    /* length of metrics.jsonl at the checkpoint resumed */
    long long ckpt_epochs;      /* epochs in the last checkpoint written or read; -1: none */
    /* Best validation epoch (best_weights.npy) and early stopping */
    float *best;                /* owned: (n_params) params at the best val_acc so far */
    long long best_epoch;       /* its epoch; 0 until an epoch was validated */
    lt_eval best_val;           /* the validation split at best_epoch */
    bool early_stopped;
    /* L-BFGS state, made by lbfgs_setup (on resume, before the run folder is touched) */
    lt_lbfgs lbfgs;             /* owned, valid when lbfgs_x is set */
    double *lbfgs_x;            /* owned: (n_params) the iterate, in double */
    bool lbfgs_converged;       /* a step ended on a tolerance: no more epochs */
    /* Random-search state, made by search_setup */
    lt_rng rng_search;
    double search_best_loss;    /* lowest training loss of the trials so far */
    float *search_best;         /* owned: (n_params) its parameters */
} trainer;

/* Random search writes checkpoint.bin every this many trials (train.checkpoint_every > 0)
 * and when a signal stops it between two trials. */
#define SEARCH_CKPT_TRIALS 100

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The training records scored at each epoch end: all of them, or the first
 * train.eval_train_size of a seeded permutation (a fixed sample for the whole run), so
 * that evaluation stays a small part of an epoch; summary.json scores them all. */
static lt_status pick_eval_sample(trainer *t, lt_error *err)
{
    size_t n = t->data.train.n, want = (size_t)t->cfg->train.eval_train_size;
    t->n_eval = want == 0 || want >= n ? n : want;
    if (t->n_eval == n) {
        return LT_OK; /* eval_idx NULL: records 0..n */
    }
    t->eval_idx = lt_calloc(n, sizeof *t->eval_idx, "evaluation sample", err);
    if (!t->eval_idx) {
        return LT_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        t->eval_idx[i] = i;
    }
    lt_rng rng;
    lt_rng_seed(&rng, (uint64_t)t->cfg->train.seed, STREAM_EVAL);
    lt_rng_shuffle(&rng, t->eval_idx, n);
    return LT_OK;
}

static lt_status setup(trainer *t, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    t->loss = lt_loss_find(cfg->model.loss);
    t->penalty = lt_penalty_find(cfg->regularization.type);
    /* L-BFGS and random search have no schedule section (its name is NULL). */
    t->schedule = cfg->schedule.name ? lt_schedule_find(cfg->schedule.name) : NULL;
    lt_status st = lt_splits_load(cfg, &t->data, err);
    if (st != LT_OK) {
        return st;
    }
    size_t n = t->data.train.n;
    t->kind = lt_optim_find(cfg->optimizer.name);
    t->batch = cfg->train.batch_size == 0 ? n : (size_t)cfg->train.batch_size;
    switch (t->kind->family) {
    case LT_OPTIM_FIRST_ORDER:
        t->epochs = cfg->train.epochs;
        t->steps_per_epoch = (long long)((n + t->batch - 1) / t->batch);
        break;
    case LT_OPTIM_LBFGS:
        t->epochs = cfg->train.epochs;
        t->steps_per_epoch = cfg->optimizer.max_iter;
        break;
    case LT_OPTIM_RANDOM_SEARCH:
        t->epochs = 1;
        t->steps_per_epoch = cfg->optimizer.trials;
        break;
    }
    long long total = t->steps_per_epoch * t->epochs;
    if (t->kind->family == LT_OPTIM_FIRST_ORDER && cfg->schedule.warmup_steps > total) {
        return lt_fail(err, LT_ECONFIG,
                       "schedule.warmup_steps: %lld is more than the run's %lld updates "
                       "(%lld epochs of %lld)",
                       cfg->schedule.warmup_steps, total, t->epochs, t->steps_per_epoch);
    }
    if ((st = lt_preprocess_fit(&t->prep, cfg->data.preprocess, &t->data.train, err)) != LT_OK ||
        (st = lt_model_create(&t->model, LT_CIFAR_D, LT_CIFAR_C, err)) != LT_OK) {
        return st;
    }
    lt_rng rng_init;
    lt_rng_seed(&rng_init, (uint64_t)cfg->train.seed, STREAM_INIT);
    lt_rng_seed(&t->rng_shuffle, (uint64_t)cfg->train.seed, STREAM_SHUFFLE);
    /* A resumed run takes its weights from the checkpoint (and needs no init file). */
    if ((!t->resume && (st = lt_model_init(&t->model, cfg, &rng_init, err)) != LT_OK) ||
        (st = lt_optimizer_create(&t->opt, cfg, t->model.n_params, t->model.D * t->model.C,
                                  err)) != LT_OK) {
        return st;
    }
    t->order = lt_calloc(n, sizeof *t->order, "shuffle order", err);
    t->grad = lt_calloc(t->model.n_params, sizeof *t->grad, "gradient", err);
    if (!t->order || !t->grad) {
        return LT_ERR;
    }
    if (t->data.val.n > 0) {
        t->best = lt_calloc(t->model.n_params, sizeof *t->best, "best weights", err);
        if (!t->best) {
            return LT_ERR;
        }
    } else if (cfg->train.early_stopping_patience > 0) {
        return lt_fail(err, LT_ECONFIG, "train.early_stopping_patience: needs a validation "
                                        "split (data.val_size > 0)");
    }
    for (size_t i = 0; i < n; i++) {
        t->order[i] = i;
    }
    if ((st = lt_kernel_create(&t->kernel, cfg->train.kernel, LT_CIFAR_D, LT_CIFAR_C,
                               (size_t)cfg->train.threads, t->prep.shift, t->prep.scale,
                               err)) != LT_OK) {
        return st;
    }
    return pick_eval_sample(t, err);
}

/* Creates the run folder and writes config.json. lintrain's files of an earlier run in
 * the same folder are removed first (the command line has refused a folder holding a
 * run unless --force), so that no stale eval.json, best weights or summary.json passes
 * for this run's; the user's files stay. */
static lt_status open_run_folder(trainer *t, lt_error *err)
{
    const char *dir = t->cfg->output.dir;
    char path[LT_PATH_MAX];
    lt_status st = lt_mkdir_p(dir, err);
    if (st == LT_OK) {
        st = lt_run_clear(dir, err);
    }
    if (st != LT_OK) {
        return st;
    }
    char *json = lt_config_to_json(t->cfg);
    if (!json) {
        return lt_fail(err, LT_ERR, "out of memory writing config.json");
    }
    st = lt_path_join(path, dir, "config.json", err);
    if (st == LT_OK) {
        st = lt_write_file_atomic(path, json, strlen(json), err);
    }
    free(json);
    if (st == LT_OK) {
        st = lt_metrics_open(&t->metrics, dir, err);
    }
    return st;
}

/* Branch-free, so that it vectorizes: a float is Inf or NaN when its exponent bits are
 * all ones. */
static int all_finite(const float *x, size_t n)
{
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, x + i, sizeof bits);
        bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}

/* ---- checkpoint and resume ------------------------------------------------------------
 * checkpoint.bin holds, besides the optimizer's state (lt_optimizer_save): the resolved
 * config, the parameters, the progress, the shuffle stream and this epoch's order, the
 * last epoch's evaluation (for summary.json) and the seconds spent. A resumed run
 * restores them all and so makes the same updates in the same order: its weights.npy is
 * byte for byte that of the run never stopped. */

#define CKPT_FILE "checkpoint.bin"

/* The "progress" block. */
enum { P_STEP, P_EPOCHS_DONE, P_STEP_IN_EPOCH, P_METRICS_BYTES, P_SECONDS_MS, P_N };
/* The "last_epoch" block: the last epoch's report. */
enum { E_EPOCH, E_STEP, E_SECONDS, E_TRAIN_N, E_TRAIN_CORRECT, E_TRAIN_LOSS, E_TRAIN_ACC,
       E_VAL_N, E_VAL_CORRECT, E_VAL_LOSS, E_VAL_ACC, E_N };

static void pack_eval(const lt_eval *e, double *out)
{
    out[0] = (double)e->n;
    out[1] = (double)e->correct;
    out[2] = e->loss;
    out[3] = e->accuracy;
}

/* Whether x is a whole number in [0, 2^53], so that it converts to an integer exactly
 * (converting a double out of an integer type's range is undefined behaviour). */
static int is_count(double x)
{
    return x >= 0 && x <= 9007199254740992.0 && x == floor(x);
}

/* Whether the counts of the "last_epoch" block can be: whole, and correct <= n. */
static int last_epoch_valid(const double *last)
{
    return is_count(last[E_EPOCH]) && is_count(last[E_STEP]) && is_count(last[E_TRAIN_N]) &&
           is_count(last[E_TRAIN_CORRECT]) && is_count(last[E_VAL_N]) &&
           is_count(last[E_VAL_CORRECT]) && last[E_TRAIN_CORRECT] <= last[E_TRAIN_N] &&
           last[E_VAL_CORRECT] <= last[E_VAL_N];
}

static void unpack_eval(const double *in, lt_eval *e)
{
    e->n = (size_t)in[0];
    e->correct = (size_t)in[1];
    e->loss = in[2];
    e->accuracy = in[3];
}

/* The "best" block: the best validation epoch so far and its report (best_weights.npy
 * and early stopping go on from it after a resume); "best.params" holds its weights. */
enum { B_EPOCH, B_VAL_N, B_VAL_CORRECT, B_VAL_LOSS, B_VAL_ACC, B_N };

/* What save_family_state hands to the checkpoint, kept until it is written. */
typedef struct {
    lt_lbfgs_saved lbfgs;
    uint64_t flags[1], rng[2];
} family_saved;

static lt_status save_family_state(trainer *t, lt_checkpoint *ck, family_saved *fs,
                                   lt_error *err);
static lt_status restore_family_state(trainer *t, const lt_checkpoint *ck, lt_error *err);

/* Writes checkpoint.bin for the state after epochs_done whole epochs and k updates of
 * the next; metrics.jsonl is synced first, and its length recorded. */
static lt_status save_checkpoint(trainer *t, long long epochs_done, long long k, lt_error *err)
{
    size_t n = t->data.train.n;
    long long mbytes = 0;
    char path[LT_PATH_MAX];
    lt_status st = lt_metrics_sync(&t->metrics, &mbytes, err);
    if (st == LT_OK) {
        st = lt_path_join(path, t->cfg->output.dir, CKPT_FILE, err);
    }
    if (st != LT_OK) {
        return st;
    }
    char *config = lt_config_to_json(t->cfg);
    uint64_t *order = lt_calloc(n, sizeof *order, "checkpoint order", err);
    lt_checkpoint ck;
    family_saved fs = {0};
    if (!config || !order) {
        st = order ? lt_fail(err, LT_ERR, "out of memory writing the checkpoint") : LT_ERR;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        order[i] = t->order[i];
    }
    uint64_t counter, rng[2] = {t->rng_shuffle.state, t->rng_shuffle.inc};
    uint64_t progress[P_N] = {(uint64_t)t->step, (uint64_t)epochs_done, (uint64_t)k,
                              (uint64_t)mbytes,
                              (uint64_t)llround(1000.0 * (now_seconds() - t->t0))};
    const lt_epoch_report *r = &t->last_epoch;
    double last[E_N] = {(double)r->epoch, (double)r->step, r->seconds};
    pack_eval(&r->train, last + E_TRAIN_N);
    pack_eval(&r->val, last + E_VAL_N);
    /* Blocks point at their data until lt_checkpoint_write: it lives as long as ck. */
    double best[B_N] = {(double)t->best_epoch};
    lt_checkpoint_init(&ck, t->model.D, t->model.C, t->model.n_params);
    st = lt_checkpoint_add(&ck, "config", LT_CKPT_BYTES, config, strlen(config), err);
    if (st == LT_OK) {
        st = lt_checkpoint_add(&ck, "params", LT_CKPT_F32, t->model.params, t->model.n_params, err);
    }
    if (st == LT_OK) {
        st = lt_optimizer_save(&t->opt, &ck, &counter, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(&ck, "progress", LT_CKPT_U64, progress, P_N, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(&ck, "rng.shuffle", LT_CKPT_U64, rng, 2, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(&ck, "order", LT_CKPT_U64, order, n, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(&ck, "last_epoch", LT_CKPT_F64, last, E_N, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(&ck, "divergence.loss0", LT_CKPT_F64, &t->loss0, 1, err);
    }
    if (st == LT_OK && t->best) {
        pack_eval(&t->best_val, best + B_VAL_N);
        st = lt_checkpoint_add(&ck, "best", LT_CKPT_F64, best, B_N, err);
        if (st == LT_OK) {
            st = lt_checkpoint_add(&ck, "best.params", LT_CKPT_F32, t->best, t->model.n_params,
                                   err);
        }
    }
    if (st == LT_OK) {
        st = save_family_state(t, &ck, &fs, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_write(&ck, path, err);
    }
    if (st == LT_OK) {
        t->ckpt_epochs = epochs_done;
    }
cleanup:
    lt_lbfgs_saved_free(&fs.lbfgs);
    free(config);
    free(order);
    return st;
}

/* Checks that block "order" of ck is a permutation of 0..n-1 and copies it. */
static lt_status restore_order(trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    size_t n = t->data.train.n;
    const lt_ckpt_block *b = lt_checkpoint_find(ck, "order");
    if (b && b->type == LT_CKPT_U64 && b->count != n) {
        return lt_fail(err, LT_ECONFIG, "the checkpoint was written for %zu training records; "
                       "the data now gives %zu", b->count, n);
    }
    uint64_t *order = lt_calloc(n, sizeof *order, "checkpoint order", err);
    unsigned char *seen = lt_calloc(n, 1, "checkpoint order check", err);
    lt_status st = order && seen ? lt_checkpoint_get(ck, "order", LT_CKPT_U64, n, order, err)
                                 : LT_ERR;
    for (size_t i = 0; st == LT_OK && i < n; i++) {
        if (order[i] >= n || seen[order[i]]) {
            st = lt_fail(err, LT_ERR, "checkpoint block \"order\" is not a permutation of the "
                         "%zu training records (entry %zu)", n, i);
        } else {
            seen[order[i]] = 1;
            t->order[i] = (size_t)order[i];
        }
    }
    free(order);
    free(seen);
    return st;
}

/* Checks the progress block against the config and takes it. */
static lt_status restore_progress(trainer *t, const uint64_t *p, lt_error *err)
{
    uint64_t spe = (uint64_t)t->steps_per_epoch;
    /* An L-BFGS epoch does at most max_iter iterations and is checkpointed whole. */
    bool lbfgs = t->kind->family == LT_OPTIM_LBFGS;
    bool steps_ok = lbfgs ? p[P_STEP] <= p[P_EPOCHS_DONE] * spe && p[P_STEP_IN_EPOCH] == 0
                          : p[P_STEP] == p[P_EPOCHS_DONE] * spe + p[P_STEP_IN_EPOCH];
    if (p[P_EPOCHS_DONE] > (uint64_t)t->epochs || p[P_STEP_IN_EPOCH] > spe || !steps_ok ||
        (p[P_EPOCHS_DONE] == (uint64_t)t->epochs && p[P_STEP_IN_EPOCH] != 0) ||
        p[P_METRICS_BYTES] > (uint64_t)INT64_MAX || p[P_SECONDS_MS] > (uint64_t)INT64_MAX) {
        return lt_fail(err, LT_ERR, "checkpoint block \"progress\" is inconsistent: step %llu, "
                       "%llu epochs and %llu updates done, %lld steps per epoch",
                       (unsigned long long)p[P_STEP], (unsigned long long)p[P_EPOCHS_DONE],
                       (unsigned long long)p[P_STEP_IN_EPOCH], t->steps_per_epoch);
    }
    t->step = (long long)p[P_STEP];
    t->epoch0 = (long long)p[P_EPOCHS_DONE];
    t->k0 = (long long)p[P_STEP_IN_EPOCH];
    t->metrics_bytes = (long long)p[P_METRICS_BYTES];
    t->t0 -= (double)p[P_SECONDS_MS] / 1000.0;
    t->ckpt_epochs = t->epoch0;
    return LT_OK;
}

/* The best validation epoch so far and its weights (runs with a validation split). */
static lt_status restore_best(trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    double best[B_N];
    lt_status st = lt_checkpoint_get(ck, "best", LT_CKPT_F64, B_N, best, err);
    if (st == LT_OK) {
        st = lt_checkpoint_get(ck, "best.params", LT_CKPT_F32, t->model.n_params, t->best, err);
    }
    if (st == LT_OK && (!is_count(best[B_EPOCH]) || !is_count(best[B_VAL_N]) ||
                        !is_count(best[B_VAL_CORRECT]) || best[B_VAL_CORRECT] > best[B_VAL_N])) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"best\" holds impossible counts");
    }
    if (st == LT_OK) {
        t->best_epoch = (long long)best[B_EPOCH];
        unpack_eval(best + B_VAL_N, &t->best_val);
    }
    return st;
}

/* Takes the checkpoint's blocks, after checking that they belong to this config. */
static lt_status restore_blocks(trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    lt_model *m = &t->model;
    if (ck->D != m->D || ck->C != m->C || ck->n_params != m->n_params) {
        return lt_fail(err, LT_ECONFIG, "the checkpoint is for a model of %llu x %llu "
                       "weights (%llu parameters); this run has %zu x %zu (%zu)",
                       (unsigned long long)ck->D, (unsigned long long)ck->C,
                       (unsigned long long)ck->n_params, m->D, m->C, m->n_params);
    }
    const lt_ckpt_block *cb = lt_checkpoint_find(ck, "config");
    if (!cb || cb->type != LT_CKPT_BYTES) {
        return lt_fail(err, LT_ERR, "the checkpoint has no block \"config\" of bytes");
    }
    char *text = lt_calloc(cb->count + 1, 1, "config", err);
    if (!text) {
        return LT_ERR;
    }
    memcpy(text, cb->data, cb->count);
    char why[512];
    int differs = lt_config_compare(t->cfg, text, "the checkpoint", "output.dir", why, sizeof why);
    free(text);
    if (differs) {
        return lt_fail(err, differs > 0 ? LT_ECONFIG : LT_ERR,
                       "the checkpoint belongs to a different config: %s", why);
    }
    uint64_t progress[P_N], rng[2];
    double last[E_N];
    lt_status st = restore_order(t, ck, err);
    if (st == LT_OK) {
        st = lt_checkpoint_get(ck, "params", LT_CKPT_F32, m->n_params, m->params, err);
    }
    if (st == LT_OK && !all_finite(m->params, m->n_params)) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"params\" holds NaN or Inf");
    }
    if (st == LT_OK) {
        st = lt_optimizer_restore(&t->opt, ck, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_get(ck, "rng.shuffle", LT_CKPT_U64, 2, rng, err);
    }
    if (st == LT_OK && !(rng[1] & 1u)) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"rng.shuffle\": the stream must be odd");
    }
    if (st == LT_OK) {
        t->rng_shuffle.state = rng[0];
        t->rng_shuffle.inc = rng[1];
        st = lt_checkpoint_get(ck, "last_epoch", LT_CKPT_F64, E_N, last, err);
    }
    if (st == LT_OK && !last_epoch_valid(last)) {
        /* 1e300 there made the conversion to size_t undefined (UBSan, fuzz_resume). */
        st = lt_fail(err, LT_ERR, "checkpoint block \"last_epoch\" holds impossible counts");
    }
    if (st == LT_OK) {
        t->last_epoch.epoch = (long long)last[E_EPOCH];
        t->last_epoch.epochs = t->cfg->train.epochs;
        t->last_epoch.step = (long long)last[E_STEP];
        t->last_epoch.seconds = last[E_SECONDS];
        unpack_eval(last + E_TRAIN_N, &t->last_epoch.train);
        unpack_eval(last + E_VAL_N, &t->last_epoch.val);
        st = lt_checkpoint_get(ck, "progress", LT_CKPT_U64, P_N, progress, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_get(ck, "divergence.loss0", LT_CKPT_F64, 1, &t->loss0, err);
    }
    if (st == LT_OK && t->best) {
        st = restore_best(t, ck, err);
    }
    if (st == LT_OK) {
        st = restore_progress(t, progress, err);
    }
    return st == LT_OK ? restore_family_state(t, ck, err) : st;
}

lt_status lt_train_checkpoint_epochs(const lt_checkpoint *ck, long long *done, lt_error *err)
{
    uint64_t progress[P_N];
    lt_status st = lt_checkpoint_get(ck, "progress", LT_CKPT_U64, P_N, progress, err);
    if (st == LT_OK && progress[P_EPOCHS_DONE] > (uint64_t)INT64_MAX) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"progress\" is inconsistent");
    }
    *done = st == LT_OK ? (long long)progress[P_EPOCHS_DONE] : 0;
    return st;
}

/* Reads the run folder's checkpoint.bin into the trainer set up from the same config. */
static lt_status restore_checkpoint(trainer *t, lt_error *err)
{
    char path[LT_PATH_MAX];
    lt_checkpoint ck;
    struct stat sb;
    lt_status st = lt_path_join(path, t->cfg->output.dir, CKPT_FILE, err);
    if (st == LT_OK && stat(path, &sb) != 0 && errno == ENOENT) {
        return lt_fail(err, LT_ERR, "%s: cannot open: no such file (the run wrote no "
                       "checkpoint: it stopped before its first, or train.checkpoint_every "
                       "is 0)", path);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_read(&ck, path, err);
    }
    if (st == LT_OK) {
        st = restore_blocks(t, &ck, err);
        if (st != LT_OK) {
            lt_error_prefix(err, path);
        }
    }
    lt_checkpoint_free(&ck);
    return st;
}

/* The run folder of a resumed run: metrics.jsonl cut back to the checkpoint's lines,
 * no summary.json until the run is finished again; config.json stays as it is. */
static lt_status reopen_run_folder(trainer *t, lt_error *err)
{
    char path[LT_PATH_MAX];
    lt_status st = lt_path_join(path, t->cfg->output.dir, "summary.json", err);
    if (st == LT_OK) {
        remove(path);
        st = lt_metrics_reopen(&t->metrics, t->cfg->output.dir, t->metrics_bytes, err);
    }
    return st;
}

/* Stops after a signal: the update under way is done; writes the checkpoint. */
static lt_status interrupted(trainer *t, long long epoch, long long k, lt_error *err)
{
    lt_status st = save_checkpoint(t, epoch - 1, k, err);
    if (st != LT_OK) {
        return st;
    }
    const char *dir = t->cfg->output.dir;
    return lt_fail(err, LT_EINTERRUPTED,
                   "interrupted by %s after step %lld (epoch %lld); checkpoint written to "
                   "%s/" CKPT_FILE "; resume with: lintrain --resume %s",
                   lt_interrupt_name(lt_interrupt_pending()), t->step, epoch, dir, dir);
}

/* The one divergence message: where (step, epoch and, when known, the rate), what
 * (printf-style) and the hint; run() adds where the last good checkpoint is. lr: NAN
 * when there is no scheduled rate to show (L-BFGS). */
static lt_status diverged(long long step, long long epoch, double lr, lt_error *err,
                          const char *what, ...) __attribute__((format(printf, 5, 6)));
static lt_status diverged(long long step, long long epoch, double lr, lt_error *err,
                          const char *what, ...)
{
    char rate[48] = "";
    if (isfinite(lr)) {
        snprintf(rate, sizeof rate, ", lr %.3g", lr);
    }
    int len = snprintf(err->msg, sizeof err->msg, "diverged at step %lld (epoch %lld%s): ",
                       step, epoch, rate);
    if (len > 0 && (size_t)len < sizeof err->msg) {
        va_list ap;
        va_start(ap, what);
        vsnprintf(err->msg + len, sizeof err->msg - (size_t)len, what, ap);
        va_end(ap);
    }
    size_t used = strlen(err->msg);
    snprintf(err->msg + used, sizeof err->msg - used, "; try a lower optimizer.lr");
    return LT_EDIVERGED;
}

/* Adds where the last good checkpoint is to a divergence message. */
static void note_last_checkpoint(const trainer *t, lt_error *err)
{
    size_t len = strlen(err->msg);
    if (t->ckpt_epochs < 0) {
        snprintf(err->msg + len, sizeof err->msg - len, "; no checkpoint was written");
    } else {
        snprintf(err->msg + len, sizeof err->msg - len,
                 "; the last good checkpoint (after epoch %lld) is %s/" CKPT_FILE,
                 t->ckpt_epochs, t->cfg->output.dir);
    }
}

/* Mean data loss of rows [first, first + rows) of this epoch's order; its gradient
 * into grad (params layout; NULL: loss only). The kernel reads the uint8 records in place (no copy of the batch). */
static double batch_loss_grad(trainer *t, size_t first, size_t rows, float *grad)
{
    const lt_dataset *d = &t->data.train;
    lt_rows r = {d->pixels, d->labels, t->order + first, 0, rows};
    return lt_kernel_loss_grad(&t->kernel, &t->model, t->loss, t->cfg->model.svm_margin, &r,
                               grad, NULL);
}

/* One update on rows [first, first + rows) of the order; *loss gets the batch loss. */
static lt_status update(trainer *t, size_t first, size_t rows, long long epoch, double *loss,
                        double *lr, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    lt_model *m = &t->model;
    size_t nW = m->D * m->C;
    double data_loss = batch_loss_grad(t, first, rows, t->grad);
    double lambda = cfg->regularization.lambda, beta = cfg->regularization.beta;
    /* λR(W) is summed only on the steps that are logged (the only readers of *loss):
     * the weights are checked finite after every update, which keeps R finite, so the
     * data loss alone tells divergence on the other steps. */
    int logged = cfg->train.log_every > 0 && (t->step + 1) % cfg->train.log_every == 0;
    *loss = data_loss + (logged ? lambda * t->penalty->value(m->W, nW, beta) : 0.0);
    t->penalty->add_grad(m->W, nW, lambda, beta, t->grad);
    lt_schedule_point p = {t->step, t->steps_per_epoch, t->steps_per_epoch * t->epochs,
                           (long long)t->batch};
    *lr = lt_schedule_lr(t->schedule, cfg, &p);
    if (!isfinite(*loss) || !all_finite(t->grad, m->n_params)) {
        return diverged(t->step + 1, epoch, *lr, err, "the %s is not finite",
                        isfinite(*loss) ? "gradient" : "batch loss");
    }
    lt_optimizer_step(&t->opt, m->params, t->grad, *lr);
    t->step++;
    if (!all_finite(m->params, m->n_params)) {
        return diverged(t->step, epoch, *lr, err, "the weights are not finite");
    }
    return LT_OK;
}

static lt_status run_epoch(trainer *t, long long epoch, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    const lt_train_observer *obs = t->obs;
    size_t n = t->data.train.n;
    /* Full batch: the order cannot change the gradient, so the data stays put. */
    long long k0 = t->k0; /* updates of this epoch done before a resume */
    t->k0 = 0;
    if (k0 == 0 && cfg->train.shuffle && t->batch < n) {
        lt_rng_shuffle(&t->rng_shuffle, t->order, n);
    }
    double epoch_t0 = now_seconds();
    for (long long k = k0; k < t->steps_per_epoch; k++) {
        size_t first = (size_t)k * t->batch;
        size_t rows = n - first < t->batch ? n - first : t->batch;
        double loss, lr;
        lt_status st = update(t, first, rows, epoch, &loss, &lr, err);
        if (st != LT_OK) {
            return st;
        }
        if (cfg->train.log_every > 0 && t->step % cfg->train.log_every == 0) {
            lt_step_report r = {t->step, epoch, lr, loss};
            if ((st = lt_metrics_step(&t->metrics, &r, err)) != LT_OK) {
                return st;
            }
            if (obs->on_step) {
                obs->on_step(obs->ctx, &r);
            }
        }
        if (obs->on_progress) {
            obs->on_progress(obs->ctx, k + 1, t->steps_per_epoch, now_seconds() - epoch_t0);
        }
        if (lt_interrupt_pending()) {
            return interrupted(t, epoch, k + 1, err);
        }
    }
    return LT_OK;
}

/* Keeps a copy of the parameters when this epoch's val_acc beats every earlier one. */
static void track_best(trainer *t, const lt_epoch_report *r)
{
    if (!t->best || (t->best_epoch > 0 && r->val.accuracy <= t->best_val.accuracy)) {
        return;
    }
    memcpy(t->best, t->model.params, t->model.n_params * sizeof *t->best);
    t->best_epoch = r->epoch;
    t->best_val = r->val;
}

/* λR(W) at the current weights. */
static double penalty_now(const trainer *t)
{
    const lt_config *cfg = t->cfg;
    return cfg->regularization.lambda *
           t->penalty->value(t->model.W, t->model.D * t->model.C, cfg->regularization.beta);
}

/* The reference of the divergence check: the training loss (data + λR) of the eval
 * sample at the initial weights, before any update. */
static void initial_loss(trainer *t)
{
    lt_eval e;
    lt_evaluate_kernel(&t->kernel, &t->model, t->loss, t->cfg->model.svm_margin,
                       &t->data.train, t->eval_idx, t->n_eval, &e);
    t->loss0 = e.loss + penalty_now(t);
}

/* After an epoch's evaluation: a training loss (data + λR) that is not finite, or more
 * than train.divergence_factor times the initial one (0: no bound), is a divergence.
 * The objective, not the data loss, is what every optimizer here lowers, so a working
 * run keeps it near or under its start; the data loss alone may rise while the penalty
 * falls. Finite weights can still overflow the scores: never checkpoint that. lr: the
 * rate of the epoch's last update (NAN: none to show). */
static lt_status check_epoch_loss(const trainer *t, long long epoch, double lr, lt_error *err)
{
    const lt_epoch_report *r = &t->last_epoch;
    double loss = r->train.loss + r->train_penalty, factor = t->cfg->train.divergence_factor;
    if (!isfinite(loss)) {
        return diverged(t->step, epoch, lr, err,
                        "the training loss is not finite at the epoch's end");
    }
    if (factor > 0 && loss > factor * t->loss0) {
        return diverged(t->step, epoch, lr, err,
                        "the training loss %.6g is more than train.divergence_factor = %g "
                        "times the initial %.6g", loss, factor, t->loss0);
    }
    return LT_OK;
}

static lt_status end_epoch(trainer *t, long long epoch, lt_error *err)
{
    lt_epoch_report *r = &t->last_epoch;
    double margin = t->cfg->model.svm_margin;
    r->epoch = epoch;
    r->epochs = t->epochs;
    r->step = t->step;
    lt_evaluate_kernel(&t->kernel, &t->model, t->loss, margin, &t->data.train, t->eval_idx,
                       t->n_eval, &r->train);
    lt_evaluate_kernel(&t->kernel, &t->model, t->loss, margin, &t->data.val, NULL,
                       t->data.val.n, &r->val);
    r->train_penalty = penalty_now(t);
    lt_status st = LT_OK;
    r->seconds = now_seconds() - t->t0;
    if (st == LT_OK) {
        track_best(t, r);
        st = lt_metrics_epoch(&t->metrics, r, err);
    }
    if (st == LT_OK && t->obs->on_epoch) {
        t->obs->on_epoch(t->obs->ctx, r);
    }
    return st;
}

static lt_status write_weights(trainer *t, lt_error *err)
{
    const char *dir = t->cfg->output.dir;
    char path[LT_PATH_MAX];
    size_t wshape[2] = {t->model.D, t->model.C}, bshape[1] = {t->model.C};
    lt_status st = lt_path_join(path, dir, "weights.npy", err);
    if (st == LT_OK) {
        st = lt_npy_write_f32(path, t->model.W, wshape, 2, err);
    }
    if (st == LT_OK) {
        st = lt_path_join(path, dir, "bias.npy", err);
    }
    if (st == LT_OK) {
        st = lt_npy_write_f32(path, t->model.b, bshape, 1, err);
    }
    if (st == LT_OK && t->best_epoch > 0) {
        st = lt_path_join(path, dir, "best_weights.npy", err);
        if (st == LT_OK) {
            st = lt_npy_write_f32(path, t->best, wshape, 2, err);
        }
        if (st == LT_OK) {
            st = lt_path_join(path, dir, "best_bias.npy", err);
        }
        if (st == LT_OK) {
            st = lt_npy_write_f32(path, t->best + t->model.D * t->model.C, bshape, 1, err);
        }
    }
    return st;
}

/* Fills the summary from the last epoch's evaluation plus the test split. */
static lt_status summarize(trainer *t, lt_summary *s, const char *status, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    s->status = status;
    s->train = t->last_epoch.train;
    if (t->n_eval < t->data.train.n) {
        lt_evaluate_kernel(&t->kernel, &t->model, t->loss, cfg->model.svm_margin,
                           &t->data.train, NULL, t->data.train.n, &s->train);
    }
    s->val = t->last_epoch.val;
    s->steps = t->step;
    s->epochs = t->last_epoch.epoch;
    s->train_penalty = penalty_now(t);
    s->initial_train_loss = t->loss0;
    s->best_epoch = t->best_epoch;
    s->best_val = t->best_val;
    s->early_stopped = t->early_stopped;
    lt_status st = LT_OK;
    (void)err; /* evaluation through the kernel cannot fail */
    if (strcmp(status, "ok") == 0) {
        lt_evaluate_kernel(&t->kernel, &t->model, t->loss, cfg->model.svm_margin,
                           &t->data.test, NULL, t->data.test.n, &s->test);
    }
    if (st == LT_OK && strcmp(status, "ok") == 0 && t->best_epoch > 0) {
        /* A view of the best parameters: same shapes, borrowed arrays. */
        lt_model best = t->model;
        best.params = t->best;
        best.W = t->best;
        best.b = t->best + t->model.D * t->model.C;
        lt_evaluate_kernel(&t->kernel, &best, t->loss, cfg->model.svm_margin, &t->data.test,
                           NULL, t->data.test.n, &s->best_test);
    }
    s->seconds = now_seconds() - t->t0;
    return st;
}

static void trainer_free(trainer *t)
{
    lt_splits_free(&t->data);
    lt_preprocess_free(&t->prep);
    lt_model_free(&t->model);
    lt_optimizer_free(&t->opt);
    free(t->order);
    free(t->grad);
    lt_kernel_free(&t->kernel);
    free(t->eval_idx);
    free(t->best);
    lt_lbfgs_free(&t->lbfgs);
    free(t->lbfgs_x);
    free(t->search_best);
}

/* ---- L-BFGS: full batch, one PyTorch step() per epoch ----------------------------- */

/* A signal stopped an L-BFGS epoch. A step() cannot stop half way (its line search and
 * history would be cut), so the iterations since the last checkpoint are lost: it is the
 * checkpoint written at the end of an epoch that a resume continues. */
static lt_status lbfgs_interrupted(const trainer *t, lt_error *err)
{
    const char *dir = t->cfg->output.dir, *sig = lt_interrupt_name(lt_interrupt_pending());
    if (t->ckpt_epochs < 0) {
        return lt_fail(err, LT_EINTERRUPTED,
                       "interrupted by %s in L-BFGS iteration %lld (epoch %lld); no checkpoint "
                       "was written yet (one is written after each train.checkpoint_every "
                       "epochs), so run the config again to start over",
                       sig, t->step + 1, t->epoch);
    }
    return lt_fail(err, LT_EINTERRUPTED,
                   "interrupted by %s in L-BFGS iteration %lld (epoch %lld), which cannot stop "
                   "mid-step; the checkpoint after epoch %lld is %s/" CKPT_FILE "; resume "
                   "with: lintrain --resume %s (the iterations since are done again)",
                   sig, t->step + 1, t->epoch, t->ckpt_epochs, dir, dir);
}

/* The objective data loss + λR(W) over the whole training split, at x (double). */
static lt_status lbfgs_eval(void *ctx, const double *x, double *f, double *g, lt_error *err)
{
    trainer *t = ctx;
    if (lt_interrupt_pending()) {
        return lbfgs_interrupted(t, err);
    }
    const lt_config *cfg = t->cfg;
    lt_model *m = &t->model;
    size_t nW = m->D * m->C, n = t->data.train.n;
    for (size_t i = 0; i < m->n_params; i++) {
        m->params[i] = (float)x[i];
    }
    double lambda = cfg->regularization.lambda, beta = cfg->regularization.beta;
    double loss = batch_loss_grad(t, 0, n, t->grad);
    loss += lambda * t->penalty->value(m->W, nW, beta);
    t->penalty->add_grad(m->W, nW, lambda, beta, t->grad);
    if (!isfinite(loss) || !all_finite(t->grad, m->n_params)) {
        return diverged(t->step + 1, t->epoch, NAN, err, "the L-BFGS %s is not finite",
                        isfinite(loss) ? "gradient" : "objective");
    }
    *f = loss;
    for (size_t i = 0; i < m->n_params; i++) {
        g[i] = t->grad[i];
    }
    return LT_OK;
}

/* After each iteration: the step line (lr = the step length the line search chose). */
static void lbfgs_on_iter(void *ctx, const lt_lbfgs_iter *it)
{
    trainer *t = ctx;
    const lt_train_observer *obs = t->obs;
    t->step = it->iter;
    if (t->iter_status != LT_OK) {
        return;
    }
    long long log_every = t->cfg->train.log_every;
    if (log_every > 0 && t->step % log_every == 0) {
        lt_step_report r = {t->step, t->epoch, it->t, it->loss};
        t->iter_status = lt_metrics_step(&t->metrics, &r, &t->iter_err);
        if (t->iter_status == LT_OK && obs->on_step) {
            obs->on_step(obs->ctx, &r);
        }
    }
    if (obs->on_progress) {
        obs->on_progress(obs->ctx, it->iter - t->iter0, t->steps_per_epoch,
                         now_seconds() - t->epoch_t0);
    }
}

/* Creates the L-BFGS state and its iterate x (from the model's parameters), once. */
static lt_status lbfgs_setup(trainer *t, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    lt_model *m = &t->model;
    if (t->lbfgs_x) {
        return LT_OK;
    }
    double *x = lt_calloc(m->n_params, sizeof *x, "L-BFGS weights", err);
    lt_status st = x ? lt_lbfgs_create(&t->lbfgs, m->n_params, (int)cfg->optimizer.history,
                                       cfg->optimizer.max_iter, cfg->optimizer.lr,
                                       cfg->optimizer.tolerance_grad,
                                       cfg->optimizer.tolerance_change, lbfgs_eval, t, err)
                     : LT_ERR;
    if (st != LT_OK) {
        free(x);
        return st;
    }
    t->lbfgs.on_iter = lbfgs_on_iter;
    for (size_t i = 0; i < m->n_params; i++) {
        x[i] = m->params[i];
    }
    t->lbfgs_x = x;
    return LT_OK;
}

static lt_status train_lbfgs(trainer *t, lt_error *err)
{
    lt_model *m = &t->model;
    lt_status st = lbfgs_setup(t, err);
    if (st != LT_OK) {
        return st;
    }
    double *x = t->lbfgs_x;
    long long every = t->cfg->train.checkpoint_every;
    for (long long e = t->epoch0 + 1; e <= t->epochs && st == LT_OK && !t->lbfgs_converged;
         e++) {
        lt_lbfgs_stop stop = LT_LBFGS_MAX_ITER;
        long long iters;
        t->epoch = e;
        t->iter0 = t->step;
        t->epoch_t0 = now_seconds();
        st = lt_lbfgs_step(&t->lbfgs, x, &stop, &iters, err);
        if (st == LT_OK && t->iter_status != LT_OK) {
            st = t->iter_status;
            *err = t->iter_err;
        }
        /* The weights are x: the line search leaves the model at its last trial point. */
        for (size_t i = 0; i < m->n_params; i++) {
            m->params[i] = (float)x[i];
        }
        if (st == LT_OK) {
            st = end_epoch(t, e, err);
        }
        if (st == LT_OK) {
            st = check_epoch_loss(t, e, NAN, err);
        }
        /* Converged: more calls would find nothing to do (PyTorch returns at once). */
        t->lbfgs_converged = stop == LT_LBFGS_GRAD || stop == LT_LBFGS_CHANGE ||
                             stop == LT_LBFGS_DIRECTION;
        if (st == LT_OK && every > 0 && e % every == 0) {
            st = save_checkpoint(t, e, 0, err);
        }
    }
    return st;
}

/* ---- random search: the lecture's Strategy #1 -------------------------------------- */

/* Allocates the best trial's parameters and seeds the search stream, once. */
static lt_status search_setup(trainer *t, lt_error *err)
{
    if (t->search_best) {
        return LT_OK;
    }
    t->search_best = lt_calloc(t->model.n_params, sizeof *t->search_best, "best weights", err);
    if (!t->search_best) {
        return LT_ERR;
    }
    lt_rng_seed(&t->rng_search, (uint64_t)t->cfg->train.seed, STREAM_SEARCH);
    t->search_best_loss = INFINITY;
    return LT_OK;
}

/* Samples W and b from N(0, init_scale²) for each trial and keeps the lowest training
 * loss (data loss + λR over the whole training split); the model ends as the best.
 * Resumed, it goes on from the restored trial counter, search stream and best trial. */
static lt_status train_random_search(trainer *t, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    const lt_train_observer *obs = t->obs;
    lt_model *m = &t->model;
    size_t nW = m->D * m->C, n = t->data.train.n;
    double scale = cfg->optimizer.init_scale;
    double lambda = cfg->regularization.lambda, beta = cfg->regularization.beta;
    lt_status st = search_setup(t, err);
    if (st != LT_OK) {
        return st;
    }
    float *best = t->search_best;
    double epoch_t0 = now_seconds();
    bool checkpoints = cfg->train.checkpoint_every > 0;
    for (long long k = t->step + 1; k <= cfg->optimizer.trials && st == LT_OK; k++) {
        for (size_t i = 0; i < m->n_params; i++) {  /* W row-major, then b */
            m->params[i] = (float)(scale * lt_rng_normal(&t->rng_search));
        }
        double loss = batch_loss_grad(t, 0, n, NULL);
        loss += lambda * t->penalty->value(m->W, nW, beta);
        if (loss < t->search_best_loss) {  /* a non-finite loss is never the best */
            t->search_best_loss = loss;
            memcpy(best, m->params, m->n_params * sizeof *best);
        }
        t->step = k;
        lt_trial_report r = {k, cfg->optimizer.trials, loss, t->search_best_loss};
        st = lt_metrics_trial(&t->metrics, &r, err);
        long long log_every = cfg->train.log_every;
        if (st == LT_OK && obs->on_trial && log_every > 0 && k % log_every == 0) {
            obs->on_trial(obs->ctx, &r);
        }
        if (obs->on_progress) {
            obs->on_progress(obs->ctx, k, cfg->optimizer.trials, now_seconds() - epoch_t0);
        }
        if (st == LT_OK && lt_interrupt_pending()) {
            return interrupted(t, 1, k, err);
        }
        if (st == LT_OK && checkpoints && k % SEARCH_CKPT_TRIALS == 0) {
            st = save_checkpoint(t, 0, k, err);
        }
    }
    if (st == LT_OK && !isfinite(t->search_best_loss)) {
        st = lt_fail(err, LT_EDIVERGED,
                     "diverged: no trial of random search had a finite loss; "
                     "try a lower optimizer.init_scale");
    }
    if (st == LT_OK) {
        memcpy(m->params, best, m->n_params * sizeof *best);
        st = end_epoch(t, 1, err);
    }
    return st;
}

/* The L-BFGS or random-search state, as blocks of the checkpoint: "lbfgs.*" (lbfgs.c),
 * "lbfgs.x" (the double iterate) and "lbfgs.converged"; "search.rng" (the search
 * stream), "search.best_loss" and "search.best" (its parameters). */
static lt_status save_family_state(trainer *t, lt_checkpoint *ck, family_saved *fs,
                                   lt_error *err)
{
    size_t np = t->model.n_params;
    lt_status st = LT_OK;
    if (t->kind->family == LT_OPTIM_LBFGS && t->lbfgs_x) {
        fs->flags[0] = t->lbfgs_converged;
        st = lt_lbfgs_save(&t->lbfgs, ck, &fs->lbfgs, err);
        if (st == LT_OK) {
            st = lt_checkpoint_add(ck, "lbfgs.x", LT_CKPT_F64, t->lbfgs_x, np, err);
        }
        if (st == LT_OK) {
            st = lt_checkpoint_add(ck, "lbfgs.converged", LT_CKPT_U64, fs->flags, 1, err);
        }
    } else if (t->kind->family == LT_OPTIM_RANDOM_SEARCH && t->search_best) {
        fs->rng[0] = t->rng_search.state;
        fs->rng[1] = t->rng_search.inc;
        st = lt_checkpoint_add(ck, "search.rng", LT_CKPT_U64, fs->rng, 2, err);
        if (st == LT_OK) {
            st = lt_checkpoint_add(ck, "search.best_loss", LT_CKPT_F64, &t->search_best_loss,
                                   1, err);
        }
        if (st == LT_OK) {
            st = lt_checkpoint_add(ck, "search.best", LT_CKPT_F32, t->search_best, np, err);
        }
    }
    return st;
}

/* Takes what save_family_state stored, after the progress block (t->step). */
static lt_status restore_family_state(trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    size_t np = t->model.n_params;
    lt_status st = LT_OK;
    if (t->kind->family == LT_OPTIM_LBFGS) {
        uint64_t flags[1];
        st = lbfgs_setup(t, err);
        if (st == LT_OK) {
            st = lt_lbfgs_restore(&t->lbfgs, ck, err);
        }
        if (st == LT_OK) {
            st = lt_checkpoint_get(ck, "lbfgs.x", LT_CKPT_F64, np, t->lbfgs_x, err);
        }
        if (st == LT_OK) {
            st = lt_checkpoint_get(ck, "lbfgs.converged", LT_CKPT_U64, 1, flags, err);
        }
        for (size_t i = 0; st == LT_OK && i < np; i++) {
            if (!isfinite(t->lbfgs_x[i])) {
                st = lt_fail(err, LT_ERR, "checkpoint block \"lbfgs.x\" holds NaN or Inf");
            }
        }
        if (st == LT_OK && (flags[0] > 1 || t->lbfgs.n_iter != t->step)) {
            st = lt_fail(err, LT_ERR, "checkpoint blocks \"lbfgs.*\" disagree with "
                         "\"progress\": %lld iterations, step %lld", t->lbfgs.n_iter, t->step);
        }
        if (st == LT_OK) {
            t->lbfgs_converged = flags[0] == 1;
        }
    } else if (t->kind->family == LT_OPTIM_RANDOM_SEARCH) {
        uint64_t rng[2];
        st = search_setup(t, err);
        if (st == LT_OK) {
            st = lt_checkpoint_get(ck, "search.rng", LT_CKPT_U64, 2, rng, err);
        }
        if (st == LT_OK && !(rng[1] & 1u)) {
            st = lt_fail(err, LT_ERR, "checkpoint block \"search.rng\": the stream must be odd");
        }
        if (st == LT_OK) {
            t->rng_search.state = rng[0];
            t->rng_search.inc = rng[1];
            st = lt_checkpoint_get(ck, "search.best_loss", LT_CKPT_F64, 1,
                                   &t->search_best_loss, err);
        }
        if (st == LT_OK && isnan(t->search_best_loss)) {
            st = lt_fail(err, LT_ERR, "checkpoint block \"search.best_loss\" is NaN");
        }
        if (st == LT_OK) {
            st = lt_checkpoint_get(ck, "search.best", LT_CKPT_F32, np, t->search_best, err);
        }
    }
    return st;
}

static lt_status train_epochs(trainer *t, lt_error *err)
{
    if (t->kind->family == LT_OPTIM_LBFGS) {
        return train_lbfgs(t, err);
    }
    if (t->kind->family == LT_OPTIM_RANDOM_SEARCH) {
        return train_random_search(t, err);
    }
    long long every = t->cfg->train.checkpoint_every;
    for (long long e = t->epoch0 + 1; e <= t->epochs; e++) {
        lt_status st = run_epoch(t, e, err);
        if (st == LT_OK) {
            st = end_epoch(t, e, err);
        }
        if (st == LT_OK) {
            lt_schedule_point p = {t->step - 1, t->steps_per_epoch,
                                   t->steps_per_epoch * t->epochs, (long long)t->batch};
            st = check_epoch_loss(t, e, lt_schedule_lr(t->schedule, t->cfg, &p), err);
        }
        if (st == LT_OK && every > 0 && e % every == 0) {
            st = save_checkpoint(t, e, 0, err);
        }
        if (st != LT_OK) {
            return st;
        }
        long long patience = t->cfg->train.early_stopping_patience;
        if (patience > 0 && e < t->cfg->train.epochs && e - t->best_epoch >= patience) {
            t->early_stopped = true;
            break;
        }
    }
    return LT_OK;
}

static lt_status run(const lt_config *cfg, const lt_train_observer *obs, int resume,
                     lt_summary *out, lt_error *err)
{
    static const lt_train_observer no_observer = {0};
    trainer t = {0};
    t.cfg = cfg;
    t.obs = obs ? obs : &no_observer;
    t.resume = resume;
    t.ckpt_epochs = -1;
    memset(out, 0, sizeof *out);
    t.t0 = now_seconds();
    /* Everything that can be refused is checked before the run folder is touched. */
    lt_status st = setup(&t, err);
    if (st == LT_OK && resume) {
        st = restore_checkpoint(&t, err);
    }
    if (st == LT_OK) {
        st = resume ? reopen_run_folder(&t, err) : open_run_folder(&t, err);
    }
    if (st != LT_OK) {
        lt_metrics_close(&t.metrics, NULL);
        trainer_free(&t);
        return st;
    }
    if (!resume) {
        initial_loss(&t);
    }
    if (t.obs->on_start) {
        lt_run_info info = {t.data.train.n, t.data.val.n, t.data.test.n, t.steps_per_epoch,
                            t.epochs, t.batch, cfg->output.dir, t.kind->family, t.step, t.epoch0};
        t.obs->on_start(t.obs->ctx, &info);
    }
    st = train_epochs(&t, err);
    if (st == LT_EDIVERGED) {
        note_last_checkpoint(&t, err);
    }
    lt_error end_err;
    lt_status end = LT_OK;
    if (st == LT_OK || st == LT_EDIVERGED) {
        end = summarize(&t, out, st == LT_OK ? "ok" : "diverged", &end_err);
        if (end == LT_OK && st == LT_OK) {
            end = write_weights(&t, &end_err);
        }
        if (end == LT_OK && st == LT_OK) {
            end = lt_run_write_extras(cfg->output.dir, &t.model, &t.prep, t.data.class_names,
                                      &end_err);
        }
        if (end == LT_OK) {
            end = lt_metrics_summary(cfg->output.dir, out, &end_err);
        }
    }
    lt_status closed = lt_metrics_close(&t.metrics, st == LT_OK && end == LT_OK ? &end_err : NULL);
    trainer_free(&t);
    if (st == LT_OK && (end != LT_OK || closed != LT_OK)) {
        *err = end_err;
        return LT_ERR;
    }
    return st;
}

lt_status lt_train(const lt_config *cfg, const lt_train_observer *obs, lt_summary *out,
                   lt_error *err)
{
    return run(cfg, obs, 0, out, err);
}

lt_status lt_train_resume(const lt_config *cfg, const lt_train_observer *obs, lt_summary *out,
                          lt_error *err)
{
    return run(cfg, obs, 1, out, err);
}
