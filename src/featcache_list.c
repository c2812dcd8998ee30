/* featcache_list.c — what `lintrain cache` shows and removes: the entries of the cache
 * folder with their sizes and manifests, and clearing one or all of them. */
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
#include <unistd.h>

/* Whether name is an entry's: 64 lowercase hex digits. */
static int is_key(const char *name)
{
    return strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64;
}

/* The bytes of the files in dir. */
static uint64_t folder_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    uint64_t total = 0;
    struct dirent *de;
    char path[LT_PATH_MAX];
    struct stat st;
    while (d && (de = readdir(d)) != NULL) {
        if (lt_path_join(path, dir, de->d_name, NULL) == LT_OK && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode)) {
            total += (uint64_t)st.st_size;
        }
    }
    if (d) {
        closedir(d);
    }
    return total;
}

/* The created time and summary of the entry in dir, from its manifest. */
static void describe(lt_featcache_info *it, const char *dir)
{
    char path[LT_PATH_MAX];
    snprintf(it->created, sizeof it->created, "?");
    snprintf(it->summary, sizeof it->summary, "(no readable manifest)");
    if (lt_path_join(path, dir, LT_FEATCACHE_MANIFEST, NULL) != LT_OK) {
        return;
    }
    FILE *f = fopen(path, "rb");
    char *text = f ? calloc(1, 1 << 20) : NULL;
    if (text) {
        size_t got = fread(text, 1, (1 << 20) - 1, f);
        text[got] = '\0';
    }
    if (f) {
        fclose(f);
    }
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    const cJSON *c = cJSON_GetObjectItem(m, "created"), *s = cJSON_GetObjectItem(m, "summary");
    if (cJSON_IsString(c) && cJSON_IsString(s)) {
        snprintf(it->created, sizeof it->created, "%s", c->valuestring);
        snprintf(it->summary, sizeof it->summary, "%s", s->valuestring);
    }
    cJSON_Delete(m);
    free(text);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const lt_featcache_info *)a)->key, ((const lt_featcache_info *)b)->key);
}

lt_status lt_featcache_list(const char *root, lt_featcache_info **items, size_t *n,
                            lt_error *err)
{
    *items = NULL;
    *n = 0;
    DIR *d = opendir(root);
    if (!d) {
        return errno == ENOENT ? LT_OK : lt_fail(err, LT_ERR, "%s: %s", root, strerror(errno));
    }
    struct dirent *de;
    size_t cap = 0;
    lt_status st = LT_OK;
    while (st == LT_OK && (de = readdir(d)) != NULL) {
        char dir[LT_PATH_MAX];
        if (!is_key(de->d_name) || lt_path_join(dir, root, de->d_name, NULL) != LT_OK) {
            continue;
        }
        if (*n == cap) {
            lt_featcache_info *more = realloc(*items, (cap = cap ? 2 * cap : 16) * sizeof **items);
            if (!more) {
                st = lt_fail(err, LT_ERR, "feature cache: out of memory");
                break;
            }
            *items = more;
        }
        lt_featcache_info *it = &(*items)[(*n)++];
        snprintf(it->key, sizeof it->key, "%.64s", de->d_name); /* is_key: 64 hex digits */
        it->bytes = folder_bytes(dir);
        describe(it, dir);
    }
    closedir(d);
    if (*n > 1) {
        qsort(*items, *n, sizeof **items, by_key);
    }
    return st;
}

/* ---- clearing ------------------------------------------------------------------------- */

/* Removes entry key (and its lock file) unless another process holds its lock: then
 * *busy grows. */
static lt_status clear_one(const char *root, const char *key, size_t *removed, size_t *busy,
                           lt_error *err)
{
    char lock[LT_PATH_MAX], dir[LT_PATH_MAX], name[LT_SHA256_HEX + 8];
    snprintf(name, sizeof name, "%s.lock", key);
    if (lt_path_join(lock, root, name, err) != LT_OK ||
        lt_path_join(dir, root, key, err) != LT_OK) {
        return LT_ERR;
    }
    int fd = open(lock, O_RDWR | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        (*busy)++;
        return LT_OK;
    }
    struct stat st;
    int exists = stat(dir, &st) == 0;
    lt_status s = lt_featcache_remove(dir, err);
    if (s == LT_OK && exists) {
        (*removed)++;
    }
    if (fd >= 0) {
        unlink(lock);  /* while held: a process that opened it finds it replaced, retries */
        close(fd);
    }
    return s;
}

/* Every entry, lock file and leftover of a writer under root (but what a live process
 * holds). */
static lt_status clear_all(const char *root, size_t *removed, size_t *busy, lt_error *err)
{
    DIR *d = opendir(root);
    if (!d) {
        return errno == ENOENT ? LT_OK : lt_fail(err, LT_ERR, "%s: %s", root, strerror(errno));
    }
    struct dirent *de;
    lt_status st = LT_OK;
    while (st == LT_OK && (de = readdir(d)) != NULL) {
        char key[LT_SHA256_HEX] = "";
        const char *name = de->d_name;
        char path[LT_PATH_MAX];
        if (strncmp(name, ".trash-", 7) == 0) {  /* a removal that was cut short */
            st = lt_path_join(path, root, name, err);
            st = st == LT_OK ? lt_featcache_remove(path, err) : st;
            continue;
        }
        if (strncmp(name, ".tmp-", 5) == 0) {
            name += 5;
        }
        snprintf(key, sizeof key, "%.64s", name);
        int leftover = name != de->d_name;
        if (!is_key(key) || (!leftover && strcmp(name, key) != 0 &&
                             strcmp(name + 64, ".lock") != 0)) {
            continue;
        }
        size_t was_busy = *busy;
        st = clear_one(root, key, removed, busy, err);
        if (st == LT_OK && leftover && *busy == was_busy &&
            lt_path_join(path, root, de->d_name, err) == LT_OK) {
            st = lt_featcache_remove(path, err);
        }
    }
    closedir(d);
    return st;
}

lt_status lt_featcache_clear(const char *root, const char *prefix, size_t *removed,
                             size_t *busy, lt_error *err)
{
    *removed = *busy = 0;
    if (!prefix) {
        return clear_all(root, removed, busy, err);
    }
    lt_featcache_info *items;
    size_t n, match = 0, which = 0;
    if (strlen(prefix) < 4) {
        return lt_fail(err, LT_ECONFIG, "cache key \"%s\": give at least 4 digits", prefix);
    }
    if (lt_featcache_list(root, &items, &n, err) != LT_OK) {
        return LT_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        if (strncmp(items[i].key, prefix, strlen(prefix)) == 0) {
            match++;
            which = i;
        }
    }
    char key[LT_SHA256_HEX];
    snprintf(key, sizeof key, "%s", match ? items[which].key : "");
    free(items);
    if (match != 1) {
        return lt_fail(err, LT_ECONFIG, "cache key \"%s\": %s", prefix,
                       match ? "matches several entries (give more digits)" : "no such entry");
    }
    return clear_one(root, key, removed, busy, err);
}
