/* train_lbfgs.c — the L-BFGS driver (train_driver.h): full batch, one PyTorch step() of
 * lbfgs.c per epoch, the objective data loss + λR(W) over the whole training split; and
 * L-BFGS's state between two steps as checkpoint blocks. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/interrupt.h"
#include "lintrain/train_driver.h"

typedef struct {
    lt_lbfgs lbfgs;
    double *x;                  /* owned: (n_params) the iterate, in double (saved) */
    bool converged;             /* a step ended on a tolerance: no more epochs (saved) */
    long long epoch;            /* the epoch running */
    long long iter0;            /* iterations done before this epoch */
    double epoch_t0;
    lt_status iter_status;      /* a failure in the iteration callback */
    lt_error iter_err;
    lt_train_lbfgs_saved saved; /* what the last save handed to the checkpoint */
    uint64_t flags[1];          /* converged, as the checkpoint holds it */
} lbfgs_state;

/* A signal stopped an L-BFGS epoch. A step() cannot stop half way (its line search and
 * history would be cut), so the iterations since the last checkpoint are lost: it is the
 * checkpoint written at the end of an epoch that a resume continues. */
static lt_status lbfgs_interrupted(const lt_trainer *t, lt_error *err)
{
    const lbfgs_state *s = t->state;
    const char *dir = t->cfg->output.dir, *sig = lt_interrupt_name(lt_interrupt_pending());
    if (t->ckpt_epochs < 0) {
        return lt_fail(err, LT_EINTERRUPTED,
                       "interrupted by %s in L-BFGS iteration %lld (epoch %lld); no checkpoint "
                       "was written yet (one is written after each train.checkpoint_every "
                       "epochs), so run the config again to start over",
                       sig, t->step + 1, s->epoch);
    }
    return lt_fail(err, LT_EINTERRUPTED,
                   "interrupted by %s in L-BFGS iteration %lld (epoch %lld), which cannot stop "
                   "mid-step; the checkpoint after epoch %lld is %s/" LT_TRAIN_CKPT_FILE
                   "; resume with: lintrain --resume %s (the iterations since are done again)",
                   sig, t->step + 1, s->epoch, t->ckpt_epochs, dir, dir);
}

/* The objective data loss + λR(W) over the whole training split, at x (double). */
static lt_status lbfgs_eval(void *ctx, const double *x, double *f, double *g, lt_error *err)
{
    lt_trainer *t = ctx;
    const lbfgs_state *s = t->state;
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
    double loss = lt_train_batch_loss(t, 0, n, t->grad);
    loss += lambda * t->penalty->value(m->W, nW, beta);
    t->penalty->add_grad(m->W, nW, lambda, beta, t->grad);
    if (!isfinite(loss) || !lt_train_all_finite(t->grad, m->n_params)) {
        return lt_train_diverged(t, t->step + 1, s->epoch, NAN, err,
                                 "the L-BFGS %s is not finite",
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
    lt_trainer *t = ctx;
    lbfgs_state *s = t->state;
    const lt_train_observer *obs = t->obs;
    t->step = it->iter;
    if (s->iter_status != LT_OK) {
        return;
    }
    long long log_every = t->cfg->train.log_every;
    if (log_every > 0 && t->step % log_every == 0) {
        lt_step_report r = {t->step, s->epoch, it->t, it->loss};
        s->iter_status = lt_metrics_step(&t->metrics, &r, &s->iter_err);
        if (s->iter_status == LT_OK && obs->on_step) {
            obs->on_step(obs->ctx, &r);
        }
    }
    if (obs->on_progress) {
        obs->on_progress(obs->ctx, it->iter - s->iter0, t->steps_per_epoch,
                         lt_train_now() - s->epoch_t0);
    }
}

/* The L-BFGS state and its iterate x, from the model's parameters (a resume then
 * overwrites x with the checkpoint's). */
static lt_status lbfgs_setup(lt_trainer *t, lt_error *err)
{
    const lt_config *cfg = t->cfg;
    lt_model *m = &t->model;
    t->epochs = cfg->train.epochs;
    t->steps_per_epoch = cfg->optimizer.max_iter;
    lbfgs_state *s = lt_calloc(1, sizeof *s, "L-BFGS", err);
    if (!s) {
        return LT_ERR;
    }
    t->state = s;
    s->x = lt_calloc(m->n_params, sizeof *s->x, "L-BFGS weights", err);
    lt_status st = s->x ? lt_lbfgs_create(&s->lbfgs, m->n_params, (int)cfg->optimizer.history,
                                          cfg->optimizer.max_iter, cfg->optimizer.lr,
                                          cfg->optimizer.tolerance_grad,
                                          cfg->optimizer.tolerance_change, lbfgs_eval, t, err)
                        : LT_ERR;
    if (st != LT_OK) {
        return st;
    }
    s->lbfgs.on_iter = lbfgs_on_iter;
    for (size_t i = 0; i < m->n_params; i++) {
        s->x[i] = m->params[i];
    }
    return LT_OK;
}

/* One step() of at most max_iter iterations per epoch. */
static lt_status lbfgs_run(lt_trainer *t, lt_error *err)
{
    lbfgs_state *s = t->state;
    lt_model *m = &t->model;
    lt_status st = LT_OK;
    long long every = t->cfg->train.checkpoint_every;
    for (long long e = t->epoch0 + 1; e <= t->epochs && st == LT_OK && !s->converged; e++) {
        lt_lbfgs_stop stop = LT_LBFGS_MAX_ITER;
        long long iters;
        s->epoch = e;
        s->iter0 = t->step;
        s->epoch_t0 = lt_train_now();
        st = lt_lbfgs_step(&s->lbfgs, s->x, &stop, &iters, err);
        if (st == LT_OK && s->iter_status != LT_OK) {
            st = s->iter_status;
            *err = s->iter_err;
        }
        /* The weights are x: the line search leaves the model at its last trial point. */
        for (size_t i = 0; i < m->n_params; i++) {
            m->params[i] = (float)s->x[i];
        }
        if (st == LT_OK) {
            st = lt_train_end_epoch(t, e, err);
        }
        if (st == LT_OK) {
            st = lt_train_check_epoch_loss(t, e, NAN, err);
        }
        /* Converged: more calls would find nothing to do (PyTorch returns at once). */
        s->converged = stop == LT_LBFGS_GRAD || stop == LT_LBFGS_CHANGE ||
                       stop == LT_LBFGS_DIRECTION;
        if (st == LT_OK && every > 0 && e % every == 0) {
            st = lt_train_checkpoint_save(t, e, 0, err);
        }
    }
    return st;
}

/* Blocks "lbfgs.*" (lt_train_lbfgs_save), "lbfgs.x" (the double iterate) and
 * "lbfgs.converged". */
static lt_status lbfgs_save(lt_trainer *t, lt_checkpoint *ck, lt_error *err)
{
    lbfgs_state *s = t->state;
    lt_train_lbfgs_saved_free(&s->saved);
    s->flags[0] = s->converged;
    lt_status st = lt_train_lbfgs_save(&s->lbfgs, ck, &s->saved, err);
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "lbfgs.x", LT_CKPT_F64, s->x, t->model.n_params, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "lbfgs.converged", LT_CKPT_U64, s->flags, 1, err);
    }
    return st;
}

/* After the trainer's blocks (t->step is the checkpoint's). */
static lt_status lbfgs_restore(lt_trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    lbfgs_state *s = t->state;
    size_t np = t->model.n_params;
    lt_status st = lt_train_lbfgs_restore(&s->lbfgs, ck, err);
    if (st == LT_OK) {
        st = lt_checkpoint_get(ck, "lbfgs.x", LT_CKPT_F64, np, s->x, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_get(ck, "lbfgs.converged", LT_CKPT_U64, 1, s->flags, err);
    }
    for (size_t i = 0; st == LT_OK && i < np; i++) {
        if (!isfinite(s->x[i])) {
            st = lt_fail(err, LT_ERR, "checkpoint block \"lbfgs.x\" holds NaN or Inf");
        }
    }
    if (st == LT_OK && (s->flags[0] > 1 || s->lbfgs.n_iter != t->step)) {
        st = lt_fail(err, LT_ERR, "checkpoint blocks \"lbfgs.*\" disagree with "
                     "\"progress\": %lld iterations, step %lld", s->lbfgs.n_iter, t->step);
    }
    if (st == LT_OK) {
        s->converged = s->flags[0] == 1;
    }
    return st;
}

static void lbfgs_free(lt_trainer *t)
{
    lbfgs_state *s = t->state;
    if (s) {
        lt_lbfgs_free(&s->lbfgs);
        lt_train_lbfgs_saved_free(&s->saved);
        free(s->x);
        free(s);
    }
}

const lt_train_driver lt_train_lbfgs_driver = {
    "L-BFGS", true, "try a lower optimizer.lr",
    lbfgs_setup, lbfgs_run, lbfgs_save, lbfgs_restore, lbfgs_free,
};

/* ---- L-BFGS's state as checkpoint blocks ---------------------------------------------
 * Between two steps the state is the history, ro, d, t, h_diag, g, prev_g and the
 * counters (al and the line-search arrays are workspace, rewritten before they are
 * read). step() recomputes g at x first, so g is stored only to make the restored state
 * the saved one whole. */

lt_status lt_train_lbfgs_save(const lt_lbfgs *L, lt_checkpoint *ck,
                              lt_train_lbfgs_saved *saved, lt_error *err)
{
    size_t n = L->n, k = (size_t)L->num_old;
    memset(saved, 0, sizeof *saved);
    saved->hist = lt_calloc2(2 * k + 1, n, sizeof *saved->hist, "L-BFGS checkpoint", err);
    if (!saved->hist) {
        return LT_ERR;
    }
    for (size_t j = 0; j < k; j++) {
        memcpy(saved->hist + j * n, L->y[j], n * sizeof(double));
        memcpy(saved->hist + (k + j) * n, L->s[j], n * sizeof(double));
    }
    saved->real[0] = L->t;
    saved->real[1] = L->h_diag;
    saved->count[0] = (uint64_t)L->history;
    saved->count[1] = (uint64_t)L->num_old;
    saved->count[2] = (uint64_t)L->n_iter;
    saved->count[3] = (uint64_t)L->func_evals;
    lt_status st = lt_checkpoint_add(ck, "lbfgs.count", LT_CKPT_U64, saved->count, 4, err);
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "lbfgs.real", LT_CKPT_F64, saved->real, 2, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "lbfgs.hist", LT_CKPT_F64, saved->hist, 2 * k * n, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "lbfgs.ro", LT_CKPT_F64, L->ro, k, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "lbfgs.d", LT_CKPT_F64, L->d, n, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "lbfgs.g", LT_CKPT_F64, L->g, n, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_add(ck, "lbfgs.prev_g", LT_CKPT_F64, L->prev_g, n, err);
    }
    return st;
}

void lt_train_lbfgs_saved_free(lt_train_lbfgs_saved *saved)
{
    free(saved->hist);
    saved->hist = NULL;
}

static int finite_all(const double *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i])) {
            return 0;
        }
    }
    return 1;
}

lt_status lt_train_lbfgs_restore(lt_lbfgs *L, const lt_checkpoint *ck, lt_error *err)
{
    size_t n = L->n;
    uint64_t count[4];
    double real[2];
    lt_status st = lt_checkpoint_get(ck, "lbfgs.count", LT_CKPT_U64, 4, count, err);
    if (st == LT_OK && (count[0] != (uint64_t)L->history || count[1] > count[0] ||
                        count[2] > (uint64_t)INT64_MAX || count[3] > (uint64_t)INT64_MAX ||
                        (count[2] == 0 && count[1] != 0))) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"lbfgs.count\" does not fit: history "
                     "%llu (this run: %d), %llu pairs, %llu iterations",
                     (unsigned long long)count[0], L->history, (unsigned long long)count[1],
                     (unsigned long long)count[2]);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_get(ck, "lbfgs.real", LT_CKPT_F64, 2, real, err);
    }
    if (st != LT_OK) {
        return st;
    }
    size_t k = (size_t)count[1];
    const lt_ckpt_block *h = lt_checkpoint_find(ck, "lbfgs.hist");
    if (!h || h->type != LT_CKPT_F64 || h->count != 2 * k * n) {
        return lt_fail(err, LT_ERR, "checkpoint block \"lbfgs.hist\": missing, or not %zu "
                       "doubles", 2 * k * n);
    }
    /* The block's bytes may be unaligned for double: copy them row by row. */
    const unsigned char *hb = h->data;
    for (size_t j = 0; j < k; j++) {
        memcpy(L->y[j], hb + j * n * sizeof(double), n * sizeof(double));
        memcpy(L->s[j], hb + (k + j) * n * sizeof(double), n * sizeof(double));
    }
    if ((st = lt_checkpoint_get(ck, "lbfgs.ro", LT_CKPT_F64, k, L->ro, err)) != LT_OK ||
        (st = lt_checkpoint_get(ck, "lbfgs.d", LT_CKPT_F64, n, L->d, err)) != LT_OK ||
        (st = lt_checkpoint_get(ck, "lbfgs.g", LT_CKPT_F64, n, L->g, err)) != LT_OK ||
        (st = lt_checkpoint_get(ck, "lbfgs.prev_g", LT_CKPT_F64, n, L->prev_g, err)) != LT_OK) {
        return st;
    }
    int finite = finite_all(real, 2) && finite_all(L->ro, k) && finite_all(L->d, n) &&
                 finite_all(L->g, n) && finite_all(L->prev_g, n);
    for (size_t j = 0; j < k && finite; j++) {
        finite = finite_all(L->y[j], n) && finite_all(L->s[j], n);
    }
    if (!finite) {
        return lt_fail(err, LT_ERR, "checkpoint blocks \"lbfgs.*\" hold NaN or Inf");
    }
    L->num_old = (int)k;
    L->n_iter = (long long)count[2];
    L->func_evals = (long long)count[3];
    L->t = real[0];
    L->h_diag = real[1];
    return LT_OK;
}
