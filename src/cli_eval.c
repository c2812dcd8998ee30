/* cli_eval.c — `lintrain eval`: a finished run on its train, validation and test
 * splits, with per-class accuracy and the confusion matrix; text and eval.json. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/evaluate.h"
#include "lintrain/featpipe.h"
#include "lintrain/metrics.h"
#include "lintrain/penalty.h"
#include "lintrain/run.h"
#include "lintrain/splits.h"

static const char USAGE[] =
    "usage: lintrain eval --run DIR [--config FILE] [--set key.path=VALUE]...\n"
    "\n"
    "Evaluates a finished run on its training, validation and test splits: data loss,\n"
    "accuracy, per-class accuracy and the confusion matrix (rows: true class, columns:\n"
    "predicted). Prints them and writes DIR/eval.json.\n"
    "\n"
    "  --run DIR              the run folder (config.json, weights.npy, bias.npy,\n"
    "                         preprocess.npy)\n"
    "  --config FILE          use FILE instead of DIR/config.json\n"
    "  --set key.path=VALUE   override one key, e.g. --set data.dir=DIR; repeatable\n"
    "\n"
    "With data.features, the features come from the feature cache entry training used\n"
    "when it holds the run folder's very stages (\"features: from the cache\"), else they\n"
    "are recomputed with them (\"features: recomputed ...\", and why); eval writes no\n"
    "cache entry.\n"
    "\n"
    "It writes into DIR, so it holds DIR's lock while it runs: with a run or another\n"
    "eval or plot at work in DIR it exits at once (\"DIR is in use by process PID\").\n"
    "\n"
    "Exit status: 0 ok, 1 failure (DIR in use included), 2 config or usage error.\n";

#define SHORT 5      /* characters of a class name in the matrix's header */
#define MAX_PRINTED 20 /* classes up to which the matrix is printed (else: eval.json) */

typedef struct {
    const char *name;
    const lt_dataset *ds;
    size_t images;     /* the split's images before data.augment (ds->n without) */
    lt_eval e;
    size_t *confusion; /* owned: (C, C), rows the true class */
} split_eval;

static void print_split(const split_eval *s, const lt_rundata *data)
{
    size_t C = data->C;
    char(*names)[LT_CLASS_NAME_MAX] = data->class_names;
    if (s->e.n == 0) {
        printf("\n%s: no records\n", s->name);
        return;
    }
    char mirrored[64] = "";
    if (s->images < s->e.n) {
        snprintf(mirrored, sizeof mirrored, " (%zu + %zu mirrored)", s->images,
                 s->e.n - s->images);
    }
    printf("\n%s: %zu %s%s, accuracy %.4f (%zu right), data loss %.6g\n", s->name, s->e.n,
           data->is_image ? "images" : "records", mirrored,
           s->e.accuracy, s->e.correct, s->e.loss);
    if (C > MAX_PRINTED) {
        printf("per-class accuracy and the %zu x %zu confusion matrix: in eval.json\n", C,
               C);
        return;
    }
    printf("%-12s", "true\\pred");
    for (size_t k = 0; k < C; k++) {
        printf(" %*.*s", 6, SHORT, names[k]);
    }
    printf("  %8s\n", "accuracy");
    for (size_t t = 0; t < C; t++) {
        size_t row = 0;
        printf("%-12.12s", names[t]);
        for (size_t k = 0; k < C; k++) {
            printf(" %6zu", s->confusion[t * C + k]);
            row += s->confusion[t * C + k];
        }
        if (row > 0) {
            printf("  %8.4f\n", (double)s->confusion[t * C + t] / (double)row);
        } else {
            printf("  %8s\n", "-");
        }
    }
}

static cJSON *split_json(const split_eval *s, size_t C)
{
    if (s->e.n == 0) {
        return cJSON_CreateNull();
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *per = cJSON_AddArrayToObject(o, "per_class_accuracy");
    cJSON *counts = cJSON_AddArrayToObject(o, "class_counts");
    cJSON *m = cJSON_AddArrayToObject(o, "confusion");
    cJSON_AddNumberToObject(o, "n", (double)s->e.n);
    cJSON_AddNumberToObject(o, "correct", (double)s->e.correct);
    cJSON_AddNumberToObject(o, "accuracy", s->e.accuracy);
    cJSON_AddNumberToObject(o, "data_loss", s->e.loss);
    for (size_t t = 0; t < C; t++) {
        cJSON *row = cJSON_CreateArray();
        size_t total = 0;
        for (size_t k = 0; k < C; k++) {
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)s->confusion[t * C + k]));
            total += s->confusion[t * C + k];
        }
        cJSON_AddItemToArray(m, row);
        cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)total));
        cJSON_AddItemToArray(per, total ? cJSON_CreateNumber((double)s->confusion[t * C + t] /
                                                             (double)total)
                                        : cJSON_CreateNull());
    }
    return o;
}

static lt_status write_json(const lt_run *run, const split_eval *splits, size_t n,
                            double penalty, lt_error *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "run", run->dir);
    cJSON_AddStringToObject(o, "loss", run->cfg.model.loss);
    cJSON *classes = cJSON_AddArrayToObject(o, "classes");
    for (size_t k = 0; k < run->data.C; k++) {
        cJSON_AddItemToArray(classes, cJSON_CreateString(run->data.class_names[k]));
    }
    cJSON_AddStringToObject(o, "preprocess", run->prep_refit ? "refit on the training split"
                                                             : LT_PREPROCESS_FILE);
    cJSON_AddNumberToObject(o, "penalty", penalty);
    cJSON *sp = cJSON_AddObjectToObject(o, "splits");
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToObject(sp, splits[i].name, split_json(&splits[i], run->data.C));
    }
    return lt_metrics_write_json(run->dir, "eval.json", o, err);
}

/* Each split's evaluation and confusion matrix under the run's kernel. */
static lt_status evaluate_splits(lt_run *run, split_eval *s, size_t n, lt_error *err)
{
    lt_kernel k;
    size_t C = run->data.C;
    lt_status st = lt_run_kernel(run, (size_t)run->cfg.train.threads, &k, err);
    for (size_t i = 0; i < n && st == LT_OK; i++) {
        s[i].confusion = lt_calloc2(C, C, sizeof *s[i].confusion, "confusion matrix", err);
        st = s[i].confusion ? lt_evaluate_confusion(&k, &run->model, run->loss,
                                                    run->cfg.model.svm_margin, s[i].ds,
                                                    &s[i].e, s[i].confusion, err)
                            : LT_ERR;
    }
    lt_kernel_free(&k);
    return st;
}

static lt_status evaluate_run(lt_run *run, lt_error *err)
{
    lt_splits data;
    lt_featpipe feat;
    /* The features with the stages the run fitted (its folder's files), never refitted. */
    lt_status st = lt_featpipe_splits(&run->cfg, run->dir, &feat, &data, NULL, err);
    if (st == LT_OK && feat.n > 0) {
        printf("features: %s\n", feat.source);
    }
    lt_featpipe_free(&feat);
    if (st != LT_OK) {
        return st;
    }
    split_eval s[3] = {{"train", &data.train, data.train_images, {0}, NULL},
                       {"val", &data.val, data.val.n, {0}, NULL},
                       {"test", &data.test, data.test.n, {0}, NULL}};
    st = lt_rundata_check(&run->data, run->dir, &data, "cannot evaluate", err);
    if (st == LT_OK) {
        st = evaluate_splits(run, s, 3, err);
    }
    const lt_penalty *pen = lt_penalty_find(run->cfg.regularization.type);
    double penalty = run->cfg.regularization.lambda *
                     pen->value(run->model.W, run->model.D * run->model.C,
                                run->cfg.regularization.beta);
    if (st == LT_OK) {
        printf("run %s: %s, preprocessing %s (%s), penalty lambda*R(W) %.6g\n", run->dir,
               run->cfg.model.loss, run->cfg.data.preprocess,
               run->prep_refit ? "refit on the training split" : LT_PREPROCESS_FILE, penalty);
        for (size_t i = 0; i < 3; i++) {
            print_split(&s[i], &run->data);
        }
        st = write_json(run, s, 3, penalty, err);
    }
    if (st == LT_OK) {
        printf("\nwrote %s/eval.json\n", run->dir);
    }
    fflush(stdout);
    for (size_t i = 0; i < 3; i++) {
        free(s[i].confusion);
    }
    lt_splits_free(&data);
    return st;
}

int lt_cli_eval(int argc, char **argv)
{
    lt_cli_config_args a;
    const char *dir;
    int help;
    int rc = lt_cli_parse_run("eval", argc, argv, &a, &dir, &help);
    if (rc == 0 && help) {
        fputs(USAGE, stdout);
    } else if (rc == 0) {
        lt_run run;
        lt_run_lock lock;
        lt_error err = {{0}};
        /* eval.json is written into the folder: one writer at a time. */
        lt_status st = lt_run_lock_take(&lock, dir, 0, &err);
        if (st == LT_OK) {
            st = lt_run_open(&run, dir, a.config, a.sets, a.n_sets, 0, &err);
        }
        if (st == LT_OK) {
            st = evaluate_run(&run, &err);
            lt_run_free(&run);
        }
        lt_run_lock_release(&lock);
        if (st != LT_OK) {
            fprintf(stderr, "lintrain: %s\n", err.msg);
        }
        rc = (int)st;
    }
    lt_cli_config_args_free(&a);
    return rc;
}
