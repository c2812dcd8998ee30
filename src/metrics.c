/* metrics.c — metrics.jsonl and summary.json. One name per quantity in both (README,
 * "The run folder"): train_loss = train_data_loss + train_penalty; batch_loss the
 * same sum on one update's batch; val_/test_data_loss data loss only. Floats are
 * printed with %.9g (float precision, round-trips) in the C locale; a non-finite value
 * is written as null, since JSON has no NaN. */
#include "lintrain/metrics.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "%.9g" of x, or "null" when x is not finite; buf holds at least 32 bytes. */
static const char *num(char *buf, double x)
{
    if (!isfinite(x)) {
        return "null";
    }
    snprintf(buf, 32, "%.9g", x);
    return buf;
}

/* Opens dir/metrics.jsonl with fopen's mode; what says what failed ("create"...). */
static lt_status open_metrics(lt_metrics *m, const char *dir, const char *mode,
                              const char *what, lt_error *err)
{
    memset(m, 0, sizeof *m);
    lt_status st = lt_path_join(m->path, dir, "metrics.jsonl", err);
    if (st != LT_OK) {
        return st;
    }
    m->f = fopen(m->path, mode);
    if (!m->f) {
        return lt_fail(err, LT_ERR, "%s: cannot %s: %s", m->path, what, strerror(errno));
    }
    return LT_OK;
}

lt_status lt_metrics_open(lt_metrics *m, const char *dir, lt_error *err)
{
    return open_metrics(m, dir, "w", "create", err);
}

static lt_status finish_line(lt_metrics *m, int printed, lt_error *err)
{
    if (printed < 0 || fflush(m->f) != 0) {
        return lt_fail(err, LT_ERR, "%s: write failed: %s", m->path, strerror(errno));
    }
    return LT_OK;
}

lt_status lt_metrics_step(lt_metrics *m, const lt_step_report *r, lt_error *err)
{
    char a[32], b[32];
    int n = fprintf(m->f,
                    "{\"type\":\"step\",\"step\":%lld,\"epoch\":%lld,\"lr\":%s,"
                    "\"batch_loss\":%s}\n",
                    r->step, r->epoch, num(a, r->lr), num(b, r->batch_loss));
    return finish_line(m, n, err);
}

lt_status lt_metrics_feature(lt_metrics *m, const lt_feature_report *r, lt_error *err)
{
    char a[32];
    int n = fprintf(m->f,
                    "{\"type\":\"features\",\"stage\":\"%s\",\"split\":\"%s\","
                    "\"seconds\":%s,\"shape\":[%zu,%zu]}\n",
                    r->stage, r->what, num(a, r->seconds), r->rows, r->cols);
    return finish_line(m, n, err);
}

lt_status lt_metrics_epoch(lt_metrics *m, const lt_epoch_report *r, lt_error *err)
{
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32];
    const char *val_acc = r->val.n ? num(c, r->val.accuracy) : "null";
    const char *val_loss = r->val.n ? num(d, r->val.loss) : "null";
    int n = fprintf(m->f,
                    "{\"type\":\"epoch\",\"step\":%lld,\"epoch\":%lld,\"train_acc\":%s,"
                    "\"train_loss\":%s,\"train_data_loss\":%s,\"train_penalty\":%s,"
                    "\"val_acc\":%s,\"val_data_loss\":%s,\"seconds\":%s}\n",
                    r->step, r->epoch, num(a, r->train.accuracy),
                    num(b, r->train.loss + r->train_penalty), num(f, r->train.loss),
                    num(g, r->train_penalty), val_acc, val_loss, num(e, r->seconds));
    return finish_line(m, n, err);
}

lt_status lt_metrics_trial(lt_metrics *m, const lt_trial_report *r, lt_error *err)
{
    char a[32], b[32];
    int n = fprintf(m->f,
                    "{\"type\":\"trial\",\"trial\":%lld,\"train_loss\":%s,"
                    "\"best_train_loss\":%s}\n",
                    r->trial, num(a, r->train_loss), num(b, r->best_train_loss));
    return finish_line(m, n, err);
}

lt_status lt_metrics_close(lt_metrics *m, lt_error *err)
{
    if (!m->f) {
        return LT_OK;
    }
    int rc = fclose(m->f);
    m->f = NULL;
    if (rc != 0) {
        return lt_fail(err, LT_ERR, "%s: close failed: %s", m->path, strerror(errno));
    }
    return LT_OK;
}

lt_status lt_metrics_reopen(lt_metrics *m, const char *dir, long long length, lt_error *err)
{
    lt_status st = open_metrics(m, dir, "r+", "open it to continue the run", err);
    if (st != LT_OK) {
        return st;
    }
    struct stat sb;
    const char *why = NULL;
    if (fstat(fileno(m->f), &sb) != 0) {
        why = strerror(errno);
    } else if (length < 0 || (long long)sb.st_size < length) {
        why = "shorter than when the checkpoint was written";
    } else if (ftruncate(fileno(m->f), (off_t)length) != 0 || fseek(m->f, 0, SEEK_END) != 0) {
        why = strerror(errno);
    }
    if (why) {
        fclose(m->f);
        m->f = NULL;
        return lt_fail(err, LT_ERR, "%s: %s", m->path, why);
    }
    return LT_OK;
}

lt_status lt_metrics_sync(lt_metrics *m, long long *length, lt_error *err)
{
    long pos;
    if (fflush(m->f) != 0 || fsync(fileno(m->f)) != 0 || (pos = ftell(m->f)) < 0) {
        return lt_fail(err, LT_ERR, "%s: cannot sync: %s", m->path, strerror(errno));
    }
    *length = pos;
    return LT_OK;
}

/* Adds a number, or null for a split that has no records or a non-finite value. */
static void add_number(cJSON *o, const char *key, double x, int present)
{
    if (present && isfinite(x)) {
        cJSON_AddNumberToObject(o, key, x);
    } else {
        cJSON_AddNullToObject(o, key);
    }
}

lt_status lt_metrics_write_json(const char *dir, const char *name, struct cJSON *o,
                                lt_error *err)
{
    char path[LT_PATH_MAX];
    char *text = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    lt_status st = lt_path_join(path, dir, name, err);
    if (st == LT_OK && !text) {
        st = lt_fail(err, LT_ERR, "%s: out of memory", path);
    }
    if (st == LT_OK) {
        size_t len = strlen(text);
        text[len] = '\n'; /* cJSON's text ends without one; its NUL becomes it */
        st = lt_write_file_atomic(path, text, len + 1, err);
    }
    free(text);
    return st;
}

lt_status lt_metrics_summary(const char *dir, const lt_summary *s, lt_error *err)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        return lt_fail(err, LT_ERR, "%s/summary.json: out of memory", dir);
    }
    cJSON_AddStringToObject(o, "status", s->status);
    add_number(o, "train_acc", s->train.accuracy, s->train.n > 0);
    add_number(o, "val_acc", s->val.accuracy, s->val.n > 0);
    add_number(o, "test_acc", s->test.accuracy, s->test.n > 0);
    add_number(o, "train_loss", s->train.loss + s->train_penalty, s->train.n > 0);
    add_number(o, "train_data_loss", s->train.loss, s->train.n > 0);
    add_number(o, "train_penalty", s->train_penalty, 1);
    add_number(o, "initial_train_loss", s->initial_train_loss, 1);
    add_number(o, "val_data_loss", s->val.loss, s->val.n > 0);
    add_number(o, "test_data_loss", s->test.loss, s->test.n > 0);
    cJSON_AddNumberToObject(o, "n_train", (double)s->train.n);
    if (s->train_images != s->train.n) {
        cJSON_AddNumberToObject(o, "n_train_images", (double)s->train_images);
    }
    cJSON_AddNumberToObject(o, "n_val", (double)s->val.n);
    cJSON_AddNumberToObject(o, "n_test", (double)s->test.n);
    cJSON_AddNumberToObject(o, "steps", (double)s->steps);
    cJSON_AddNumberToObject(o, "epochs", (double)s->epochs);
    add_number(o, "seconds", s->seconds, 1);
    add_number(o, "best_epoch", (double)s->best_epoch, s->best_epoch > 0);
    add_number(o, "best_val_acc", s->best_val.accuracy, s->best_epoch > 0);
    add_number(o, "best_test_acc", s->best_test.accuracy, s->best_epoch > 0 && s->best_test.n > 0);
    cJSON_AddBoolToObject(o, "early_stopped", s->early_stopped);
    cJSON_AddStringToObject(o, "version", LT_VERSION);
    return lt_metrics_write_json(dir, "summary.json", o, err);
}
