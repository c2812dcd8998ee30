/* optim.h — the optimizers, as a table of name -> family and update rule.
 *
 * Parameters, gradient and optimizer state are flat float arrays of n elements
 * (W then b), so every update is one loop over n and a checkpoint is a sequence of
 * writes. The first n_decay elements are W (weight decay applies to them only).
 *
 * Three families: first-order rules (one update per minibatch gradient, here), L-BFGS
 * (full batch, its own line search: lbfgs.h) and random search (no gradient at all:
 * train.c samples and scores). The trainer picks its loop from the family. */
#ifndef LINTRAIN_OPTIM_H
#define LINTRAIN_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "lintrain/common.h"

typedef enum {
    LT_OPTIM_FIRST_ORDER,  /* step() below, one per minibatch */
    LT_OPTIM_LBFGS,        /* lbfgs.h */
    LT_OPTIM_RANDOM_SEARCH /* the lecture's Strategy #1 */
} lt_optim_family;

/* The momentum rule's form (optimizer.form). */
typedef enum {
    LT_MOMENTUM_STANDARD, /* v = rho*v + g; w -= lr*v */
    LT_MOMENTUM_VELOCITY  /* v = rho*v - lr*g; w += v */
} lt_momentum_form;

/* The numbers the update rules take, resolved from the config's optimizer.* keys (a
 * key the optimizer does not use is 0). The rate itself is the schedule's (schedule.h). */
typedef struct {
    double rho;                /* momentum, nesterov */
    lt_momentum_form form;     /* momentum */
    double eps;                /* adagrad, rmsprop, adam, adamw */
    double decay_rate;         /* rmsprop */
    double beta1, beta2;       /* adam, adamw */
    bool bias_correction;      /* adam, adamw */
    double weight_decay;       /* adamw: decoupled, on the first n_decay entries only */
} lt_optim_params;

typedef struct {
    const char *name;
    lt_optim_family family;
    int n_state;   /* arrays of n floats of state (velocity, moments...) */
    /* One update of w (n) with gradient g (n) at rate lr; t counts updates from 1.
     * NULL for the families other than LT_OPTIM_FIRST_ORDER. */
    void (*step)(float *w, const float *g, float *const *state, size_t n, size_t n_decay,
                 double lr, long long t, const lt_optim_params *p);
    /* What the config derives its rules and defaults from (config.c): */
    const char *full_batch; /* why train.batch_size must be 0, or NULL: minibatches */
    double lr;              /* default optimizer.lr; 0: the optimizer takes no rate */
    double eps;             /* default optimizer.eps; 0: no eps */
    const char *keys;       /* the other optimizer.* keys it uses, "a|b" */
} lt_optim_kind;

/* The entry named name, or NULL. */
const lt_optim_kind *lt_optim_find(const char *name);
/* The i-th name of the table, NULL past its end (for listings and suggestions). */
const char *lt_optim_name_at(size_t i);

#define LT_OPTIM_MAX_STATE 4

typedef struct {
    const lt_optim_kind *kind;
    lt_optim_params p;                 /* hyperparameters (a copy) */
    size_t n, n_decay;
    float *state[LT_OPTIM_MAX_STATE];  /* owned: kind->n_state arrays of n, zeroed */
    long long t;                       /* updates done so far */
} lt_optimizer;

/* Prepares the optimizer kind with hyperparameters p for n parameters (any family;
 * only a first-order one may then be stepped). */
lt_status lt_optimizer_create(lt_optimizer *opt, const lt_optim_kind *kind,
                              const lt_optim_params *p, size_t n, size_t n_decay, lt_error *err);
/* One update at rate lr (first-order family only). */
void lt_optimizer_step(lt_optimizer *opt, float *w, const float *g, double lr);
/* Frees the state; accepts NULL and an optimizer never created. */
void lt_optimizer_free(lt_optimizer *opt);

/* ---- the optimizer's state in a checkpoint ------------------------------------------ */

#include "lintrain/checkpoint.h"

/* Adds the optimizer's update counter ("optim.t", u64) and its kind->n_state arrays
 * ("optim.state0", ...) to ck. The blocks borrow opt, which must outlive the write. */
lt_status lt_optimizer_save(const lt_optimizer *opt, lt_checkpoint *ck, lt_error *err);

/* Restores what lt_optimizer_save stored into an optimizer created for the same
 * config and n. A missing or mis-sized block is an error naming it; opt may then hold
 * part of the state, so a caller discards it (the trainer restores before the run
 * folder is touched, and frees everything on failure). */
lt_status lt_optimizer_restore(lt_optimizer *opt, const lt_checkpoint *ck, lt_error *err);

#endif
