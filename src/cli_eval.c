/* cli_eval.c — `lintrain eval`: a finished run on its train, validation and test
 * splits, with per-class accuracy and the confusion matrix; text and eval.json. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/evaluate.h"
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
    "It writes into DIR, so it holds DIR's lock while it runs: with a run or another\n"
    "eval or plot at work in DIR it exits at once (\"DIR is in use by process PID\").\n"
    "\n"
    "Exit status: 0 ok, 1 failure (DIR in use included), 2 config or usage error.\n";

#define NC LT_CIFAR_C
#define SHORT 5 /* characters of a class name in the matrix's header */

typedef struct {
    const char *name;
    const lt_dataset *ds;
    lt_eval e;
    size_t confusion[NC * NC];
} split_eval;

static void print_split(const split_eval *s, char names[][LT_CLASS_NAME_MAX])
{
    if (s->e.n == 0) {
        printf("\n%s: no records\n", s->name);
        return;
    }
    printf("\n%s: %zu images, accuracy %.4f (%zu right), data loss %.6g\n", s->name, s->e.n,
           s->e.accuracy, s->e.correct, s->e.loss);
    printf("%-12s", "true\\pred");
    for (size_t k = 0; k < NC; k++) {
        printf(" %*.*s", 6, SHORT, names[k]);
    }
    printf("  %8s\n", "accuracy");
    for (size_t t = 0; t < NC; t++) {
        size_t row = 0;
        printf("%-12.12s", names[t]);
        for (size_t k = 0; k < NC; k++) {
            printf(" %6zu", s->confusion[t * NC + k]);
            row += s->confusion[t * NC + k];
        }
        if (row > 0) {
            printf("  %8.4f\n", (double)s->confusion[t * NC + t] / (double)row);
        } else {
            printf("  %8s\n", "-");
        }
    }
}

static cJSON *split_json(const split_eval *s)
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
    for (size_t t = 0; t < NC; t++) {
        cJSON *row = cJSON_CreateArray();
        size_t total = 0;
        for (size_t k = 0; k < NC; k++) {
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)s->confusion[t * NC + k]));
            total += s->confusion[t * NC + k];
        }
        cJSON_AddItemToArray(m, row);
        cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)total));
        cJSON_AddItemToArray(per, total ? cJSON_CreateNumber((double)s->confusion[t * NC + t] /
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
    for (size_t k = 0; k < NC; k++) {
        cJSON_AddItemToArray(classes, cJSON_CreateString(run->class_names[k]));
    }
    cJSON_AddStringToObject(o, "preprocess", run->prep_refit ? "refit on the training split"
                                                             : LT_PREPROCESS_FILE);
    cJSON_AddNumberToObject(o, "penalty", penalty);
    cJSON *sp = cJSON_AddObjectToObject(o, "splits");
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToObject(sp, splits[i].name, split_json(&splits[i]));
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    char path[LT_PATH_MAX];
    lt_status st = text ? lt_path_join(path, run->dir, "eval.json", err)
                        : lt_fail(err, LT_ERR, "out of memory writing eval.json");
    if (st == LT_OK) {
        size_t len = strlen(text);
        text[len] = '\n'; /* cJSON's text ends without one; its NUL becomes it */
        st = lt_write_file_atomic(path, text, len + 1, err);
    }
    free(text);
    return st;
}

static lt_status evaluate_run(lt_run *run, lt_error *err)
{
    lt_splits data;
    lt_status st = lt_splits_load(&run->cfg, &data, err);
    if (st != LT_OK) {
        return st;
    }
    split_eval s[3] = {{"train", &data.train, {0}, {0}}, {"val", &data.val, {0}, {0}},
                       {"test", &data.test, {0}, {0}}};
    lt_kernel k;
    long long threads = run->cfg.train.threads;
    st = lt_run_kernel(run, (size_t)threads, &k, err);
    for (size_t i = 0; i < 3 && st == LT_OK; i++) {
        st = lt_evaluate_confusion(&k, &run->model, run->loss, run->cfg.model.svm_margin,
                                   s[i].ds, &s[i].e, s[i].confusion, err);
    }
    lt_kernel_free(&k);
    const lt_penalty *pen = lt_penalty_find(run->cfg.regularization.type);
    double penalty = run->cfg.regularization.lambda *
                     pen->value(run->model.W, run->model.D * run->model.C,
                                run->cfg.regularization.beta);
    if (st == LT_OK) {
        printf("run %s: %s, preprocessing %s (%s), penalty lambda*R(W) %.6g\n", run->dir,
               run->cfg.model.loss, run->cfg.data.preprocess,
               run->prep_refit ? "refit on the training split" : LT_PREPROCESS_FILE, penalty);
        for (size_t i = 0; i < 3; i++) {
            print_split(&s[i], run->class_names);
        }
        st = write_json(run, s, 3, penalty, err);
    }
    if (st == LT_OK) {
        printf("\nwrote %s/eval.json\n", run->dir);
    }
    fflush(stdout);
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
