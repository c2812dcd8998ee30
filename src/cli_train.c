/* cli_train.c — `lintrain [train]`: the command line, and the console that shows a
 * run as it goes (lines on stdout; a progress bar on stderr when it is a terminal). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/config.h"
#include "lintrain/curves.h"
#include "lintrain/fsutil.h"
#include "lintrain/interrupt.h"
#include "lintrain/train.h"

static const char USAGE[] =
    "usage: lintrain [train] --config FILE [--set key.path=VALUE]... [--out DIR] [--quiet]\n"
    "       lintrain [train] --resume DIR [--quiet]\n"
    "       lintrain gradcheck --config FILE [--set ...] [--samples N] [--checks K] [--h H]\n"
    "                          [--seed S]\n"
    "       lintrain eval --run DIR [--config FILE] [--set ...]\n"
    "       lintrain predict --run DIR [--top K] [--json] [--config FILE] [--set ...]\n"
    "                        IMAGE.png...\n"
    "       lintrain plot --run DIR [--config FILE] [--set ...]\n"
    "       lintrain toy --function NAME --optimizer NAME [--steps N] [--lr LR] ...\n"
    "       lintrain SUBCOMMAND --help | lintrain --help | --version\n"
    "\n"
    "Trains a linear classifier (softmax or multiclass SVM) on CIFAR-10 as the JSON\n"
    "config FILE says, and writes a run folder (config.json, metrics.jsonl,\n"
    "summary.json, weights.npy, bias.npy, preprocess.npy, templates.png). gradcheck\n"
    "checks the gradient, eval and predict use a finished run, plot redraws its\n"
    "pictures; see lintrain SUBCOMMAND --help and man lintrain.\n"
    "\n"
    "  --config FILE          the run's config (JSON); see README.md for every key\n"
    "  --set key.path=VALUE   override one key, e.g. --set optimizer.lr=3e-4;\n"
    "                         VALUE is parsed as JSON, else taken as a string; repeatable\n"
    "  --out DIR              the run folder (same as --set output.dir=DIR)\n"
    "  --resume DIR           continue the run in DIR from its checkpoint.bin, with its\n"
    "                         own config.json\n"
    "  --quiet, -q            print only the final one-line summary\n"
    "\n"
    "SIGINT or SIGTERM (Ctrl-C) finishes the update under way, writes DIR/checkpoint.bin\n"
    "and exits with 130 or 143; a second one stops at once.\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 config or usage error, 3 diverged,\n"
    "130/143 interrupted (resumable).\n";

const char *lt_cli_usage(void)
{
    return USAGE;
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
    printf("training on %zu images (%zu validation, %zu test): ", info->n_train, info->n_val,
           info->n_test);
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

static void on_progress(void *ctx, long long done, long long total, double seconds)
{
    console *c = ctx;
    if (!c->bar || (done < total && seconds - c->last_draw < 0.1)) {
        return;
    }
    c->last_draw = done < total ? seconds : 0.0;
    enum { WIDTH = 30 };
    int filled = (int)(WIDTH * done / total);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++) {
        bar[i] = i < filled ? '#' : '-';
    }
    bar[WIDTH] = '\0';
    double rate = seconds > 0 ? (double)done * (double)c->batch / seconds : 0.0;
    double eta = done > 0 ? seconds * (double)(total - done) / (double)done : 0.0;
    fprintf(stderr, "\r\033[Kepoch %lld/%lld [%s] %lld/%lld  %.0f img/s  ETA %.0fs", c->epoch,
            c->epochs, bar, done, total, rate, eta);
    fflush(stderr);
    c->bar_shown = true;
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
    if (lt_curves_draw(dir, &note) != LT_CURVES_WRITTEN && note.msg[0]) {
        fprintf(stderr, "lintrain: warning: %s\n", note.msg);
    }
}

typedef struct {
    lt_cli_config_args cfg;   /* --config, --set, --out */
    const char *resume;       /* run folder to continue, or NULL */
    char config_buf[LT_PATH_MAX]; /* DIR/config.json for --resume */
    bool quiet, help;
} train_args;

static int train_option(void *ctx, int argc, char **argv, int *i)
{
    train_args *a = ctx;
    const char *v;
    if (strcmp(argv[*i], "--quiet") == 0 || strcmp(argv[*i], "-q") == 0) {
        a->quiet = true;
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
    int rc = lt_cli_parse(NULL, argc, argv, 1, &a->cfg, &help, train_option, a);
    a->help = help;
    if (rc == 0 && a->resume && !a->help) {
        rc = resume_args(a);
    }
    return rc;
}

int lt_cli_train(int argc, char **argv)
{
    train_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && a.help) {
        fputs(USAGE, stdout);
    }
    if (rc != 0 || a.help) {
        lt_cli_config_args_free(&a.cfg);
        return rc;
    }
    lt_config cfg;
    lt_error err = {{0}};
    lt_status st = lt_config_load(&cfg, a.cfg.config, a.cfg.sets, a.cfg.n_sets, &err);
    if (st == LT_OK) {
        console c = {0};
        c.quiet = a.quiet;
        c.bar = !a.quiet && isatty(STDERR_FILENO);
        lt_train_observer obs = {&c, on_start, on_step, on_progress, on_epoch, on_trial};
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
    lt_config_free(&cfg);
    lt_cli_config_args_free(&a.cfg);
    if (st == LT_EINTERRUPTED) {
        return 128 + lt_interrupt_pending();
    }
    lt_interrupt_uninstall();
    return (int)st;
}
