/* jsonconf_impl.h — what the engine's files (jsonconf*.c) share; not a public header. */
#ifndef LINTRAIN_JSONCONF_IMPL_H
#define LINTRAIN_JSONCONF_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "lintrain/jsonconf.h"

typedef struct {
    const lt_jc_key *keys;
    size_t n_keys;
    const char *path;        /* config file, or NULL */
    const char *const *sets; /* "key.path=VALUE", applied in order */
    size_t n_sets;
    lt_error *err;
    char *notes;             /* malloc'ed "KEY dropped: ...\n" lines, or NULL */
    size_t notes_len;
} load_ctx;

#define SHOW_MAX 60  /* longest user string quoted in a message */
#define PATH_MAX_LEN 256

/* A load in progress, as default functions see it (jsonconf.h). */
struct lt_jc_view {
    const char *file;  /* config file, or NULL */
    cJSON *tree;       /* the keys resolved so far */
};

/* Messages (jsonconf.c): a user string shown on one line, numbers exactly, what a JSON
 * value is; failures blamed on the --set or file that wrote key. */
const char *jc_show(const char *s, char *buf, size_t cap);
const char *jc_fmt_num(double v, char *buf, size_t cap);
const char *jc_describe(const cJSON *v, char *buf, size_t cap);
const char *jc_set_for(const load_ctx *c, const char *key);
__attribute__((format(printf, 3, 4)))
lt_status jc_fail_at(const load_ctx *c, const char *key, const char *fmt, ...);
lt_status jc_out_of_memory(const load_ctx *c);
lt_status jc_schema_bug(const load_ctx *c, const char *key, const char *what);

/* Names and paths (jsonconf_read.c). "|" lists: the i-th token; false past the end. */
bool jc_token_at(const char *list, size_t i, const char **s, size_t *len);
/* The i-th valid string of a key with choices or a name table; false past the end. */
bool jc_choice_at(const lt_jc_key *k, size_t i, const char **s, size_t *len);
bool jc_in_list(const char *list, const char *s);
bool jc_is_choice(const lt_jc_key *k, const char *s);
size_t jc_parent_len(const char *path);
const char *jc_leaf_of(const char *path);
bool jc_is_child_of(const lt_jc_key *k, const char *parent);
size_t jc_find_key(const load_ctx *c, const char *path, size_t len);
const lt_jc_key *jc_find_child(const load_ctx *c, const char *parent, const char *name);
cJSON *jc_member(const cJSON *obj, const char *name, size_t len);
/* The value a computed default stands for (NULL: out of memory, or bad JSON text). */
cJSON *jc_default_value(const lt_jc_default *d);
cJSON *jc_tree_get(cJSON *root, const char *path, size_t len);

/* The load's first steps (jsonconf_read.c). */
lt_status jc_read_root(const load_ctx *c, cJSON **root);
lt_status jc_apply_sets(const load_ctx *c, cJSON *root);
lt_status jc_check_shape(const load_ctx *c, const cJSON *obj, const char *parent);
const char *jc_expected_of(lt_jc_type t);
lt_status jc_type_error(const load_ctx *c, const char *path, const char *expected,
                        const cJSON *v);

/* One value (jsonconf_value.c). */
const char *jc_range_text(const lt_jc_key *k, char *buf, size_t cap);
/* "a, b, c" from the valid strings of k (or of a "|" list when k is NULL). */
const char *jc_list_text(const lt_jc_key *k, const char *list, char *buf, size_t cap);
lt_status jc_check_value(const load_ctx *c, const lt_jc_key *k, const cJSON *v);

/* "Only for" (jsonconf.c): whether k is used when its controlling key holds choice;
 * "a, b": the choices of the controlling key ctl that use k. */
bool jc_used_by(const lt_jc_key *k, const char *choice);
void jc_users_text(const lt_jc_key *k, const lt_jc_key *ctl, char *buf, size_t cap);

#endif
