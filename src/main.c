/* main.c — lintrain's entry point: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/common.h"
#include "lintrain/suggest.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} COMMANDS[] = {
    {"train", lt_cli_train},   {"check", lt_cli_check}, {"gradcheck", lt_cli_gradcheck},
    {"eval", lt_cli_eval},     {"predict", lt_cli_predict}, {"plot", lt_cli_plot},
    {"toy", lt_cli_toy},       {"config", lt_cli_config},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

/* "unknown command" with a "did you mean" among the subcommands. */
static int unknown_command(const char *name)
{
    char names[128] = "";
    for (size_t i = 0; i < N_COMMANDS; i++) {
        strcat(strcat(names, i ? "|" : ""), COMMANDS[i].name);
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
        fputs(lt_cli_usage(), stderr);
        return LT_ECONFIG;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(lt_cli_usage(), stdout);
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
