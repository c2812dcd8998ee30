/* fsutil.c — folders and atomic file writes. */
#include "lintrain/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static lt_status mkdir_one(const char *path, lt_error *err)
{
    if (mkdir(path, 0777) == 0) {
        return LT_OK;
    }
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        return LT_OK;
    }
    if (errno == EEXIST) {
        return lt_fail(err, LT_ERR, "%s: exists and is not a folder", path);
    }
    return lt_fail(err, LT_ERR, "%s: cannot create folder: %s", path, strerror(errno));
}

lt_status lt_mkdir_p(const char *path, lt_error *err)
{
    char buf[LT_PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) {
        return lt_fail(err, LT_ERR, "folder path of %zu bytes is empty or too long", len);
    }
    memcpy(buf, path, len + 1);
    /* Create each prefix that ends at a '/', then the whole path. */
    for (size_t i = 1; i < len; i++) {
        if (buf[i] == '/') {
            buf[i] = '\0';
            lt_status st = mkdir_one(buf, err);
            buf[i] = '/';
            if (st != LT_OK) {
                return st;
            }
        }
    }
    return mkdir_one(buf, err);
}

lt_status lt_write_file_atomic(const char *path, const void *data, size_t n, lt_error *err)
{
    char tmp[LT_PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        return lt_fail(err, LT_ERR, "%s: path too long", path);
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        return lt_fail(err, LT_ERR, "%s: cannot create: %s", tmp, strerror(errno));
    }
    int ok = fwrite(data, 1, n, f) == n;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        int e = errno;
        remove(tmp);
        return lt_fail(err, LT_ERR, "%s: write failed: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return lt_fail(err, LT_ERR, "%s: cannot rename into place: %s", path, strerror(e));
    }
    return lt_fsync_parent(path, err);
}

lt_status lt_fsync_parent(const char *path, lt_error *err)
{
    char dir[LT_PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 0;
    if (len >= sizeof dir) {
        return lt_fail(err, LT_ERR, "%s: path too long", path);
    }
    if (slash && len == 0) {
        len = 1; /* "/name": the root */
    }
    memcpy(dir, slash ? path : ".", slash ? len : 1);
    dir[slash ? len : 1] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return lt_fail(err, LT_ERR, "%s: cannot open folder to sync: %s", dir, strerror(errno));
    }
    /* Some file systems cannot fsync a folder (EINVAL); the rename is done all the same. */
    int bad = fsync(fd) != 0 && errno != EINVAL;
    int e = errno;
    close(fd);
    if (bad) {
        return lt_fail(err, LT_ERR, "%s: cannot sync folder: %s", dir, strerror(e));
    }
    return LT_OK;
}

lt_status lt_path_join(char out[LT_PATH_MAX], const char *dir, const char *name, lt_error *err)
{
    if ((size_t)snprintf(out, LT_PATH_MAX, "%s/%s", dir, name) >= LT_PATH_MAX) {
        return lt_fail(err, LT_ERR, "%s/%s: path too long", dir, name);
    }
    return LT_OK;
}
