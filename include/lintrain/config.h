/* config.h — the run's configuration: JSON file + --set overrides, strictly validated
 * once, defaults filled in one place, and the resolved whole written back as JSON.
 *
 * Every key is an entry of the schema table in config.c (its path, type, range or
 * choices, default, documentation, and the struct field it fills), read by the engine
 * of jsonconf.h. Everything downstream of lt_config_load may assume the values are
 * valid; the update rules and schedules take the resolved optim_params and
 * schedule_spec, not the config. */
#ifndef LINTRAIN_CONFIG_H
#define LINTRAIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "lintrain/common.h"
#include "lintrain/jsonconf.h"
#include "lintrain/model.h"
#include "lintrain/optim.h"
#include "lintrain/schedule.h"

/* Strings point into `resolved`; they live as long as the config. */
typedef struct {
    struct {
        const char *format;       /* cifar10 | cifar100 | npy */
        const char *dir;          /* folder holding the data files */
        const char *label;        /* cifar100: fine | coarse; else NULL */
        lt_strlist train_files;   /* cifar*: file names in dir (or absolute paths) */
        const char *test_file;    /* cifar*: "" for none; npy: NULL */
        const char *train_x;      /* npy: X (N, D) .npy in dir; else NULL */
        const char *train_y;      /* npy: y (N,) .npy in dir; else NULL */
        const char *test_x;       /* npy: "" for no test split; else NULL */
        const char *test_y;       /* npy: "" with test_x ""; else NULL */
        const char *class_names;  /* npy: names file in dir, "" for none; else NULL */
        long long val_size;       /* records held out from the end of the training files */
        long long limit_train;    /* 0 = all; else the first N training records */
        lt_objlist features;      /* stage objects (featpipe.h); [{"name": "pixels"}] = none */
        bool feature_cache;       /* data.features: keep and reuse the computed features */
        lt_strlist augment;       /* cifar*: "hflip" or nothing (splits.h); npy: empty */
        const char *preprocess;   /* none | scale | mean_image | standardize */
    } data;
    struct {
        const char *loss;         /* a name of the loss table (loss.h) */
        double svm_margin;        /* hinge margin Delta */
        const char *init;         /* gaussian | zeros */
        double init_scale;        /* std of the gaussian init */
        const char *init_weights; /* .npy of shape (3072, 10), or NULL */
        const char *init_bias;    /* .npy of shape (10,), or NULL */
    } model;
    struct {
        const char *type;         /* a name of the penalty table (penalty.h) */
        double lambda;            /* strength: loss = data loss + lambda * R(W) */
        double beta;              /* elastic net: R = sum(beta * W^2 + |W|) */
    } regularization;
    /* Keys an optimizer does not use are zero (see the schema's "only for"). */
    struct {
        const char *name;         /* a name of the optimizer table (optim.h), "lbfgs" or
                                   * "random_search" */
        double lr;                /* base learning rate (lbfgs: initial step length) */
        double rho;               /* momentum, nesterov: friction */
        const char *form;         /* momentum: "standard" (v = ρv + g) or "velocity" */
        double eps;               /* adagrad, rmsprop, adam, adamw */
        double decay_rate;        /* rmsprop */
        double beta1, beta2;      /* adam, adamw */
        bool bias_correction;     /* adam, adamw */
        double weight_decay;      /* adamw: decoupled, on W only */
        long long history;        /* lbfgs: (s, y) pairs kept */
        long long max_iter;       /* lbfgs: iterations per epoch */
        double tolerance_grad;    /* lbfgs: stop when max |g| <= this */
        double tolerance_change;  /* lbfgs: stop when a step or loss change is below this */
        long long trials;         /* random_search */
        double init_scale;        /* random_search: std of the sampled W and b */
    } optimizer;
    struct {
        const char *name;         /* a name of the schedule table (schedule.h) */
        const char *unit;         /* "epoch" or "step": what p and T count */
        lt_numlist milestones;    /* step: values of p where the rate drops */
        double gamma;             /* step: factor per milestone passed */
        long long warmup_steps;   /* linear warmup, in updates; 0 = none */
        long long lr_scaling_base_batch; /* linear scaling rule; 0 = off */
    } schedule;
    struct {
        long long epochs;
        long long batch_size;     /* 0 = full batch */
        bool shuffle;
        long long seed;
        long long log_every;      /* steps between logged losses; 0 = epoch lines only */
        long long threads;        /* threads of the training kernel; 0 = one per online CPU */
        const char *kernel;       /* a name of the kernel table (kernel.h) */
        long long eval_train_size; /* training records scored per epoch; 0 = all */
        double divergence_factor; /* an epoch's training loss above this times the initial
                                     one is a divergence; 0 = no bound */
        long long checkpoint_every; /* epochs between checkpoint.bin writes; 0 = only on a signal */
        long long early_stopping_patience; /* epochs without a better val_acc before
                                              stopping; 0 = off */
    } train;
    struct {
        const char *dir;          /* run folder */
    } output;

    /* Resolved from the keys above by the load: what the update rules and the schedule
     * take (the rate travels in schedule_spec.lr). */
    lt_model_init_spec model_init;
    lt_optim_params optim_params;
    lt_schedule_spec schedule_spec;   /* .kind NULL without a schedule section */

    void *resolved;               /* owned: the cJSON tree of the resolved config */
    char *notes;                  /* owned: what the load changed without failing, one
                                   * "KEY dropped: not used by X" line each ('\n'
                                   * after each), for the caller to show; NULL if none */
} lt_config;

/* Loads path (NULL: start from an empty object), applies each "key.path=VALUE" of
 * sets in order (VALUE parsed as JSON, else taken as a string; null removes the key, so
 * that its default applies), validates, and fills defaults (some per optimizer:
 * train.batch_size is 0, the full batch, for lbfgs and random_search, else 256).
 *
 * A key that a choice (optimizer.name, schedule.name, ...) does not use is an error,
 * except when a --set made that choice and the key comes from the file: the key is
 * then dropped and cfg->notes says so ("optimizer.rho dropped: not used by adam").
 *
 * Then the rules between keys: lbfgs and random_search need train.batch_size 0; lbfgs
 * refuses l1 and elastic_net with lambda > 0; early stopping needs data.val_size > 0.
 * The default output.dir is
 * "runs/<config file name without .json>" ("runs/default" without a file). On failure
 * returns LT_ECONFIG with err naming the file and key path (one line; a JSON syntax
 * error adds the line of the file and a caret under the column), and *cfg is left
 * empty (safe to free). */
lt_status lt_config_load(lt_config *cfg, const char *path, const char *const *sets,
                         size_t n_sets, lt_error *err);

/* The rules that need the size of the training split, ntrain records (checked by
 * training and by `lintrain check` once the data is counted): train.batch_size at
 * most ntrain; a first-order run's schedule.warmup_steps at most its updates.
 * LT_ECONFIG naming the key. */
lt_status lt_config_check_data(const lt_config *cfg, size_t ntrain, lt_error *err);

/* The schema table (for the reference and the tests), *n_keys entries. */
const lt_jc_key *lt_config_schema(size_t *n_keys);

/* The resolved config as pretty-printed JSON ending in a newline; loading it again
 * gives the same config. Caller frees with free(); NULL when out of memory. */
char *lt_config_to_json(const lt_config *cfg);

/* Compares the resolved config with other, the text of a resolved config (as written by
 * lt_config_to_json) named other_name in messages, leaving out the keys listed in ignore
 * ("output.dir|a.b", or NULL). Returns 0 when equal, 1 when not (msg then names the
 * first differing key and both values: "model.loss is \"svm\" here, \"softmax\" in
 * the checkpoint"), -1 when other is not a JSON object or memory ran out (msg says
 * which). */
int lt_config_compare(const lt_config *cfg, const char *other, const char *other_name,
                      const char *ignore, char *msg, size_t cap);

/* Frees what cfg owns and empties it; accepts NULL and an empty config. */
void lt_config_free(lt_config *cfg);

#endif
