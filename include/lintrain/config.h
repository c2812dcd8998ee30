/* config.h — the run's configuration: JSON file + --set overrides, strictly validated
 * once, defaults filled in one place, and the resolved whole written back as JSON.
 *
 * Every key is an entry of the static schema table in config.c: its path, type,
 * range or choices, default, and the struct field it fills. Everything downstream
 * of lt_config_load may assume the values are valid. */
#ifndef LINTRAIN_CONFIG_H
#define LINTRAIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "lintrain/common.h"

typedef struct {
    const char **items;   /* strings owned by the config's JSON tree */
    size_t n;
} lt_strlist;

typedef struct {
    double *items;        /* owned by the config */
    size_t n;
} lt_numlist;

/* Strings point into `resolved`; they live as long as the config. */
typedef struct {
    struct {
        const char *dir;          /* folder holding the CIFAR-10 binary files */
        lt_strlist train_files;   /* file names in dir (or absolute paths) */
        const char *test_file;    /* "" for none */
        long long val_size;       /* records held out from the end of the training files */
        long long limit_train;    /* 0 = all; else the first N training records */
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
    struct {
        const char *name;         /* a name of the optimizer table (optim.h) */
        double lr;                /* base learning rate */
    } optimizer;
    struct {
        const char *name;         /* a name of the schedule table (schedule.h) */
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
    } train;
    struct {
        const char *dir;          /* run folder */
    } output;

    void *resolved;               /* owned: the cJSON tree of the resolved config */
} lt_config;

/* Loads path (NULL: start from an empty object), applies each "key.path=VALUE" of
 * sets in order (VALUE parsed as JSON, else taken as a string), validates, and fills
 * defaults. The default output.dir is "runs/<config file name without .json>"
 * ("runs/default" without a file). On failure returns LT_ECONFIG with one line in
 * err naming the file and key path, and *cfg is left empty (safe to free). */
lt_status lt_config_load(lt_config *cfg, const char *path, const char *const *sets,
                         size_t n_sets, lt_error *err);

/* The resolved config as pretty-printed JSON ending in a newline; loading it again
 * gives the same config. Caller frees with free(); NULL when out of memory. */
char *lt_config_to_json(const lt_config *cfg);

/* Frees what cfg owns and empties it; accepts NULL and an empty config. */
void lt_config_free(lt_config *cfg);

#endif
