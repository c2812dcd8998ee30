/* test_layout.c — the house's shape, checked. Sizes: no file over 700 lines, no
 * function over 80 (but the ports listed), no line over 100 characters. Prefix = file:
 * every function liblintrain exports from src/X.c is named lt_X_* (or lt_X), so a name
 * says which file holds it. Read from the archive
 * beside this program (build/MODE/liblintrain.a) with nm.
 *
 * A module may span files X.c, X_Y.c, ...: lt_X_* may live in any of them (train.c and
 * its drivers train_lbfgs.c, train_search.c; the JSON engine jsonconf*.c, whose files
 * share their internals under jc_, declared in src/jsonconf_impl.h). Outside the rule:
 * common.c and fsutil.c, the base vocabulary every module uses (lt_fail, lt_calloc,
 * lt_path_join, ...), and cli_*.c, which share lt_cli_. */
#include <glob.h>
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

/* ---- sizes a reader can hold: files, functions, lines -------------------------------- */

#define MAX_FILE_LINES 700
#define MAX_FUNCTION_LINES 80
#define MAX_LINE_CHARS 100

/* Functions allowed to be longer: ports kept line by line beside their source. */
static const char *const LONG_FUNCTIONS[] = {
    "strong_wolfe(",  /* src/lbfgs.c: PyTorch's _strong_wolfe, line for line */
};

static int long_allowed(const char *header)
{
    for (size_t i = 0; i < sizeof LONG_FUNCTIONS / sizeof LONG_FUNCTIONS[0]; i++) {
        if (strstr(header, LONG_FUNCTIONS[i])) {
            return 1;
        }
    }
    return 0;
}

/* Characters of a UTF-8 line (continuation bytes not counted). */
static size_t utf8_length(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) {
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return chars;
}

/* Appends to report what breaks a limit in file path. A function is what lies between
 * a "{" and a "}" alone at the start of a line (the house style); its header is the
 * two lines before the "{" (a signature may wrap). */
static void check_sizes(const char *path, char *report, size_t cap)
{
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    size_t len = strlen(report), lineno = 0, opened = 0;
    const char *prev2 = "", *prev = "";
    char header[512] = "";
    size_t size = strlen(text);
    if (size > 0 && text[size - 1] == '\n') {
        text[size - 1] = '\0';  /* the last line's newline ends it, it starts none */
    }
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        size_t n = next ? (size_t)(next - line) : strlen(line);
        if (next) {
            *next++ = '\0';
        }
        lineno++;
        if (utf8_length(line, n) > MAX_LINE_CHARS && len < cap) {
            len += (size_t)snprintf(report + len, cap - len, " %s:%zu(line)", path, lineno);
        }
        if (strcmp(line, "{") == 0) {
            opened = lineno;
            snprintf(header, sizeof header, "%s %s", prev2, prev);
        } else if (strcmp(line, "}") == 0 && opened) {
            if (lineno - opened + 2 > MAX_FUNCTION_LINES && !long_allowed(header) &&
                len < cap) {
                len += (size_t)snprintf(report + len, cap - len, " %s:%zu(function)", path,
                                        opened);
            }
            opened = 0;
        }
        prev2 = prev;
        prev = line;
    }
    if (lineno > MAX_FILE_LINES && len < cap) {
        len += (size_t)snprintf(report + len, cap - len, " %s(%zu lines)", path, lineno);
    }
    free(text);
}

static void test_sizes(void **state)
{
    (void)state;
    static const char *const patterns[] = {"src/*.c", "src/*.h", "include/lintrain/*.h",
                                           "tests/*.c", "tests/*.h", "tests/fuzz/*.c",
                                           "tests/cluster/*.c", "scripts/*.c"};
    char report[4096] = "";
    size_t files = 0;
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        glob_t g;
        if (glob(patterns[p], 0, NULL, &g) != 0) {
            continue;
        }
        for (size_t i = 0; i < g.gl_pathc; i++, files++) {
            check_sizes(g.gl_pathv[i], report, sizeof report);
        }
        globfree(&g);
    }
    assert_true(files > 80);
    if (report[0]) {
        fail_msg("over the limits (file %d lines, function %d lines, line %d characters):%s",
                 MAX_FILE_LINES, MAX_FUNCTION_LINES, MAX_LINE_CHARS, report);
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
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
