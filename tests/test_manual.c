/* test_manual.c — the man page and the --help texts agree: each subcommand's
 * options in `lintrain SUBCOMMAND --help` are exactly those of its SYNOPSIS line in
 * lintrain.1, every config key (as resolved with its default) has an entry, and
 * docs/development.md lists each make target once. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include <cmocka.h>

#include "lintrain/config.h"
#include "testutil.h"

#define MAX_OPTS 32

typedef struct {
    char names[MAX_OPTS][32];
    size_t n;
} optset;

static void add(optset *s, const char *name, size_t len)
{
    if (len >= sizeof s->names[0]) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (strlen(s->names[i]) == len && strncmp(s->names[i], name, len) == 0) {
            return;
        }
    }
    assert_true(s->n < MAX_OPTS);
    memcpy(s->names[s->n], name, len);
    s->names[s->n++][len] = '\0';
}

/* Every "--word" in text (roff writes it "\-\-word"), but --help and --version. */
static optset options_in(const char *text, int roff)
{
    optset s = {0};
    const char *dash = roff ? "\\-\\-" : "--";
    size_t dl = strlen(dash);
    for (const char *p = strstr(text, dash); p; p = strstr(p + 1, dash)) {
        const char *w = p + dl;
        size_t len = 0;
        while (islower((unsigned char)w[len]) || w[len] == '-') {
            len++;
        }
        if (len > 0 && strncmp(w, "help", len) != 0 && strncmp(w, "version", len) != 0) {
            add(&s, w, len);
        }
    }
    return s;
}

static int has(const optset *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The SYNOPSIS entry of a subcommand: from ".B lintrain NAME" (or the first one, for
 * train) to the next ".br". */
static char *synopsis_of(const char *man, const char *name)
{
    const char *syn = strstr(man, ".SH SYNOPSIS");
    assert_non_null(syn);
    char head[64];
    snprintf(head, sizeof head, ".B lintrain %s\n", name);
    const char *start = name[0] ? strstr(syn, head) : strstr(syn, ".B lintrain\n");
    assert_non_null(start);
    const char *end = strstr(start, ".br");
    assert_non_null(end);
    return strndup(start, (size_t)(end - start));
}

static void test_help_matches_synopsis(void **state)
{
    (void)state;
    char *man = tu_read_file("lintrain.1", NULL);
    assert_non_null(man);
    const char *subs[] = {"", "check", "gradcheck", "eval", "predict", "plot", "toy",
                          "config"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char cmd[128], *help = NULL;
        snprintf(cmd, sizeof cmd, "./lintrain %s --help", subs[i]);
        assert_int_equal(tu_run(cmd, &help), 0);
        /* train's help also lists the other subcommands' usage: use its first line */
        if (!subs[i][0]) {
            *strchr(help, '\n') = '\0';
        }
        char *syn = synopsis_of(man, subs[i]);
        optset h = options_in(help, 0), m = options_in(syn, 1);
        for (size_t k = 0; k < h.n; k++) {
            if (!has(&m, h.names[k])) {
                fail_msg("lintrain %s --help has --%s, the man page's synopsis does not",
                         subs[i], h.names[k]);
            }
        }
        for (size_t k = 0; k < m.n; k++) {
            if (!has(&h, m.names[k])) {
                fail_msg("the man page's synopsis of %s has --%s, --help does not", subs[i],
                         m.names[k]);
            }
        }
        assert_true(h.n > 0);
        free(syn);
        free(help);
    }
    free(man);
}

static void test_every_config_key_documented(void **state)
{
    (void)state;
    char *man = tu_read_file("lintrain.1", NULL);
    assert_non_null(man);
    lt_config cfg;
    lt_error err = {{0}};
    assert_int_equal(lt_config_load(&cfg, NULL, NULL, 0, &err), LT_OK);
    char *json = lt_config_to_json(&cfg);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    size_t keys = 0;
    for (cJSON *sec = root->child; sec; sec = sec->next) {
        for (cJSON *k = sec->child; k; k = k->next) {
            char entry[256];
            snprintf(entry, sizeof entry, "\n.B %s.%s\n", sec->string, k->string);
            if (!strstr(man, entry)) {
                fail_msg("config key %s.%s has no entry in lintrain.1", sec->string,
                         k->string);
            }
            keys++;
        }
    }
    assert_true(keys >= 20);
    cJSON_Delete(root);
    free(json);
    lt_config_free(&cfg);
    free(man);
}

/* docs/development.md's Building list has one entry per make target: none twice. */
static void test_make_targets_listed_once(void **state)
{
    (void)state;
    char *readme = tu_read_file("docs/development.md", NULL);
    assert_non_null(readme);
    const char *targets[] = {"", "deps", "test", "test-slurm", "sanitize", "fuzz", "memcheck",
                             "bench", "reproduce", "install", "uninstall", "clean"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        char entry[64];
        snprintf(entry, sizeof entry, "\n- `make%s%s`", targets[i][0] ? " " : "", targets[i]);
        int n = 0;
        for (const char *p = readme; (p = strstr(p, entry)) != NULL; p++) {
            n++;
        }
        if (n > 1) {
            fail_msg("docs/development.md lists \"make %s\" %d times", targets[i], n);
        }
    }
    assert_non_null(strstr(readme, "\n- `make install`"));
    free(readme);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_matches_synopsis),
        cmocka_unit_test(test_every_config_key_documented),
        cmocka_unit_test(test_make_targets_listed_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
