/* cli_config.c — `lintrain config --reference [--man]`: the config reference,
 * generated from the schema (config_doc.h). */
#include <stdio.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/config_doc.h"

static const char USAGE[] =
    "usage: lintrain config --reference [--man]\n"
    "\n"
    "Prints the reference of every config key, generated from the schema: path, type,\n"
    "default, range or choices, which choices use it, and what it does; Markdown\n"
    "(docs/config.md), or with --man the key list of the man page.\n"
    "\n"
    "  --reference            print the reference (required)\n"
    "  --man                  as roff, for lintrain.1\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 usage error.\n";

int lt_cli_config(int argc, char **argv)
{
    int reference = 0, man = 0;
    for (int i = 1; i < argc; i++) {
        if (lt_cli_is_help(argv[i])) {
            fputs(USAGE, stdout);
            return 0;
        } else if (strcmp(argv[i], "--reference") == 0) {
            reference = 1;
        } else if (strcmp(argv[i], "--man") == 0) {
            man = 1;
        } else {
            return lt_cli_bad_option("config", argv[i], "--reference|--man");
        }
    }
    if (!reference) {
        fprintf(stderr, "lintrain: config needs --reference (try lintrain config --help)\n");
        return 2;
    }
    lt_error err = {{0}};
    lt_status st = man ? lt_config_doc_man(stdout, &err) : lt_config_doc_markdown(stdout, &err);
    if (st == LT_OK && fflush(stdout) != 0) {
        st = lt_fail(&err, LT_ERR, "stdout: write error");
    }
    if (st != LT_OK) {
        fprintf(stderr, "lintrain: %s\n", err.msg);
        return 1;
    }
    return 0;
}
