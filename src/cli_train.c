/* cli_train.c — `lintrain [train]`: the command line, and the console that shows a
 * run as it goes (lines on stdout; a progress bar on stderr when it is a terminal). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/config.h"
#include "lintrain/curves.h"
#include "lintrain/fsutil.h"
#include "lintrain/interrupt.h"
#include "lintrain/run.h"
#include "lintrain/train.h"

static const char SYNOPSIS[] =
    "usage: lintrain [train] --config FILE [--set KEY=VALUE]... [--out DIR] [--force] [--quiet]\n"
    "       lintrain [train] --resume DIR [--quiet]\n"
    "\n"
    "Trains a linear classifier (softmax or multiclass SVM) on CIFAR-10 as the JSON\n"
    "config FILE says, and writes a run folder (config.json, metrics.jsonl,\n"
    "summary.json, weights.npy, bias.npy, preprocess.npy, templates.png); see man\n"
    "lintrain.\n"
    "\n";

static const char OPTIONS[] =
    "  --config FILE          the run's config (JSON); see README.md for every key\n"
    "  --set key.path=VALUE   override one key, e.g. --set optimizer.lr=3e-4;\n"
    "                         VALUE is parsed as JSON, else taken as a string; repeatable\n"
    "  --out DIR              the run folder (same as --set output.dir=DIR)\n"
    "  --resume DIR           continue the run in DIR from its checkpoint.bin, with its\n"
    "                         own config.json\n"
    "  --force                replace the run the folder holds: its files are removed\n"
    "                         first (the user's own files stay); without it, training\n"
    "                         into a folder that holds a run is refused (exit 2)\n"
    "  --quiet, -q            print only the final one-line summary\n"
    "\n"
    "One process at a time writes a run folder (train, --resume, eval, plot): a second\n"
    "one exits with 1, naming the first one's PID.\n"
    "\n"
    "SIGINT or SIGTERM (Ctrl-C) finishes the update under way, writes DIR/checkpoint.bin\n"
    "and exits with 130 or 143; a second one stops at once.\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 config or usage error, 3 diverged,\n"
    "130/143 interrupted (resumable).\n";

const char *lt_cli_train_options(void)
{
    return OPTIONS;
}

typedef struct {
    bool quiet;
    bool bar;             /* draw a progress bar on stderr */
    bool bar_shown;       /* a bar is on screen and must be cleared before a line */
    double last_draw;
    long long epoch, epochs;
    size_t batch;
} console;

static void clear_bar(console *c)
{
    if (c->bar_shown) {
        fputs("\r\033[K", stderr);
        c->bar_shown = false;
    }
}

static void on_start(void *ctx, const lt_run_info *info)
{
    console *c = ctx;
    c->epochs = info->epochs;
    c->epoch = info->resumed_epochs + 1;
    c->batch = info->batch_size;
    if (c->quiet) {
        return;
    }
    if (info->resumed_step > 0 || info->resumed_epochs > 0) {
        printf("resuming %s after step %lld (%lld epochs done)\n", info->out_dir,
               info->resumed_step, info->resumed_epochs);
    }
    if (info->is_image) {
        printf("training on %zu images", info->n_train);
    } else {
        printf("training on %zu rows of %zu features", info->n_train, info->D);
    }
    if (info->train_images != info->n_train) {
        printf(" (%zu + %zu mirrored; %zu validation, %zu test): ", info->train_images,
               info->n_train - info->train_images, info->n_val, info->n_test);
    } else {
        printf(" (%zu validation, %zu test): ", info->n_val, info->n_test);
    }
    switch (info->family) {
    case LT_OPTIM_FIRST_ORDER:
        printf("%lld epochs of %lld steps, batch %zu", info->epochs, info->steps_per_epoch,
               info->batch_size);
        break;
    case LT_OPTIM_LBFGS:
        printf("L-BFGS, full batch, %lld epochs of at most %lld iterations", info->epochs,
               info->steps_per_epoch);
        break;
    case LT_OPTIM_RANDOM_SEARCH:
        printf("random search, %lld trials on the full training split", info->steps_per_epoch);
        break;
    }
    printf(" -> %s\n", info->out_dir);
    fflush(stdout);
}

static void on_step(void *ctx, const lt_step_report *r)
{
    console *c = ctx;
    if (c->quiet) {
        return;
    }
    clear_bar(c);
    printf("step %7lld  epoch %3lld  lr %.3g  batch_loss %.6g\n", r->step, r->epoch, r->lr,
           r->batch_loss);
    fflush(stdout);
}

static void on_trial(void *ctx, const lt_trial_report *r)
{
    console *c = ctx;
    if (c->quiet) {
        return;
    }
    clear_bar(c);
    printf("trial %7lld/%lld  train_loss %.6g  best_train_loss %.6g\n", r->trial, r->trials,
           r->train_loss, r->best_train_loss);
    fflush(stdout);
}

/* A note of the trainer's (no picture of W, and why): on stderr, as curves.png's. */
static void on_note(void *ctx, const char *note)
{
    clear_bar(ctx);
    fflush(stdout);
    fprintf(stderr, "lintrain: %s\n", note);
}

/* "WHAT [####------] done/total  R img/s  ETA Es" over the line on stderr. */
static void draw_bar(console *c, const char *what, double fraction, long long done,
                     long long total, double rate, double eta)
{
    enum { WIDTH = 30 };
    int filled = (int)(WIDTH * fraction);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++) {
        bar[i] = i < filled ? '#' : '-';
    }
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r\033[K%s [%s] %lld/%lld  %.0f img/s  ETA %.0fs", what, bar, done, total,
            rate, eta);
    fflush(stderr);
    c->bar_shown = true;
}

static void on_progress(void *ctx, long long done, long long total, double seconds)
{
    console *c = ctx;
    if (!c->bar || (done < total && seconds - c->last_draw < 0.1)) {
        return;
    }
    c->last_draw = done < total ? seconds : 0.0;
    char what[64];
    snprintf(what, sizeof what, "epoch %lld/%lld", c->epoch, c->epochs);
    double rate = seconds > 0 ? (double)done * (double)c->batch / seconds : 0.0;
    draw_bar(c, what, (double)done / (double)total, done, total, rate,
             done > 0 ? seconds * (double)(total - done) / (double)done : 0.0);
}

/* data.features: "features train [####------] 2048/49000  310 img/s  ETA 151s". */
static void on_features(void *ctx, const char *split, size_t done, size_t total,
                        double seconds)
{
    console *c = ctx;
    if (!c->bar || done == 0) {
        return;
    }
    if (done == total) {
        clear_bar(c);
        return;
    }
    char what[64];
    snprintf(what, sizeof what, "features %s", split);
    double rate = seconds > 0 ? (double)done / seconds : 0.0;
    draw_bar(c, what, (double)done / (double)total, (long long)done, (long long)total, rate,
             rate > 0 ? (double)(total - done) / rate : 0.0);
}

static void on_epoch(void *ctx, const lt_epoch_report *r)
{
    console *c = ctx;
    c->epoch = r->epoch + 1;
    if (c->quiet) {
        return;
    }
    clear_bar(c);
    printf("epoch %3lld/%lld  train_acc %.4f  train_loss %.6g  train_data_loss %.6g", r->epoch,
           r->epochs, r->train.accuracy, r->train.loss + r->train_penalty, r->train.loss);
    if (r->val.n > 0) {
        printf("  val_acc %.4f  val_data_loss %.6g", r->val.accuracy, r->val.loss);
    }
    printf("  %.1fs\n", r->seconds);
    fflush(stdout);
}

/* Prints "name value" for a split that has records, else nothing. */
static void print_acc(const char *name, const lt_eval *e)
{
    if (e->n > 0) {
        printf("  %s %.4f", name, e->accuracy);
    }
}

static void print_summary(const lt_summary *s, const char *dir)
{
    printf("%s", s->status);
    print_acc("train_acc", &s->train);
    print_acc("val_acc", &s->val);
    print_acc("test_acc", &s->test);
    printf("  epochs %lld  steps %lld  %.1fs  %s\n", s->epochs, s->steps, s->seconds, dir);
    fflush(stdout);
}

/* curves.png beside templates.png, after every run that trained (finished, diverged
 * or interrupted): the same drawing as `lintrain plot`. A skip or a failure of the
 * drawing is one line on stderr and leaves the run's exit status as it is. */
static void draw_curves(const char *dir)
{
    lt_error note;
    char metrics[LT_PATH_MAX];
    struct stat sb;
    /* Stopped before the folder was written (a signal while the features were made). */
    if (lt_path_join(metrics, dir, "metrics.jsonl", &note) != LT_OK ||
        stat(metrics, &sb) != 0) {
        return;
    }
    if (lt_curves_draw(dir, &note) != LT_CURVES_WRITTEN && note.msg[0]) {
        fprintf(stderr, "lintrain: warning: %s\n", note.msg);
    }
}

typedef struct {
    lt_cli_config_args cfg;   /* --config, --set, --out */
    const char *resume;       /* run folder to continue, or NULL */
    char config_buf[LT_PATH_MAX]; /* DIR/config.json for --resume */
    bool quiet, help, force;
} train_args;

static int train_option(void *ctx, int argc, char **argv, int *i)
{
    train_args *a = ctx;
    const char *v;
    if (strcmp(argv[*i], "--quiet") == 0 || strcmp(argv[*i], "-q") == 0) {
        a->quiet = true;
        return 1;
    }
    if (strcmp(argv[*i], "--force") == 0) {
        a->force = true;
        return 1;
    }
    if ((v = lt_cli_option_value("--resume", argc, argv, i))) {
        a->resume = v;
        return 1;
    }
    return 0;
}

/* --resume DIR is --config DIR/config.json --set output.dir=DIR, and nothing else:
 * the run continues exactly as it was configured. */
static int resume_args(train_args *a)
{
    lt_error err;
    if (a->cfg.config || a->cfg.n_sets > 0) {
        fprintf(stderr, "lintrain: --resume takes the run folder's own config.json; it cannot "
                        "be combined with --config, --set or --out\n");
        return 2;
    }
    if (a->force) {
        fprintf(stderr, "lintrain: --resume continues the run in the folder; --force would "
                        "replace it: give one of them\n");
        return 2;
    }
    if (lt_path_join(a->config_buf, a->resume, "config.json", &err) != LT_OK) {
        fprintf(stderr, "lintrain: --resume: %s\n", err.msg);
        return 2;
    }
    a->cfg.config = a->config_buf;
    if (lt_cli_config_args_set_out(&a->cfg, a->resume) != 0) {
        fprintf(stderr, "lintrain: out of memory\n");
        return 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, train_args *a)
{
    memset(a, 0, sizeof *a);
    int help;
    int rc = lt_cli_parse(NULL, "--resume|--quiet|--force", argc, argv, 1, &a->cfg, &help,
                          train_option, a);
    a->help = help;
    if (rc == 0 && a->resume && !a->help) {
        rc = resume_args(a);
    }
    return rc;
}

/* Takes the run folder for this process before anything is written: the lock first
 * (so that two starts cannot both find the folder free), then what it holds. A new run
 * into a folder holding one is refused unless --force; --resume needs a run. */
static lt_status claim_folder(const train_args *a, const char *dir, lt_run_lock *lock,
                              lt_error *err)
{
    lt_run_state s;
    if (a->resume) {
        /* Checked before the lock, which would leave a .lock in a folder of no run. */
        char cfg[LT_PATH_MAX];
        struct stat sb;
        int no_dir = stat(dir, &sb) != 0;
        if (no_dir ||
            (lt_path_join(cfg, dir, "config.json", err) == LT_OK && stat(cfg, &sb) != 0)) {
            return lt_fail(err, LT_ECONFIG, "%s holds no lintrain run (%s)", dir,
                           no_dir ? "no such folder" : "no config.json");
        }
        return lt_run_lock_take(lock, dir, 0, err);
    }
    lt_status st = lt_run_lock_take(lock, dir, LT_LOCK_CREATE, err);
    if (st == LT_OK) {
        st = lt_run_state_read(dir, &s, err);
    }
    if (st != LT_OK) {
        return st;
    }
    if (s.kind == LT_RUN_NONE) {
        return LT_OK;
    }
    if (!a->force) {
        return lt_run_refuse(dir, &s, err);
    }
    char kept[512];
    size_t n_kept = 0;
    st = lt_run_foreign(dir, kept, sizeof kept, &n_kept, err);
    if (st == LT_OK) {
        fprintf(stderr, "lintrain: --force: replacing the run in %s%s%s\n", dir,
                n_kept ? "; files lintrain does not own stay: " : "", kept);
    }
    return st;
}

int lt_cli_train(int argc, char **argv)
{
    train_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && a.help) {
        fputs(SYNOPSIS, stdout);
        fputs(OPTIONS, stdout);
    }
    if (rc != 0 || a.help) {
        lt_cli_config_args_free(&a.cfg);
        return rc;
    }
    lt_config cfg = {0};
    lt_error err = {{0}};
    lt_run_lock lock = {.fd = -1};
    /* --resume DIR: the folder is checked before its config.json is read; a new run's
     * folder once the config that names it is valid. */
    lt_status st = a.resume ? claim_folder(&a, a.resume, &lock, &err) : LT_OK;
    if (st == LT_OK) {
        st = lt_config_load(&cfg, a.cfg.config, a.cfg.sets, a.cfg.n_sets, &err);
    }
    if (st == LT_OK && !a.resume) {
        st = claim_folder(&a, cfg.output.dir, &lock, &err);
    }
    if (st == LT_OK) {
        lt_cli_print_notes(cfg.notes);
        console c = {0};
        c.quiet = a.quiet;
        c.bar = !a.quiet && isatty(STDERR_FILENO);
        lt_train_observer obs = {&c,       on_start, on_step, on_progress, on_epoch,
                                 on_trial, on_note,  on_features};
        lt_summary summary;
        if (lt_interrupt_install() != 0) {
            fprintf(stderr, "lintrain: warning: cannot catch SIGINT/SIGTERM; an interrupted run "
                            "keeps only its last epoch checkpoint\n");
        }
        st = a.resume ? lt_train_resume(&cfg, &obs, &summary, &err)
                      : lt_train(&cfg, &obs, &summary, &err);
        clear_bar(&c);
        if (st == LT_OK || st == LT_EDIVERGED || st == LT_EINTERRUPTED) {
            draw_curves(cfg.output.dir);
        }
        if (st == LT_OK) {
            print_summary(&summary, cfg.output.dir);
        }
    }
    if (st != LT_OK) {
        fprintf(stderr, "lintrain: %s\n", err.msg);
    }
    lt_run_lock_release(&lock);
    lt_config_free(&cfg);
    lt_cli_config_args_free(&a.cfg);
    if (st == LT_EINTERRUPTED) {
        return 128 + lt_interrupt_pending();
    }
    lt_interrupt_uninstall();
    return (int)st;
}
