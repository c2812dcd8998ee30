/* train_search.c — the random-search driver (train_driver.h), the lecture's Strategy #1:
 * optimizer.trials Gaussian samples of the parameters, each scored on the whole training
 * split; the best is kept. One epoch. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/interrupt.h"
#include "lintrain/train_driver.h"

/* Random search writes checkpoint.bin every this many trials (train.checkpoint_every > 0)
 * and when a signal stops it between two trials. */
#define SEARCH_CKPT_TRIALS 100

typedef struct {
    lt_rng rng;                 /* the search stream (saved) */
    uint64_t saved_rng[2];      /* rng, as the checkpoint holds it */
    double best_loss;           /* lowest training loss of the trials so far (saved) */
    float *best;                /* owned: (n_params) its parameters (saved) */
} search_state;

static lt_status search_setup(lt_trainer *t, lt_error *err)
{
    t->epochs = 1;
    t->steps_per_epoch = t->cfg->optimizer.trials;
    search_state *s = lt_calloc(1, sizeof *s, "random search", err);
    if (!s) {
        return LT_ERR;
    }
    t->state = s;
    s->best = lt_calloc(t->model.n_params, sizeof *s->best, "best weights", err);
    if (!s->best) {
        return LT_ERR;
    }
    lt_rng_seed(&s->rng, (uint64_t)t->cfg->train.seed, LT_STREAM_SEARCH);
    s->best_loss = INFINITY;
    return LT_OK;
}

/* One trial: W and b from N(0, init_scale²); its training loss (data loss + λR over the
 * whole training split). */
static double trial(lt_trainer *t, search_state *s)
{
    const lt_config *cfg = t->cfg;
    lt_model *m = &t->model;
    double scale = cfg->optimizer.init_scale;
    for (size_t i = 0; i < m->n_params; i++) {  /* W row-major, then b */
        m->params[i] = (float)(scale * lt_rng_normal(&s->rng));
    }
    double loss = lt_train_batch_loss(t, 0, t->data.train.n, NULL);
    return loss + cfg->regularization.lambda *
                      t->penalty->value(m->W, m->D * m->C, cfg->regularization.beta);
}

/* Keeps the lowest training loss; the model ends as the best. Resumed, it goes on from
 * the restored trial counter, search stream and best trial. */
static lt_status search_run(lt_trainer *t, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    const lt_train_observer *obs = t->obs;
    search_state *s = t->state;
    lt_model *m = &t->model;
    lt_status st = LT_OK;
    double epoch_t0 = lt_train_now();
    bool checkpoints = cfg->train.checkpoint_every > 0;
    for (long long k = t->step + 1; k <= cfg->optimizer.trials && st == LT_OK; k++) {
        double loss = trial(t, s);
        if (loss < s->best_loss) {  /* a non-finite loss is never the best */
            s->best_loss = loss;
            memcpy(s->best, m->params, m->n_params * sizeof *s->best);
        }
        t->step = k;
        lt_trial_report r = {k, cfg->optimizer.trials, loss, s->best_loss};
        st = lt_metrics_trial(&t->metrics, &r, err);
        long long log_every = cfg->train.log_every;
        if (st == LT_OK && obs->on_trial && log_every > 0 && k % log_every == 0) {
            obs->on_trial(obs->ctx, &r);
        }
        if (obs->on_progress) {
            obs->on_progress(obs->ctx, k, cfg->optimizer.trials, lt_train_now() - epoch_t0);
        }
        if (st == LT_OK && lt_interrupt_pending()) {
            return lt_train_interrupted(t, 1, k, err);
        }
        if (st == LT_OK && checkpoints && k % SEARCH_CKPT_TRIALS == 0) {
            st = lt_train_checkpoint_save(t, 0, k, err);
        }
    }
    if (st == LT_OK && !isfinite(s->best_loss)) {
        st = lt_train_diverged(t, t->step, 1, NAN, err, "no trial had a finite loss");
    }
    if (st == LT_OK) {
        memcpy(m->params, s->best, m->n_params * sizeof *s->best);
        st = lt_train_end_epoch(t, 1, err);
    }
    return st;
}

/* Blocks "search.rng" (the search stream), "search.best_loss" and "search.best" (its
 * parameters). */
static lt_status search_save(lt_trainer *t, lt_checkpoint *ck, lt_error *err)
{
    search_state *s = t->state;
    s->saved_rng[0] = s->rng.state;
    s->saved_rng[1] = s->rng.inc;
    lt_status st = lt_checkpoint_add(ck, "search.rng", LT_CKPT_U64, s->saved_rng, 2, err);
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "search.best_loss", LT_CKPT_F64, &s->best_loss, 1, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "search.best", LT_CKPT_F32, s->best, t->model.n_params,
                               err);
    }
    return st;
}

static lt_status search_restore(lt_trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    search_state *s = t->state;
    uint64_t rng[2];
    lt_status st = lt_checkpoint_get(ck, "search.rng", LT_CKPT_U64, 2, rng, err);
    if (st == LT_OK && !(rng[1] & 1u)) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"search.rng\": the stream must be odd");
    }
    if (st == LT_OK) {
        s->rng.state = rng[0];
        s->rng.inc = rng[1];
        st = lt_checkpoint_get(ck, "search.best_loss", LT_CKPT_F64, 1, &s->best_loss, err);
    }
    if (st == LT_OK && isnan(s->best_loss)) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"search.best_loss\" is NaN");
    }
    if (st == LT_OK) {
        st = lt_checkpoint_get(ck, "search.best", LT_CKPT_F32, t->model.n_params, s->best,
                               err);
    }
    return st;
}

static void search_free(lt_trainer *t)
{
    search_state *s = t->state;
    if (s) {
        free(s->best);
        free(s);
    }
}

const lt_train_driver lt_train_search_driver = {
    "random search", false, "try a lower optimizer.init_scale",
    search_setup, search_run, search_save, search_restore, search_free,
};
