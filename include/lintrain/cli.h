/* cli.h — the subcommands main.c's table dispatches to. Each returns the exit status. */
#ifndef LINTRAIN_CLI_H
#define LINTRAIN_CLI_H

#include <stddef.h>

/* lintrain [train] --config FILE [--set key.path=VALUE]... [--out DIR] [--quiet] */
int lt_cli_train(int argc, char **argv);

/* lintrain check --config FILE [--set key.path=VALUE]... [--out DIR] */
int lt_cli_check(int argc, char **argv);

/* lintrain gradcheck --config FILE [--set ...] [--samples N] [--checks K] [--h H] [--seed S] */
int lt_cli_gradcheck(int argc, char **argv);

/* lt_cli_gradcheck with gradcheck.h's test-only hook on the analytic gradient. */
int lt_cli_gradcheck_hooked(int argc, char **argv, void (*tamper)(double *analytic, size_t n));

/* lintrain eval --run DIR [--config FILE] [--set ...] */
int lt_cli_eval(int argc, char **argv);

/* lintrain predict --run DIR [--top K] [--json] [--config FILE] [--set ...] IMAGE.png... */
int lt_cli_predict(int argc, char **argv);

/* lintrain plot --run DIR [--config FILE] [--set ...] */
int lt_cli_plot(int argc, char **argv);

/* lintrain toy --function NAME --optimizer NAME [--steps N] [--lr LR] [--start X,Y]
 *             [--noise S] [--cond K] [--seed S] [--out FILE] [--config FILE] [--set ...] */
int lt_cli_toy(int argc, char **argv);

/* lintrain cache --list | --clear [KEY] */
int lt_cli_cache(int argc, char **argv);

/* lintrain config --reference [--man] */
int lt_cli_config(int argc, char **argv);

/* train's options, notes and exit statuses: the end of both `lintrain train --help`
 * and the top-level usage (main.c). */
const char *lt_cli_train_options(void);

#endif
