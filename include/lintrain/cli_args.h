/* cli_args.h — the command-line options every subcommand shares: --config FILE,
 * --set key.path=VALUE (repeatable, in order) and --out DIR, parsed the same way
 * everywhere and handed to lt_config_load. */
#ifndef LINTRAIN_CLI_ARGS_H
#define LINTRAIN_CLI_ARGS_H

#include <stddef.h>

typedef struct {
    const char *config;   /* borrowed from argv; NULL when not given */
    const char **sets;    /* owned array; elements borrowed from argv (but out_set) */
    size_t n_sets;
    char *out_set;        /* owned: "output.dir=<DIR as a JSON string>", or NULL */
} lt_cli_config_args;

/* Prepares a for at most argc options; returns 0, or -1 when out of memory. */
int lt_cli_config_args_init(lt_cli_config_args *a, int argc);

/* The value of argv[*i] when it is option name given as "NAME VALUE" (then *i moves
 * to VALUE) or "NAME=VALUE"; NULL when argv[*i] is another option or lacks a value. */
const char *lt_cli_option_value(const char *name, int argc, char **argv, int *i);

/* Consumes argv[*i] when it is --config, --set, or (with allow_out) --out. Returns 1
 * when consumed, 0 when argv[*i] is none of them, -1 when out of memory. */
int lt_cli_config_option(lt_cli_config_args *a, int allow_out, int argc, char **argv, int *i);

/* Appends the --out override last, so that it wins over any --set output.dir. Call
 * once, after the last option. */
void lt_cli_config_args_finish(lt_cli_config_args *a);

/* Appends "output.dir=DIR" as the last override (for --resume DIR, after
 * lt_cli_parse). Returns 0, or -1 when out of memory. */
int lt_cli_config_args_set_out(lt_cli_config_args *a, const char *dir);

void lt_cli_config_args_free(lt_cli_config_args *a);

/* A subcommand's own options: consumes argv[*i] (moving *i past a value) and returns
 * 1, or returns 0 when argv[*i] is not one of them, or an exit status >= 2 after
 * printing why the value is wrong. */
typedef int (*lt_cli_extra_fn)(void *ctx, int argc, char **argv, int *i);

/* Parses argv[1..argc) of subcommand command: --help/-h sets *help; --config, --set
 * (and --out when allow_out) fill a (initialised here; free it with
 * lt_cli_config_args_free in every case); anything else goes to extra (may be NULL);
 * what nobody takes is an error, with a "did you mean" among the shared options and
 * options, the "|"-separated names of the ones extra takes (may be NULL). Returns 0,
 * or the exit status to return (1 when out of memory, 2 usage).
 * lt_cli_config_args_finish has been called on success. */
int lt_cli_parse(const char *command, const char *options, int argc, char **argv,
                 int allow_out, lt_cli_config_args *a, int *help, lt_cli_extra_fn extra,
                 void *ctx);

/* lt_cli_parse for the subcommands whose only own option is --run DIR (required
 * unless --help is given). */
int lt_cli_parse_run(const char *command, int argc, char **argv, lt_cli_config_args *a,
                     const char **dir, int *help);

/* Prints "lintrain: unknown or incomplete option ..." for arg, or "unknown option ...
 * (did you mean ...?)" when one of the "|"-separated options (may be NULL) is close to
 * it, and returns 2. */
int lt_cli_bad_option(const char *command, const char *arg, const char *options);

/* Prints each line of a config's notes (lt_config.notes, may be NULL) to stderr as
 * "lintrain: LINE". */
void lt_cli_print_notes(const char *notes);

/* Whether arg is --help or -h. */
int lt_cli_is_help(const char *arg);

/* Strict numbers for option values (strtoull / strtod, the whole string, no overflow,
 * finite). Print "lintrain: OPTION: ..." and return 2 when s is not one; else 0. */
int lt_cli_parse_count(const char *option, const char *s, size_t *out);
int lt_cli_parse_positive(const char *option, const char *s, double *out);

#endif
