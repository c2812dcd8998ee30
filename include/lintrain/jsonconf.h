/* jsonconf.h — a strict JSON configuration engine driven by a table of keys.
 *
 * A table (lt_jc_key[]) lists every key: its dotted path, type, range or choices,
 * default, the struct field it fills (an offset), and when it is used at all. A load
 * reads the file (or {}), applies "a.b=VALUE" overrides, rejects unknown and duplicate
 * keys (with a "did you mean"), resolves every key in table order (value or default,
 * checked), and fills the struct. The resolved tree is kept, written back as JSON, and
 * compared. The engine knows nothing of lintrain's keys: config.c holds the schema. */
#ifndef LINTRAIN_JSONCONF_H
#define LINTRAIN_JSONCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "lintrain/common.h"

typedef struct {
    const char **items;   /* strings owned by the resolved tree */
    size_t n;
} lt_strlist;

typedef struct {
    double *items;        /* owned by the struct the load filled */
    size_t n;
} lt_numlist;

/* A list of JSON objects, each checked and completed by its key's check_item. */
typedef struct {
    const void **items;   /* the objects (cJSON) in the resolved tree, which owns them */
    size_t n;
} lt_objlist;

typedef enum {
    LT_JC_OBJECT,         /* a section: holds keys, fills no field */
    LT_JC_NUMBER,         /* double, finite */
    LT_JC_INTEGER,        /* long long: a whole JSON number, |x| <= 2^53 */
    LT_JC_BOOL,           /* bool */
    LT_JC_STRING,         /* const char *, into the resolved tree */
    LT_JC_STRING_OR_NULL, /* const char *, into the resolved tree, or NULL */
    LT_JC_STRLIST,        /* lt_strlist; choices and LT_JC_NONEMPTY_ITEMS apply to each */
    LT_JC_NUMLIST,        /* lt_numlist; the bounds apply to each item */
    LT_JC_OBJLIST         /* lt_objlist; each item an object that check_item accepts */
} lt_jc_type;

typedef enum { LT_JC_B_NONE, LT_JC_B_CLOSED, LT_JC_B_OPEN } lt_jc_bound_kind;

typedef struct {
    lt_jc_bound_kind kind;
    double value;
} lt_jc_bound;

#define LT_JC_GE(x) {LT_JC_B_CLOSED, (x)}
#define LT_JC_GT(x) {LT_JC_B_OPEN, (x)}
#define LT_JC_LE(x) {LT_JC_B_CLOSED, (x)}
#define LT_JC_LT(x) {LT_JC_B_OPEN, (x)}

#define LT_JC_NONEMPTY 1u       /* the string, or the list, must not be empty */
#define LT_JC_NONEMPTY_ITEMS 2u /* each string of a list must not be empty */
#define LT_JC_INCREASING 4u     /* each number of a list >= the one before */
#define LT_JC_UNIQUE 8u         /* no string of a list repeats an earlier one */

/* Larger files are certainly not configs; the cap bounds the memory a typo can cost. */
#define LT_JC_MAX_FILE_BYTES ((size_t)16 << 20)

/* 2^53: every integer up to it is exactly a double (JSON numbers are doubles). */
#define LT_JC_INT_EXACT 9007199254740992.0

/* A load in progress, as a default function sees it. */
typedef struct lt_jc_view lt_jc_view;

/* The config file's path, or NULL without one. */
const char *lt_jsonconf_file(const lt_jc_view *v);
/* The resolved string at path (a key listed earlier), or NULL. */
const char *lt_jsonconf_string(const lt_jc_view *v, const char *path);
/* The resolved value at path (a key listed earlier): a cJSON item, or NULL. */
const void *lt_jsonconf_value(const lt_jc_view *v, const char *path);

#define LT_JC_DEFAULT_MAX 4096

/* A default computed by a function: a number, a string, or JSON text. */
typedef struct {
    bool is_string;
    bool is_json;       /* string is JSON text (a list, say), parsed as the value */
    double number;
    char string[LT_JC_DEFAULT_MAX];
} lt_jc_default;

typedef struct {
    const char *path;   /* "section.key"; a section is listed before its keys */
    lt_jc_type type;
    size_t offset;      /* of the field it fills (unused by LT_JC_OBJECT) */
    const char *def;    /* default as JSON text... */
    /* ...or computed from the load (false: it cannot be, an error) */
    bool (*make_default)(const lt_jc_view *v, const char *path, lt_jc_default *out);
    const char *def_by; /* the string key make_default reads, for describe; or NULL */
    lt_jc_bound lo, hi; /* numbers, integers, and the items of number lists */
    unsigned flags;     /* LT_JC_* flags */
    const char *choices;              /* "a|b": the valid strings... */
    const char *(*name_at)(size_t i); /* ...or those of a module's table */
    struct {
        const char *key;    /* a string key listed earlier... */
        const char *values; /* ...that must be one of "a|b" for this key to be used... */
        /* ...or for which this returns true (when values is NULL) */
        bool (*uses)(const char *path, const char *choice);
    } only;
    /* LT_JC_OBJLIST: checks item (a cJSON object of the resolved tree, at path
     * "key[i]") and adds its defaults; LT_ECONFIG with a message that starts with the
     * path of the mistake ("data.features[1].bins: ..."), which the engine then blames on
     * the file or the --set that gave the list. */
    lt_status (*check_item)(void *item, const char *path, lt_error *err);
    const char *doc;    /* one line for the reference */
} lt_jc_key;

/* What a load reads, and what its messages blame: "--set \"a.b=1\": ..." for a value a
 * --set wrote, else "FILE: ..." ("config: ..." without a file). */
typedef struct {
    const char *path;          /* config file, or NULL: start from {} */
    const char *const *sets;   /* "key.path=VALUE", applied in order; null removes */
    size_t n_sets;
} lt_jc_source;

/* Loads src against keys into the zeroed struct at base. *resolved gets the resolved
 * tree, *notes (when notes is not NULL) the "KEY dropped: not used by X\n" lines or
 * NULL; both owned by the caller (lt_jsonconf_free, free). A key of the file that a
 * --set's choice does not use is dropped with a note; otherwise a given key that is
 * not used is an error. On failure nothing is left allocated (LT_ECONFIG: the
 * user's mistake; LT_ERR: out of memory or a bug of the table). */
lt_status lt_jsonconf_load(const lt_jc_key *keys, size_t n_keys, void *base, void **resolved,
                           char **notes, const lt_jc_source *src, lt_error *err);

/* Frees the lists the load allocated in base and the resolved tree. */
void lt_jsonconf_free(const lt_jc_key *keys, size_t n_keys, void *base, void *resolved);

/* Fails with LT_ECONFIG and the message, blaming the source of the value at key. */
__attribute__((format(printf, 4, 5)))
lt_status lt_jsonconf_fail(const lt_jc_source *src, const char *key, lt_error *err,
                           const char *fmt, ...);

/* Whether the resolved tree holds path. */
bool lt_jsonconf_has(const void *resolved, const char *path);

/* The resolved tree as pretty-printed JSON ending in a newline, numbers in the shortest
 * form that reads back exactly. Caller frees; NULL when out of memory. */
char *lt_jsonconf_to_json(const void *resolved);

/* lt_config_compare's engine (config.h), keys giving the order of the comparison. */
int lt_jsonconf_compare(const lt_jc_key *keys, size_t n_keys, const void *resolved,
                        const char *other, const char *other_name, const char *ignore,
                        char *msg, size_t cap);

/* The shortest of %.15g..%.17g that reads back as exactly v. */
const char *lt_jsonconf_number_text(double v, char *buf, size_t cap);

/* One key as the reference shows it; empty strings for what does not apply. */
typedef struct {
    const char *type;     /* "number", "integer", "string", ... */
    char def[512];        /* "0.9", or "3e-07 (sgd, momentum); 1 (lbfgs)" */
    char range[96];       /* "in [0, 1)", ">= 0" */
    char choices[512];    /* "a, b, c" */
    char used_by[512];    /* "momentum, nesterov" (the choices of only.key that use it) */
    char used_key[128];   /* only.key */
} lt_jc_key_doc;

/* Describes keys[i]; LT_ERR when the table is wrong (a default that cannot be made). */
lt_status lt_jsonconf_describe(const lt_jc_key *keys, size_t n_keys, size_t i,
                               lt_jc_key_doc *d, lt_error *err);

#endif
