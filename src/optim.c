/* optim.c — the optimizer table and the first-order update rules of the lecture.
 *
 * Each rule is a small static function that names the formula it implements, written
 * as the lecture writes it. g is the gradient of data loss + λR(W); t counts updates
 * from 1; lr is this update's scheduled rate. Arithmetic is done in double per element
 * and stored in float (parameters and state are float arrays). */
#include "lintrain/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/common.h"

/* lecture: w −= lr·g (minibatch SGD; full-batch gradient descent when the batch is all
 * the data, per-sample SGD with a batch of 1). = torch.optim.SGD. */
static void sgd_step(float *w, const float *g, float *const *state, size_t n, size_t n_decay,
                     double lr, long long t, const lt_optim_params *p)
{
    (void)state, (void)n_decay, (void)t, (void)p;
    for (size_t i = 0; i < n; i++) {
        w[i] = (float)(w[i] - lr * g[i]);
    }
}

/* lecture (SGD+Momentum): v = ρv + g; w −= lr·v.
 * = torch.optim.SGD(momentum=ρ, dampening=0): its first buffer is g, and ρ·0 + g is g.
 * form "velocity", the lecture's alternate form: v = ρv − lr·g; w += v. At a constant
 * rate the two give the same w (v_velocity = −lr·v_standard); when the rate changes
 * they differ, since the velocity form carries the old rates inside v. */
static void momentum_step(float *w, const float *g, float *const *state, size_t n,
                          size_t n_decay, double lr, long long t, const lt_optim_params *p)
{
    (void)n_decay, (void)t;
    float *v = state[0];
    double rho = p->rho;
    if (p->form == LT_MOMENTUM_VELOCITY) {
        for (size_t i = 0; i < n; i++) {
            double vi = rho * v[i] - lr * g[i];
            v[i] = (float)vi;
            w[i] = (float)(w[i] + vi);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double vi = rho * v[i] + g[i];
        v[i] = (float)vi;
        w[i] = (float)(w[i] - lr * vi);
    }
}

/* lecture (Nesterov momentum, change of variables x̃ = x + ρv):
 *   old_v = v; v = ρv − lr·g; w −= ρ·old_v − (1+ρ)·v.
 * At a constant rate this is torch.optim.SGD(momentum=ρ, nesterov=True), whose buffer
 * is −v/lr. */
static void nesterov_step(float *w, const float *g, float *const *state, size_t n,
                          size_t n_decay, double lr, long long t, const lt_optim_params *p)
{
    (void)n_decay, (void)t;
    float *v = state[0];
    double rho = p->rho;
    for (size_t i = 0; i < n; i++) {
        double old_v = v[i];
        double vi = rho * old_v - lr * g[i];
        v[i] = (float)vi;
        w[i] = (float)(w[i] - (rho * old_v - (1.0 + rho) * vi));
    }
}

/* lecture (AdaGrad): s += g²; w −= lr·g/(√s + eps).
 * = torch.optim.Adagrad(lr_decay=0, initial_accumulator_value=0, eps). */
static void adagrad_step(float *w, const float *g, float *const *state, size_t n,
                         size_t n_decay, double lr, long long t, const lt_optim_params *p)
{
    (void)n_decay, (void)t;
    float *s = state[0];
    double eps = p->eps;
    for (size_t i = 0; i < n; i++) {
        double gi = g[i];
        double si = s[i] + gi * gi;
        s[i] = (float)si;
        w[i] = (float)(w[i] - lr * gi / (sqrt(si) + eps));
    }
}

/* lecture (RMSProp): s = d·s + (1−d)·g²; w −= lr·g/(√s + eps).
 * = torch.optim.RMSprop(alpha=d, eps, momentum=0, centered=False). */
static void rmsprop_step(float *w, const float *g, float *const *state, size_t n,
                         size_t n_decay, double lr, long long t, const lt_optim_params *p)
{
    (void)n_decay, (void)t;
    float *s = state[0];
    double d = p->decay_rate, eps = p->eps;
    for (size_t i = 0; i < n; i++) {
        double gi = g[i];
        double si = d * s[i] + (1.0 - d) * gi * gi;
        s[i] = (float)si;
        w[i] = (float)(w[i] - lr * gi / (sqrt(si) + eps));
    }
}

/* lecture (Adam, full form):
 *   m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 *   m̂ = m/(1−β1^t); v̂ = v/(1−β2^t); w −= lr·m̂/(√v̂ + eps).
 * Without bias correction it is the lecture's "Adam (almost)": m̂ = m, v̂ = v, whose
 * first step is lr·(1−β1)/√(1−β2) ≈ 3.16·lr per weight (kept to show that problem).
 * AdamW adds the decoupled decay w −= lr·weight_decay·w on the first n_decay entries
 * (W), from the weights before this update, as torch.optim.AdamW does (it multiplies
 * by 1 − lr·weight_decay first; the Adam step does not depend on w). */
static void adam_update(float *w, const float *g, float *const *state, size_t n,
                        size_t n_decay, double lr, long long t, const lt_optim_params *p,
                        double weight_decay)
{
    float *m = state[0], *v = state[1];
    double b1 = p->beta1, b2 = p->beta2, eps = p->eps;
    double c1 = 1.0, c2 = 1.0;
    if (p->bias_correction) {
        c1 = 1.0 - pow(b1, (double)t);
        c2 = 1.0 - pow(b2, (double)t);
    }
    for (size_t i = 0; i < n; i++) {
        double gi = g[i];
        double mi = b1 * m[i] + (1.0 - b1) * gi;
        double vi = b2 * v[i] + (1.0 - b2) * gi * gi;
        m[i] = (float)mi;
        v[i] = (float)vi;
        double m_hat = mi / c1, v_hat = vi / c2;
        double decay = i < n_decay ? lr * weight_decay * w[i] : 0.0;
        w[i] = (float)(w[i] - decay - lr * m_hat / (sqrt(v_hat) + eps));
    }
}

/* = torch.optim.Adam(betas=(β1, β2), eps, weight_decay=0) with bias correction. */
static void adam_step(float *w, const float *g, float *const *state, size_t n, size_t n_decay,
                      double lr, long long t, const lt_optim_params *p)
{
    adam_update(w, g, state, n, n_decay, lr, t, p, 0.0);
}

/* = torch.optim.AdamW(betas, eps, weight_decay) with W in a group of its own and b in
 * one with weight_decay 0. */
static void adamw_step(float *w, const float *g, float *const *state, size_t n,
                       size_t n_decay, double lr, long long t, const lt_optim_params *p)
{
    adam_update(w, g, state, n, n_decay, lr, t, p, p->weight_decay);
}

/* Default rates: the lecture's, else PyTorch's; eps: the lecture's 1e-7 for AdaGrad and
 * RMSProp, PyTorch's 1e-8 for Adam. */
#define LBFGS_WHY "is full-batch and deterministic (the lecture: \"disable all sources of noise\")"
#define RANDOM_WHY "scores each trial on the whole training split"
static const lt_optim_kind OPTIMIZERS[] = {
    {"sgd", LT_OPTIM_FIRST_ORDER, 0, sgd_step, NULL, 3e-7, 0, ""},
    {"momentum", LT_OPTIM_FIRST_ORDER, 1, momentum_step, NULL, 3e-7, 0, "rho|form"},
    {"nesterov", LT_OPTIM_FIRST_ORDER, 1, nesterov_step, NULL, 3e-7, 0, "rho"},
    {"adagrad", LT_OPTIM_FIRST_ORDER, 1, adagrad_step, NULL, 1e-2, 1e-7, ""},
    {"rmsprop", LT_OPTIM_FIRST_ORDER, 1, rmsprop_step, NULL, 1e-2, 1e-7, "decay_rate"},
    {"adam", LT_OPTIM_FIRST_ORDER, 2, adam_step, NULL, 1e-3, 1e-8, "beta1|beta2|bias_correction"},
    {"adamw", LT_OPTIM_FIRST_ORDER, 2, adamw_step, NULL, 1e-3, 1e-8,
     "beta1|beta2|bias_correction|weight_decay"},
    {"lbfgs", LT_OPTIM_LBFGS, 0, NULL, LBFGS_WHY, 1, 0,
     "history|max_iter|tolerance_grad|tolerance_change"},
    {"random_search", LT_OPTIM_RANDOM_SEARCH, 0, NULL, RANDOM_WHY, 0, 0, "trials|init_scale"},
};
#define N_OPTIMIZERS (sizeof OPTIMIZERS / sizeof OPTIMIZERS[0])

const lt_optim_kind *lt_optim_find(const char *name)
{
    return lt_table_find(OPTIMIZERS, N_OPTIMIZERS, sizeof OPTIMIZERS[0], name);
}

const char *lt_optim_name_at(size_t i)
{
    return lt_table_name_at(OPTIMIZERS, N_OPTIMIZERS, sizeof OPTIMIZERS[0], i);
}

lt_status lt_optimizer_create(lt_optimizer *opt, const lt_optim_kind *kind,
                              const lt_optim_params *p, size_t n, size_t n_decay, lt_error *err)
{
    memset(opt, 0, sizeof *opt);
    if (!kind) {
        return lt_fail(err, LT_ERR, "lt_optimizer_create: no optimizer");
    }
    opt->kind = kind;
    opt->p = *p;
    opt->n = n;
    opt->n_decay = n_decay;
    for (int k = 0; k < opt->kind->n_state; k++) {
        opt->state[k] = lt_calloc(n, sizeof(float), "optimizer state", err);
        if (!opt->state[k]) {
            lt_optimizer_free(opt);
            return LT_ERR;
        }
    }
    return LT_OK;
}

void lt_optimizer_step(lt_optimizer *opt, float *w, const float *g, double lr)
{
    opt->t++;
    opt->kind->step(w, g, opt->state, opt->n, opt->n_decay, lr, opt->t, &opt->p);
}

void lt_optimizer_free(lt_optimizer *opt)
{
    if (!opt) {
        return;
    }
    for (int k = 0; k < LT_OPTIM_MAX_STATE; k++) {
        free(opt->state[k]);
    }
    memset(opt, 0, sizeof *opt);
}

/* ---- the optimizer's state in a checkpoint ------------------------------------------ */

#include <stdio.h>

_Static_assert(sizeof(long long) == sizeof(uint64_t), "optim.t is stored as the counter");

static void state_name(char *buf, size_t cap, int k)
{
    snprintf(buf, cap, "optim.state%d", k);
}

/* opt->t is never negative: its bytes are those of the same uint64. */
lt_status lt_optimizer_save(const lt_optimizer *opt, lt_checkpoint *ck, lt_error *err)
{
    lt_status st = lt_checkpoint_add(ck, "optim.t", LT_CKPT_U64, &opt->t, 1, err);
    for (int k = 0; st == LT_OK && k < opt->kind->n_state; k++) {
        char name[LT_CKPT_NAME];
        state_name(name, sizeof name, k);
        st = lt_checkpoint_add(ck, name, LT_CKPT_F32, opt->state[k], opt->n, err);
    }
    return st;
}

lt_status lt_optimizer_restore(lt_optimizer *opt, const lt_checkpoint *ck, lt_error *err)
{
    uint64_t t;
    lt_status st = lt_checkpoint_get(ck, "optim.t", LT_CKPT_U64, 1, &t, err);
    for (int k = 0; st == LT_OK && k < opt->kind->n_state; k++) {
        char name[LT_CKPT_NAME];
        state_name(name, sizeof name, k);
        st = lt_checkpoint_get(ck, name, LT_CKPT_F32, opt->n, opt->state[k], err);
    }
    if (st == LT_OK && t > (uint64_t)INT64_MAX) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"optim.t\": %llu is out of range",
                     (unsigned long long)t);
    }
    if (st == LT_OK) {
        opt->t = (long long)t;
    }
    return st;
}
