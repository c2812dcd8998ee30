/* cli.h — the subcommands main() dispatches to. Each returns the exit status. */
#ifndef LINTRAIN_CLI_H
#define LINTRAIN_CLI_H

/* lintrain [train] --config FILE [--set key.path=VALUE]... [--out DIR] [--quiet] */
int lt_cli_train(int argc, char **argv);

/* The top-level usage text. */
const char *lt_cli_usage(void);

#endif
