/* jsonconf_value.c — the engine's checks of one value (jsonconf.h): type, range,
 * emptiness, choices (with a "did you mean"), and their text for messages. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jsonconf_impl.h"
#include "lintrain/suggest.h"

/* ---- values: type, range, choices ---------------------------------------------------- */

/* "in [a, b)", ">= a", "< b", or "" without bounds. */
const char *jc_range_text(const lt_jc_key *k, char *buf, size_t cap)
{
    char a[32], b[32];
    jc_fmt_num(k->lo.value, a, sizeof a);
    jc_fmt_num(k->hi.value, b, sizeof b);
    if (k->lo.kind != LT_JC_B_NONE && k->hi.kind != LT_JC_B_NONE) {
        snprintf(buf, cap, "in %c%s, %s%c", k->lo.kind == LT_JC_B_OPEN ? '(' : '[', a, b,
                 k->hi.kind == LT_JC_B_OPEN ? ')' : ']');
    } else if (k->lo.kind != LT_JC_B_NONE) {
        snprintf(buf, cap, "%s %s", k->lo.kind == LT_JC_B_OPEN ? ">" : ">=", a);
    } else if (k->hi.kind != LT_JC_B_NONE) {
        snprintf(buf, cap, "%s %s", k->hi.kind == LT_JC_B_OPEN ? "<" : "<=", b);
    } else {
        buf[0] = '\0';
    }
    return buf;
}

static bool in_range(const lt_jc_key *k, double d)
{
    double lo = k->lo.value, hi = k->hi.value;
    bool lo_ok = k->lo.kind == LT_JC_B_NONE || (k->lo.kind == LT_JC_B_OPEN ? d > lo : d >= lo);
    bool hi_ok = k->hi.kind == LT_JC_B_NONE || (k->hi.kind == LT_JC_B_OPEN ? d < hi : d <= hi);
    return lo_ok && hi_ok;
}

/* A number (or an integer) at path, against k's bounds. */
static lt_status check_number(const load_ctx *c, const lt_jc_key *k, const char *path,
                              const cJSON *v, bool integer)
{
    if (!cJSON_IsNumber(v)) {
        return jc_type_error(c, path, integer ? "an integer" : "a number", v);
    }
    double d = v->valuedouble;
    char got[32], range[80];
    jc_fmt_num(d, got, sizeof got);
    jc_range_text(k, range, sizeof range);
    if (!isfinite(d)) {
        /* cJSON reads 1e999 as inf. */
        return jc_fail_at(c, path, "%s: must be a finite number, got %s", path, got);
    }
    if (integer && (d != trunc(d) || !in_range(k, d))) {
        return jc_fail_at(c, path, "%s: must be an integer%s%s, got %s", path, *range ? " " : "",
                          range, got);
    }
    if (!in_range(k, d)) {
        return jc_fail_at(c, path, "%s: must be %s, got %s", path, range, got);
    }
    if (integer && fabs(d) > LT_JC_INT_EXACT) {
        return jc_fail_at(c, path,
                          "%s: must be an integer of magnitude <= 2^53 = 9007199254740992, "
                       "got %s", path, got);
    }
    return LT_OK;
}

/* "a, b, c" from the valid strings of k (or of a "|" list when k is NULL). */
const char *jc_list_text(const lt_jc_key *k, const char *list, char *buf, size_t cap)
{
    const char *t;
    size_t n, used = 0;
    buf[0] = '\0';
    for (size_t i = 0; k ? jc_choice_at(k, i, &t, &n) : jc_token_at(list, i, &t, &n); i++) {
        int w = snprintf(buf + used, cap - used, "%s%.*s", i ? ", " : "", (int)n, t);
        if (w < 0 || (size_t)w >= cap - used) {
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

static lt_status unknown_choice(const load_ctx *c, const lt_jc_key *k, const char *path,
                                const char *s)
{
    const char *best = NULL, *t;
    size_t best_n = 0, best_d = SIZE_MAX, n;
    for (size_t i = 0; jc_choice_at(k, i, &t, &n); i++) {
        size_t d = lt_suggest_edit_distance(s, strlen(s), t, n);
        if (d < best_d && lt_suggest_close_enough(d, s, n)) {
            best = t;
            best_n = n;
            best_d = d;
        }
    }
    char tmp[SHOW_MAX + 8], choices[512];
    jc_show(s, tmp, sizeof tmp);
    jc_list_text(k, NULL, choices, sizeof choices);
    if (best) {
        return jc_fail_at(c, path, "%s: unknown \"%s\" (did you mean \"%.*s\"? choices: %s)", path,
                          tmp, (int)best_n, best, choices);
    }
    return jc_fail_at(c, path, "%s: unknown \"%s\" (choices: %s)", path, tmp, choices);
}

/* A string at path: type, emptiness (flag), choices. */
static lt_status check_string(const load_ctx *c, const lt_jc_key *k, const char *path,
                              const cJSON *v, const char *expected, unsigned nonempty_flag)
{
    if (!cJSON_IsString(v)) {
        return jc_type_error(c, path, expected, v);
    }
    const char *s = v->valuestring;
    if ((k->flags & nonempty_flag) && s[0] == '\0') {
        return jc_fail_at(c, path, "%s: must not be empty%s", path,
                          k->type == LT_JC_STRING_OR_NULL ? " (use null for none)" : "");
    }
    if ((k->choices || k->name_at) && !jc_is_choice(k, s)) {
        return unknown_choice(c, k, path, s);
    }
    return LT_OK;
}

/* An item of an object list: an object, then whatever the key's check_item says (the
 * item is completed in place: it belongs to the resolved tree). */
static lt_status check_object_item(const load_ctx *c, const lt_jc_key *k, const char *path,
                                   const cJSON *item)
{
    if (!cJSON_IsObject(item)) {
        return jc_type_error(c, path, "an object", item);
    }
    if (!k->check_item) {
        return jc_schema_bug(c, k->path, "a list of objects without check_item");
    }
    lt_error mine = {{0}};
    lt_status st = k->check_item((void *)(uintptr_t)item, path, &mine);
    if (st == LT_ECONFIG) {
        return jc_fail_at(c, k->path, "%s", mine.msg);
    }
    return st == LT_OK ? LT_OK : lt_fail(c->err, st, "%s", mine.msg);
}

static lt_status check_list(const load_ctx *c, const lt_jc_key *k, const cJSON *v)
{
    if (!cJSON_IsArray(v)) {
        return jc_type_error(c, k->path, jc_expected_of(k->type), v);
    }
    if ((k->flags & LT_JC_NONEMPTY) && !v->child) {
        return jc_fail_at(c, k->path, "%s: must not be empty", k->path);
    }
    size_t i = 0;
    for (const cJSON *item = v->child; item; item = item->next, i++) {
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "%s[%zu]", k->path, i);
        if (k->type == LT_JC_OBJLIST) {
            lt_status st = check_object_item(c, k, path, item);
            if (st != LT_OK) {
                return st;
            }
            continue;
        }
        lt_status st = k->type == LT_JC_STRLIST
                           ? check_string(c, k, path, item, "a string", LT_JC_NONEMPTY_ITEMS)
                           : check_number(c, k, path, item, false);
        if (st != LT_OK) {
            return st;
        }
        for (const cJSON *e = v->child; (k->flags & LT_JC_UNIQUE) && e != item; e = e->next) {
            if (strcmp(e->valuestring, item->valuestring) == 0) {
                return jc_fail_at(c, k->path, "%s: \"%s\" is listed twice", path,
                                  item->valuestring);
            }
        }
        /* cJSON's first item's prev is the last item: only compare from the second. */
        if ((k->flags & LT_JC_INCREASING) && i > 0 &&
            !(item->valuedouble >= item->prev->valuedouble)) {
            return jc_fail_at(c, k->path, "%s: must be in increasing order, got %.17g after %.17g",
                              path, item->valuedouble, item->prev->valuedouble);
        }
    }
    return LT_OK;
}

lt_status jc_check_value(const load_ctx *c, const lt_jc_key *k, const cJSON *v)
{
    switch (k->type) {
    case LT_JC_OBJECT:
        return LT_OK;
    case LT_JC_NUMBER:
        return check_number(c, k, k->path, v, false);
    case LT_JC_INTEGER:
        return check_number(c, k, k->path, v, true);
    case LT_JC_BOOL:
        return cJSON_IsBool(v) ? LT_OK : jc_type_error(c, k->path, jc_expected_of(k->type), v);
    case LT_JC_STRING:
        return check_string(c, k, k->path, v, jc_expected_of(k->type), LT_JC_NONEMPTY);
    case LT_JC_STRING_OR_NULL:
        return cJSON_IsNull(v) ? LT_OK
                               : check_string(c, k, k->path, v, jc_expected_of(k->type),
                                              LT_JC_NONEMPTY);
    case LT_JC_STRLIST:
    case LT_JC_NUMLIST:
    case LT_JC_OBJLIST:
        return check_list(c, k, v);
    }
    return jc_schema_bug(c, k->path, "unknown type");
}


/* ---- the reference: one key described ------------------------------------------------ */

static const char *type_name(lt_jc_type t)
{
    switch (t) {
    case LT_JC_OBJECT: return "section";
    case LT_JC_NUMBER: return "number";
    case LT_JC_INTEGER: return "integer";
    case LT_JC_BOOL: return "boolean";
    case LT_JC_STRING: return "string";
    case LT_JC_STRING_OR_NULL: return "string or null";
    case LT_JC_STRLIST: return "list of strings";
    case LT_JC_NUMLIST: return "list of numbers";
    case LT_JC_OBJLIST: return "list of objects";
    }
    return "?";
}

/* v as config.json shows it (numbers in their exact shortest form), into buf. */
static bool value_text(const cJSON *v, char *buf, size_t cap)
{
    if (cJSON_IsNumber(v)) {
        jc_fmt_num(v->valuedouble, buf, cap);
        return true;
    }
    char *text = cJSON_PrintUnformatted(v);
    if (!text) {
        return false;
    }
    snprintf(buf, cap, "%s", text);
    cJSON_free(text);
    return true;
}

cJSON *jc_default_value(const lt_jc_default *d)
{
    if (d->is_json) {
        return cJSON_ParseWithOpts(d->string, NULL, 1);
    }
    return d->is_string ? cJSON_CreateString(d->string) : cJSON_CreateNumber(d->number);
}

/* The default k->make_default gives with def_by (if any) holding choice, as text. */
static bool made_text(const lt_jc_key *k, const char *choice, char *buf, size_t cap)
{
    cJSON *tree = cJSON_CreateObject(), *v = NULL;
    lt_jc_default *d = calloc(1, sizeof *d);
    bool ok = tree && d;
    if (ok && k->def_by) {
        size_t plen = jc_parent_len(k->def_by);
        char section[PATH_MAX_LEN];
        snprintf(section, sizeof section, "%.*s", (int)plen, k->def_by);
        cJSON *sec = plen ? cJSON_AddObjectToObject(tree, section) : tree;
        ok = sec && cJSON_AddStringToObject(sec, jc_leaf_of(k->def_by), choice);
    }
    lt_jc_view view = {k->def_by ? NULL : "CONFIG.json", tree};
    ok = ok && k->make_default(&view, k->path, d);
    if (ok) {
        v = jc_default_value(d);
        ok = v && value_text(v, buf, cap);
    }
    cJSON_Delete(v);
    cJSON_Delete(tree);
    free(d);
    return ok;
}

/* "3e-07 (sgd, momentum); 1 (lbfgs)": the default for each choice of def_by that uses
 * k, runs of one value grouped. */
static bool defaults_by_choice(const lt_jc_key *keys, size_t n_keys, const lt_jc_key *k,
                               char *buf, size_t cap)
{
    const lt_jc_key *ctl = NULL;
    for (size_t i = 0; i < n_keys; i++) {
        ctl = strcmp(keys[i].path, k->def_by) == 0 ? &keys[i] : ctl;
    }
    const char *t;
    size_t n, used = 0;
    char prev[512] = "", cur[512], choice[PATH_MAX_LEN];
    buf[0] = '\0';
    for (size_t i = 0; ctl && jc_choice_at(ctl, i, &t, &n); i++) {
        snprintf(choice, sizeof choice, "%.*s", (int)n, t);
        bool applies = !k->only.key || strcmp(k->only.key, k->def_by) != 0 ||
                       jc_used_by(k, choice);
        if (!applies) {
            continue;
        }
        if (!made_text(k, choice, cur, sizeof cur)) {
            return false;
        }
        bool same = strcmp(cur, prev) == 0;
        int w = same ? snprintf(buf + used, cap - used, ", %s", choice)
                     : snprintf(buf + used, cap - used, "%s%s (%s", used ? "); " : "", cur,
                                choice);
        if (w < 0 || (size_t)w >= cap - used) {
            return false;
        }
        used += (size_t)w;
        snprintf(prev, sizeof prev, "%s", cur);
    }
    return used > 0 && used + 2 < cap && (memcpy(buf + used, ")", 2), true);
}

lt_status lt_jsonconf_describe(const lt_jc_key *keys, size_t n_keys, size_t i,
                               lt_jc_key_doc *d, lt_error *err)
{
    const lt_jc_key *k = &keys[i];
    memset(d, 0, sizeof *d);
    d->type = type_name(k->type);
    if (k->type == LT_JC_NUMBER || k->type == LT_JC_INTEGER || k->type == LT_JC_NUMLIST) {
        jc_range_text(k, d->range, sizeof d->range);
    }
    if (k->choices || k->name_at) {
        jc_list_text(k, NULL, d->choices, sizeof d->choices);
    }
    if (k->only.key) {
        const lt_jc_key *ctl = NULL;
        for (size_t j = 0; j < n_keys; j++) {
            ctl = strcmp(keys[j].path, k->only.key) == 0 ? &keys[j] : ctl;
        }
        jc_users_text(k, ctl, d->used_by, sizeof d->used_by);
        snprintf(d->used_key, sizeof d->used_key, "%s", k->only.key);
    }
    bool ok = true;
    if (k->make_default) {
        ok = k->def_by ? defaults_by_choice(keys, n_keys, k, d->def, sizeof d->def)
                       : made_text(k, NULL, d->def, sizeof d->def);
    } else if (k->def) {
        cJSON *v = cJSON_ParseWithOpts(k->def, NULL, 1);
        ok = v && value_text(v, d->def, sizeof d->def);
        cJSON_Delete(v);
    }
    return ok ? LT_OK : lt_fail(err, LT_ERR, "config schema: %s: cannot describe its default",
                                k->path);
}
