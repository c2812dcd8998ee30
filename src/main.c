/* main.c — lintrain's entry point: the table of subcommands, the top-level usage made
 * from it, and the dispatch. Adding a subcommand is adding a row. */
#include <stdio.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/common.h"
#include "lintrain/suggest.h"

/* synopsis: the usage after "lintrain "; a line of its own that starts with "lintrain"
 * is a second form, any other continues the line before (indented as it will print). */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;
    const char *summary;
} COMMANDS[] = {
    {"train", lt_cli_train,
     "[train] --config FILE [--set KEY=VALUE]... [--out DIR] [--force] [--quiet]\n"
     "lintrain [train] --resume DIR [--quiet]",
     "train into a run folder (the default: lintrain --config FILE trains)"},
    {"check", lt_cli_check, "check --config FILE [--set key.path=VALUE]... [--out DIR]",
     "validate a config and print it resolved"},
    {"gradcheck", lt_cli_gradcheck,
     "gradcheck --config FILE [--set ...] [--samples N] [--checks K] [--h H]\n"
     "                   [--seed S]",
     "check the analytic gradient against centered differences"},
    {"eval", lt_cli_eval, "eval --run DIR [--config FILE] [--set ...]",
     "evaluate a finished run: accuracy, per-class accuracy, confusion matrix"},
    {"predict", lt_cli_predict,
     "predict --run DIR [--top K] [--json] [--config FILE] [--set ...]\n"
     "                 IMAGE.png...",
     "classify PNG images with a finished run"},
    {"plot", lt_cli_plot, "plot --run DIR [--config FILE] [--set ...]",
     "redraw a finished run's pictures"},
    {"toy", lt_cli_toy, "toy --function NAME --optimizer NAME [--steps N] [--lr LR] ...",
     "an optimizer's path on a 2-D test function"},
    {"cache", lt_cli_cache, "cache --list | --clear [KEY]",
     "list or remove the feature cache's entries"},
    {"config", lt_cli_config, "config --reference [--man]",
     "print the config reference (Markdown, or the man page's key list) from the schema"},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const char INTRO[] =
    "Trains a linear classifier (softmax or multiclass SVM) on CIFAR-10 as the JSON\n"
    "config FILE says, and writes a run folder (config.json, metrics.jsonl,\n"
    "summary.json, weights.npy, bias.npy, preprocess.npy, templates.png).\n";

/* The top-level usage: every synopsis, the subcommands, then train's options (train is
 * the command a bare `lintrain --config FILE` runs). */
static void usage(FILE *f)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fputs(i ? "       lintrain " : "usage: lintrain ", f);
        for (const char *c = COMMANDS[i].synopsis; *c; c++) {
            fputc(*c, f);
            if (*c == '\n') {
                fputs("       ", f);
            }
        }
        fputc('\n', f);
    }
    fprintf(f, "       lintrain SUBCOMMAND --help | lintrain --help | --version\n\n%s\n", INTRO);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(f, "  %-11s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    }
    fprintf(f, "\nSee lintrain SUBCOMMAND --help and man lintrain. Options of train:\n\n%s",
            lt_cli_train_options());
}

/* "unknown command" with a "did you mean" among the subcommands. */
static int unknown_command(const char *name)
{
    char names[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < N_COMMANDS && len < sizeof names; i++) {
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? "|" : "",
                                COMMANDS[i].name);
    }
    size_t n;
    const char *best = lt_suggest(name, names, &n);
    if (best) {
        fprintf(stderr, "lintrain: unknown command \"%s\" (did you mean \"%.*s\"? try lintrain "
                "--help)\n", name, (int)n, best);
    } else {
        fprintf(stderr, "lintrain: unknown command \"%s\" (try lintrain --help)\n", name);
    }
    return LT_ECONFIG;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        /* A bare `lintrain` would train on the full set with every default: show how
         * to call it instead. */
        usage(stderr);
        return LT_ECONFIG;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("lintrain %s\n", LT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], COMMANDS[i].name) == 0) {
            return COMMANDS[i].run(argc - 1, argv + 1);
        }
    }
    if (argv[1][0] != '-') {
        return unknown_command(argv[1]);
    }
    return lt_cli_train(argc, argv);
}
