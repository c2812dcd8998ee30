/* train.c — the training loop: minibatches drawn from a seeded shuffle, one
 * forward/backward through sgemm, the penalty, the scheduled rate, the optimizer's
 * update; evaluation at every epoch end; the run folder at the end. */
#include "lintrain/train.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lintrain/evaluate.h"
#include "lintrain/fsutil.h"
#include "lintrain/kernel.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/npy.h"
#include "lintrain/optim.h"
#include "lintrain/penalty.h"
#include "lintrain/preprocess.h"
#include "lintrain/rng.h"
#include "lintrain/schedule.h"
#include "lintrain/splits.h"

/* PCG32 streams: init and shuffling draw from separate streams, so that changing the
 * init does not change the order in which the data is seen. */
#define STREAM_INIT 1
#define STREAM_SHUFFLE 2
#define STREAM_EVAL 3   /* the training records scored at each epoch end */

typedef struct {
    const lt_config *cfg;
    const lt_train_observer *obs;
    const lt_loss *loss;
    const lt_penalty *penalty;
    const lt_schedule *schedule;
    lt_splits data;
    lt_preprocess prep;
    lt_model model;
    lt_optimizer opt;
    lt_rng rng_shuffle;
    lt_metrics metrics;
    size_t batch;               /* rows per update */
    long long steps_per_epoch;
    long long step;             /* updates done */
    size_t *order;              /* owned: (n_train) this epoch's order of records */
    float *grad;                /* owned: (n_params) gradient, params layout */
    lt_kernel kernel;           /* scores, loss and gradient straight from uint8 pixels */
    size_t *eval_idx;           /* owned: training records scored at each epoch end */
    size_t n_eval;              /* how many: train.eval_train_size, or all */
    double t0;
    lt_epoch_report last_epoch;
} trainer;

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
    t->schedule = lt_schedule_find(cfg->schedule.name);
    lt_status st = lt_splits_load(cfg, &t->data, err);
    if (st != LT_OK) {
        return st;
    }
    size_t n = t->data.train.n;
    t->batch = cfg->train.batch_size == 0 ? n : (size_t)cfg->train.batch_size;
    t->steps_per_epoch = (long long)((n + t->batch - 1) / t->batch);
    if ((st = lt_preprocess_fit(&t->prep, cfg->data.preprocess, &t->data.train, err)) != LT_OK ||
        (st = lt_model_create(&t->model, LT_CIFAR_D, LT_CIFAR_C, err)) != LT_OK) {
        return st;
    }
    lt_rng rng_init;
    lt_rng_seed(&rng_init, (uint64_t)cfg->train.seed, STREAM_INIT);
    lt_rng_seed(&t->rng_shuffle, (uint64_t)cfg->train.seed, STREAM_SHUFFLE);
    if ((st = lt_model_init(&t->model, cfg, &rng_init, err)) != LT_OK ||
        (st = lt_optimizer_create(&t->opt, cfg, t->model.n_params, t->model.D * t->model.C,
                                  err)) != LT_OK) {
        return st;
    }
    t->order = lt_calloc(n, sizeof *t->order, "shuffle order", err);
    t->grad = lt_calloc(t->model.n_params, sizeof *t->grad, "gradient", err);
    if (!t->order || !t->grad) {
        return LT_ERR;
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

/* Creates the run folder and writes config.json; a stale summary.json from an earlier
 * run in the same folder is removed first, so the folder never looks finished early. */
static lt_status open_run_folder(trainer *t, lt_error *err)
{
    const char *dir = t->cfg->output.dir;
    char path[LT_PATH_MAX];
    lt_status st = lt_mkdir_p(dir, err);
    if (st == LT_OK) {
        st = lt_path_join(path, dir, "summary.json", err);
    }
    if (st != LT_OK) {
        return st;
    }
    remove(path);
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

/* Mean data loss of rows [first, first + rows) of this epoch's order; its gradient
 * into t->grad. The kernel reads the uint8 records in place (no copy of the batch). */
static double batch_loss_grad(trainer *t, size_t first, size_t rows)
{
    const lt_dataset *d = &t->data.train;
    lt_rows r = {d->pixels, d->labels, t->order + first, 0, rows};
    return lt_kernel_loss_grad(&t->kernel, &t->model, t->loss, t->cfg->model.svm_margin, &r,
                               t->grad, NULL);
}

/* One update on rows [first, first + rows) of the order; *loss gets the batch loss. */
static lt_status update(trainer *t, size_t first, size_t rows, long long epoch, double *loss,
                        double *lr, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    lt_model *m = &t->model;
    size_t nW = m->D * m->C;
    double data_loss = batch_loss_grad(t, first, rows);
    double lambda = cfg->regularization.lambda, beta = cfg->regularization.beta;
    /* λR(W) is summed only on the steps that are logged (the only readers of *loss):
     * the weights are checked finite after every update, which keeps R finite, so the
     * data loss alone tells divergence on the other steps. */
    int logged = cfg->train.log_every > 0 && (t->step + 1) % cfg->train.log_every == 0;
    *loss = data_loss + (logged ? lambda * t->penalty->value(m->W, nW, beta) : 0.0);
    t->penalty->add_grad(m->W, nW, lambda, beta, t->grad);
    lt_schedule_point p = {t->step, t->steps_per_epoch, t->steps_per_epoch * cfg->train.epochs};
    *lr = lt_schedule_lr(t->schedule, cfg, &p);
    if (!isfinite(*loss) || !all_finite(t->grad, m->n_params)) {
        return lt_fail(err, LT_EDIVERGED,
                       "diverged at step %lld (epoch %lld, lr %.3g): the %s is not finite; "
                       "try a lower optimizer.lr",
                       t->step + 1, epoch, *lr, isfinite(*loss) ? "gradient" : "loss");
    }
    lt_optimizer_step(&t->opt, m->params, t->grad, *lr);
    t->step++;
    if (!all_finite(m->params, m->n_params)) {
        return lt_fail(err, LT_EDIVERGED,
                       "diverged at step %lld (epoch %lld, lr %.3g): the weights are not "
                       "finite; try a lower optimizer.lr",
                       t->step, epoch, *lr);
    }
    return LT_OK;
}

static lt_status run_epoch(trainer *t, long long epoch, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    const lt_train_observer *obs = t->obs;
    size_t n = t->data.train.n;
    /* Full batch: the order cannot change the gradient, so the data stays put. */
    if (cfg->train.shuffle && t->batch < n) {
        lt_rng_shuffle(&t->rng_shuffle, t->order, n);
    }
    double epoch_t0 = now_seconds();
    for (long long k = 0; k < t->steps_per_epoch; k++) {
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
    }
    return LT_OK;
}

static lt_status end_epoch(trainer *t, long long epoch, lt_error *err)
{
    lt_epoch_report *r = &t->last_epoch;
    double margin = t->cfg->model.svm_margin;
    r->epoch = epoch;
    r->epochs = t->cfg->train.epochs;
    r->step = t->step;
    lt_evaluate_kernel(&t->kernel, &t->model, t->loss, margin, &t->data.train, t->eval_idx,
                       t->n_eval, &r->train);
    lt_evaluate_kernel(&t->kernel, &t->model, t->loss, margin, &t->data.val, NULL,
                       t->data.val.n, &r->val);
    lt_status st = LT_OK;
    r->seconds = now_seconds() - t->t0;
    if (st == LT_OK) {
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
    s->train_penalty = cfg->regularization.lambda *
                       t->penalty->value(t->model.W, t->model.D * t->model.C,
                                         cfg->regularization.beta);
    lt_status st = LT_OK;
    (void)err; /* evaluation through the kernel cannot fail */
    if (strcmp(status, "ok") == 0) {
        lt_evaluate_kernel(&t->kernel, &t->model, t->loss, cfg->model.svm_margin,
                           &t->data.test, NULL, t->data.test.n, &s->test);
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
}

static lt_status train_epochs(trainer *t, lt_error *err)
{
    for (long long e = 1; e <= t->cfg->train.epochs; e++) {
        lt_status st = run_epoch(t, e, err);
        if (st == LT_OK) {
            st = end_epoch(t, e, err);
        }
        if (st != LT_OK) {
            return st;
        }
    }
    return LT_OK;
}

lt_status lt_train(const lt_config *cfg, const lt_train_observer *obs, lt_summary *out,
                   lt_error *err)
{
    static const lt_train_observer no_observer = {0};
    trainer t = {0};
    t.cfg = cfg;
    t.obs = obs ? obs : &no_observer;
    memset(out, 0, sizeof *out);
    t.t0 = now_seconds();
    /* Everything that can be refused is checked before the run folder is touched. */
    lt_status st = setup(&t, err);
    if (st == LT_OK) {
        st = open_run_folder(&t, err);
    }
    if (st != LT_OK) {
        lt_metrics_close(&t.metrics, NULL);
        trainer_free(&t);
        return st;
    }
    if (t.obs->on_start) {
        lt_run_info info = {t.data.train.n, t.data.val.n, t.data.test.n, t.steps_per_epoch,
                            cfg->train.epochs, t.batch, cfg->output.dir};
        t.obs->on_start(t.obs->ctx, &info);
    }
    st = train_epochs(&t, err);
    lt_error end_err;
    lt_status end = LT_OK;
    if (st == LT_OK || st == LT_EDIVERGED) {
        end = summarize(&t, out, st == LT_OK ? "ok" : "diverged", &end_err);
        if (end == LT_OK && st == LT_OK) {
            end = write_weights(&t, &end_err);
        }
        if (end == LT_OK) {
            end = lt_summary_write(cfg->output.dir, out, &end_err);
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
