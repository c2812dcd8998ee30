/* featcache_store.c — filling the feature cache: the per-key lock, the writer (a
 * private folder renamed into place) and removing entries. */
#include "lintrain/featcache.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the lock ------------------------------------------------------------------------- */

/* The pid written in a lock file, 0 when none. */
static long holder(int fd)
{
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    char *end;
    long pid = n > 0 ? strtol(buf, &end, 10) : 0;
    return pid > 0 ? pid : 0;
}

/* Whether fd is still the file at path (lt_featcache_clear may have unlinked it). */
static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

lt_status lt_featcache_lock(lt_featcache_guard *g, const char *root, const char *key,
                            lt_featcache_wait_fn on_wait, void *ctx, lt_error *err)
{
    char path[LT_PATH_MAX], name[LT_SHA256_HEX + 8];
    g->fd = -1;
    snprintf(name, sizeof name, "%.64s.lock", key);
    if (lt_mkdir_p(root, err) != LT_OK || lt_path_join(path, root, name, err) != LT_OK) {
        return LT_ERR;
    }
    int told = 0;
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
        }
        int rc = flock(fd, LOCK_EX | LOCK_NB);
        if (rc != 0 && errno == EWOULDBLOCK) {
            if (on_wait && !told++) {
                on_wait(ctx, key, holder(fd));
            }
            while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
            }
        }
        if (rc != 0) {
            int e = errno;
            close(fd);
            return lt_fail(err, LT_ERR, "%s: cannot lock: %s", path, strerror(e));
        }
        if (!same_file(fd, path)) {
            close(fd);
            continue;
        }
        char pid[32];
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
            /* Only the waiting message needs the pid: the lock holds without it. */
        }
        g->fd = fd;
        return LT_OK;
    }
    return lt_fail(err, LT_ERR, "%s: cannot lock: it keeps changing", path);
}

void lt_featcache_unlock(lt_featcache_guard *g)
{
    if (g && g->fd >= 0) {
        if (ftruncate(g->fd, 0) != 0) {
            /* a stale pid only words a later waiting message wrongly */
        }
        close(g->fd);  /* releases the flock */
        g->fd = -1;
    }
}

/* ---- removing ------------------------------------------------------------------------- */

/* Unlinks the files of dir and dir itself. */
static lt_status remove_flat(const char *dir, lt_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        return errno == ENOENT ? LT_OK : lt_fail(err, LT_ERR, "%s: %s", dir, strerror(errno));
    }
    struct dirent *de;
    char path[LT_PATH_MAX];
    lt_status st = LT_OK;
    while (st == LT_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        st = lt_path_join(path, dir, de->d_name, err);
        if (st == LT_OK && unlink(path) != 0 && errno != ENOENT) {
            st = lt_fail(err, LT_ERR, "%s: cannot remove: %s", path, strerror(errno));
        }
    }
    closedir(d);
    if (st == LT_OK && rmdir(dir) != 0 && errno != ENOENT) {
        st = lt_fail(err, LT_ERR, "%s: cannot remove: %s", dir, strerror(errno));
    }
    return st;
}

lt_status lt_featcache_remove(const char *path, lt_error *err)
{
    char trash[LT_PATH_MAX];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    static unsigned serial;
    int n = snprintf(trash, sizeof trash, "%.*s.trash-%ld-%u", dirlen, path, (long)getpid(),
                     serial++);
    if (n < 0 || n >= (int)sizeof trash) {
        return lt_fail(err, LT_ERR, "%s: path too long", path);
    }
    if (rename(path, trash) != 0) {
        return errno == ENOENT ? LT_OK
                               : lt_fail(err, LT_ERR, "%s: cannot remove: %s", path,
                                         strerror(errno));
    }
    return remove_flat(trash, err);
}

/* ---- writing -------------------------------------------------------------------------- */

/* Removes ROOT/.tmp-HEX-* (a killed writer's: the caller holds the key's lock). */
static lt_status remove_leftovers(const char *root, const char *hex, lt_error *err)
{
    DIR *d = opendir(root);
    if (!d) {
        return lt_fail(err, LT_ERR, "%s: %s", root, strerror(errno));
    }
    char prefix[LT_SHA256_HEX + 8], path[LT_PATH_MAX];
    snprintf(prefix, sizeof prefix, ".tmp-%s-", hex);
    struct dirent *de;
    lt_status st = LT_OK;
    while (st == LT_OK && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            st = lt_path_join(path, root, de->d_name, err);
            st = st == LT_OK ? remove_flat(path, err) : st;
        }
    }
    closedir(d);
    return st;
}

lt_status lt_featcache_writer_begin(lt_featcache_writer *w, const char *root,
                                    const lt_featcache_key *k, lt_error *err)
{
    char name[LT_SHA256_HEX + 32];
    memset(w, 0, sizeof *w);
    lt_featcache_key_hex(k, w->hex);
    snprintf(name, sizeof name, ".tmp-%s-%ld", w->hex, (long)getpid());
    if (lt_mkdir_p(root, err) != LT_OK || lt_path_join(w->tmp, root, name, err) != LT_OK ||
        lt_path_join(w->final, root, w->hex, err) != LT_OK ||
        lt_featcache_remove(w->final, err) != LT_OK ||
        remove_leftovers(root, w->hex, err) != LT_OK) {
        w->tmp[0] = '\0';
        return LT_ERR;
    }
    if (mkdir(w->tmp, 0777) != 0) {
        lt_status st = lt_fail(err, LT_ERR, "%s: cannot create: %s", w->tmp, strerror(errno));
        w->tmp[0] = '\0';
        return st;
    }
    w->blobs = cJSON_CreateArray();
    if (!w->blobs) {
        lt_featcache_writer_abort(w);
        return lt_fail(err, LT_ERR, "feature cache: out of memory");
    }
    return LT_OK;
}

static int good_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63 || name[0] == '.' || strcmp(name, LT_FEATCACHE_MANIFEST) == 0) {
        return 0;
    }
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
           == n;
}

lt_status lt_featcache_writer_add(lt_featcache_writer *w, const char *name, const void *bytes,
                                  size_t n, lt_error *err)
{
    char path[LT_PATH_MAX], hex[LT_SHA256_HEX];
    if (!good_name(name)) {
        return lt_fail(err, LT_ERR, "feature cache: bad blob name \"%s\"", name);
    }
    if (lt_path_join(path, w->tmp, name, err) != LT_OK) {
        return LT_ERR;
    }
    FILE *f = fopen(path, "wbx");
    int ok = f && fwrite(bytes, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (f && fclose(f) != 0) {
        ok = 0;
    }
    if (!ok) {
        return lt_fail(err, LT_ERR, "%s: cannot write: %s", path, strerror(e));
    }
    lt_sha256_hex(bytes, n, hex);
    cJSON *b = cJSON_CreateObject();
    if (!b || !cJSON_AddStringToObject(b, "name", name) ||
        !cJSON_AddNumberToObject(b, "bytes", (double)n) ||
        !cJSON_AddStringToObject(b, "sha256", hex)) {
        cJSON_Delete(b);
        return lt_fail(err, LT_ERR, "feature cache: out of memory");
    }
    cJSON_AddItemToArray(w->blobs, b);
    return LT_OK;
}

/* The manifest's text (malloc'ed by cJSON), or NULL when out of memory. Takes w's blobs. */
static char *manifest_text(lt_featcache_writer *w, const lt_featcache_key *k)
{
    char created[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON *m = cJSON_CreateObject();
    if (!m) {
        return NULL;
    }
    cJSON_AddStringToObject(m, "format", "lintrain feature cache");
    cJSON_AddNumberToObject(m, "version", k->version);
    cJSON_AddStringToObject(m, "key", w->hex);
    cJSON_AddStringToObject(m, "summary", k->summary);
    cJSON_AddStringToObject(m, "created", created);
    cJSON_AddStringToObject(m, "parts", k->parts ? k->parts : "");
    cJSON_AddItemToObject(m, "blobs", w->blobs);
    w->blobs = NULL;
    char *text = cJSON_GetArraySize(m) == 7 ? cJSON_Print(m) : NULL;
    cJSON_Delete(m);
    return text;
}

lt_status lt_featcache_writer_commit(lt_featcache_writer *w, const lt_featcache_key *k,
                                     lt_error *err)
{
    char path[LT_PATH_MAX];
    char *text = manifest_text(w, k);
    lt_status st = text ? lt_path_join(path, w->tmp, LT_FEATCACHE_MANIFEST, err)
                        : lt_fail(err, LT_ERR, "feature cache: out of memory");
    st = st == LT_OK ? lt_write_file_atomic(path, text, strlen(text), err) : st;
    free(text);
    st = st == LT_OK ? lt_featcache_remove(w->final, err) : st;
    if (st == LT_OK && rename(w->tmp, w->final) != 0) {
        st = lt_fail(err, LT_ERR, "%s: cannot rename to %s: %s", w->tmp, w->final,
                     strerror(errno));
    }
    st = st == LT_OK ? lt_fsync_parent(w->final, err) : st;
    if (st == LT_OK) {
        w->tmp[0] = '\0';
    }
    lt_featcache_writer_abort(w);
    return st;
}

void lt_featcache_writer_abort(lt_featcache_writer *w)
{
    if (!w) {
        return;
    }
    if (w->tmp[0]) {
        remove_flat(w->tmp, NULL);
        w->tmp[0] = '\0';
    }
    cJSON_Delete(w->blobs);
    w->blobs = NULL;
}
