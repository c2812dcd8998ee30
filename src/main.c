/* main.c — lintrain's entry point: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/common.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        /* A bare `lintrain` would train on the full set with every default: show how
         * to call it instead. */
        fputs(lt_cli_usage(), stderr);
        return LT_ECONFIG;
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(lt_cli_usage(), stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("lintrain %s\n", LT_VERSION);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "train") == 0) {
        return lt_cli_train(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "gradcheck") == 0) {
        return lt_cli_gradcheck(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "eval") == 0) {
        return lt_cli_eval(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "predict") == 0) {
        return lt_cli_predict(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "plot") == 0) {
        return lt_cli_plot(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "toy") == 0) {
        return lt_cli_toy(argc - 1, argv + 1);
    }
    if (argc >= 2 && argv[1][0] != '-') {
        fprintf(stderr, "lintrain: unknown command \"%s\" (try lintrain --help)\n", argv[1]);
        return LT_ECONFIG;
    }
    return lt_cli_train(argc, argv);
}
