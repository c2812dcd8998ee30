/* rundata.c — data.json: the data a run was trained on, written with the run and read
 * back by eval, predict, plot and --resume (see rundata.h). */
#include "lintrain/rundata.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/fsutil.h"
#include "lintrain/loss.h"
#include "lintrain/metrics.h"

#define STR_(x) #x
#define STR(x) STR_(x)

#define MAX_BYTES ((long)1 << 26) /* 64 MB: 65,536 names of 63 bytes, escaped */

static const char *dtype_name(lt_dtype t)
{
    return t == LT_DTYPE_F32 ? "float32" : "uint8";
}

static lt_status alloc_names(lt_rundata *r, size_t C, lt_error *err)
{
    r->class_names = lt_calloc(C, sizeof *r->class_names, "class names", err);
    return r->class_names ? LT_OK : LT_ERR;
}

lt_status lt_rundata_of_splits(lt_rundata *r, const char *format, const lt_splits *s,
                               lt_error *err)
{
    memset(r, 0, sizeof *r);
    snprintf(r->format, sizeof r->format, "%s", format);
    r->D = s->train.D;
    r->C = s->C;
    r->dtype = s->train.dtype;
    r->is_image = s->is_image;
    r->recorded = 1;
    snprintf(r->features, sizeof r->features, "%s", s->features);
    r->hflip = s->train_images < s->train.n;
    lt_status st = alloc_names(r, s->C, err);
    if (st == LT_OK) {
        memcpy(r->class_names, s->class_names, s->C * sizeof *s->class_names);
    }
    return st;
}

lt_status lt_rundata_write(const char *dir, const lt_rundata *r, lt_error *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", r->format);
    cJSON_AddNumberToObject(o, "D", (double)r->D);
    cJSON_AddNumberToObject(o, "C", (double)r->C);
    cJSON_AddStringToObject(o, "dtype", dtype_name(r->dtype));
    cJSON_AddBoolToObject(o, "images", r->is_image);
    cJSON *names = cJSON_AddArrayToObject(o, "class_names");
    for (size_t k = 0; k < r->C; k++) {
        cJSON_AddItemToArray(names, cJSON_CreateString(r->class_names[k]));
    }
    if (r->features[0]) {
        cJSON *stages = cJSON_AddArrayToObject(o, "features");
        for (const char *p = r->features; *p;) {
            size_t len = strcspn(p, "|");
            char name[LT_SPLITS_FEATURES_MAX];
            snprintf(name, sizeof name, "%.*s", (int)len, p);
            cJSON_AddItemToArray(stages, cJSON_CreateString(name));
            p += len + (p[len] == '|');
        }
    }
    if (r->hflip) {
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "augment"), cJSON_CreateString("hflip"));
    }
    return lt_metrics_write_json(dir, LT_RUNDATA_FILE, o, err);
}

/* The whole of path into *text (NUL-terminated); *missing when it does not exist. */
static lt_status read_text(const char *path, char **text, int *missing, lt_error *err)
{
    *text = NULL;
    *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *missing = errno == ENOENT;
        return *missing ? LT_OK : lt_fail(err, LT_ERR, "%s: cannot open: %s", path,
                                          strerror(errno));
    }
    long n = -1;
    lt_status st = LT_OK;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > MAX_BYTES ||
        fseek(f, 0, SEEK_SET) != 0) {
        st = lt_fail(err, LT_ERR, "%s: cannot read (or larger than %ld bytes)", path,
                     MAX_BYTES);
    } else if (!(*text = lt_calloc((size_t)n + 1, 1, LT_RUNDATA_FILE, err))) {
        st = LT_ERR;
    } else if (fread(*text, 1, (size_t)n, f) != (size_t)n) {
        st = lt_fail(err, LT_ERR, "%s: cannot read: %s", path, strerror(errno));
    }
    fclose(f);
    if (st != LT_OK) {
        free(*text);
        *text = NULL;
    }
    return st;
}

/* A whole number in [1, max] at key of o into *out; 0 when it is not one. */
static int get_count(const cJSON *o, const char *key, size_t max, size_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1 && v->valuedouble <= (double)max) ||
        v->valuedouble != (double)(size_t)v->valuedouble) {
        return 0;
    }
    *out = (size_t)v->valuedouble;
    return 1;
}

/* The fields of o into r; the first wrong one named in why. */
static int parse_fields(const cJSON *o, lt_rundata *r, const char **why)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(o, "format");
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(o, "dtype");
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(o, "images");
    if (!cJSON_IsString(format) || strlen(format->valuestring) >= sizeof r->format) {
        *why = "\"format\" is not a data format's name";
    } else if (!get_count(o, "D", (size_t)1 << 40, &r->D)) {
        *why = "\"D\" is not a number of features (1 or more)";
    } else if (!get_count(o, "C", LT_LOSS_MAX_CLASSES, &r->C)) {
        *why = "\"C\" is not a number of classes (1 to " STR(LT_LOSS_MAX_CLASSES) ")";
    } else if (!cJSON_IsString(dtype) || (strcmp(dtype->valuestring, "uint8") != 0 &&
                                          strcmp(dtype->valuestring, "float32") != 0)) {
        *why = "\"dtype\" is not \"uint8\" or \"float32\"";
    } else if (!cJSON_IsBool(images)) {
        *why = "\"images\" is not true or false";
    } else {
        snprintf(r->format, sizeof r->format, "%s", format->valuestring);
        r->dtype = strcmp(dtype->valuestring, "uint8") == 0 ? LT_DTYPE_U8 : LT_DTYPE_F32;
        r->is_image = cJSON_IsTrue(images);
        return 1;
    }
    return 0;
}

/* The stage names of o's "features" (optional) into r, "|"-joined. */
static lt_status parse_features(const cJSON *o, lt_rundata *r, const char *path, lt_error *err)
{
    const cJSON *stages = cJSON_GetObjectItemCaseSensitive(o, "features");
    const cJSON *name;
    size_t used = 0;
    if (!stages) {
        return LT_OK;
    }
    if (!cJSON_IsArray(stages) || !stages->child) {
        return lt_fail(err, LT_ERR, "%s: \"features\" is not a list of stage names", path);
    }
    cJSON_ArrayForEach(name, stages)
    {
        size_t len = cJSON_IsString(name) ? strlen(name->valuestring) : 0;
        if (len == 0 || strchr(name->valuestring, '|') ||
            used + len + 2 > sizeof r->features) {
            return lt_fail(err, LT_ERR, "%s: \"features\" is not a list of stage names", path);
        }
        used += (size_t)snprintf(r->features + used, sizeof r->features - used, "%s%s",
                                 used ? "|" : "", name->valuestring);
    }
    return LT_OK;
}

/* The class names of o into r (C of them). */
static lt_status parse_names(const cJSON *o, lt_rundata *r, const char *path, lt_error *err)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, "class_names");
    if (!cJSON_IsArray(names) || (size_t)cJSON_GetArraySize(names) != r->C) {
        return lt_fail(err, LT_ERR, "%s: \"class_names\" is not an array of C = %zu names",
                       path, r->C);
    }
    lt_status st = alloc_names(r, r->C, err);
    size_t k = 0;
    const cJSON *name;
    cJSON_ArrayForEach(name, names)
    {
        if (st != LT_OK) {
            break;
        }
        if (!cJSON_IsString(name) || strlen(name->valuestring) >= LT_CLASS_NAME_MAX) {
            st = lt_fail(err, LT_ERR, "%s: class name %zu is not a string of at most %d "
                         "bytes", path, k, LT_CLASS_NAME_MAX - 1);
        } else {
            snprintf(r->class_names[k++], LT_CLASS_NAME_MAX, "%s", name->valuestring);
        }
    }
    return st;
}

/* The record of a folder from before data.json: CIFAR-10. */
static lt_status cifar10_record(lt_rundata *r, const char *data_dir, lt_error *err)
{
    snprintf(r->format, sizeof r->format, "cifar10");
    r->D = LT_CIFAR_D;
    r->C = LT_CIFAR_C;
    r->dtype = LT_DTYPE_U8;
    r->is_image = 1;
    lt_status st = alloc_names(r, LT_CIFAR_C, err);
    if (st == LT_OK) {
        st = lt_cifar_class_names(data_dir, r->class_names, err);
    }
    return st;
}

lt_status lt_rundata_read(const char *dir, const char *data_dir, lt_rundata *r, lt_error *err)
{
    memset(r, 0, sizeof *r);
    char path[LT_PATH_MAX];
    char *text = NULL;
    int missing = 0;
    lt_status st = lt_path_join(path, dir, LT_RUNDATA_FILE, err);
    if (st == LT_OK) {
        st = read_text(path, &text, &missing, err);
    }
    if (st == LT_OK && missing) {
        st = cifar10_record(r, data_dir, err);
    } else if (st == LT_OK) {
        cJSON *o = cJSON_Parse(text);
        const char *why = "not a JSON object";
        r->recorded = 1;
        if (!cJSON_IsObject(o) || !parse_fields(o, r, &why)) {
            st = lt_fail(err, LT_ERR, "%s: %s", path, why);
        } else if ((st = parse_features(o, r, path, err)) == LT_OK) {
            st = parse_names(o, r, path, err);
        }
        cJSON_Delete(o);
    }
    free(text);
    if (st != LT_OK) {
        lt_rundata_free(r);
    }
    return st;
}

void lt_rundata_describe(const lt_rundata *r, char *out, size_t size)
{
    snprintf(out, size, "D %zu, C %zu, %s", r->D, r->C, dtype_name(r->dtype));
}

lt_status lt_rundata_check(const lt_rundata *r, const char *dir, const lt_splits *s,
                           const char *what, lt_error *err)
{
    if (r->D == s->train.D && r->C == s->C && r->dtype == s->train.dtype) {
        return LT_OK;
    }
    lt_rundata now = {.D = s->train.D, .C = s->C, .dtype = s->train.dtype};
    char was[96], is[96];
    lt_rundata_describe(r, was, sizeof was);
    lt_rundata_describe(&now, is, sizeof is);
    return lt_fail(err, LT_ECONFIG, "%s: %s: the run was trained on data of %s (%s); the data "
                   "now give %s", dir, what, was,
                   r->recorded ? LT_RUNDATA_FILE : "no " LT_RUNDATA_FILE ": CIFAR-10", is);
}

void lt_rundata_free(lt_rundata *r)
{
    if (!r) {
        return;
    }
    free(r->class_names);
    memset(r, 0, sizeof *r);
}
