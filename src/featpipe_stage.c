/* featpipe_stage.c — the stages of data.features as the config gives them: the table of
 * each stage's keys (type, range, default), the schema's check of one stage object, and
 * the resolved stages turned into lt_featpipe_stage values. */
#include "lintrain/featpipe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lintrain/suggest.h"

#define STAGE_NAMES "pixels|hog|hue_histogram|kmeans"

typedef enum { K_INT, K_BOOL, K_CHOICE } key_type;

/* One key of a stage: its default (JSON text) and, for integers, its range. */
static const struct {
    const char *stage, *key;
    key_type type;
    double lo, hi;
    const char *def;
    const char *choices;
} KEYS[] = {
    {"hue_histogram", "bins", K_INT, 1, LT_FEATURES_HUE_MAX_BINS, "10", NULL},
    {"kmeans", "centroids", K_INT, 2, 1 << 20, "1600", NULL},
    {"kmeans", "patch", K_INT, 1, 32, "6", NULL},
    {"kmeans", "stride", K_INT, 1, 32, "1", NULL},
    {"kmeans", "patches", K_INT, 2, 1e9, "400000", NULL},
    {"kmeans", "iterations", K_INT, 1, 1000, "10", NULL},
    {"kmeans", "whiten", K_BOOL, 0, 0, "true", NULL},
    {"kmeans", "encoder", K_CHOICE, 0, 0, "\"triangle\"", "triangle|hard"},
    {"kmeans", "pool", K_CHOICE, 0, 0, "\"quadrants\"", "quadrants"},
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])

/* "a|b" -> "a, b" for messages. */
static const char *listed(const char *list, char *buf, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; list[i] && j + 3 < cap; i++) {
        if (list[i] == '|') {
            buf[j++] = ',';
            buf[j++] = ' ';
        } else {
            buf[j++] = list[i];
        }
    }
    buf[j] = '\0';
    return buf;
}

/* The keys of stage, "|"-separated ("name" first), into buf. */
static const char *keys_of(const char *stage, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "name");
    for (size_t i = 0; i < N_KEYS && n > 0 && (size_t)n < cap; i++) {
        if (strcmp(KEYS[i].stage, stage) == 0) {
            n += snprintf(buf + n, cap - (size_t)n, "|%s", KEYS[i].key);
        }
    }
    return buf;
}

/* Whether s is one of the "|"-separated names of list. */
static int in_list(const char *list, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, "|");
        if (len == n && strncmp(p, s, n) == 0) {
            return 1;
        }
        p += len + (p[len] == '|');
    }
    return 0;
}

static lt_status check_name(const cJSON *name, const char *path, lt_error *err)
{
    char buf[128];
    if (!cJSON_IsString(name)) {
        return lt_fail(err, LT_ECONFIG, "%s.name: %s (one of %s)",
                       path, name ? "expected a string" : "missing: every stage has a name",
                       listed(STAGE_NAMES, buf, sizeof buf));
    }
    const char *s = name->valuestring;
    if (in_list(STAGE_NAMES, s)) {
        return LT_OK;
    }
    size_t len;
    const char *near = lt_suggest(s, STAGE_NAMES, &len);
    if (near) {
        return lt_fail(err, LT_ECONFIG, "%s.name: unknown stage \"%s\" (did you mean \"%.*s\"?)",
                       path, s, (int)len, near);
    }
    return lt_fail(err, LT_ECONFIG, "%s.name: unknown stage \"%s\" (one of %s)", path, s,
                   listed(STAGE_NAMES, buf, sizeof buf));
}

/* A key of stage that is not in the table: did you mean, or the keys it has. */
static lt_status unknown_key(const char *stage, const char *key, const char *path,
                             lt_error *err)
{
    char list[256], shown[256];
    size_t len;
    const char *near = lt_suggest(key, keys_of(stage, list, sizeof list), &len);
    if (near) {
        return lt_fail(err, LT_ECONFIG, "%s.%s: unknown key of stage \"%s\" (did you mean "
                       "\"%.*s\"?)", path, key, stage, (int)len, near);
    }
    return lt_fail(err, LT_ECONFIG, "%s.%s: unknown key of stage \"%s\" (it has: %s)", path,
                   key, stage, listed(list, shown, sizeof shown));
}

static lt_status check_value(size_t i, const cJSON *v, const char *path, lt_error *err)
{
    char buf[128];
    const char *key = KEYS[i].key;
    if (KEYS[i].type == K_BOOL) {
        return cJSON_IsBool(v) ? LT_OK
                               : lt_fail(err, LT_ECONFIG, "%s.%s: expected true or false",
                                         path, key);
    }
    if (KEYS[i].type == K_CHOICE) {
        if (cJSON_IsString(v) && in_list(KEYS[i].choices, v->valuestring)) {
            return LT_OK;
        }
        return lt_fail(err, LT_ECONFIG, "%s.%s: expected one of %s", path, key,
                       listed(KEYS[i].choices, buf, sizeof buf));
    }
    double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!(x == floor(x)) || x < KEYS[i].lo || x > KEYS[i].hi) {
        char got[64];
        snprintf(got, sizeof got, cJSON_IsNumber(v) ? "%.17g" : "no number", x);
        return lt_fail(err, LT_ECONFIG, "%s.%s: expected a whole number in [%.17g, %.17g], "
                       "got %s", path, key, KEYS[i].lo, KEYS[i].hi, got);
    }
    return LT_OK;
}

/* The table's row of stage's key, or N_KEYS. */
static size_t find_key(const char *stage, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(KEYS[i].stage, stage) == 0 && strcmp(KEYS[i].key, key) == 0) {
            return i;
        }
    }
    return N_KEYS;
}

/* Each key given: known to the stage, given once, of the right type and range. */
static lt_status check_given(const cJSON *o, const char *stage, const char *path, lt_error *err)
{
    for (const cJSON *item = o->child; item; item = item->next) {
        for (const cJSON *prev = o->child; prev != item; prev = prev->next) {
            if (strcmp(prev->string, item->string) == 0) {
                return lt_fail(err, LT_ECONFIG, "%s: duplicate key \"%s\"", path, item->string);
            }
        }
        if (strcmp(item->string, "name") == 0) {
            continue;
        }
        size_t i = find_key(stage, item->string);
        lt_status st = i == N_KEYS ? unknown_key(stage, item->string, path, err)
                                   : check_value(i, item, path, err);
        if (st != LT_OK) {
            return st;
        }
    }
    return LT_OK;
}

lt_status lt_featpipe_check_stage(void *item, const char *path, lt_error *err)
{
    cJSON *o = item;
    lt_status st = check_name(cJSON_GetObjectItemCaseSensitive(o, "name"), path, err);
    const char *stage = st == LT_OK ? cJSON_GetObjectItemCaseSensitive(o, "name")->valuestring
                                    : NULL;
    if (st == LT_OK) {
        st = check_given(o, stage, path, err);
    }
    for (size_t i = 0; i < N_KEYS && st == LT_OK; i++) {
        if (strcmp(KEYS[i].stage, stage) != 0 ||
            cJSON_GetObjectItemCaseSensitive(o, KEYS[i].key)) {
            continue;
        }
        cJSON *def = cJSON_Parse(KEYS[i].def);
        if (!def || !cJSON_AddItemToObject(o, KEYS[i].key, def)) {
            cJSON_Delete(def);
            st = lt_fail(err, LT_ERR, "%s: out of memory", path);
        }
    }
    return st;
}

/* ---- the resolved stages -------------------------------------------------------------- */

static size_t int_of(const cJSON *o, const char *key)
{
    return (size_t)cJSON_GetObjectItemCaseSensitive(o, key)->valuedouble;
}

int lt_featpipe_wanted(const lt_config *cfg)
{
    const lt_objlist *f = &cfg->data.features;
    if (f->n == 0) {
        return 0;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(f->items[0], "name");
    return !(f->n == 1 && cJSON_IsString(name) && strcmp(name->valuestring, "pixels") == 0);
}

/* Stage s from its resolved object o. */
static void stage_of(const cJSON *o, const lt_config *cfg, lt_featpipe_stage *s)
{
    static const char *const NAMES[] = {"pixels", "hog", "hue_histogram", "kmeans"};
    const char *name = cJSON_GetObjectItemCaseSensitive(o, "name")->valuestring;
    memset(s, 0, sizeof *s);
    for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++) {
        if (strcmp(name, NAMES[k]) == 0) {
            s->kind = (lt_featpipe_kind)k;
            s->name = NAMES[k];
        }
    }
    size_t threads = (size_t)cfg->train.threads;
    if (s->kind == LT_FEATPIPE_HUE) {
        s->params.bins = int_of(o, "bins");
    } else if (s->kind == LT_FEATPIPE_KMEANS) {
        s->fit = (lt_kmeans_fit_spec){
            .centroids = int_of(o, "centroids"),
            .patch = int_of(o, "patch"),
            .patches = int_of(o, "patches"),
            .iterations = int_of(o, "iterations"),
            .whiten = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "whiten")),
            .seed = (uint64_t)cfg->train.seed,
            .threads = threads,
        };
        const cJSON *enc = cJSON_GetObjectItemCaseSensitive(o, "encoder");
        s->encode = (lt_kmeans_encode_spec){
            .stride = int_of(o, "stride"),
            .encoder = strcmp(enc->valuestring, "hard") == 0 ? LT_KMEANS_HARD
                                                             : LT_KMEANS_TRIANGLE,
            .threads = threads,
        };
        s->size = LT_KMEANS_QUADRANTS * s->fit.centroids;
    }
}

lt_status lt_featpipe_init(lt_featpipe *p, const lt_config *cfg, lt_error *err)
{
    memset(p, 0, sizeof *p);
    const lt_objlist *f = &cfg->data.features;
    if (strcmp(cfg->data.format, "npy") == 0) {
        return lt_fail(err, LT_ECONFIG, "data.features: the stages compute features of images, "
                       "and data.format \"npy\" holds rows of numbers: remove data.features "
                       "(or use cifar10 or cifar100)");
    }
    p->stages = lt_calloc(f->n, sizeof *p->stages, "feature stages", err);
    if (!p->stages) {
        return LT_ERR;
    }
    p->n = f->n;
    p->threads = (size_t)cfg->train.threads;
    size_t kmeans = 0;
    for (size_t i = 0; i < f->n; i++) {
        stage_of(f->items[i], cfg, &p->stages[i]);
        if (p->stages[i].kind == LT_FEATPIPE_KMEANS && ++kmeans > LT_FEATPIPE_MAX_KMEANS) {
            lt_featpipe_free(p);
            return lt_fail(err, LT_ECONFIG, "data.features[%zu]: a second kmeans stage (a run "
                           "folder holds one k-means model)", i);
        }
    }
    return LT_OK;
}
