/* cli_check.c — `lintrain check`: validates a config as training would, without
 * training, and prints the resolved config (what training writes as config.json). */
#include <stdio.h>
#include <stdlib.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/config.h"
#include "lintrain/model.h"
#include "lintrain/rng.h"
#include "lintrain/splits.h"

static const char USAGE[] =
    "usage: lintrain check --config FILE [--set key.path=VALUE]... [--out DIR]\n"
    "\n"
    "Validates the config as training does (every key, the rules between keys, the data\n"
    "files present, readable and of whole records, the initial weights' files) without\n"
    "loading the pixels or writing anything, and prints the resolved config as JSON on\n"
    "stdout: exactly the config.json training would write.\n"
    "\n"
    "  --config FILE, --set key.path=VALUE, --out DIR   as for training\n"
    "\n"
    "Exit status: 0 valid, 1 failure (out of memory, stdout), 2 the config or its data\n"
    "is not usable (the message says why).\n";

/* The data and initial-weight checks of training; nothing is kept. */
static lt_status check_inputs(const lt_config *cfg, lt_error *err)
{
    lt_split_sizes sizes;
    lt_status st = lt_splits_check(cfg, &sizes, err);
    st = st == LT_OK ? lt_config_check_data(cfg, sizes.train, err) : st;
    if (st != LT_OK || (!cfg->model.init_weights && !cfg->model.init_bias)) {
        return st;
    }
    lt_model m;
    lt_rng rng;
    lt_rng_seed(&rng, 0, 0);
    st = lt_model_create(&m, sizes.D, sizes.C, err);
    if (st == LT_OK) {
        st = lt_model_init(&m, &cfg->model_init, &rng, err);
        lt_model_free(&m);
    }
    return st;
}

int lt_cli_check(int argc, char **argv)
{
    lt_cli_config_args a;
    int help;
    int rc = lt_cli_parse("check", NULL, argc, argv, 1, &a, &help, NULL, NULL);
    if (rc == 0 && help) {
        fputs(USAGE, stdout);
    } else if (rc == 0 && !a.config) {
        fprintf(stderr, "lintrain: check needs --config FILE (try lintrain check --help)\n");
        rc = 2;
    }
    if (rc != 0 || help) {
        lt_cli_config_args_free(&a);
        return rc;
    }
    lt_config cfg;
    lt_error err = {{0}};
    lt_status st = lt_config_load(&cfg, a.config, a.sets, a.n_sets, &err);
    if (st == LT_OK) {
        lt_cli_print_notes(cfg.notes);
        st = check_inputs(&cfg, &err);
    }
    char *json = st == LT_OK ? lt_config_to_json(&cfg) : NULL;
    if (st != LT_OK) {
        fprintf(stderr, "lintrain: %s\n", err.msg);
        /* A missing data file fails training with 1; for check it is the answer. */
        rc = 2;
    } else if (!json) {
        fprintf(stderr, "lintrain: out of memory\n");
        rc = 1;
    } else {
        fputs(json, stdout);
        rc = fflush(stdout) == 0 ? 0 : 1;
    }
    free(json);
    lt_config_free(&cfg);
    lt_cli_config_args_free(&a);
    return rc;
}
