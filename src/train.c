/* train.c — what every run shares: setup from the config, the driver of its optimizer
 * family (train_driver.h), evaluation at every epoch end with the best epoch and the
 * divergence check, the run folder, summary.json and the weights. The first-order
 * driver lives here too: minibatches drawn from a seeded shuffle, one forward/backward
 * through the kernel (kernel.c) straight from the uint8 records, the penalty, the
 * scheduled rate, the update. */
#include "lintrain/train.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lintrain/evaluate.h"
#include "lintrain/fsutil.h"
#include "lintrain/interrupt.h"
#include "lintrain/npy.h"
#include "lintrain/run.h"
#include "lintrain/rundata.h"
#include "lintrain/schedule.h"
#include "lintrain/train_driver.h"

typedef lt_trainer trainer;

double lt_train_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Branch-free, so that it vectorizes: a float is Inf or NaN when its exponent bits are
 * all ones. */
int lt_train_all_finite(const float *x, size_t n)
{
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, x + i, sizeof bits);
        bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}

/* The driver of each optimizer family. */
static const struct {
    lt_optim_family family;
    const lt_train_driver *driver;
} DRIVERS[] = {
    {LT_OPTIM_FIRST_ORDER, &lt_train_first_order_driver},
    {LT_OPTIM_LBFGS, &lt_train_lbfgs_driver},
    {LT_OPTIM_RANDOM_SEARCH, &lt_train_search_driver},
};

const lt_train_driver *lt_train_driver_for(lt_optim_family family)
{
    for (size_t i = 0; i < sizeof DRIVERS / sizeof DRIVERS[0]; i++) {
        if (DRIVERS[i].family == family) {
            return DRIVERS[i].driver;
        }
    }
    return NULL;
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
    lt_rng_seed(&rng, (uint64_t)t->cfg->train.seed, LT_STREAM_EVAL);
    lt_rng_shuffle(&rng, t->eval_idx, n);
    return LT_OK;
}

/* Everything that can be refused is checked here, before the run folder is touched. */
static lt_status setup(trainer *t, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    t->loss = lt_loss_find(cfg->model.loss);
    t->penalty = lt_penalty_find(cfg->regularization.type);
    lt_featpipe_observer fobs = {t->obs->ctx, t->obs->on_features};
    lt_status st = lt_featpipe_splits(cfg, t->resume ? cfg->output.dir : NULL, &t->feat,
                                      &t->data, &fobs, err);
    if (st != LT_OK) {
        return st;
    }
    size_t n = t->data.train.n;
    t->kind = lt_optim_find(cfg->optimizer.name);
    t->driver = lt_train_driver_for(t->kind->family);
    t->batch = cfg->train.batch_size == 0 ? n : (size_t)cfg->train.batch_size;
    if ((st = lt_config_check_data(cfg, n, err)) != LT_OK) {
        return st;
    }
    const lt_dataset *train = &t->data.train;
    if ((st = lt_preprocess_fit(&t->prep, cfg->data.preprocess, train, t->data.is_image,
                                err)) != LT_OK ||
        (st = lt_model_create(&t->model, train->D, t->data.C, err)) != LT_OK) {
        return st;
    }
    size_t np = t->model.n_params;
    lt_rng rng_init;
    lt_rng_seed(&rng_init, (uint64_t)cfg->train.seed, LT_STREAM_INIT);
    lt_rng_seed(&t->rng_shuffle, (uint64_t)cfg->train.seed, LT_STREAM_SHUFFLE);
    /* A resumed run takes its weights from the checkpoint (and needs no init file). */
    if ((!t->resume &&
         (st = lt_model_init(&t->model, &cfg->model_init, &rng_init, err)) != LT_OK) ||
        (st = t->driver->setup(t, err)) != LT_OK) {
        return st;
    }
    t->order = lt_calloc(n, sizeof *t->order, "shuffle order", err);
    t->grad = lt_calloc(np, sizeof *t->grad, "gradient", err);
    if (!t->order || !t->grad) {
        return LT_ERR;
    }
    if (t->data.val.n > 0) {
        t->best = lt_calloc(np, sizeof *t->best, "best weights", err);
        if (!t->best) {
            return LT_ERR;
        }
    }
    for (size_t i = 0; i < n; i++) {
        t->order[i] = i;
    }
    if ((st = lt_kernel_create(&t->kernel, cfg->train.kernel, train->D, t->data.C,
                               train->dtype, (size_t)cfg->train.threads, t->prep.shift,
                               t->prep.scale, err)) != LT_OK) {
        return st;
    }
    return pick_eval_sample(t, err);
}

/* Creates the run folder and writes config.json and data.json. lintrain's files of an
 * earlier run in the same folder are removed first (the command line has refused a
 * folder holding a run unless --force), so that no stale eval.json, best weights or
 * summary.json passes for this run's; the user's files stay. */
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
    lt_rundata record;
    if (st == LT_OK && (st = lt_rundata_of_splits(&record, t->cfg->data.format, &t->data,
                                                  err)) == LT_OK) {
        st = lt_rundata_write(dir, &record, err);
        lt_rundata_free(&record);
    }
    if (st == LT_OK) {
        st = lt_metrics_open(&t->metrics, dir, err);
    }
    for (size_t i = 0; i < t->feat.n_log && st == LT_OK; i++) {
        st = lt_metrics_feature(&t->metrics, &t->feat.log[i], err);
    }
    return st == LT_OK ? lt_featpipe_save(&t->feat, dir, err) : st;
}

/* A resumed run's data must have the D, C and dtype its folder recorded (data.json; a
 * folder without one holds a CIFAR-10 run). */
static lt_status check_resumed_data(const trainer *t, lt_error *err)
{
    lt_rundata record;
    const char *dir = t->cfg->output.dir;
    lt_status st = lt_rundata_read(dir, t->cfg->data.dir, &record, err);
    if (st == LT_OK) {
        st = lt_rundata_check(&record, dir, &t->data, "cannot resume", err);
        lt_rundata_free(&record);
    }
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

lt_status lt_train_diverged(const trainer *t, long long step, long long epoch, double lr,
                            lt_error *err, const char *what, ...)
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
    snprintf(err->msg + used, sizeof err->msg - used, "; %s", t->driver->hint);
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
                 "; the last good checkpoint (after epoch %lld) is %s/" LT_TRAIN_CKPT_FILE,
                 t->ckpt_epochs, t->cfg->output.dir);
    }
}

lt_status lt_train_interrupted(trainer *t, long long epoch, long long k, lt_error *err)
{
    lt_status st = lt_train_checkpoint_save(t, epoch - 1, k, err);
    if (st != LT_OK) {
        return st;
    }
    const char *dir = t->cfg->output.dir;
    return lt_fail(err, LT_EINTERRUPTED,
                   "interrupted by %s after step %lld (epoch %lld); checkpoint written to "
                   "%s/" LT_TRAIN_CKPT_FILE "; resume with: lintrain --resume %s",
                   lt_interrupt_name(lt_interrupt_pending()), t->step, epoch, dir, dir);
}

/* The kernel reads the uint8 records in place (no copy of the batch). */
double lt_train_batch_loss(trainer *t, size_t first, size_t rows, float *grad)
{
    const lt_dataset *d = &t->data.train;
    lt_rows r = {d->x, d->dtype, d->labels, t->order + first, 0, rows};
    return lt_kernel_loss_grad(&t->kernel, &t->model, t->loss, t->cfg->model.svm_margin, &r,
                               grad, NULL);
}

double lt_train_penalty(const trainer *t)
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
    t->loss0 = e.loss + lt_train_penalty(t);
}

/* The objective, not the data loss, is what every optimizer here lowers, so a working
 * run keeps it near or under its start; the data loss alone may rise while the penalty
 * falls. Finite weights can still overflow the scores: never checkpoint that. */
lt_status lt_train_check_epoch_loss(const trainer *t, long long epoch, double lr,
                                    lt_error *err)
{
    const lt_epoch_report *r = &t->last_epoch;
    double loss = r->train.loss + r->train_penalty, factor = t->cfg->train.divergence_factor;
    if (!isfinite(loss)) {
        return lt_train_diverged(t, t->step, epoch, lr, err,
                                 "the training loss is not finite at the epoch's end");
    }
    if (factor > 0 && loss > factor * t->loss0) {
        return lt_train_diverged(t, t->step, epoch, lr, err,
                                 "the training loss %.6g is more than "
                                 "train.divergence_factor = %g times the initial %.6g",
                                 loss, factor, t->loss0);
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

lt_status lt_train_end_epoch(trainer *t, long long epoch, lt_error *err)
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
    r->train_penalty = lt_train_penalty(t);
    r->seconds = lt_train_now() - t->t0;
    track_best(t, r);
    lt_status st = lt_metrics_epoch(&t->metrics, r, err);
    if (st == LT_OK && t->obs->on_epoch) {
        t->obs->on_epoch(t->obs->ctx, r);
    }
    return st;
}

/* ---- the first-order driver: minibatch updates at a scheduled rate ----------------- */

typedef struct {
    lt_optimizer opt;            /* (saved: lt_optimizer_save) */
} first_order;

static lt_status fo_setup(trainer *t, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    size_t n = t->data.train.n;
    t->epochs = cfg->train.epochs;
    t->steps_per_epoch = (long long)((n + t->batch - 1) / t->batch);
    first_order *s = lt_calloc(1, sizeof *s, "optimizer", err);
    if (!s) {
        return LT_ERR;
    }
    t->state = s;
    return lt_optimizer_create(&s->opt, t->kind, &cfg->optim_params, t->model.n_params,
                               t->model.D * t->model.C, err);
}

/* The scheduled rate of update number step + 1. */
static double fo_lr(const trainer *t, long long step)
{
    lt_schedule_point p = {step, t->steps_per_epoch, t->steps_per_epoch * t->epochs,
                           (long long)t->batch};
    return lt_schedule_lr(&t->cfg->schedule_spec, &p);
}

/* One update on rows [first, first + rows) of the order; *loss gets the batch loss. */
static lt_status update(trainer *t, size_t first, size_t rows, long long epoch, double *loss,
                        double *lr, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    first_order *s = t->state;
    lt_model *m = &t->model;
    double data_loss = lt_train_batch_loss(t, first, rows, t->grad);
    /* λR(W) is summed only on the steps that are logged (the only readers of *loss):
     * the weights are checked finite after every update, which keeps R finite, so the
     * data loss alone tells divergence on the other steps. */
    int logged = cfg->train.log_every > 0 && (t->step + 1) % cfg->train.log_every == 0;
    *loss = data_loss + (logged ? lt_train_penalty(t) : 0.0);
    t->penalty->add_grad(m->W, m->D * m->C, cfg->regularization.lambda,
                         cfg->regularization.beta, t->grad);
    *lr = fo_lr(t, t->step);
    if (!isfinite(*loss) || !lt_train_all_finite(t->grad, m->n_params)) {
        return lt_train_diverged(t, t->step + 1, epoch, *lr, err, "the %s is not finite",
                                 isfinite(*loss) ? "gradient" : "batch loss");
    }
    lt_optimizer_step(&s->opt, m->params, t->grad, *lr);
    t->step++;
    if (!lt_train_all_finite(m->params, m->n_params)) {
        return lt_train_diverged(t, t->step, epoch, *lr, err, "the weights are not finite");
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
    double epoch_t0 = lt_train_now();
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
            obs->on_progress(obs->ctx, k + 1, t->steps_per_epoch, lt_train_now() - epoch_t0);
        }
        if (lt_interrupt_pending()) {
            return lt_train_interrupted(t, epoch, k + 1, err);
        }
    }
    return LT_OK;
}

/* Epochs of run_epoch, each evaluated and checked; early stopping. */
static lt_status fo_run(trainer *t, lt_error *err)
{
    long long every = t->cfg->train.checkpoint_every;
    long long patience = t->cfg->train.early_stopping_patience;
    for (long long e = t->epoch0 + 1; e <= t->epochs; e++) {
        lt_status st = run_epoch(t, e, err);
        if (st == LT_OK) {
            st = lt_train_end_epoch(t, e, err);
        }
        if (st == LT_OK) {
            st = lt_train_check_epoch_loss(t, e, fo_lr(t, t->step - 1), err);
        }
        if (st == LT_OK && every > 0 && e % every == 0) {
            st = lt_train_checkpoint_save(t, e, 0, err);
        }
        if (st != LT_OK) {
            return st;
        }
        if (patience > 0 && e < t->cfg->train.epochs && e - t->best_epoch >= patience) {
            t->early_stopped = true;
            break;
        }
    }
    return LT_OK;
}

static lt_status fo_save(trainer *t, lt_checkpoint *ck, lt_error *err)
{
    first_order *s = t->state;
    return lt_optimizer_save(&s->opt, ck, err);
}

static lt_status fo_restore(trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    first_order *s = t->state;
    return lt_optimizer_restore(&s->opt, ck, err);
}

static void fo_free(trainer *t)
{
    first_order *s = t->state;
    if (s) {
        lt_optimizer_free(&s->opt);
        free(s);
    }
}

const lt_train_driver lt_train_first_order_driver = {
    "first-order", false, "try a lower optimizer.lr",
    fo_setup, fo_run, fo_save, fo_restore, fo_free,
};

/* ---- the end of a run ---------------------------------------------------------------- */

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

/* The test split's scores of the final and of the best epoch's weights. */
static void score_test(trainer *t, lt_summary *s)
{
    double margin = t->cfg->model.svm_margin;
    lt_evaluate_kernel(&t->kernel, &t->model, t->loss, margin, &t->data.test, NULL,
                       t->data.test.n, &s->test);
    if (t->best_epoch == 0) {
        return;
    }
    /* A view of the best parameters: same shapes, borrowed arrays. */
    lt_model best = t->model;
    best.params = t->best;
    best.W = t->best;
    best.b = t->best + t->model.D * t->model.C;
    lt_evaluate_kernel(&t->kernel, &best, t->loss, margin, &t->data.test, NULL,
                       t->data.test.n, &s->best_test);
}

/* Fills the summary from the last epoch's evaluation plus the test split (a run that
 * finished: status "ok"). */
static void summarize(trainer *t, lt_summary *s, const char *status)
{
    s->status = status;
    s->train = t->last_epoch.train;
    if (t->n_eval < t->data.train.n) {
        lt_evaluate_kernel(&t->kernel, &t->model, t->loss, t->cfg->model.svm_margin,
                           &t->data.train, NULL, t->data.train.n, &s->train);
    }
    s->train_images = t->data.train_images;
    s->val = t->last_epoch.val;
    s->steps = t->step;
    s->epochs = t->last_epoch.epoch;
    s->train_penalty = lt_train_penalty(t);
    s->initial_train_loss = t->loss0;
    s->best_epoch = t->best_epoch;
    s->best_val = t->best_val;
    s->early_stopped = t->early_stopped;
    if (strcmp(status, "ok") == 0) {
        score_test(t, s);
    }
    s->seconds = lt_train_now() - t->t0;
}

static void trainer_free(trainer *t)
{
    if (t->driver) {
        t->driver->free(t);
    }
    lt_splits_free(&t->data);
    lt_featpipe_free(&t->feat);
    lt_preprocess_free(&t->prep);
    lt_model_free(&t->model);
    free(t->order);
    free(t->grad);
    lt_kernel_free(&t->kernel);
    free(t->eval_idx);
    free(t->best);
}

/* summary.json, and the weights of a run that did not diverge. */
static lt_status write_outputs(trainer *t, lt_status trained, lt_summary *out, lt_error *err)
{
    const char *dir = t->cfg->output.dir;
    summarize(t, out, trained == LT_OK ? "ok" : "diverged");
    lt_status st = trained == LT_OK ? write_weights(t, err) : LT_OK;
    lt_rundata record;
    char note[sizeof err->msg];
    if (st == LT_OK && trained == LT_OK &&
        (st = lt_rundata_of_splits(&record, t->cfg->data.format, &t->data, err)) == LT_OK) {
        st = lt_run_write_extras(dir, &t->model, &t->prep, &record, note, sizeof note, err);
        lt_rundata_free(&record);
        if (st == LT_OK && note[0] && t->obs->on_note) {
            t->obs->on_note(t->obs->ctx, note);
        }
    }
    if (st == LT_OK) {
        st = lt_metrics_summary(dir, out, err);
    }
    return st;
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
    t.t0 = lt_train_now();
    /* Everything that can be refused is checked before the run folder is touched. */
    lt_status st = setup(&t, err);
    if (st == LT_OK && resume) {
        st = check_resumed_data(&t, err);
    }
    if (st == LT_OK && resume) {
        st = lt_train_checkpoint_restore(&t, err);
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
        lt_run_info info = {t.data.train.n, t.data.val.n, t.data.test.n, t.data.train_images,
                            t.steps_per_epoch, t.epochs, t.batch, cfg->output.dir,
                            t.kind->family, t.step, t.epoch0, t.data.train.D,
                            t.data.is_image};
        t.obs->on_start(t.obs->ctx, &info);
    }
    st = t.driver->run(&t, err);
    if (st == LT_EDIVERGED) {
        note_last_checkpoint(&t, err);
    }
    lt_error end_err;
    lt_status end = LT_OK;
    if (st == LT_OK || st == LT_EDIVERGED) {
        end = write_outputs(&t, st, out, &end_err);
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
