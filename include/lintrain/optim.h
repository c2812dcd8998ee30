/* optim.h — first-order optimizers as a table of name -> update rule.
 *
 * Parameters, gradient and optimizer state are flat float arrays of n elements
 * (W then b), so every update is one loop over n and a checkpoint is a sequence of
 * writes. The first n_decay elements are W (weight decay applies to them only). */
#ifndef LINTRAIN_OPTIM_H
#define LINTRAIN_OPTIM_H

#include <stddef.h>

#include "lintrain/common.h"
#include "lintrain/config.h"

typedef struct {
    const char *name;
    int n_state;   /* arrays of n floats of state (velocity, moments...) */
    /* One update of w (n) with gradient g (n) at rate lr; t counts updates from 1. */
    void (*step)(float *w, const float *g, float *const *state, size_t n, size_t n_decay,
                 double lr, long long t, const lt_config *cfg);
} lt_optim_kind;

const lt_optim_kind *lt_optim_find(const char *name);
const char *lt_optim_name_at(size_t i);

#define LT_OPTIM_MAX_STATE 4

typedef struct {
    const lt_optim_kind *kind;
    const lt_config *cfg;              /* borrowed: hyperparameters */
    size_t n, n_decay;
    float *state[LT_OPTIM_MAX_STATE];  /* owned: kind->n_state arrays of n, zeroed */
    long long t;                       /* updates done so far */
} lt_optimizer;

/* Prepares the optimizer named by cfg->optimizer.name for n parameters. */
lt_status lt_optimizer_create(lt_optimizer *opt, const lt_config *cfg, size_t n,
                              size_t n_decay, lt_error *err);
/* One update at rate lr. */
void lt_optimizer_step(lt_optimizer *opt, float *w, const float *g, double lr);
void lt_optimizer_free(lt_optimizer *opt);

#endif
