/* test_layout.c — prefix = file: every function liblintrain exports from src/X.c is
 * named lt_X_* (or lt_X), so a name says which file holds it. Read from the archive
 * beside this program (build/MODE/liblintrain.a) with nm.
 *
 * A module may span files X.c, X_Y.c, ...: lt_X_* may live in any of them (train.c and
 * its drivers train_lbfgs.c, train_search.c; the JSON engine jsonconf*.c, whose files
 * share their internals under jc_, declared in src/jsonconf_impl.h). Outside the rule:
 * common.c and fsutil.c, the base vocabulary every module uses (lt_fail, lt_calloc,
 * lt_path_join, ...), and cli_*.c, which share lt_cli_. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

static char archive[4096];

/* Names outside the rule on purpose (a prefix: every symbol that begins with it). */
static const struct {
    const char *module, *prefix;
} KNOWN[] = {
    {"optim", "lt_optimizer_"},  /* the optimizer object (lt_optimizer) of optim.h */
    {"jsonconf", "jc_"},         {"jsonconf_read", "jc_"}, {"jsonconf_value", "jc_"},
};

static int exempt(const char *module, const char *symbol)
{
    static const char *const base[] = {"common", "fsutil"};
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        if (strcmp(module, base[i]) == 0) {
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++) {
        if (strcmp(module, KNOWN[i].module) == 0 &&
            strncmp(symbol, KNOWN[i].prefix, strlen(KNOWN[i].prefix)) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Whether symbol is module's: lt_MODULE or lt_MODULE_*, lt_cli_* for cli_*.c. */
static int belongs(const char *module, const char *symbol)
{
    char prefix[256];
    if (strncmp(module, "cli_", 4) == 0) {
        return strncmp(symbol, "lt_cli_", 7) == 0;
    }
    snprintf(prefix, sizeof prefix, "lt_%s", module);
    size_t n = strlen(prefix);
    if (strncmp(symbol, prefix, n) == 0 && (symbol[n] == '\0' || symbol[n] == '_')) {
        return 1;
    }
    /* X_Y.c is a file of module X too. */
    const char *underscore = strrchr(module, '_');
    if (!underscore) {
        return 0;
    }
    char family[256];
    snprintf(family, sizeof family, "%.*s", (int)(underscore - module), module);
    return belongs(family, symbol);
}

static void test_prefix_is_file(void **state)
{
    (void)state;
    char cmd[4200], *out = NULL;
    snprintf(cmd, sizeof cmd, "nm --defined-only -g '%s'", archive);
    if (tu_run(cmd, &out) != 0) {
        fail_msg("%s", out);
    }
    char module[256] = "", wrong[4096] = "";
    size_t len = 0, functions = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *colon = strstr(line, ".o:");
        char type, symbol[256];
        if (colon && colon[3] == '\0') {
            snprintf(module, sizeof module, "%.*s", (int)(colon - line), line);
        } else if (sscanf(line, "%*s %c %255s", &type, symbol) == 2 && type == 'T') {
            functions++;
            if (!exempt(module, symbol) && !belongs(module, symbol) && len < sizeof wrong) {
                len += (size_t)snprintf(wrong + len, sizeof wrong - len, " %s.c:%s", module,
                                        symbol);
            }
        }
    }
    free(out);
    assert_true(functions > 100);
    if (len > 0) {
        fail_msg("functions named after another file than theirs:%s", wrong);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    /* argv[0] is build/MODE/tests/test_layout: the archive is build/MODE/liblintrain.a */
    snprintf(archive, sizeof archive, "%s", argv[0]);
    char *slash = strrchr(archive, '/');
    assert_non_null(slash);
    *slash = '\0';
    slash = strrchr(archive, '/');
    size_t at = slash ? (size_t)(slash + 1 - archive) : 0;
    snprintf(archive + at, sizeof archive - at, "liblintrain.a");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_is_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
