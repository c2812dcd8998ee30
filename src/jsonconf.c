/* jsonconf.c — the config engine of jsonconf.h: a strict JSON reader, --set overrides,
 * validation with "did you mean" hints, defaults, and the resolved tree written back.
 *
 * A load is a pipeline of small steps over cJSON trees:
 *   read_root    the file (or {}) -> tree; parse errors give line, column and byte
 *   apply_sets   each --set "a.b=VALUE", in order, edits that tree
 *   check_shape  in document order: unknown keys (with a suggestion), duplicate keys,
 *                sections that are not objects
 *   resolve      in table order: each value moves to a new tree, or its default is
 *                added; its type, range, choices and "only for" condition are checked
 *   extract      the resolved tree -> the struct, field by field through offsetof */
#include "lintrain/jsonconf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jsonconf_impl.h"

/* ---- the load's context and its error messages ----------------------------------- */



/* s for a one-line message: control bytes become '?', long strings end in "...". */
const char *jc_show(const char *s, char *buf, size_t cap)
{
    size_t limit = cap - 4 < SHOW_MAX ? cap - 4 : SHOW_MAX;
    size_t i = 0;
    for (; s[i] && i < limit; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    if (s[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

/* The shortest of %.15g..%.17g that reads back as exactly v (C locale: lintrain never
 * calls setlocale). cJSON's own printer accepts a 15-digit form within a relative
 * DBL_EPSILON, which can change the last bit (or print 2^53 as 9.00719925474099e+15). */
const char *jc_fmt_num(double v, char *buf, size_t cap)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (!isfinite(v) || strtod(buf, NULL) == v) {
            break;
        }
    }
    return buf;
}

/* What a JSON value is, for "expected X, got Y". */
const char *jc_describe(const cJSON *v, char *buf, size_t cap)
{
    char tmp[SHOW_MAX + 8];
    if (cJSON_IsString(v)) {
        snprintf(buf, cap, "a string (\"%s\")", jc_show(v->valuestring, tmp, sizeof tmp));
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, cap, "a number (%s)", jc_fmt_num(v->valuedouble, tmp, sizeof tmp));
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, cap, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, cap, "null");
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, cap, "a list");
    } else if (cJSON_IsObject(v)) {
        snprintf(buf, cap, "an object");
    } else {
        snprintf(buf, cap, "an invalid value");
    }
    return buf;
}

/* The --set whose key path is key or one of its ancestors, the last one if several:
 * the value at key came from it rather than from the file. */
const char *jc_set_for(const load_ctx *c, const char *key)
{
    for (size_t i = c->n_sets; key && i-- > 0;) {
        const char *eq = strchr(c->sets[i], '=');
        size_t n = (size_t)(eq - c->sets[i]);
        if (strncmp(key, c->sets[i], n) == 0 &&
            (key[n] == '\0' || key[n] == '.' || key[n] == '[')) {
            return c->sets[i];
        }
    }
    return NULL;
}

/* Fails with LT_ECONFIG and "SOURCE: message", SOURCE being the --set that wrote the
 * value at key (NULL: none), else the config file ("config" without one). */

lt_status jc_fail_at(const load_ctx *c, const char *key, const char *fmt, ...)
{
    char msg[sizeof c->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *set = jc_set_for(c, key);
    if (set) {
        char tmp[SHOW_MAX + 8];
        return lt_fail(c->err, LT_ECONFIG, "--set \"%s\": %s", jc_show(set, tmp, sizeof tmp), msg);
    }
    return lt_fail(c->err, LT_ECONFIG, "%s: %s", c->path ? c->path : "config", msg);
}

lt_status jc_out_of_memory(const load_ctx *c)
{
    return lt_fail(c->err, LT_ERR, "%s: out of memory reading the config",
                   c->path ? c->path : "config");
}

/* A bug in a key table, not in the user's config. */
lt_status jc_schema_bug(const load_ctx *c, const char *key, const char *what)
{
    return lt_fail(c->err, LT_ERR, "config schema: %s: %s", key, what);
}

/* ---- resolve: schema order, defaults, "only for" ---------------------------------------- */

/* Whether key k is used when its "only for" key holds choice. */
bool jc_used_by(const lt_jc_key *k, const char *choice)
{
    return k->only.values ? jc_in_list(k->only.values, choice)
                          : k->only.uses && k->only.uses(k->path, choice);
}

/* Whether key i is used given the resolved tree so far: its "only for" key (listed
 * earlier, so already resolved) holds one of its values. */
static lt_status is_used(const load_ctx *c, cJSON *tree, size_t i, bool *used)
{
    const lt_jc_key *k = &c->keys[i];
    *used = true;
    if (!k->only.key) {
        return LT_OK;
    }
    size_t ctl = jc_find_key(c, k->only.key, strlen(k->only.key));
    if (ctl >= i || c->keys[ctl].type != LT_JC_STRING) {
        return jc_schema_bug(c, k->path,
                             "its \"only for\" key must be a string key listed before it");
    }
    const cJSON *v = jc_tree_get(tree, k->only.key, strlen(k->only.key));
    *used = cJSON_IsString(v) && jc_used_by(k, v->valuestring);
    return LT_OK;
}

/* "a, b": the choices of k's "only for" key (ctl) that use k. */
void jc_users_text(const lt_jc_key *k, const lt_jc_key *ctl, char *buf, size_t cap)
{
    const char *t;
    size_t n, used = 0;
    buf[0] = '\0';
    for (size_t i = 0; ctl && jc_choice_at(ctl, i, &t, &n); i++) {
        char choice[PATH_MAX_LEN];
        snprintf(choice, sizeof choice, "%.*s", (int)n, t);
        if (!jc_used_by(k, choice)) {
            continue;
        }
        int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", choice);
        if (w < 0 || (size_t)w >= cap - used) {
            break;
        }
        used += (size_t)w;
    }
}

/* "optimizer.rho: not used by optimizer "sgd" (used by: momentum, nesterov)". The
 * controlling key is named by its leaf, or by its section when the leaf is just
 * "name" or "type". */
static lt_status not_used(const load_ctx *c, cJSON *tree, const lt_jc_key *k)
{
    const char *ctl = k->only.key;
    const char *leaf = jc_leaf_of(ctl);
    int label_len = (int)strlen(leaf);
    const char *label = leaf;
    if ((strcmp(leaf, "name") == 0 || strcmp(leaf, "type") == 0) && jc_parent_len(ctl) > 0) {
        label = ctl;
        label_len = (int)jc_parent_len(ctl);
    }
    const cJSON *v = jc_tree_get(tree, ctl, strlen(ctl));
    char tmp[SHOW_MAX + 8], users[512];
    size_t ci = jc_find_key(c, ctl, strlen(ctl));
    jc_users_text(k, ci < c->n_keys ? &c->keys[ci] : NULL, users, sizeof users);
    return jc_fail_at(c, k->path, "%s: not used by %.*s \"%s\" (used by: %s)", k->path,
                      label_len, label,
                      cJSON_IsString(v) ? jc_show(v->valuestring, tmp, sizeof tmp) : "", users);
}

/* Whether a --set wrote path, one of its ancestors or something under it. */
static bool set_under(const load_ctx *c, const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < c->n_sets; i++) {
        if (strncmp(c->sets[i], path, n) == 0 && c->sets[i][n] == '.') {
            return true;
        }
    }
    return jc_set_for(c, path) != NULL;
}

/* A key of the file that the choice made by a --set does not use: removed from the
 * user's tree, with the note "optimizer.rho dropped: not used by adam" for the caller
 * (the file was written for the choice the --set replaced). */
static lt_status drop_key(load_ctx *c, cJSON *tree, const lt_jc_key *k, cJSON *from,
                          cJSON *given)
{
    const cJSON *v = jc_tree_get(tree, k->only.key, strlen(k->only.key));
    char tmp[SHOW_MAX + 8], line[PATH_MAX_LEN + SHOW_MAX + 32];
    int n = snprintf(line, sizeof line, "%s dropped: not used by %s\n", k->path,
                     cJSON_IsString(v) ? jc_show(v->valuestring, tmp, sizeof tmp) : "this choice");
    size_t len = n > 0 ? (size_t)n : 0;
    char *notes = realloc(c->notes, c->notes_len + len + 1);
    if (!notes) {
        return jc_out_of_memory(c);
    }
    memcpy(notes + c->notes_len, line, len + 1);
    c->notes = notes;
    c->notes_len += len;
    cJSON_Delete(cJSON_DetachItemViaPointer(from, given));
    return LT_OK;
}

/* The default of k from its function, given the keys resolved so far in tree. */
static lt_status made_default(const load_ctx *c, cJSON *tree, const lt_jc_key *k, cJSON **v)
{
    lt_jc_view view = {c->path, tree};
    lt_jc_default *d = malloc(sizeof *d);
    if (!d) {
        return jc_out_of_memory(c);
    }
    memset(d, 0, sizeof *d);
    lt_status st = LT_OK;
    if (!k->make_default(&view, k->path, d)) {
        st = jc_fail_at(c, NULL, "%s: cannot make its default", k->path);
    } else {
        *v = jc_default_value(d);
        st = *v ? LT_OK : jc_schema_bug(c, k->path, "its default is not JSON (or out of memory)");
    }
    free(d);
    return st;
}

const char *lt_jsonconf_file(const lt_jc_view *v)
{
    return v->file;
}

const char *lt_jsonconf_string(const lt_jc_view *v, const char *path)
{
    const cJSON *s = jc_tree_get(v->tree, path, strlen(path));
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

const void *lt_jsonconf_value(const lt_jc_view *v, const char *path)
{
    return jc_tree_get(v->tree, path, strlen(path));
}

/* The value key k takes: a new section (its keys follow one by one), the user's value
 * (detached from the user's tree), or the key's default. */
static lt_status take_value(const load_ctx *c, cJSON *tree, const lt_jc_key *k, cJSON *from,
                            cJSON *given, cJSON **v)
{
    if (k->type == LT_JC_OBJECT) {
        *v = cJSON_CreateObject();
    } else if (given) {
        *v = cJSON_DetachItemViaPointer(from, given);
    } else if (k->make_default) {
        return made_default(c, tree, k, v);
    } else if (!k->def) {
        return jc_schema_bug(c, k->path, "has no default");
    } else {
        /* Strict like the file: cJSON_Parse would read "0.9.1" as 0.9. */
        *v = cJSON_ParseWithOpts(k->def, NULL, 1);
        if (!*v) {
            return jc_schema_bug(c, k->path, "its default is not JSON (or out of memory)");
        }
    }
    return *v ? LT_OK : jc_out_of_memory(c);
}

/* Moves key i from user into tree, or adds its default there, and checks it. */
static lt_status resolve_key(load_ctx *c, cJSON *user, cJSON *tree, size_t i)
{
    const lt_jc_key *k = &c->keys[i];
    const char *leaf = jc_leaf_of(k->path);
    size_t plen = jc_parent_len(k->path);
    cJSON *dest = jc_tree_get(tree, k->path, plen);
    if (!dest) {
        /* An unused conditional section takes its keys with it; a section listed after
         * its keys is a bug of the table. */
        return jc_find_key(c, k->path, plen) < i
                   ? LT_OK
                   : jc_schema_bug(c, k->path, "listed before its section");
    }
    cJSON *from = jc_tree_get(user, k->path, plen);
    cJSON *given = cJSON_IsObject(from) ? jc_member(from, leaf, strlen(leaf)) : NULL;
    bool used;
    lt_status st = is_used(c, tree, i, &used);
    if (st != LT_OK) {
        return st;
    }
    if (!used) {
        if (!given) {
            return LT_OK;
        }
        return set_under(c, k->only.key) && !set_under(c, k->path)
                   ? drop_key(c, tree, k, from, given)
                   : not_used(c, tree, k);
    }
    cJSON *v;
    st = take_value(c, tree, k, from, given, &v);
    if (st != LT_OK) {
        return st;
    }
    if (!cJSON_AddItemToObject(dest, leaf, v)) {
        cJSON_Delete(v);
        return jc_out_of_memory(c);
    }
    st = jc_check_value(c, k, v);
    if (st == LT_ECONFIG && !given) {
        /* The table's default broke its own rules: a bug, not the user's mistake. */
        lt_error_prefix(c->err, "config schema: invalid default");
        st = LT_ERR;
    }
    return st;
}

/* Builds tree (an empty object) from user in schema order, so that the resolved
 * config.json reads in the order of the table whatever the order of the file. */
static lt_status resolve(load_ctx *c, cJSON *user, cJSON *tree)
{
    for (size_t i = 0; i < c->n_keys; i++) {
        lt_status st = resolve_key(c, user, tree, i);
        if (st != LT_OK) {
            return st;
        }
    }
    return LT_OK;
}

/* ---- extract: tree -> struct ---------------------------------------------------------- */

static lt_status extract_key(const lt_jc_key *k, const cJSON *v, void *base, lt_error *err)
{
    char *field = (char *)base + k->offset;
    size_t n = 0, i = 0;
    for (const cJSON *item = v->child; item; item = item->next) {
        n++;
    }
    switch (k->type) {
    case LT_JC_OBJECT:
        break;
    case LT_JC_NUMBER:
        *(double *)(void *)field = v->valuedouble;
        break;
    case LT_JC_INTEGER:
        *(long long *)(void *)field = (long long)v->valuedouble;  /* whole, |x| <= 2^53 */
        break;
    case LT_JC_BOOL:
        *(bool *)(void *)field = cJSON_IsTrue(v);
        break;
    case LT_JC_STRING:
    case LT_JC_STRING_OR_NULL:
        *(const char **)(void *)field = cJSON_IsString(v) ? v->valuestring : NULL;
        break;
    case LT_JC_STRLIST: {
        lt_strlist *list = (lt_strlist *)(void *)field;
        list->items = lt_calloc(n, sizeof *list->items, k->path, err);
        if (!list->items) {
            return LT_ERR;
        }
        for (const cJSON *item = v->child; item; item = item->next) {
            list->items[i++] = item->valuestring;
        }
        list->n = n;
        break;
    }
    case LT_JC_OBJLIST: {
        lt_objlist *list = (lt_objlist *)(void *)field;
        list->items = lt_calloc(n, sizeof *list->items, k->path, err);
        if (!list->items) {
            return LT_ERR;
        }
        for (const cJSON *item = v->child; item; item = item->next) {
            list->items[i++] = item;
        }
        list->n = n;
        break;
    }
    case LT_JC_NUMLIST: {
        lt_numlist *list = (lt_numlist *)(void *)field;
        list->items = lt_calloc(n, sizeof *list->items, k->path, err);
        if (!list->items) {
            return LT_ERR;
        }
        for (const cJSON *item = v->child; item; item = item->next) {
            list->items[i++] = item->valuedouble;
        }
        list->n = n;
        break;
    }
    }
    return LT_OK;
}

/* Fills the struct at base from the resolved tree; keys not used stay zero. */
static lt_status extract(const lt_jc_key *keys, size_t n_keys, cJSON *tree, void *base,
                         lt_error *err)
{
    for (size_t i = 0; i < n_keys; i++) {
        const cJSON *v = jc_tree_get(tree, keys[i].path, strlen(keys[i].path));
        if (v) {
            lt_status st = extract_key(&keys[i], v, base, err);
            if (st != LT_OK) {
                return st;
            }
        }
    }
    return LT_OK;
}

/* ---- the engine and the public API ------------------------------------------------------ */

/* Frees the lists that extract allocated in the struct at base and empties them. */
static void free_lists(const lt_jc_key *keys, size_t n_keys, void *base)
{
    for (size_t i = 0; i < n_keys; i++) {
        char *field = (char *)base + keys[i].offset;
        if (keys[i].type == LT_JC_STRLIST) {
            lt_strlist *list = (lt_strlist *)(void *)field;
            free(list->items);
            list->items = NULL;
            list->n = 0;
        } else if (keys[i].type == LT_JC_NUMLIST) {
            lt_numlist *list = (lt_numlist *)(void *)field;
            free(list->items);
            list->items = NULL;
            list->n = 0;
        } else if (keys[i].type == LT_JC_OBJLIST) {
            lt_objlist *list = (lt_objlist *)(void *)field;
            free((void *)list->items);
            list->items = NULL;
            list->n = 0;
        }
    }
}

void lt_jsonconf_free(const lt_jc_key *keys, size_t n_keys, void *base, void *resolved)
{
    if (base) {
        free_lists(keys, n_keys, base);
    }
    cJSON_Delete(resolved);
}

lt_status lt_jsonconf_load(const lt_jc_key *keys, size_t n_keys, void *base, void **resolved,
                           char **notes, const lt_jc_source *src, lt_error *err)
{
    load_ctx c = {keys, n_keys, src->path, src->sets, src->n_sets, err, NULL, 0};
    cJSON *user = NULL;
    cJSON *tree = cJSON_CreateObject();
    *resolved = NULL;
    lt_status st = tree ? jc_read_root(&c, &user) : jc_out_of_memory(&c);
    if (st == LT_OK) {
        st = jc_apply_sets(&c, user);
    }
    if (st == LT_OK) {
        st = jc_check_shape(&c, user, "");
    }
    if (st == LT_OK) {
        st = resolve(&c, user, tree);
    }
    if (st == LT_OK) {
        st = extract(keys, n_keys, tree, base, err);
    }
    cJSON_Delete(user);
    if (st != LT_OK || !notes) {
        free(c.notes);
        c.notes = NULL;
    }
    if (st != LT_OK) {
        free_lists(keys, n_keys, base);
        cJSON_Delete(tree);
        return st;
    }
    *resolved = tree;
    if (notes) {
        *notes = c.notes;
    }
    return LT_OK;
}

lt_status lt_jsonconf_fail(const lt_jc_source *src, const char *key, lt_error *err,
                           const char *fmt, ...)
{
    load_ctx c = {NULL, 0, src->path, src->sets, src->n_sets, err, NULL, 0};
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return jc_fail_at(&c, key, "%s", msg);
}

bool lt_jsonconf_has(const void *resolved, const char *path)
{
    return jc_tree_get((cJSON *)(uintptr_t)resolved, path, strlen(path)) != NULL;
}

const char *lt_jsonconf_number_text(double v, char *buf, size_t cap)
{
    return jc_fmt_num(v, buf, cap);
}

/* Replaces every finite number under node by a raw item holding fmt_num's exact text;
 * returns -1 when out of memory. */
static int exact_numbers(cJSON *node)
{
    cJSON *next;
    for (cJSON *item = node->child; item; item = next) {
        next = item->next;
        if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
            if (exact_numbers(item) != 0) {
                return -1;
            }
        } else if (cJSON_IsNumber(item) && isfinite(item->valuedouble)) {
            char buf[32];
            cJSON *raw = cJSON_CreateRaw(jc_fmt_num(item->valuedouble, buf, sizeof buf));
            /* In an object the replacement needs the key; in a list there is none. */
            bool ok = raw && (cJSON_IsObject(node)
                                  ? cJSON_ReplaceItemInObjectCaseSensitive(node, item->string, raw)
                                  : cJSON_ReplaceItemViaPointer(node, item, raw));
            if (!ok) {
                cJSON_Delete(raw);
                return -1;
            }
        }
    }
    return 0;
}

char *lt_jsonconf_to_json(const void *resolved)
{
    if (!resolved) {
        return NULL;
    }
    char *text = NULL, *out = NULL;
    cJSON *copy = cJSON_Duplicate(resolved, 1);
    if (!copy || exact_numbers(copy) != 0) {
        goto cleanup;
    }
    text = cJSON_Print(copy);
    if (!text) {
        goto cleanup;
    }
    size_t n = strlen(text);
    out = malloc(n + 2);
    if (out) {
        memcpy(out, text, n);
        memcpy(out + n, "\n", 2);
    }
cleanup:
    cJSON_free(text);
    cJSON_Delete(copy);
    return out;
}

/* Removes the keys of the "|"-separated paths in ignore from tree. */
static void drop_keys(cJSON *tree, const char *ignore)
{
    const char *t;
    size_t n;
    for (size_t i = 0; ignore && jc_token_at(ignore, i, &t, &n); i++) {
        size_t plen = 0;
        for (size_t j = 0; j < n; j++) {
            plen = t[j] == '.' ? j : plen;
        }
        cJSON *parent = jc_tree_get(tree, t, plen);
        const char *leaf = plen ? t + plen + 1 : t;
        cJSON *item = jc_member(parent, leaf, (size_t)(t + n - leaf));
        if (item) {
            cJSON_Delete(cJSON_DetachItemViaPointer(parent, item));
        }
    }
}

/* "model.loss is \"svm\" here, \"softmax\" in NAME" for the first schema key whose
 * values differ between the two trees (a missing key counts as absent). */
static void describe_difference(const lt_jc_key *keys, size_t n_keys, cJSON *mine,
                                cJSON *other, const char *other_name, char *msg, size_t cap)
{
    for (size_t i = 0; i < n_keys; i++) {
        const char *path = keys[i].path;
        if (keys[i].type == LT_JC_OBJECT) {
            continue;
        }
        cJSON *a = jc_tree_get(mine, path, strlen(path));
        cJSON *b = jc_tree_get(other, path, strlen(path));
        if ((a || b) && !(a && b && cJSON_Compare(a, b, 1))) {
            char *ta = a ? cJSON_PrintUnformatted(a) : NULL;
            char *tb = b ? cJSON_PrintUnformatted(b) : NULL;
            char sa[SHOW_MAX + 8], sb[SHOW_MAX + 8];
            snprintf(msg, cap, "%s is %s here, %s in %s", path,
                     ta ? jc_show(ta, sa, sizeof sa) : "absent",
                     tb ? jc_show(tb, sb, sizeof sb) : "absent", other_name);
            cJSON_free(ta);
            cJSON_free(tb);
            return;
        }
    }
    snprintf(msg, cap, "a key this version of lintrain does not know differs");
}

int lt_jsonconf_compare(const lt_jc_key *keys, size_t n_keys, const void *resolved,
                        const char *other, const char *other_name, const char *ignore,
                        char *msg, size_t cap)
{
    cJSON *mine = resolved ? cJSON_Duplicate(resolved, 1) : NULL;
    cJSON *theirs = other ? cJSON_ParseWithOpts(other, NULL, 1) : NULL;
    int rc = -1;
    if (!mine) {
        snprintf(msg, cap, "out of memory comparing configs");
    } else if (!cJSON_IsObject(theirs)) {
        snprintf(msg, cap, "the other config is not a JSON object");
    } else {
        drop_keys(mine, ignore);
        drop_keys(theirs, ignore);
        rc = cJSON_Compare(mine, theirs, 1) ? 0 : 1;
        if (rc) {
            describe_difference(keys, n_keys, mine, theirs, other_name, msg, cap);
        }
    }
    cJSON_Delete(mine);
    cJSON_Delete(theirs);
    return rc;
}

