/* jsonconf_read.c — the engine's first steps (jsonconf.h): names and paths in key
 * tables and trees, reading the file, applying --set overrides, and the shape check
 * (unknown keys with a "did you mean", duplicates, sections that are not objects). */
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jsonconf_impl.h"
#include "lintrain/json_diag.h"
#include "lintrain/suggest.h"

/* ---- names, paths and suggestions ------------------------------------------------- */

/* The i-th "|"-separated token of list as (*s, *len); false past the end. */
bool jc_token_at(const char *list, size_t i, const char **s, size_t *len)
{
    const char *p = list;
    for (; i > 0; i--) {
        p = strchr(p, '|');
        if (!p) {
            return false;
        }
        p++;
    }
    const char *bar = strchr(p, '|');
    *s = p;
    *len = bar ? (size_t)(bar - p) : strlen(p);
    return true;
}

/* The i-th valid string of a key with choices or a name table; false past the end. */
bool jc_choice_at(const lt_jc_key *k, size_t i, const char **s, size_t *len)
{
    if (k->name_at) {
        *s = k->name_at(i);
        *len = *s ? strlen(*s) : 0;
        return *s != NULL;
    }
    return jc_token_at(k->choices, i, s, len);
}

bool jc_in_list(const char *list, const char *s)
{
    const char *t;
    size_t n;
    for (size_t i = 0; jc_token_at(list, i, &t, &n); i++) {
        if (strlen(s) == n && strncmp(s, t, n) == 0) {
            return true;
        }
    }
    return false;
}

bool jc_is_choice(const lt_jc_key *k, const char *s)
{
    const char *t;
    size_t n;
    for (size_t i = 0; jc_choice_at(k, i, &t, &n); i++) {
        if (strlen(s) == n && strncmp(s, t, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Bytes of path before its last '.' (0 for a section). */
size_t jc_parent_len(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? (size_t)(dot - path) : 0;
}

const char *jc_leaf_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

bool jc_is_child_of(const lt_jc_key *k, const char *parent)
{
    size_t n = jc_parent_len(k->path);
    return strlen(parent) == n && strncmp(k->path, parent, n) == 0;
}

/* The index of the key whose path is the first len bytes of path, or n_keys. */
size_t jc_find_key(const load_ctx *c, const char *path, size_t len)
{
    for (size_t i = 0; i < c->n_keys; i++) {
        if (strlen(c->keys[i].path) == len && strncmp(c->keys[i].path, path, len) == 0) {
            return i;
        }
    }
    return c->n_keys;
}

/* The key named name directly under the section parent ("" for the top level). */
const lt_jc_key *jc_find_child(const load_ctx *c, const char *parent, const char *name)
{
    for (size_t i = 0; i < c->n_keys; i++) {
        if (jc_is_child_of(&c->keys[i], parent) && strcmp(jc_leaf_of(c->keys[i].path), name) == 0) {
            return &c->keys[i];
        }
    }
    return NULL;
}

/* The member of obj whose key is the len bytes at name (keys are case-sensitive). */
cJSON *jc_member(const cJSON *obj, const char *name, size_t len)
{
    for (cJSON *m = obj ? obj->child : NULL; m; m = m->next) {
        if (m->string && strlen(m->string) == len && strncmp(m->string, name, len) == 0) {
            return m;
        }
    }
    return NULL;
}

/* The value at the dotted path made of the first len bytes of path; root when len 0. */
cJSON *jc_tree_get(cJSON *root, const char *path, size_t len)
{
    cJSON *v = root;
    const char *p = path, *end = path + len;
    while (v && p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        v = cJSON_IsObject(v) ? jc_member(v, p, n) : NULL;
        p += n + 1;
    }
    return v;
}

/* ---- reading the file -------------------------------------------------------------- */

/* The whole file, NUL-terminated, in *text (malloc'ed); *len excludes the NUL. */
static lt_status read_text(const load_ctx *c, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(c->path, "rb");
    if (!f) {
        return lt_fail(c->err, LT_ECONFIG, "%s: cannot open: %s", c->path, strerror(errno));
    }
    lt_status st = LT_OK;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    struct stat sb;
    /* fopen succeeds on a directory on Linux; only the read would fail, and vaguely. */
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        st = lt_fail(c->err, LT_ECONFIG, "%s: is a directory, not a config file", c->path);
        goto cleanup;
    }
    for (;;) {
        if (cap - n < 2) {
            size_t ncap = cap ? 2 * cap : 4096;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                st = jc_out_of_memory(c);
                goto cleanup;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > LT_JC_MAX_FILE_BYTES) {
            st = lt_fail(c->err, LT_ECONFIG, "%s: larger than %zu MiB; not a config file",
                         c->path, LT_JC_MAX_FILE_BYTES >> 20);
            goto cleanup;
        }
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        st = lt_fail(c->err, LT_ERR, "%s: read error: %s", c->path, strerror(errno));
        goto cleanup;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
cleanup:
    free(buf);
    fclose(f);
    return st;
}

/* "invalid JSON at line L, column C (byte B): WHY" and the line with a caret under
 * the column. WHY is the diagnoser's when it finds the mistake (its position then
 * replaces the parser's, which is often a few bytes past it), else why (may be ""). */
static lt_status json_error(const load_ctx *c, const char *text, size_t n, size_t at,
                            const char *why)
{
    char what[256], excerpt[512];
    if (!*why && lt_json_diag_diagnose(text, n, &at, what, sizeof what)) {
        why = what;
    }
    size_t line, col;
    lt_json_diag_position(text, at, &line, &col);
    lt_json_diag_excerpt(text, n, at, excerpt, sizeof excerpt);
    return lt_fail(c->err, LT_ECONFIG,
                   "%s: invalid JSON at line %zu, column %zu (byte %zu)%s%s\n%s", c->path, line,
                   col, at, *why ? ": " : "", why, excerpt);
}

/* The file's tree in *root, or a fresh {} without a file. */
lt_status jc_read_root(const load_ctx *c, cJSON **root)
{
    *root = NULL;
    if (!c->path) {
        *root = cJSON_CreateObject();
        return *root ? LT_OK : jc_out_of_memory(c);
    }
    char *text;
    size_t n;
    lt_status st = read_text(c, &text, &n);
    if (st != LT_OK) {
        return st;
    }
    const char *nul = memchr(text, '\0', n);
    const char *end = NULL;
    if (n == 0) {
        st = lt_fail(c->err, LT_ECONFIG, "%s: empty file (expected a JSON object)", c->path);
    } else if (nul) {
        /* cJSON stops at a NUL and would accept what precedes it. */
        st = json_error(c, text, n, (size_t)(nul - text), "a NUL byte");
    } else if (!(*root = cJSON_ParseWithOpts(text, &end, 1))) {
        /* end is where cJSON stopped: the same pointer as cJSON_GetErrorPtr(), without
         * reading a global. */
        st = json_error(c, text, n, end ? (size_t)(end - text) : 0, "");
    } else if (!cJSON_IsObject(*root)) {
        char got[SHOW_MAX + 32];
        st = lt_fail(c->err, LT_ECONFIG, "%s: the top level must be a JSON object, got %s",
                     c->path, jc_describe(*root, got, sizeof got));
        cJSON_Delete(*root);
        *root = NULL;
    }
    free(text);
    return st;
}

/* ---- --set overrides --------------------------------------------------------------- */

/* Whether the dotted path of len bytes has an empty component ("", ".a", "a..b", "a."). */
static bool has_empty_component(const char *path, size_t len)
{
    if (len == 0 || path[0] == '.' || path[len - 1] == '.') {
        return true;
    }
    for (size_t i = 1; i < len; i++) {
        if (path[i] == '.' && path[i - 1] == '.') {
            return true;
        }
    }
    return false;
}

/* Puts value at the dotted path keys (NUL-separated in place) of root, creating missing
 * sections; takes ownership of value. */
static lt_status put_value(const load_ctx *c, const char *set, cJSON *root, char *keys,
                           cJSON *value)
{
    cJSON *obj = root;
    char *name = keys;
    char *dot;
    while ((dot = strchr(name, '.')) != NULL) {
        *dot = '\0';
        cJSON *next = jc_member(obj, name, strlen(name));
        if (!next) {
            next = cJSON_CreateObject();
            if (!next || !cJSON_AddItemToObject(obj, name, next)) {
                cJSON_Delete(next);
                cJSON_Delete(value);
                return jc_out_of_memory(c);
            }
        } else if (!cJSON_IsObject(next)) {
            char tmp[SHOW_MAX + 8], got[SHOW_MAX + 32];
            jc_describe(next, got, sizeof got);
            cJSON_Delete(value);
            return lt_fail(c->err, LT_ECONFIG, "--set \"%s\": \"%s\" is %s, not an object",
                           jc_show(set, tmp, sizeof tmp), keys, got);
        }
        *dot = '.';  /* keys names the whole prefix in the message above */
        obj = next;
        name = dot + 1;
    }
    bool ok = jc_member(obj, name, strlen(name))
                  ? cJSON_ReplaceItemInObjectCaseSensitive(obj, name, value)
                  : cJSON_AddItemToObject(obj, name, value);
    if (!ok) {
        cJSON_Delete(value);
        return jc_out_of_memory(c);
    }
    return LT_OK;
}

/* Removes the value at the dotted path keys of root, if there is one. */
static void remove_value(cJSON *root, const char *keys)
{
    size_t plen = jc_parent_len(keys);
    cJSON *parent = jc_tree_get(root, keys, plen);
    const char *leaf = plen ? keys + plen + 1 : keys;
    cJSON *item = cJSON_IsObject(parent) ? jc_member(parent, leaf, strlen(leaf)) : NULL;
    if (item) {
        cJSON_Delete(cJSON_DetachItemViaPointer(parent, item));
    }
}

/* One "key.path=VALUE": VALUE is JSON when it parses as JSON, else a string; null
 * removes the key. */
static lt_status apply_set(const load_ctx *c, cJSON *root, const char *set)
{
    char tmp[SHOW_MAX + 8];
    if (!set) {
        return lt_fail(c->err, LT_ECONFIG, "--set: missing KEY.PATH=VALUE");
    }
    const char *eq = strchr(set, '=');
    if (!eq) {
        return lt_fail(c->err, LT_ECONFIG, "--set \"%s\": expected KEY.PATH=VALUE",
                       jc_show(set, tmp, sizeof tmp));
    }
    size_t len = (size_t)(eq - set);
    if (has_empty_component(set, len)) {
        /* The key part alone, shown like any user string (fuzzing found a raw newline). */
        char key[SHOW_MAX + 8], shown_key[SHOW_MAX + 8];
        snprintf(key, sizeof key, "%.*s", (int)(len < SHOW_MAX ? len : SHOW_MAX), set);
        return lt_fail(c->err, LT_ECONFIG, "--set \"%s\": empty key name in \"%s\"",
                       jc_show(set, tmp, sizeof tmp), jc_show(key, shown_key, sizeof shown_key));
    }
    char *keys = malloc(len + 1);
    cJSON *value = cJSON_ParseWithOpts(eq + 1, NULL, 1);
    if (!value) {
        value = cJSON_CreateString(eq + 1);
    }
    if (!keys || !value) {
        free(keys);
        cJSON_Delete(value);
        return jc_out_of_memory(c);
    }
    memcpy(keys, set, len);
    keys[len] = '\0';
    lt_status st = LT_OK;
    if (cJSON_IsNull(value)) {
        /* "a.b=null" removes the key, so that its default applies. */
        remove_value(root, keys);
        cJSON_Delete(value);
    } else {
        st = put_value(c, set, root, keys, value);
    }
    free(keys);
    return st;
}

lt_status jc_apply_sets(const load_ctx *c, cJSON *root)
{
    if (c->n_sets > 0 && !c->sets) {
        return lt_fail(c->err, LT_ECONFIG, "--set: %zu overrides but no array", c->n_sets);
    }
    for (size_t i = 0; i < c->n_sets; i++) {
        lt_status st = apply_set(c, root, c->sets[i]);
        if (st != LT_OK) {
            return st;
        }
    }
    return LT_OK;
}

/* ---- shape: unknown and duplicate keys, sections ------------------------------------ */

const char *jc_expected_of(lt_jc_type t)
{
    switch (t) {
    case LT_JC_OBJECT: return "an object";
    case LT_JC_NUMBER: return "a number";
    case LT_JC_INTEGER: return "an integer";
    case LT_JC_BOOL: return "true or false";
    case LT_JC_STRING: return "a string";
    case LT_JC_STRING_OR_NULL: return "a string or null";
    case LT_JC_STRLIST: return "a list of strings";
    case LT_JC_NUMLIST: return "a list of numbers";
    case LT_JC_OBJLIST: return "a list of objects";
    }
    return "?";
}

lt_status jc_type_error(const load_ctx *c, const char *path, const char *expected,
                        const cJSON *v)
{
    char got[SHOW_MAX + 32];
    return jc_fail_at(c, path, "%s: expected %s, got %s", path, expected,
                      jc_describe(v, got, sizeof got));
}

/* "parent.name" (or "name" at the top level) into buf; raw for --set attribution,
 * shown for messages. */
static void join_path(const char *parent, const char *name, bool shown, char *buf, size_t cap)
{
    char tmp[SHOW_MAX + 8];
    snprintf(buf, cap, "%s%s%s", parent, *parent ? "." : "",
             shown ? jc_show(name, tmp, sizeof tmp) : name);
}

static lt_status unknown_key(const load_ctx *c, const char *parent, const char *name)
{
    char raw[PATH_MAX_LEN], shown[PATH_MAX_LEN];
    join_path(parent, name, false, raw, sizeof raw);
    join_path(parent, name, true, shown, sizeof shown);
    const lt_jc_key *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < c->n_keys; i++) {
        const lt_jc_key *k = &c->keys[i];
        if (!jc_is_child_of(k, parent)) {
            continue;
        }
        const char *leaf = jc_leaf_of(k->path);
        size_t d = lt_suggest_edit_distance(name, strlen(name), leaf, strlen(leaf));
        if (d < best_d && lt_suggest_close_enough(d, name, strlen(leaf))) {
            best = k;
            best_d = d;
        }
    }
    if (strchr(name, '.') && jc_find_key(c, raw, strlen(raw)) < c->n_keys) {
        /* {"optimizer.lr": 1}: the --set spelling used inside a file. */
        return jc_fail_at(c, raw, "unknown key \"%s\" (a file nests its keys: {\"%.*s\": {...}})",
                          shown, (int)strcspn(raw, "."), raw);
    }
    if (best) {
        return jc_fail_at(c, raw, "unknown key \"%s\" (did you mean \"%s\"?)", shown, best->path);
    }
    return jc_fail_at(c, raw, "unknown key \"%s\"", shown);
}

/* Walks obj (the section parent, "" for the top level) in document order. Duplicates
 * are checked only against earlier siblings, which are all distinct schema keys by
 * then, so the cost is bounded by the schema, not by the file. */
lt_status jc_check_shape(const load_ctx *c, const cJSON *obj, const char *parent)
{
    for (const cJSON *item = obj->child; item; item = item->next) {
        for (const cJSON *prev = obj->child; prev != item; prev = prev->next) {
            if (strcmp(prev->string, item->string) == 0) {
                char shown[PATH_MAX_LEN];
                join_path(parent, item->string, true, shown, sizeof shown);
                /* --set replaces a key and never adds a twin: duplicates are the file's. */
                return jc_fail_at(c, NULL, "duplicate key \"%s\"", shown);
            }
        }
        const lt_jc_key *k = jc_find_child(c, parent, item->string);
        if (!k) {
            return unknown_key(c, parent, item->string);
        }
        if (k->type == LT_JC_OBJECT) {
            if (!cJSON_IsObject(item)) {
                return jc_type_error(c, k->path, jc_expected_of(LT_JC_OBJECT), item);
            }
            lt_status st = jc_check_shape(c, item, k->path);
            if (st != LT_OK) {
                return st;
            }
        }
    }
    return LT_OK;
}

