/* run.c — the run folder: owned names, the writer's lock, what it holds, --force;
 * reading a finished run back; the files training adds beside the weights. */
#include "lintrain/run.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lintrain/checkpoint.h"
#include "lintrain/featpipe.h"
#include "lintrain/npy.h"
#include "lintrain/splits.h"
#include "lintrain/templates.h"
#include "lintrain/train.h"
#include "lintrain/weightmap.h"

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Every name lintrain writes in a run folder, and by whom. README's run-folder table
 * lists the same; a new file lintrain writes is added here, or --force leaves it stale. */
static const char *const RUN_FILES[] = {
    "config.json",      /* train: the resolved config */
    LT_RUNDATA_FILE,    /* train: D, C, the dtype, the class names of the data */
    "metrics.jsonl",    /* train: step and epoch lines */
    "checkpoint.bin",   /* train: the state to resume from */
    "summary.json",     /* train: written last; its status says the run is finished */
    "weights.npy", "bias.npy",            /* train */
    "best_weights.npy", "best_bias.npy",  /* train, with a validation split */
    LT_PREPROCESS_FILE, /* train */
    LT_TEMPLATES_FILE, LT_WEIGHTMAP_FILE, /* train, plot: the picture of W (one of them) */
    "curves.png",       /* train, plot (scripts/plot_curves) */
    "kmeans_centroids.npy", "kmeans_mean.npy", "kmeans_whiten.npy", /* train: data.features */
    "filters.png",      /* train: the k-means centroids */
    "eval.json",        /* eval */
    LT_LOCK_FILE,       /* every writer; never removed (see run.h) */
};
#define N_RUN_FILES (sizeof RUN_FILES / sizeof RUN_FILES[0])

int lt_run_owns(const char *name)
{
    size_t len = strlen(name);
    if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
        len -= 4; /* NAME.tmp: a file being written atomically */
    }
    for (size_t i = 0; i < N_RUN_FILES; i++) {
        if (strlen(RUN_FILES[i]) == len && strncmp(RUN_FILES[i], name, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Calls fn on each entry of dir but . and .. until it returns non-zero. */
static lt_status each_entry(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx,
                            lt_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        return errno == ENOENT ? LT_OK
                               : lt_fail(err, LT_ERR, "%s: cannot read: %s", dir, strerror(errno));
    }
    struct dirent *e;
    int stop = 0;
    while (!stop && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            stop = fn(ctx, e->d_name);
        }
    }
    closedir(d);
    return stop < 0 ? LT_ERR : LT_OK;
}

/* ---- the lock ---------------------------------------------------------------------- */

/* "DIR is in use by process PID", the PID read from the holder's lock file. */
static lt_status in_use(int fd, const char *dir, lt_error *err)
{
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    char *end;
    long pid = n > 0 ? strtol(buf, &end, 10) : 0;
    if (pid > 0) {
        return lt_fail(err, LT_ERR, "%s is in use by process %ld (one writer at a time: "
                       "wait for it, or stop it)", dir, pid);
    }
    return lt_fail(err, LT_ERR, "%s is in use by another process (one writer at a time)", dir);
}

/* Locks path; 1 when the locked file is still the one at path (0: it was replaced in
 * between, try again), -1 on error. */
static int lock_file(lt_run_lock *lock, const char *path, lt_error *err)
{
    lock->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock->fd < 0) {
        lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            in_use(lock->fd, lock->dir, err);
        } else {
            lt_fail(err, LT_ERR, "%s: cannot lock: %s", path, strerror(e));
        }
        close(lock->fd);
        lock->fd = -1;
        return -1;
    }
    struct stat a, b;
    if (fstat(lock->fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        return 1;
    }
    close(lock->fd);
    lock->fd = -1;
    return 0;
}

lt_status lt_run_lock_take(lt_run_lock *lock, const char *dir, unsigned flags, lt_error *err)
{
    memset(lock, 0, sizeof *lock);
    lock->fd = -1;
    char path[LT_PATH_MAX];
    struct stat sb;
    lt_status st = lt_path_join(path, dir, LT_LOCK_FILE, err);
    if (st != LT_OK) {
        return st;
    }
    snprintf(lock->dir, sizeof lock->dir, "%s", dir);
    if (stat(dir, &sb) != 0) {
        if (!(flags & LT_LOCK_CREATE)) {
            return LT_OK;
        }
        if ((st = lt_mkdir_p(dir, err)) != LT_OK) {
            return st;
        }
        lock->made_dir = 1;
    }
    /* A lock file removed and made again between open and flock (lt_run_lock_release
     * of a folder it made) would be a second lock: lock_file checks, and we retry. */
    int got = 0;
    for (int tries = 0; tries < 100 && got == 0; tries++) {
        got = lock_file(lock, path, err);
    }
    if (got <= 0) {
        return got < 0 ? LT_ERR : lt_fail(err, LT_ERR, "%s: cannot lock: it keeps changing", path);
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(lock->fd, 0) != 0 || pwrite(lock->fd, pid, (size_t)len, 0) != len) {
        int e = errno;
        lt_run_lock_release(lock);
        return lt_fail(err, LT_ERR, "%s: cannot write: %s", path, strerror(e));
    }
    return LT_OK;
}

/* Stops at the first name that is not .lock. */
static int not_lock(void *ctx, const char *name)
{
    int other = strcmp(name, LT_LOCK_FILE) != 0;
    *(int *)ctx |= other;
    return other;
}

/* Whether dir holds nothing but .lock. */
static int only_lock(const char *dir)
{
    int other = 0;
    return each_entry(dir, not_lock, &other, NULL) == LT_OK && !other;
}

void lt_run_lock_release(lt_run_lock *lock)
{
    if (!lock || lock->fd < 0) {
        return;
    }
    char path[LT_PATH_MAX];
    /* Removed while still held: a process waiting on the old file finds it replaced. */
    if (lock->made_dir && only_lock(lock->dir) &&
        lt_path_join(path, lock->dir, LT_LOCK_FILE, NULL) == LT_OK && unlink(path) == 0) {
        rmdir(lock->dir);
    }
    close(lock->fd);
    lock->fd = -1;
}

/* ---- what a folder holds --------------------------------------------------------------- */

/* summary.json's status into s->status; "" when missing or not readable. */
static void read_status(const char *dir, lt_run_state *s)
{
    char path[LT_PATH_MAX];
    s->status[0] = '\0';
    char *text = NULL;
    if (lt_path_join(path, dir, "summary.json", NULL) != LT_OK) {
        return;
    }
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1L << 24) &&
        fseek(f, 0, SEEK_SET) == 0 && (text = calloc((size_t)n + 1, 1)) &&
        fread(text, 1, (size_t)n, f) == (size_t)n) {
        cJSON *j = cJSON_Parse(text);
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
        if (cJSON_IsString(status)) {
            snprintf(s->status, sizeof s->status, "%s", status->valuestring);
        }
        cJSON_Delete(j);
    }
    free(text);
    if (f) {
        fclose(f);
    }
}

/* Whether dir/checkpoint.bin reads whole; its epochs done and the run's epochs. */
static void read_checkpoint(const char *dir, lt_run_state *s)
{
    char path[LT_PATH_MAX];
    lt_checkpoint ck;
    lt_error err;
    if (lt_path_join(path, dir, "checkpoint.bin", &err) != LT_OK) {
        return;
    }
    if (!file_exists(path)) {
        snprintf(s->why, sizeof s->why, "it wrote no checkpoint.bin");
        return;
    }
    if (lt_checkpoint_read(&ck, path, &err) != LT_OK) {
        snprintf(s->why, sizeof s->why, "%s", err.msg);
        return;
    }
    const lt_ckpt_block *cb = lt_checkpoint_find(&ck, "config");
    cJSON *cfg = cb && cb->type == LT_CKPT_BYTES ? cJSON_ParseWithLength(cb->data, cb->count)
                                                 : NULL;
    const cJSON *epochs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cfg, "train"), "epochs");
    if (!cJSON_IsNumber(epochs)) {
        snprintf(s->why, sizeof s->why, "checkpoint.bin has no train.epochs in its config");
    } else if (lt_train_checkpoint_epochs(&ck, &s->epochs_done, &err) != LT_OK) {
        snprintf(s->why, sizeof s->why, "%s", err.msg);
    } else {
        s->epochs = (long long)epochs->valuedouble;
        s->resumable = 1;
    }
    cJSON_Delete(cfg);
    lt_checkpoint_free(&ck);
}

/* Stops at the first file of lintrain's but .lock. */
static int owned_one(void *ctx, const char *name)
{
    int found = strcmp(name, LT_LOCK_FILE) != 0 && lt_run_owns(name);
    *(int *)ctx |= found;
    return found;
}

lt_status lt_run_state_read(const char *dir, lt_run_state *s, lt_error *err)
{
    memset(s, 0, sizeof *s);
    int owned = 0;
    lt_status st = each_entry(dir, owned_one, &owned, err);
    if (st != LT_OK || !owned) {
        return st;
    }
    read_status(dir, s);
    if (strcmp(s->status, "ok") == 0 || strcmp(s->status, "diverged") == 0) {
        s->kind = LT_RUN_FINISHED;
        return LT_OK;
    }
    s->kind = LT_RUN_UNFINISHED;
    read_checkpoint(dir, s);
    return LT_OK;
}

void lt_run_free_folder(const char *dir, char *out, size_t size)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') {
        len--;
    }
    /* runs/adamw-3 is followed by runs/adamw-4, not runs/adamw-3-2. */
    size_t base = len;
    while (base > 0 && dir[base - 1] >= '0' && dir[base - 1] <= '9') {
        base--;
    }
    long k = 2;
    if (base < len && base > 1 && dir[base - 1] == '-' && len - base < 9) {
        k = strtol(dir + base, NULL, 10) + 1;
        len = base - 1;
    }
    for (;; k++) {
        if ((size_t)snprintf(out, size, "%.*s-%ld", (int)len, dir, k) >= size ||
            !file_exists(out)) {
            return;
        }
    }
}

lt_status lt_run_refuse(const char *dir, const lt_run_state *s, lt_error *err)
{
    char free_dir[LT_PATH_MAX], what[sizeof s->why + 64], resume[LT_PATH_MAX + 64] = "";
    lt_run_free_folder(dir, free_dir, sizeof free_dir);
    if (s->kind == LT_RUN_FINISHED) {
        snprintf(what, sizeof what, "a finished run (summary.json: status %s)", s->status);
    } else if (s->resumable) {
        snprintf(what, sizeof what, "an interrupted run: it stopped after epoch %lld of %lld",
                 s->epochs_done, s->epochs);
        snprintf(resume, sizeof resume, "\n  to continue it:  lintrain --resume %s", dir);
    } else {
        snprintf(what, sizeof what, "an unfinished run that cannot be resumed (%s)", s->why);
    }
    return lt_fail(err, LT_ECONFIG,
                   "%s holds %s; nothing was changed. Choose one:%s\n"
                   "  to replace it:   the same command with --force (lintrain's files in "
                   "the folder are removed first)\n"
                   "  to keep it:      --out %s (a free folder)",
                   dir, what, resume, free_dir);
}

typedef struct {
    const char *dir;
    lt_error *err;
} clear_ctx;

static int clear_one(void *ctx, const char *name)
{
    clear_ctx *c = ctx;
    char path[LT_PATH_MAX];
    if (!lt_run_owns(name) || strcmp(name, LT_LOCK_FILE) == 0) {
        return 0;
    }
    if (lt_path_join(path, c->dir, name, c->err) != LT_OK) {
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        lt_fail(c->err, LT_ERR, "%s: cannot remove: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

lt_status lt_run_clear(const char *dir, lt_error *err)
{
    clear_ctx c = {dir, err};
    return each_entry(dir, clear_one, &c, err);
}

typedef struct {
    char *out;
    size_t size, len, n;
} foreign_ctx;

static int foreign_one(void *ctx, const char *name)
{
    foreign_ctx *c = ctx;
    if (lt_run_owns(name)) {
        return 0;
    }
    int w = snprintf(c->out + c->len, c->size - c->len, "%s%s", c->n ? ", " : "", name);
    c->len = w >= 0 && (size_t)w < c->size - c->len ? c->len + (size_t)w : c->len;
    c->n++;
    return 0;
}

lt_status lt_run_foreign(const char *dir, char *out, size_t size, size_t *n, lt_error *err)
{
    foreign_ctx c = {out, size, 0, 0};
    out[0] = '\0';
    lt_status st = each_entry(dir, foreign_one, &c, err);
    *n = c.n;
    return st;
}

lt_status lt_run_draw_weights(const char *dir, const lt_model *m, const lt_rundata *data,
                              const char **written, char *note, size_t size, lt_error *err)
{
    char path[LT_PATH_MAX];
    int images = data->is_image && m->D == LT_CIFAR_D;
    *written = images ? LT_TEMPLATES_FILE
               : lt_weightmap_fits(m->D, m->C) ? LT_WEIGHTMAP_FILE : NULL;
    note[0] = '\0';
    if (!*written) {
        snprintf(note, size, "no picture of W: %zu features x %zu classes is too large for "
                 "a heat map (at most %d x %d); weights.npy holds it", m->D, m->C,
                 LT_WEIGHTMAP_MAX_D, LT_WEIGHTMAP_MAX_C);
        return LT_OK;
    }
    lt_status st = lt_path_join(path, dir, *written, err);
    if (st == LT_OK && images) {
        st = lt_templates_write(path, m->W, m->C, data->class_names, err);
    } else if (st == LT_OK) {
        st = lt_weightmap_write(path, m->W, m->D, m->C, data->class_names, err);
    }
    return st;
}

lt_status lt_run_write_extras(const char *dir, const lt_model *m, const lt_preprocess *p,
                              const lt_rundata *data, char *note, size_t size,
                              lt_error *err)
{
    const char *written;
    lt_status st = lt_preprocess_save(dir, p, err);
    if (st == LT_OK) {
        st = lt_run_draw_weights(dir, m, data, &written, note, size, err);
    }
    return st;
}

/* The preprocessing fitted again on the configured training split. */
static lt_status refit(lt_run *run, lt_error *err)
{
    lt_splits data;
    lt_featpipe feat;
    lt_status st = lt_featpipe_splits(&run->cfg, run->dir, &feat, &data, NULL, err);
    lt_featpipe_free(&feat);
    if (st != LT_OK) {
        lt_error_prefix(err, "no " LT_PREPROCESS_FILE " in the run folder, and refitting "
                             "the preprocessing failed");
        return st;
    }
    st = lt_rundata_check(&run->data, run->dir, &data, "cannot refit " LT_PREPROCESS_FILE,
                          err);
    if (st == LT_OK) {
        st = lt_preprocess_fit(&run->prep, run->cfg.data.preprocess, &data.train,
                               data.is_image, err);
    }
    lt_splits_free(&data);
    run->prep_refit = 1;
    return st;
}

lt_status lt_run_open(lt_run *run, const char *dir, const char *config,
                      const char *const *sets, size_t n_sets, unsigned flags, lt_error *err)
{
    memset(run, 0, sizeof *run);
    char cfg_path[LT_PATH_MAX], weights[LT_PATH_MAX], bias[LT_PATH_MAX];
    lt_status st = LT_OK;
    if ((size_t)snprintf(run->dir, sizeof run->dir, "%s", dir) >= sizeof run->dir ||
        (st = lt_path_join(cfg_path, dir, "config.json", err)) != LT_OK ||
        (st = lt_path_join(weights, dir, "weights.npy", err)) != LT_OK ||
        (st = lt_path_join(bias, dir, "bias.npy", err)) != LT_OK) {
        return st != LT_OK ? st : lt_fail(err, LT_ERR, "%s: path too long", dir);
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        return lt_fail(err, LT_ERR, "--run %s: %s", dir,
                       stat(dir, &sb) != 0 ? strerror(errno) : "not a folder");
    }
    if (!file_exists(weights)) {
        return lt_fail(err, LT_ERR, "--run %s: not a finished run folder (no weights.npy)",
                       dir);
    }
    if ((st = lt_config_load(&run->cfg, config ? config : cfg_path, sets, n_sets, err)) !=
            LT_OK ||
        (st = lt_rundata_read(dir, run->cfg.data.dir, &run->data, err)) != LT_OK ||
        (st = lt_model_create(&run->model, run->data.D, run->data.C, err)) != LT_OK ||
        (st = lt_model_load(&run->model, weights, bias, err)) != LT_OK) {
        lt_run_free(run);
        return st;
    }
    run->loss = lt_loss_find(run->cfg.model.loss);
    int found = 0;
    if (!(flags & LT_RUN_NO_PREPROCESS)) {
        st = lt_preprocess_load(dir, &run->prep, &found, err);
    }
    if (st == LT_OK && !found && !(flags & LT_RUN_NO_PREPROCESS)) {
        st = refit(run, err);
    }
    if (st != LT_OK) {
        lt_run_free(run);
    }
    return st;
}

void lt_run_free(lt_run *run)
{
    if (!run) {
        return;
    }
    lt_config_free(&run->cfg);
    lt_model_free(&run->model);
    lt_preprocess_free(&run->prep);
    lt_rundata_free(&run->data);
    memset(run, 0, sizeof *run);
}

lt_status lt_run_kernel(const lt_run *run, size_t threads, lt_kernel *k, lt_error *err)
{
    return lt_kernel_create(k, run->cfg.train.kernel, run->model.D, run->model.C,
                            run->data.dtype, threads, run->prep.shift, run->prep.scale, err);
}
