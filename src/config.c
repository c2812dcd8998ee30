/* config.c — the run's configuration: a static schema table, a strict JSON reader,
 * --set overrides, validation with "did you mean" hints, defaults filled in one place,
 * and the resolved tree written back as JSON.
 *
 * A load is a pipeline of small steps over cJSON trees:
 *   read_root    the file (or {}) -> tree; parse errors give line, column and byte
 *   apply_sets   each --set "a.b=VALUE", in order, edits that tree
 *   check_shape  in document order: unknown keys (with a suggestion), duplicate keys,
 *                sections that are not objects
 *   resolve      in schema order: each value moves to a new tree, or its default is
 *                added; its type, range, choices and "only for" condition are checked
 *   extract      the resolved tree -> the struct, field by field through offsetof
 *
 * The engine (engine_load, engine_free) knows lt_config only through the offsets in the
 * key table it is given: the tests drive it with tables of their own, e.g. to exercise
 * "only for" keys before the real schema has one.
 *
 * A key may be listed more than once with disjoint "only for" lists, to give it a
 * different default per choice (optimizer.eps: 1e-7 for AdaGrad, 1e-8 for Adam); the
 * entry in use resolves it, and one that is not in use stays silent.
 *
 * Rules between keys of the real schema (cross_checks) run after the engine.
 *
 * Adding a key: one line in SCHEMA plus the struct field in config.h. */
#include "lintrain/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "lintrain/json_diag.h"
#include "lintrain/kernel.h"
#include "lintrain/loss.h"
#include "lintrain/optim.h"
#include "lintrain/penalty.h"
#include "lintrain/preprocess.h"
#include "lintrain/schedule.h"
#include "lintrain/suggest.h"

/* Larger files are certainly not configs; the cap bounds the memory a typo can cost. */
#define MAX_CONFIG_BYTES ((size_t)16 << 20)

/* 2^53: every integer up to it is exactly a double (JSON numbers are doubles), so it
 * bounds every integer key and makes the conversion to long long exact. */
#define INT_EXACT 9007199254740992.0

/* Tuned on full CIFAR-10 with mean_image, batch 256, 20 epochs (README); CS231n's
 * notebooks use 2.5e4, which over-regularizes at this length of training. */
#define DEFAULT_LAMBDA "1e3"

#define DEFAULT_TRAIN_FILES                                                               \
    "[\"data_batch_1.bin\", \"data_batch_2.bin\", \"data_batch_3.bin\", "                 \
    "\"data_batch_4.bin\", \"data_batch_5.bin\"]"

/* ---- the schema ---------------------------------------------------------------- */

typedef enum {
    K_OBJECT,         /* a section: holds keys, fills no field */
    K_NUMBER,         /* double, finite */
    K_INTEGER,        /* long long: a whole JSON number, |x| <= 2^53 */
    K_BOOL,           /* bool */
    K_STRING,         /* const char *, into the resolved tree */
    K_STRING_OR_NULL, /* const char *, into the resolved tree, or NULL */
    K_STRLIST,        /* lt_strlist; choices and F_NONEMPTY_ITEMS apply to each item */
    K_NUMLIST         /* lt_numlist; the bounds apply to each item */
} key_type;

typedef enum { B_NONE, B_CLOSED, B_OPEN } bound_kind;

typedef struct {
    bound_kind kind;
    double value;
} bound;

#define GE(x) {B_CLOSED, (x)}
#define GT(x) {B_OPEN, (x)}
#define LE(x) {B_CLOSED, (x)}
#define LT(x) {B_OPEN, (x)}

#define F_NONEMPTY 1u       /* the string, or the list, must not be empty */
#define F_NONEMPTY_ITEMS 2u /* each string of a list must not be empty */
#define F_INCREASING 4u     /* each number of a list must be >= the one before (a repeat
                             * counts twice, as in torch's MultiStepLR) */

typedef struct {
    const char *path;   /* "section.key"; a section is listed before its keys */
    key_type type;
    size_t offset;      /* of the field it fills (unused by K_OBJECT) */
    const char *def;    /* default as JSON text */
    cJSON *(*make_default)(const char *config_path); /* instead of def: file-dependent */
    bound lo, hi;       /* numbers, integers, and the items of number lists */
    unsigned flags;     /* F_* */
    const char *choices;              /* "a|b": the valid strings... */
    const char *(*name_at)(size_t i); /* ...or those of a module's table */
    struct {
        const char *key;    /* a string key listed earlier... */
        const char *values; /* ...that must be one of "a|b" for this key to be used */
    } only;
} key_spec;

#define SECTION(p) {.path = (p), .type = K_OBJECT}
#define KEY(p, t, field, d) \
    .path = (p), .type = (t), .offset = offsetof(lt_config, field), .def = (d)
#define ONLY(key, values) {(key), (values)}

static cJSON *default_output_dir(const char *config_path);

/* The optimizers that take one gradient step per minibatch (optim.c's table). */
#define FIRST_ORDER "sgd|momentum|nesterov|adagrad|rmsprop|adam|adamw"

/* One line per key, in the order of the resolved config.json. */
static const key_spec SCHEMA[] = {
    SECTION("data"),
    {KEY("data.dir", K_STRING, data.dir, "\"data/cifar-10-batches-bin\""), .flags = F_NONEMPTY},
    {KEY("data.train_files", K_STRLIST, data.train_files, DEFAULT_TRAIN_FILES),
     .flags = F_NONEMPTY | F_NONEMPTY_ITEMS},
    {KEY("data.test_file", K_STRING, data.test_file, "\"test_batch.bin\"")},
    {KEY("data.val_size", K_INTEGER, data.val_size, "1000"), .lo = GE(0)},
    {KEY("data.limit_train", K_INTEGER, data.limit_train, "0"), .lo = GE(0)},
    {KEY("data.preprocess", K_STRING, data.preprocess, "\"mean_image\""), .name_at = lt_preprocess_name_at},

    SECTION("model"),
    {KEY("model.loss", K_STRING, model.loss, "\"softmax\""), .name_at = lt_loss_name_at},
    {KEY("model.svm_margin", K_NUMBER, model.svm_margin, "1"), .lo = GE(0)},
    {KEY("model.init", K_STRING, model.init, "\"gaussian\""), .choices = "gaussian|zeros"},
    {KEY("model.init_scale", K_NUMBER, model.init_scale, "1e-4"), .lo = GE(0)},
    {KEY("model.init_weights", K_STRING_OR_NULL, model.init_weights, "null"), .flags = F_NONEMPTY},
    {KEY("model.init_bias", K_STRING_OR_NULL, model.init_bias, "null"), .flags = F_NONEMPTY},

    SECTION("regularization"),
    {KEY("regularization.type", K_STRING, regularization.type, "\"l2\""), .name_at = lt_penalty_name_at},
    {KEY("regularization.lambda", K_NUMBER, regularization.lambda, DEFAULT_LAMBDA), .lo = GE(0)},
    {KEY("regularization.beta", K_NUMBER, regularization.beta, "0.5"), .lo = GE(0)},

    /* A key listed twice has a different default per optimizer; the two "only for"
     * lists never overlap. Defaults: the lecture's, else PyTorch's (README). */
    SECTION("optimizer"),
    {KEY("optimizer.name", K_STRING, optimizer.name, "\"sgd\""), .name_at = lt_optim_name_at},
    {KEY("optimizer.lr", K_NUMBER, optimizer.lr, "3e-7"), .lo = GT(0),
     .only = ONLY("optimizer.name", "sgd|momentum|nesterov")},
    {KEY("optimizer.lr", K_NUMBER, optimizer.lr, "1e-2"), .lo = GT(0),
     .only = ONLY("optimizer.name", "adagrad|rmsprop")},
    {KEY("optimizer.lr", K_NUMBER, optimizer.lr, "1e-3"), .lo = GT(0),
     .only = ONLY("optimizer.name", "adam|adamw")},
    {KEY("optimizer.lr", K_NUMBER, optimizer.lr, "1"), .lo = GT(0),
     .only = ONLY("optimizer.name", "lbfgs")},
    {KEY("optimizer.rho", K_NUMBER, optimizer.rho, "0.9"), .lo = GE(0), .hi = LT(1),
     .only = ONLY("optimizer.name", "momentum|nesterov")},
    {KEY("optimizer.form", K_STRING, optimizer.form, "\"standard\""),
     .choices = "standard|velocity", .only = ONLY("optimizer.name", "momentum")},
    {KEY("optimizer.decay_rate", K_NUMBER, optimizer.decay_rate, "0.99"), .lo = GE(0),
     .hi = LT(1), .only = ONLY("optimizer.name", "rmsprop")},
    {KEY("optimizer.beta1", K_NUMBER, optimizer.beta1, "0.9"), .lo = GE(0), .hi = LT(1),
     .only = ONLY("optimizer.name", "adam|adamw")},
    {KEY("optimizer.beta2", K_NUMBER, optimizer.beta2, "0.999"), .lo = GE(0), .hi = LT(1),
     .only = ONLY("optimizer.name", "adam|adamw")},
    {KEY("optimizer.eps", K_NUMBER, optimizer.eps, "1e-7"), .lo = GT(0),
     .only = ONLY("optimizer.name", "adagrad|rmsprop")},
    {KEY("optimizer.eps", K_NUMBER, optimizer.eps, "1e-8"), .lo = GT(0),
     .only = ONLY("optimizer.name", "adam|adamw")},
    {KEY("optimizer.bias_correction", K_BOOL, optimizer.bias_correction, "true"),
     .only = ONLY("optimizer.name", "adam|adamw")},
    {KEY("optimizer.weight_decay", K_NUMBER, optimizer.weight_decay, "0.01"), .lo = GE(0),
     .only = ONLY("optimizer.name", "adamw")},
    {KEY("optimizer.history", K_INTEGER, optimizer.history, "10"), .lo = GE(1), .hi = LE(1000),
     .only = ONLY("optimizer.name", "lbfgs")},
    {KEY("optimizer.max_iter", K_INTEGER, optimizer.max_iter, "20"), .lo = GE(1), .hi = LE(1e6),
     .only = ONLY("optimizer.name", "lbfgs")},
    {KEY("optimizer.tolerance_grad", K_NUMBER, optimizer.tolerance_grad, "1e-7"), .lo = GE(0),
     .only = ONLY("optimizer.name", "lbfgs")},
    {KEY("optimizer.tolerance_change", K_NUMBER, optimizer.tolerance_change, "1e-9"),
     .lo = GE(0), .only = ONLY("optimizer.name", "lbfgs")},
    {KEY("optimizer.trials", K_INTEGER, optimizer.trials, "1000"), .lo = GE(1), .hi = LE(1e9),
     .only = ONLY("optimizer.name", "random_search")},
    {KEY("optimizer.init_scale", K_NUMBER, optimizer.init_scale, "1e-4"), .lo = GE(0),
     .only = ONLY("optimizer.name", "random_search")},

    /* L-BFGS's line search sets its own steps and random search takes none. */
    {.path = "schedule", .type = K_OBJECT, .only = ONLY("optimizer.name", FIRST_ORDER)},
    {KEY("schedule.name", K_STRING, schedule.name, "\"constant\""), .name_at = lt_schedule_name_at},
    {KEY("schedule.unit", K_STRING, schedule.unit, "\"epoch\""), .choices = "epoch|step",
     .only = ONLY("schedule.name", "step|cosine|linear|inverse_sqrt")},
    {KEY("schedule.milestones", K_NUMLIST, schedule.milestones, "[]"), .lo = GE(0), .flags = F_INCREASING,
     .only = ONLY("schedule.name", "step")},
    {KEY("schedule.gamma", K_NUMBER, schedule.gamma, "0.1"), .lo = GT(0),
     .only = ONLY("schedule.name", "step")},
    {KEY("schedule.warmup_steps", K_INTEGER, schedule.warmup_steps, "0"), .lo = GE(0),
     .hi = LE(INT_EXACT)},
    {KEY("schedule.lr_scaling_base_batch", K_INTEGER, schedule.lr_scaling_base_batch, "0"),
     .lo = GE(0), .hi = LE(INT_EXACT)},

    SECTION("train"),
    {KEY("train.epochs", K_INTEGER, train.epochs, "10"), .lo = GE(1), .hi = LE(1e9),
     .only = ONLY("optimizer.name", FIRST_ORDER "|lbfgs")},
    /* Full batch for the optimizers that need it (cross_checks refuses anything else). */
    {KEY("train.batch_size", K_INTEGER, train.batch_size, "256"), .lo = GE(0),
     .only = ONLY("optimizer.name", FIRST_ORDER)},
    {KEY("train.batch_size", K_INTEGER, train.batch_size, "0"), .lo = GE(0),
     .only = ONLY("optimizer.name", "lbfgs|random_search")},
    {KEY("train.shuffle", K_BOOL, train.shuffle, "true")},
    {KEY("train.seed", K_INTEGER, train.seed, "0"), .lo = GE(0), .hi = LE(INT_EXACT)},
    {KEY("train.log_every", K_INTEGER, train.log_every, "100"), .lo = GE(0)},
    {KEY("train.threads", K_INTEGER, train.threads, "0"), .lo = GE(0), .hi = LE(1024)},
    {KEY("train.checkpoint_every", K_INTEGER, train.checkpoint_every, "1"), .lo = GE(0), .hi = LE(1e9)},
    {KEY("train.early_stopping_patience", K_INTEGER, train.early_stopping_patience, "0"),
     .lo = GE(0), .hi = LE(1e9)},
    {KEY("train.kernel", K_STRING, train.kernel, "\"auto\""), .name_at = lt_kernel_name_at},
    {KEY("train.eval_train_size", K_INTEGER, train.eval_train_size, "5000"), .lo = GE(0)},
    {KEY("train.divergence_factor", K_NUMBER, train.divergence_factor, "1e3"), .lo = GE(0)},

    SECTION("output"),
    {KEY("output.dir", K_STRING, output.dir, NULL), .make_default = default_output_dir,
     .flags = F_NONEMPTY},
};
#define N_SCHEMA (sizeof SCHEMA / sizeof SCHEMA[0])

/* "runs/<file name without .json>", so that each config gets its own run folder. */
static cJSON *default_output_dir(const char *config_path)
{
    if (!config_path) {
        return cJSON_CreateString("runs/default");
    }
    const char *slash = strrchr(config_path, '/');
    const char *base = slash ? slash + 1 : config_path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0) {
        len -= 5;
    }
    char *dir = malloc(len + sizeof "runs/");
    if (!dir) {
        return NULL;
    }
    memcpy(dir, "runs/", 5);
    memcpy(dir + 5, base, len);
    dir[5 + len] = '\0';
    cJSON *v = cJSON_CreateString(dir);
    free(dir);
    return v;
}

/* ---- the load's context and its error messages ----------------------------------- */

typedef struct {
    const key_spec *keys;
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

/* s for a one-line message: control bytes become '?', long strings end in "...". */
static const char *show(const char *s, char *buf, size_t cap)
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
static const char *fmt_num(double v, char *buf, size_t cap)
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
static const char *describe(const cJSON *v, char *buf, size_t cap)
{
    char tmp[SHOW_MAX + 8];
    if (cJSON_IsString(v)) {
        snprintf(buf, cap, "a string (\"%s\")", show(v->valuestring, tmp, sizeof tmp));
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, cap, "a number (%s)", fmt_num(v->valuedouble, tmp, sizeof tmp));
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
static const char *set_for(const load_ctx *c, const char *key)
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
__attribute__((format(printf, 3, 4)))
static lt_status fail_at(const load_ctx *c, const char *key, const char *fmt, ...)
{
    char msg[sizeof c->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *set = set_for(c, key);
    if (set) {
        char tmp[SHOW_MAX + 8];
        return lt_fail(c->err, LT_ECONFIG, "--set \"%s\": %s", show(set, tmp, sizeof tmp), msg);
    }
    return lt_fail(c->err, LT_ECONFIG, "%s: %s", c->path ? c->path : "config", msg);
}

static lt_status out_of_memory(const load_ctx *c)
{
    return lt_fail(c->err, LT_ERR, "%s: out of memory reading the config",
                   c->path ? c->path : "config");
}

/* A bug in a key table, not in the user's config. */
static lt_status schema_bug(const load_ctx *c, const char *key, const char *what)
{
    return lt_fail(c->err, LT_ERR, "config schema: %s: %s", key, what);
}

/* ---- names, paths and suggestions ------------------------------------------------- */

/* The i-th "|"-separated token of list as (*s, *len); false past the end. */
static bool token_at(const char *list, size_t i, const char **s, size_t *len)
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
static bool choice_at(const key_spec *k, size_t i, const char **s, size_t *len)
{
    if (k->name_at) {
        *s = k->name_at(i);
        *len = *s ? strlen(*s) : 0;
        return *s != NULL;
    }
    return token_at(k->choices, i, s, len);
}

static bool in_list(const char *list, const char *s)
{
    const char *t;
    size_t n;
    for (size_t i = 0; token_at(list, i, &t, &n); i++) {
        if (strlen(s) == n && strncmp(s, t, n) == 0) {
            return true;
        }
    }
    return false;
}

static bool is_choice(const key_spec *k, const char *s)
{
    const char *t;
    size_t n;
    for (size_t i = 0; choice_at(k, i, &t, &n); i++) {
        if (strlen(s) == n && strncmp(s, t, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Bytes of path before its last '.' (0 for a section). */
static size_t parent_len(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? (size_t)(dot - path) : 0;
}

static const char *leaf_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

static bool is_child_of(const key_spec *k, const char *parent)
{
    size_t n = parent_len(k->path);
    return strlen(parent) == n && strncmp(k->path, parent, n) == 0;
}

/* The index of the key whose path is the first len bytes of path, or n_keys. */
static size_t find_key(const load_ctx *c, const char *path, size_t len)
{
    for (size_t i = 0; i < c->n_keys; i++) {
        if (strlen(c->keys[i].path) == len && strncmp(c->keys[i].path, path, len) == 0) {
            return i;
        }
    }
    return c->n_keys;
}

/* The key named name directly under the section parent ("" for the top level). */
static const key_spec *find_child(const load_ctx *c, const char *parent, const char *name)
{
    for (size_t i = 0; i < c->n_keys; i++) {
        if (is_child_of(&c->keys[i], parent) && strcmp(leaf_of(c->keys[i].path), name) == 0) {
            return &c->keys[i];
        }
    }
    return NULL;
}

/* The member of obj whose key is the len bytes at name (keys are case-sensitive). */
static cJSON *member(const cJSON *obj, const char *name, size_t len)
{
    for (cJSON *m = obj ? obj->child : NULL; m; m = m->next) {
        if (m->string && strlen(m->string) == len && strncmp(m->string, name, len) == 0) {
            return m;
        }
    }
    return NULL;
}

/* The value at the dotted path made of the first len bytes of path; root when len 0. */
static cJSON *tree_get(cJSON *root, const char *path, size_t len)
{
    cJSON *v = root;
    const char *p = path, *end = path + len;
    while (v && p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        v = cJSON_IsObject(v) ? member(v, p, n) : NULL;
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
                st = out_of_memory(c);
                goto cleanup;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > MAX_CONFIG_BYTES) {
            st = lt_fail(c->err, LT_ECONFIG, "%s: larger than %zu MiB; not a config file",
                         c->path, MAX_CONFIG_BYTES >> 20);
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
    if (!*why && lt_json_diagnose(text, n, &at, what, sizeof what)) {
        why = what;
    }
    size_t line, col;
    lt_json_position(text, at, &line, &col);
    lt_json_excerpt(text, n, at, excerpt, sizeof excerpt);
    return lt_fail(c->err, LT_ECONFIG,
                   "%s: invalid JSON at line %zu, column %zu (byte %zu)%s%s\n%s", c->path, line,
                   col, at, *why ? ": " : "", why, excerpt);
}

/* The file's tree in *root, or a fresh {} without a file. */
static lt_status read_root(const load_ctx *c, cJSON **root)
{
    *root = NULL;
    if (!c->path) {
        *root = cJSON_CreateObject();
        return *root ? LT_OK : out_of_memory(c);
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
                     c->path, describe(*root, got, sizeof got));
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
        cJSON *next = member(obj, name, strlen(name));
        if (!next) {
            next = cJSON_CreateObject();
            if (!next || !cJSON_AddItemToObject(obj, name, next)) {
                cJSON_Delete(next);
                cJSON_Delete(value);
                return out_of_memory(c);
            }
        } else if (!cJSON_IsObject(next)) {
            char tmp[SHOW_MAX + 8], got[SHOW_MAX + 32];
            describe(next, got, sizeof got);
            cJSON_Delete(value);
            return lt_fail(c->err, LT_ECONFIG, "--set \"%s\": \"%s\" is %s, not an object",
                           show(set, tmp, sizeof tmp), keys, got);
        }
        *dot = '.';  /* keys names the whole prefix in the message above */
        obj = next;
        name = dot + 1;
    }
    bool ok = member(obj, name, strlen(name))
                  ? cJSON_ReplaceItemInObjectCaseSensitive(obj, name, value)
                  : cJSON_AddItemToObject(obj, name, value);
    if (!ok) {
        cJSON_Delete(value);
        return out_of_memory(c);
    }
    return LT_OK;
}

/* Removes the value at the dotted path keys of root, if there is one. */
static void remove_value(cJSON *root, const char *keys)
{
    size_t plen = parent_len(keys);
    cJSON *parent = tree_get(root, keys, plen);
    const char *leaf = plen ? keys + plen + 1 : keys;
    cJSON *item = cJSON_IsObject(parent) ? member(parent, leaf, strlen(leaf)) : NULL;
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
                       show(set, tmp, sizeof tmp));
    }
    size_t len = (size_t)(eq - set);
    if (has_empty_component(set, len)) {
        /* The key part alone, shown like any user string (fuzzing found a raw newline). */
        char key[SHOW_MAX + 8], shown_key[SHOW_MAX + 8];
        snprintf(key, sizeof key, "%.*s", (int)(len < SHOW_MAX ? len : SHOW_MAX), set);
        return lt_fail(c->err, LT_ECONFIG, "--set \"%s\": empty key name in \"%s\"",
                       show(set, tmp, sizeof tmp), show(key, shown_key, sizeof shown_key));
    }
    char *keys = malloc(len + 1);
    cJSON *value = cJSON_ParseWithOpts(eq + 1, NULL, 1);
    if (!value) {
        value = cJSON_CreateString(eq + 1);
    }
    if (!keys || !value) {
        free(keys);
        cJSON_Delete(value);
        return out_of_memory(c);
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

static lt_status apply_sets(const load_ctx *c, cJSON *root)
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

static const char *expected_of(key_type t)
{
    switch (t) {
    case K_OBJECT: return "an object";
    case K_NUMBER: return "a number";
    case K_INTEGER: return "an integer";
    case K_BOOL: return "true or false";
    case K_STRING: return "a string";
    case K_STRING_OR_NULL: return "a string or null";
    case K_STRLIST: return "a list of strings";
    case K_NUMLIST: return "a list of numbers";
    }
    return "?";
}

static lt_status type_error(const load_ctx *c, const char *path, const char *expected,
                            const cJSON *v)
{
    char got[SHOW_MAX + 32];
    return fail_at(c, path, "%s: expected %s, got %s", path, expected,
                   describe(v, got, sizeof got));
}

/* "parent.name" (or "name" at the top level) into buf; raw for --set attribution,
 * shown for messages. */
static void join_path(const char *parent, const char *name, bool shown, char *buf, size_t cap)
{
    char tmp[SHOW_MAX + 8];
    snprintf(buf, cap, "%s%s%s", parent, *parent ? "." : "",
             shown ? show(name, tmp, sizeof tmp) : name);
}

static lt_status unknown_key(const load_ctx *c, const char *parent, const char *name)
{
    char raw[PATH_MAX_LEN], shown[PATH_MAX_LEN];
    join_path(parent, name, false, raw, sizeof raw);
    join_path(parent, name, true, shown, sizeof shown);
    const key_spec *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < c->n_keys; i++) {
        const key_spec *k = &c->keys[i];
        if (!is_child_of(k, parent)) {
            continue;
        }
        const char *leaf = leaf_of(k->path);
        size_t d = lt_edit_distance(name, strlen(name), leaf, strlen(leaf));
        if (d < best_d && lt_close_enough(d, name, strlen(leaf))) {
            best = k;
            best_d = d;
        }
    }
    if (strchr(name, '.') && find_key(c, raw, strlen(raw)) < c->n_keys) {
        /* {"optimizer.lr": 1}: the --set spelling used inside a file. */
        return fail_at(c, raw, "unknown key \"%s\" (a file nests its keys: {\"%.*s\": {...}})",
                       shown, (int)strcspn(raw, "."), raw);
    }
    if (best) {
        return fail_at(c, raw, "unknown key \"%s\" (did you mean \"%s\"?)", shown, best->path);
    }
    return fail_at(c, raw, "unknown key \"%s\"", shown);
}

/* Walks obj (the section parent, "" for the top level) in document order. Duplicates
 * are checked only against earlier siblings, which are all distinct schema keys by
 * then, so the cost is bounded by the schema, not by the file. */
static lt_status check_shape(const load_ctx *c, const cJSON *obj, const char *parent)
{
    for (const cJSON *item = obj->child; item; item = item->next) {
        for (const cJSON *prev = obj->child; prev != item; prev = prev->next) {
            if (strcmp(prev->string, item->string) == 0) {
                char shown[PATH_MAX_LEN];
                join_path(parent, item->string, true, shown, sizeof shown);
                /* --set replaces a key and never adds a twin: duplicates are the file's. */
                return fail_at(c, NULL, "duplicate key \"%s\"", shown);
            }
        }
        const key_spec *k = find_child(c, parent, item->string);
        if (!k) {
            return unknown_key(c, parent, item->string);
        }
        if (k->type == K_OBJECT) {
            if (!cJSON_IsObject(item)) {
                return type_error(c, k->path, expected_of(K_OBJECT), item);
            }
            lt_status st = check_shape(c, item, k->path);
            if (st != LT_OK) {
                return st;
            }
        }
    }
    return LT_OK;
}

/* ---- values: type, range, choices ---------------------------------------------------- */

/* "in [a, b)", ">= a", "< b", or "" without bounds. */
static const char *range_text(const key_spec *k, char *buf, size_t cap)
{
    char a[32], b[32];
    fmt_num(k->lo.value, a, sizeof a);
    fmt_num(k->hi.value, b, sizeof b);
    if (k->lo.kind != B_NONE && k->hi.kind != B_NONE) {
        snprintf(buf, cap, "in %c%s, %s%c", k->lo.kind == B_OPEN ? '(' : '[', a, b,
                 k->hi.kind == B_OPEN ? ')' : ']');
    } else if (k->lo.kind != B_NONE) {
        snprintf(buf, cap, "%s %s", k->lo.kind == B_OPEN ? ">" : ">=", a);
    } else if (k->hi.kind != B_NONE) {
        snprintf(buf, cap, "%s %s", k->hi.kind == B_OPEN ? "<" : "<=", b);
    } else {
        buf[0] = '\0';
    }
    return buf;
}

static bool in_range(const key_spec *k, double d)
{
    double lo = k->lo.value, hi = k->hi.value;
    bool lo_ok = k->lo.kind == B_NONE || (k->lo.kind == B_OPEN ? d > lo : d >= lo);
    bool hi_ok = k->hi.kind == B_NONE || (k->hi.kind == B_OPEN ? d < hi : d <= hi);
    return lo_ok && hi_ok;
}

/* A number (or an integer) at path, against k's bounds. */
static lt_status check_number(const load_ctx *c, const key_spec *k, const char *path,
                              const cJSON *v, bool integer)
{
    if (!cJSON_IsNumber(v)) {
        return type_error(c, path, integer ? "an integer" : "a number", v);
    }
    double d = v->valuedouble;
    char got[32], range[80];
    fmt_num(d, got, sizeof got);
    range_text(k, range, sizeof range);
    if (!isfinite(d)) {
        /* cJSON reads 1e999 as inf. */
        return fail_at(c, path, "%s: must be a finite number, got %s", path, got);
    }
    if (integer && (d != trunc(d) || !in_range(k, d))) {
        return fail_at(c, path, "%s: must be an integer%s%s, got %s", path, *range ? " " : "",
                       range, got);
    }
    if (!in_range(k, d)) {
        return fail_at(c, path, "%s: must be %s, got %s", path, range, got);
    }
    if (integer && fabs(d) > INT_EXACT) {
        return fail_at(c, path, "%s: must be an integer of magnitude <= 2^53 = 9007199254740992, "
                       "got %s", path, got);
    }
    return LT_OK;
}

/* "a, b, c" from the valid strings of k (or of a "|" list when k is NULL). */
static const char *list_text(const key_spec *k, const char *list, char *buf, size_t cap)
{
    const char *t;
    size_t n, used = 0;
    buf[0] = '\0';
    for (size_t i = 0; k ? choice_at(k, i, &t, &n) : token_at(list, i, &t, &n); i++) {
        int w = snprintf(buf + used, cap - used, "%s%.*s", i ? ", " : "", (int)n, t);
        if (w < 0 || (size_t)w >= cap - used) {
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

static lt_status unknown_choice(const load_ctx *c, const key_spec *k, const char *path,
                                const char *s)
{
    const char *best = NULL, *t;
    size_t best_n = 0, best_d = SIZE_MAX, n;
    for (size_t i = 0; choice_at(k, i, &t, &n); i++) {
        size_t d = lt_edit_distance(s, strlen(s), t, n);
        if (d < best_d && lt_close_enough(d, s, n)) {
            best = t;
            best_n = n;
            best_d = d;
        }
    }
    char tmp[SHOW_MAX + 8], choices[512];
    show(s, tmp, sizeof tmp);
    list_text(k, NULL, choices, sizeof choices);
    if (best) {
        return fail_at(c, path, "%s: unknown \"%s\" (did you mean \"%.*s\"? choices: %s)", path,
                       tmp, (int)best_n, best, choices);
    }
    return fail_at(c, path, "%s: unknown \"%s\" (choices: %s)", path, tmp, choices);
}

/* A string at path: type, emptiness (flag), choices. */
static lt_status check_string(const load_ctx *c, const key_spec *k, const char *path,
                              const cJSON *v, const char *expected, unsigned nonempty_flag)
{
    if (!cJSON_IsString(v)) {
        return type_error(c, path, expected, v);
    }
    const char *s = v->valuestring;
    if ((k->flags & nonempty_flag) && s[0] == '\0') {
        return fail_at(c, path, "%s: must not be empty%s", path,
                       k->type == K_STRING_OR_NULL ? " (use null for none)" : "");
    }
    if ((k->choices || k->name_at) && !is_choice(k, s)) {
        return unknown_choice(c, k, path, s);
    }
    return LT_OK;
}

static lt_status check_list(const load_ctx *c, const key_spec *k, const cJSON *v)
{
    if (!cJSON_IsArray(v)) {
        return type_error(c, k->path, expected_of(k->type), v);
    }
    if ((k->flags & F_NONEMPTY) && !v->child) {
        return fail_at(c, k->path, "%s: must not be empty", k->path);
    }
    size_t i = 0;
    for (const cJSON *item = v->child; item; item = item->next, i++) {
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "%s[%zu]", k->path, i);
        lt_status st = k->type == K_STRLIST
                           ? check_string(c, k, path, item, "a string", F_NONEMPTY_ITEMS)
                           : check_number(c, k, path, item, false);
        if (st != LT_OK) {
            return st;
        }
        /* cJSON's first item's prev is the last item: only compare from the second. */
        if ((k->flags & F_INCREASING) && i > 0 &&
            !(item->valuedouble >= item->prev->valuedouble)) {
            return fail_at(c, k->path, "%s: must be in increasing order, got %.17g after %.17g",
                           path, item->valuedouble, item->prev->valuedouble);
        }
    }
    return LT_OK;
}

static lt_status check_value(const load_ctx *c, const key_spec *k, const cJSON *v)
{
    switch (k->type) {
    case K_OBJECT:
        return LT_OK;
    case K_NUMBER:
        return check_number(c, k, k->path, v, false);
    case K_INTEGER:
        return check_number(c, k, k->path, v, true);
    case K_BOOL:
        return cJSON_IsBool(v) ? LT_OK : type_error(c, k->path, expected_of(k->type), v);
    case K_STRING:
        return check_string(c, k, k->path, v, expected_of(k->type), F_NONEMPTY);
    case K_STRING_OR_NULL:
        return cJSON_IsNull(v) ? LT_OK
                               : check_string(c, k, k->path, v, expected_of(k->type), F_NONEMPTY);
    case K_STRLIST:
    case K_NUMLIST:
        return check_list(c, k, v);
    }
    return schema_bug(c, k->path, "unknown type");
}

/* ---- resolve: schema order, defaults, "only for" ---------------------------------------- */

/* Whether key i is used given the resolved tree so far: its "only for" key (listed
 * earlier, so already resolved) holds one of its values. */
static lt_status is_used(const load_ctx *c, cJSON *tree, size_t i, bool *used)
{
    const key_spec *k = &c->keys[i];
    *used = true;
    if (!k->only.key) {
        return LT_OK;
    }
    size_t ctl = find_key(c, k->only.key, strlen(k->only.key));
    if (ctl >= i || c->keys[ctl].type != K_STRING) {
        return schema_bug(c, k->path, "its \"only for\" key must be a string key listed before it");
    }
    const cJSON *v = tree_get(tree, k->only.key, strlen(k->only.key));
    *used = cJSON_IsString(v) && in_list(k->only.values, v->valuestring);
    return LT_OK;
}

/* "optimizer.rho: not used by optimizer "sgd" (used by: momentum, nesterov)". The
 * controlling key is named by its leaf, or by its section when the leaf is just
 * "name" or "type". */
static lt_status not_used(const load_ctx *c, cJSON *tree, const key_spec *k)
{
    const char *ctl = k->only.key;
    const char *leaf = leaf_of(ctl);
    int label_len = (int)strlen(leaf);
    const char *label = leaf;
    if ((strcmp(leaf, "name") == 0 || strcmp(leaf, "type") == 0) && parent_len(ctl) > 0) {
        label = ctl;
        label_len = (int)parent_len(ctl);
    }
    const cJSON *v = tree_get(tree, ctl, strlen(ctl));
    char tmp[SHOW_MAX + 8], users[512], more[512];
    list_text(NULL, k->only.values, users, sizeof users);
    /* The users of every entry for this path (a key listed once per default). */
    for (size_t j = 0; j < c->n_keys; j++) {
        const key_spec *o = &c->keys[j];
        if (o != k && o->only.key && strcmp(o->path, k->path) == 0) {
            size_t used_len = strlen(users);
            list_text(NULL, o->only.values, more, sizeof more);
            if (used_len + 2 + strlen(more) < sizeof users) {
                memcpy(users + used_len, ", ", 2);
                memcpy(users + used_len + 2, more, strlen(more) + 1);
            }
        }
    }
    return fail_at(c, k->path, "%s: not used by %.*s \"%s\" (used by: %s)", k->path, label_len,
                   label, cJSON_IsString(v) ? show(v->valuestring, tmp, sizeof tmp) : "", users);
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
    return set_for(c, path) != NULL;
}

/* A key of the file that the choice made by a --set does not use: removed from the
 * user's tree, with the note "optimizer.rho dropped: not used by adam" for the caller
 * (the file was written for the choice the --set replaced). */
static lt_status drop_key(load_ctx *c, cJSON *tree, const key_spec *k, cJSON *from,
                          cJSON *given)
{
    const cJSON *v = tree_get(tree, k->only.key, strlen(k->only.key));
    char tmp[SHOW_MAX + 8], line[PATH_MAX_LEN + SHOW_MAX + 32];
    int n = snprintf(line, sizeof line, "%s dropped: not used by %s\n", k->path,
                     cJSON_IsString(v) ? show(v->valuestring, tmp, sizeof tmp) : "this choice");
    size_t len = n > 0 ? (size_t)n : 0;
    char *notes = realloc(c->notes, c->notes_len + len + 1);
    if (!notes) {
        return out_of_memory(c);
    }
    memcpy(notes + c->notes_len, line, len + 1);
    c->notes = notes;
    c->notes_len += len;
    /* Gone from the user's tree, the key's other entries (per-choice defaults) are
     * silent about it. */
    cJSON_Delete(cJSON_DetachItemViaPointer(from, given));
    return LT_OK;
}

/* The value key k takes: a new section (its keys follow one by one), the user's value
 * (detached from the user's tree), or the key's default. */
static lt_status take_value(const load_ctx *c, const key_spec *k, cJSON *from, cJSON *given,
                            cJSON **v)
{
    if (k->type == K_OBJECT) {
        *v = cJSON_CreateObject();
    } else if (given) {
        *v = cJSON_DetachItemViaPointer(from, given);
    } else if (k->make_default) {
        *v = k->make_default(c->path);
    } else if (!k->def) {
        return schema_bug(c, k->path, "has no default");
    } else {
        /* Strict like the file: cJSON_Parse would read "0.9.1" as 0.9. */
        *v = cJSON_ParseWithOpts(k->def, NULL, 1);
        if (!*v) {
            return schema_bug(c, k->path, "its default is not JSON (or out of memory)");
        }
    }
    return *v ? LT_OK : out_of_memory(c);
}

/* Moves key i from user into tree, or adds its default there, and checks it. */
static lt_status resolve_key(load_ctx *c, cJSON *user, cJSON *tree, size_t i)
{
    const key_spec *k = &c->keys[i];
    const char *leaf = leaf_of(k->path);
    size_t plen = parent_len(k->path);
    cJSON *dest = tree_get(tree, k->path, plen);
    if (!dest) {
        /* An unused conditional section takes its keys with it; a section listed after
         * its keys is a bug of the table. */
        return find_key(c, k->path, plen) < i
                   ? LT_OK
                   : schema_bug(c, k->path, "listed before its section");
    }
    cJSON *from = tree_get(user, k->path, plen);
    cJSON *given = cJSON_IsObject(from) ? member(from, leaf, strlen(leaf)) : NULL;
    bool used;
    lt_status st = is_used(c, tree, i, &used);
    if (st != LT_OK) {
        return st;
    }
    if (!used) {
        /* Another entry for the same path may be the one in use (a per-choice default). */
        bool twin_used = false;
        for (size_t j = 0; given && !twin_used && j < c->n_keys; j++) {
            if (j != i && strcmp(c->keys[j].path, k->path) == 0) {
                if ((st = is_used(c, tree, j, &twin_used)) != LT_OK) {
                    return st;
                }
            }
        }
        if (!given || twin_used) {
            return LT_OK;
        }
        return set_under(c, k->only.key) && !set_under(c, k->path)
                   ? drop_key(c, tree, k, from, given)
                   : not_used(c, tree, k);
    }
    cJSON *v;
    st = take_value(c, k, from, given, &v);
    if (st != LT_OK) {
        return st;
    }
    if (!cJSON_AddItemToObject(dest, leaf, v)) {
        cJSON_Delete(v);
        return out_of_memory(c);
    }
    st = check_value(c, k, v);
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

static lt_status extract_key(const key_spec *k, const cJSON *v, void *base, lt_error *err)
{
    char *field = (char *)base + k->offset;
    size_t n = 0, i = 0;
    for (const cJSON *item = v->child; item; item = item->next) {
        n++;
    }
    switch (k->type) {
    case K_OBJECT:
        break;
    case K_NUMBER:
        *(double *)(void *)field = v->valuedouble;
        break;
    case K_INTEGER:
        *(long long *)(void *)field = (long long)v->valuedouble;  /* whole, |x| <= 2^53 */
        break;
    case K_BOOL:
        *(bool *)(void *)field = cJSON_IsTrue(v);
        break;
    case K_STRING:
    case K_STRING_OR_NULL:
        *(const char **)(void *)field = cJSON_IsString(v) ? v->valuestring : NULL;
        break;
    case K_STRLIST: {
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
    case K_NUMLIST: {
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
static lt_status extract(const key_spec *keys, size_t n_keys, cJSON *tree, void *base,
                         lt_error *err)
{
    for (size_t i = 0; i < n_keys; i++) {
        const cJSON *v = tree_get(tree, keys[i].path, strlen(keys[i].path));
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
static void engine_free(const key_spec *keys, size_t n_keys, void *base)
{
    for (size_t i = 0; i < n_keys; i++) {
        char *field = (char *)base + keys[i].offset;
        if (keys[i].type == K_STRLIST) {
            lt_strlist *list = (lt_strlist *)(void *)field;
            free(list->items);
            list->items = NULL;
            list->n = 0;
        } else if (keys[i].type == K_NUMLIST) {
            lt_numlist *list = (lt_numlist *)(void *)field;
            free(list->items);
            list->items = NULL;
            list->n = 0;
        }
    }
}

/* Loads path with sets against keys into the zeroed struct at base; *resolved gets the
 * resolved tree and *notes (when not NULL) the "KEY dropped: ..." lines or NULL, both
 * owned by the caller. On failure nothing is left allocated. */
static lt_status engine_load(const key_spec *keys, size_t n_keys, void *base, cJSON **resolved,
                             char **notes, const char *path, const char *const *sets,
                             size_t n_sets, lt_error *err)
{
    load_ctx c = {keys, n_keys, path, sets, n_sets, err, NULL, 0};
    cJSON *user = NULL;
    cJSON *tree = cJSON_CreateObject();
    *resolved = NULL;
    lt_status st = tree ? read_root(&c, &user) : out_of_memory(&c);
    if (st == LT_OK) {
        st = apply_sets(&c, user);
    }
    if (st == LT_OK) {
        st = check_shape(&c, user, "");
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
        engine_free(keys, n_keys, base);
        cJSON_Delete(tree);
        return st;
    }
    *resolved = tree;
    if (notes) {
        *notes = c.notes;
    }
    return LT_OK;
}

/* Rules between keys of the real schema, after each key is valid on its own. Rules
 * that need the data (warmup longer than the run, a batch larger than the split) are
 * checked by the trainer, still before anything is written. */
static lt_status cross_checks(const load_ctx *c, const lt_config *cfg)
{
    const char *opt = cfg->optimizer.name;
    bool lbfgs = strcmp(opt, "lbfgs") == 0;
    if ((lbfgs || strcmp(opt, "random_search") == 0) && cfg->train.batch_size != 0) {
        return fail_at(c, "train.batch_size",
                       "train.batch_size: optimizer \"%s\" %s: set it to 0 (full batch), got %lld",
                       opt,
                       lbfgs ? "is full-batch and deterministic (the lecture: \"disable all "
                               "sources of noise\")"
                             : "scores each trial on the whole training split",
                       cfg->train.batch_size);
    }
    const char *pen = cfg->regularization.type;
    if (lbfgs && cfg->regularization.lambda > 0 &&
        (strcmp(pen, "l1") == 0 || strcmp(pen, "elastic_net") == 0)) {
        return fail_at(c, "regularization.type",
                       "regularization.type: \"%s\" is not differentiable where a weight is 0, "
                       "and L-BFGS needs a smooth objective: use \"l2\" or \"none\" with "
                       "optimizer \"lbfgs\" (or regularization.lambda 0)",
                       pen);
    }
    return LT_OK;
}

lt_status lt_config_load(lt_config *cfg, const char *path, const char *const *sets,
                         size_t n_sets, lt_error *err)
{
    if (!cfg) {
        return lt_fail(err, LT_ERR, "lt_config_load: no config to fill");
    }
    memset(cfg, 0, sizeof *cfg);
    cJSON *tree;
    char *notes;
    lt_status st = engine_load(SCHEMA, N_SCHEMA, cfg, &tree, &notes, path, sets, n_sets, err);
    if (st != LT_OK) {
        memset(cfg, 0, sizeof *cfg);
        return st;
    }
    cfg->resolved = tree;
    cfg->notes = notes;
    load_ctx c = {SCHEMA, N_SCHEMA, path, sets, n_sets, err, NULL, 0};
    st = cross_checks(&c, cfg);
    if (st != LT_OK) {
        lt_config_free(cfg);
    }
    return st;
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
            cJSON *raw = cJSON_CreateRaw(fmt_num(item->valuedouble, buf, sizeof buf));
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

char *lt_config_to_json(const lt_config *cfg)
{
    if (!cfg || !cfg->resolved) {
        return NULL;
    }
    char *text = NULL, *out = NULL;
    cJSON *copy = cJSON_Duplicate(cfg->resolved, 1);
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

void lt_config_free(lt_config *cfg)
{
    if (!cfg) {
        return;
    }
    engine_free(SCHEMA, N_SCHEMA, cfg);
    cJSON_Delete(cfg->resolved);
    free(cfg->notes);
    memset(cfg, 0, sizeof *cfg);
}

/* Removes the keys of the "|"-separated paths in ignore from tree. */
static void drop_keys(cJSON *tree, const char *ignore)
{
    const char *t;
    size_t n;
    for (size_t i = 0; ignore && token_at(ignore, i, &t, &n); i++) {
        size_t plen = 0;
        for (size_t j = 0; j < n; j++) {
            plen = t[j] == '.' ? j : plen;
        }
        cJSON *parent = tree_get(tree, t, plen);
        const char *leaf = plen ? t + plen + 1 : t;
        cJSON *item = member(parent, leaf, (size_t)(t + n - leaf));
        if (item) {
            cJSON_Delete(cJSON_DetachItemViaPointer(parent, item));
        }
    }
}

/* "model.loss is \"svm\" here, \"softmax\" in NAME" for the first schema key whose
 * values differ between the two trees (a missing key counts as absent). */
static void describe_difference(cJSON *mine, cJSON *other, const char *other_name, char *msg,
                                size_t cap)
{
    for (size_t i = 0; i < N_SCHEMA; i++) {
        const char *path = SCHEMA[i].path;
        if (SCHEMA[i].type == K_OBJECT) {
            continue;
        }
        cJSON *a = tree_get(mine, path, strlen(path));
        cJSON *b = tree_get(other, path, strlen(path));
        if ((a || b) && !(a && b && cJSON_Compare(a, b, 1))) {
            char *ta = a ? cJSON_PrintUnformatted(a) : NULL;
            char *tb = b ? cJSON_PrintUnformatted(b) : NULL;
            char sa[SHOW_MAX + 8], sb[SHOW_MAX + 8];
            snprintf(msg, cap, "%s is %s here, %s in %s", path,
                     ta ? show(ta, sa, sizeof sa) : "absent", tb ? show(tb, sb, sizeof sb) : "absent",
                     other_name);
            cJSON_free(ta);
            cJSON_free(tb);
            return;
        }
    }
    snprintf(msg, cap, "a key this version of lintrain does not know differs");
}

int lt_config_compare(const lt_config *cfg, const char *other, const char *other_name,
                      const char *ignore, char *msg, size_t cap)
{
    cJSON *mine = cfg && cfg->resolved ? cJSON_Duplicate(cfg->resolved, 1) : NULL;
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
            describe_difference(mine, theirs, other_name, msg, cap);
        }
    }
    cJSON_Delete(mine);
    cJSON_Delete(theirs);
    return rc;
}
