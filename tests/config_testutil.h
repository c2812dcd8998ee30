/* config_testutil.h — what the config tests (test_config*.c, test_jsonconf.c) share:
 * a temporary folder per test, config files written there, loads that must succeed or
 * fail with given words in the message. Include after cmocka.h. */
#ifndef LINTRAIN_CONFIG_TESTUTIL_H
#define LINTRAIN_CONFIG_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>

#include "testutil.h"

#include "lintrain/config.h"

/* The value at the dotted path of a resolved tree, or NULL. */
static inline cJSON *tree_get(void *resolved, const char *path, size_t len)
{
    cJSON *v = resolved;
    const char *p = path, *end = path + len;
    while (v && p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        cJSON *m = NULL;
        for (cJSON *c = cJSON_IsObject(v) ? v->child : NULL; c && !m; c = c->next) {
            m = strlen(c->string) == n && strncmp(c->string, p, n) == 0 ? c : NULL;
        }
        v = m;
        p += n + 1;
    }
    return v;
}

/* ---- helpers --------------------------------------------------------------------- */

static inline int setup_dir(void **state)
{
    *state = tu_mkdtemp();
    return 0;
}

static inline int remove_dir(void **state)
{
    tu_rmtree(*state);
    free(*state);
    return 0;
}

/* Writes text to dir/name; returns the path (free it). */
static inline char *put(const char *dir, const char *name, const char *text)
{
    char *path = tu_join(dir, name);
    tu_write_file(path, text, strlen(text));
    return path;
}

/* Fails the test, showing msg, unless msg contains needle. */
static inline void assert_has(const char *msg, const char *needle)
{
    if (!strstr(msg, needle)) {
        print_error("message:  %s\nexpected: ...%s...\n", msg, needle);
        fail();
    }
}

static inline void assert_starts(const char *msg, const char *prefix)
{
    if (strncmp(msg, prefix, strlen(prefix)) != 0) {
        print_error("message:  %s\nexpected to start with: %s\n", msg, prefix);
        fail();
    }
}

static inline void assert_empty_config(const lt_config *cfg)
{
    lt_config zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(cfg, &zero, sizeof zero);
}

/* Loads json from dir/config.json (json NULL: no file) with sets; the load must succeed. */
static inline void load_ok(const char *dir, const char *json, const char *const *sets,
                           size_t n_sets, lt_config *cfg)
{
    char *path = json ? put(dir, "config.json", json) : NULL;
    lt_error err = {{0}};
    lt_status st = lt_config_load(cfg, path, sets, n_sets, &err);
    if (st != LT_OK) {
        print_error("unexpected failure: %s\n", err.msg);
    }
    assert_int_equal(st, LT_OK);
    assert_non_null(cfg->resolved);
    free(path);
}

/* Loads json from dir/config.json with sets: it must fail with LT_ECONFIG, leave the
 * config empty, and give one line that contains each needle (a NULL-ended list). The
 * message is copied to msg_out when non-NULL. */
static inline void expect_error(const char *dir, const char *json, const char *const *sets,
                                size_t n_sets, char *msg_out, ...)
{
    char *path = put(dir, "config.json", json);
    lt_config cfg;
    lt_error err = {{0}};
    memset(&cfg, 0xab, sizeof cfg);  /* the load must empty it, whatever it held */
    lt_status st = lt_config_load(&cfg, path, sets, n_sets, &err);
    if (st != LT_ECONFIG) {
        print_error("status %d, message: %s\n", (int)st, err.msg);
    }
    assert_int_equal(st, LT_ECONFIG);
    assert_empty_config(&cfg);
    /* One line; a JSON syntax error adds the file's line and a caret under it. */
    const char *nl = strchr(err.msg, '\n');
    if (strstr(err.msg, "invalid JSON")) {
        assert_non_null(nl);
        assert_non_null(strchr(nl + 1, '\n'));
        assert_null(strchr(strchr(nl + 1, '\n') + 1, '\n'));
    } else {
        assert_null(nl);
    }
    va_list ap;
    va_start(ap, msg_out);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;) {
        assert_has(err.msg, needle);
    }
    va_end(ap);
    if (msg_out) {
        memcpy(msg_out, err.msg, sizeof err.msg);
    }
    lt_config_free(&cfg);
    free(path);
}

/* The same without --set. */
#define EXPECT(dir, json, ...) expect_error((dir), (json), NULL, 0, NULL, __VA_ARGS__, NULL)

static inline bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}


#endif
