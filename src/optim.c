/* optim.c — the optimizer table and the state every optimizer shares.
 * Each update rule is a small static function that names the formula it implements. */
#include "lintrain/optim.h"

#include <stdlib.h>
#include <string.h>

#include "lintrain/common.h"

/* lecture: w −= lr·∇L (vanilla minibatch SGD; full-batch GD when the batch is all data). */
static void sgd_step(float *w, const float *g, float *const *state, size_t n, size_t n_decay,
                     double lr, long long t, const lt_config *cfg)
{
    (void)state, (void)n_decay, (void)t, (void)cfg;
    float a = (float)lr;
    for (size_t i = 0; i < n; i++) {
        w[i] -= a * g[i];
    }
}

static const lt_optim_kind OPTIMIZERS[] = {
    {"sgd", 0, sgd_step},
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

lt_status lt_optimizer_create(lt_optimizer *opt, const lt_config *cfg, size_t n,
                              size_t n_decay, lt_error *err)
{
    memset(opt, 0, sizeof *opt);
    opt->kind = lt_optim_find(cfg->optimizer.name);
    if (!opt->kind) {
        return lt_fail(err, LT_ECONFIG, "optimizer.name: unknown \"%s\"", cfg->optimizer.name);
    }
    opt->cfg = cfg;
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
    opt->kind->step(w, g, opt->state, opt->n, opt->n_decay, lr, opt->t, opt->cfg);
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
