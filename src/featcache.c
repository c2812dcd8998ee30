/* featcache.c — the feature cache's keys and its reader: the key from its parts, the
 * cache folder, opening an entry (every check of featcache.h) and reading its blobs. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "lintrain/featcache.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EDGE_BYTES (1u << 20) /* the head and tail a file's identity hashes */

static void hash_field(lt_sha256 *h, const char *s)
{
    uint64_t n = strlen(s);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) {
        len[i] = (unsigned char)(n >> (8 * i));
    }
    lt_sha256_update(h, len, sizeof len);
    lt_sha256_update(h, s, (size_t)n);
}

void lt_featcache_key_init(lt_featcache_key *k, unsigned version)
{
    memset(k, 0, sizeof *k);
    lt_sha256_init(&k->hash);
    k->version = version;
    char v[32];
    snprintf(v, sizeof v, "%u", version);
    lt_featcache_key_add(k, "version", v, NULL); /* on no memory: parts stay short */
}

void lt_featcache_key_free(lt_featcache_key *k)
{
    if (k) {
        free(k->parts);
        k->parts = NULL;
        k->len = k->cap = 0;
    }
}

lt_status lt_featcache_key_add(lt_featcache_key *k, const char *name, const char *value,
                               lt_error *err)
{
    if (strpbrk(name, "=\n") || strchr(value, '\n')) {
        return lt_fail(err, LT_ERR, "feature cache key part \"%s\": no '=' in a name, no "
                       "newline in either", name);
    }
    size_t need = k->len + strlen(name) + strlen(value) + 3;
    if (need > k->cap) {
        size_t cap = need * 2;
        char *p = realloc(k->parts, cap);
        if (!p) {
            return lt_fail(err, LT_ERR, "feature cache key: out of memory");
        }
        k->parts = p;
        k->cap = cap;
    }
    k->len += (size_t)snprintf(k->parts + k->len, k->cap - k->len, "%s=%s\n", name, value);
    hash_field(&k->hash, name);
    hash_field(&k->hash, value);
    return LT_OK;
}

/* The SHA-256 of n bytes of fd from offset off. */
static lt_status hash_range(int fd, off_t off, size_t n, char hex[LT_SHA256_HEX],
                            const char *path, lt_error *err)
{
    unsigned char *buf = lt_calloc(n ? n : 1, 1, "file identity", err);
    if (!buf) {
        return LT_ERR;
    }
    ssize_t got = pread(fd, buf, n, off);
    if (got != (ssize_t)n) {
        free(buf);
        return lt_fail(err, LT_ERR, "%s: cannot read (%s)", path,
                       got < 0 ? strerror(errno) : "short read");
    }
    lt_sha256_hex(buf, n, hex);
    free(buf);
    return LT_OK;
}

lt_status lt_featcache_key_add_file(lt_featcache_key *k, const char *name, const char *path,
                                    lt_error *err)
{
    char abs[PATH_MAX], head[LT_SHA256_HEX], tail[LT_SHA256_HEX];
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0 || !realpath(path, abs)) {
        lt_status s = lt_fail(err, LT_ERR, "%s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return s;
    }
    size_t size = (size_t)st.st_size, edge = size < EDGE_BYTES ? size : EDGE_BYTES;
    lt_status s = hash_range(fd, 0, edge, head, path, err);
    if (s == LT_OK) {
        s = hash_range(fd, (off_t)(size - edge), edge, tail, path, err);
    }
    close(fd);
    if (s != LT_OK) {
        return s;
    }
    char value[PATH_MAX + 256];
    snprintf(value, sizeof value, "%s size %llu mtime %lld.%09ld head %.16s tail %.16s", abs,
             (unsigned long long)size, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
             head, tail);
    return lt_featcache_key_add(k, name, value, err);
}

void lt_featcache_key_summary(lt_featcache_key *k, const char *summary)
{
    snprintf(k->summary, sizeof k->summary, "%s", summary);
}

void lt_featcache_key_hex(const lt_featcache_key *k, char hex[LT_SHA256_HEX])
{
    lt_sha256 copy = k->hash;
    lt_sha256_final_hex(&copy, hex);
}

lt_status lt_featcache_root(char out[LT_PATH_MAX], lt_error *err)
{
    const char *dir = getenv("LINTRAIN_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (dir && dir[0]) {
        n = snprintf(out, LT_PATH_MAX, "%s", dir);
    } else if (xdg && xdg[0]) {
        n = snprintf(out, LT_PATH_MAX, "%s/lintrain/features", xdg);
    } else if (home && home[0]) {
        n = snprintf(out, LT_PATH_MAX, "%s/.cache/lintrain/features", home);
    } else {
        return lt_fail(err, LT_ERR, "feature cache: neither LINTRAIN_CACHE_DIR, "
                       "XDG_CACHE_HOME nor HOME is set");
    }
    if (n < 0 || n >= LT_PATH_MAX) {
        return lt_fail(err, LT_ERR, "feature cache: folder name too long");
    }
    return LT_OK;
}

/* ---- opening -------------------------------------------------------------------------- */

#define SUM_CHUNK ((size_t)1 << 20) /* bytes read at once: a multiple of 32 */

/* The checksum of the whole file at path, and its size. */
static int sum_file(const char *path, char hex[LT_FEATCACHE_SUM_HEX], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(SUM_CHUNK);
    if (!f || !buf) {
        if (f) {
            fclose(f);
        }
        free(buf);
        return -1;
    }
    lt_featcache_sum s;
    lt_featcache_sum_init(&s);
    size_t got;
    /* fread fills the whole chunk until the end of the file: only the last is short. */
    while ((got = fread(buf, 1, SUM_CHUNK, f)) > 0) {
        lt_featcache_sum_update(&s, buf, got);
    }
    int bad = ferror(f);
    fclose(f);
    free(buf);
    *size = s.bytes;
    lt_featcache_sum_hex(&s, hex);
    return bad ? -1 : 0;
}

/* Checks one blob record of the manifest and records it in e; NULL or why it fails. */
static const char *check_blob(lt_featcache_entry *e, const cJSON *b, char *why, size_t cap)
{
    const cJSON *name = cJSON_GetObjectItem(b, "name"), *bytes = cJSON_GetObjectItem(b, "bytes");
    const cJSON *sum = cJSON_GetObjectItem(b, "sum");
    if (!cJSON_IsString(name) || !cJSON_IsNumber(bytes) || !cJSON_IsString(sum) ||
        strlen(name->valuestring) >= sizeof e->names[0] || strchr(name->valuestring, '/')) {
        return "manifest: a malformed blob record";
    }
    char path[LT_PATH_MAX], hex[LT_FEATCACHE_SUM_HEX];
    uint64_t size;
    if (lt_path_join(path, e->dir, name->valuestring, NULL) != LT_OK ||
        sum_file(path, hex, &size) != 0) {
        snprintf(why, cap, "blob %s: missing or unreadable", name->valuestring);
    } else if ((double)size != bytes->valuedouble) {
        snprintf(why, cap, "blob %s: %llu bytes, the manifest says %.17g", name->valuestring,
                 (unsigned long long)size, bytes->valuedouble);
    } else if (strcmp(hex, sum->valuestring) != 0) {
        snprintf(why, cap, "blob %s: checksum mismatch", name->valuestring);
    } else {
        snprintf(e->names[e->n_blobs], sizeof e->names[0], "%s", name->valuestring);
        e->sizes[e->n_blobs++] = size;
        return NULL;
    }
    return why;
}

/* NULL when the manifest m belongs to k (format, version, key, parts), else why not. */
static const char *check_owner(const cJSON *m, const lt_featcache_key *k, const char *hex)
{
    const cJSON *format = cJSON_GetObjectItem(m, "format");
    const cJSON *version = cJSON_GetObjectItem(m, "version");
    const cJSON *key = cJSON_GetObjectItem(m, "key"), *parts = cJSON_GetObjectItem(m, "parts");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, "lintrain feature cache") != 0) {
        return "manifest: not a lintrain feature cache manifest";
    }
    if (!cJSON_IsNumber(version) || version->valuedouble != (double)k->version) {
        return "manifest: another feature code version";
    }
    if (!cJSON_IsString(key) || strcmp(key->valuestring, hex) != 0) {
        return "manifest: another key";
    }
    if (!cJSON_IsString(parts) || strcmp(parts->valuestring, k->parts ? k->parts : "") != 0) {
        return "manifest: other key parts";
    }
    return NULL;
}

/* Every check of an entry whose manifest text is json; NULL when it passes. */
static const char *check_entry(lt_featcache_entry *e, const char *json,
                               const lt_featcache_key *k, const char *hex, char *why, size_t cap)
{
    cJSON *m = cJSON_Parse(json);
    const char *bad = m ? check_owner(m, k, hex) : "manifest: not JSON";
    const cJSON *blobs = m ? cJSON_GetObjectItem(m, "blobs") : NULL;
    if (!bad && !cJSON_IsArray(blobs)) {
        bad = "manifest: no blob list";
    }
    size_t n = bad ? 0 : (size_t)cJSON_GetArraySize(blobs);
    if (!bad) {
        e->names = calloc(n ? n : 1, sizeof e->names[0]);
        e->sizes = calloc(n ? n : 1, sizeof e->sizes[0]);
        bad = e->names && e->sizes ? NULL : "out of memory";
    }
    for (const cJSON *b = bad ? NULL : blobs->child; b && !bad; b = b->next) {
        bad = check_blob(e, b, why, cap);
    }
    cJSON_Delete(m);
    return bad;
}

/* The manifest's text (malloc'ed), or NULL when there is none to read. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    while (text) {
        len += fread(text + len, 1, cap - 1 - len, f);
        if (len < cap - 1 || ferror(f)) {
            break;
        }
        char *more = realloc(text, cap *= 2);
        if (!more) {
            free(text);
        }
        text = more;
    }
    if (text && ferror(f)) {
        free(text);
        text = NULL;
    }
    fclose(f);
    if (text) {
        text[len] = '\0';
    }
    return text;
}

lt_status lt_featcache_open(lt_featcache_entry *e, const char *root, const lt_featcache_key *k,
                            int *found, char *reason, size_t reason_cap, lt_error *err)
{
    char hex[LT_SHA256_HEX], manifest[LT_PATH_MAX], why[512];
    memset(e, 0, sizeof *e);
    *found = 0;
    lt_featcache_key_hex(k, hex);
    if (lt_path_join(e->dir, root, hex, err) != LT_OK ||
        lt_path_join(manifest, e->dir, LT_FEATCACHE_MANIFEST, err) != LT_OK) {
        return LT_ERR;
    }
    struct stat st;
    if (stat(e->dir, &st) != 0) {
        snprintf(reason, reason_cap, "no entry");
        return errno == ENOENT ? LT_OK : lt_fail(err, LT_ERR, "%s: %s", e->dir, strerror(errno));
    }
    char *json = read_text(manifest);
    const char *bad = json ? check_entry(e, json, k, hex, why, sizeof why) : "no manifest";
    free(json);
    if (bad) {
        snprintf(reason, reason_cap, "%s", bad);
        lt_featcache_entry_free(e);
        return LT_OK;
    }
    *found = 1;
    reason[0] = '\0';
    return LT_OK;
}

/* The index of blob name in e, or e->n_blobs when it has none (err says so). */
static size_t blob_index(const lt_featcache_entry *e, const char *name, lt_error *err)
{
    size_t i = 0;
    while (i < e->n_blobs && strcmp(e->names[i], name) != 0) {
        i++;
    }
    if (i == e->n_blobs) {
        lt_fail(err, LT_ERR, "%s: the entry has no blob %s", e->dir, name);
    }
    return i;
}

lt_status lt_featcache_read_into(const lt_featcache_entry *e, const char *name, void *dst,
                                 size_t n, lt_error *err)
{
    size_t i = blob_index(e, name, err);
    char path[LT_PATH_MAX];
    if (i == e->n_blobs || lt_path_join(path, e->dir, name, err) != LT_OK) {
        return LT_ERR;
    }
    if (e->sizes[i] != (uint64_t)n) {
        return lt_fail(err, LT_ERR, "%s/%s: %llu bytes, expected %zu", e->dir, name,
                       (unsigned long long)e->sizes[i], n);
    }
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(dst, 1, n, f) : 0;
    int extra = f ? fgetc(f) : EOF;
    if (f) {
        fclose(f);
    }
    if (!f || got != n || extra != EOF) {
        return lt_fail(err, LT_ERR, "%s: %s changed since the entry was checked", e->dir, name);
    }
    return LT_OK;
}

lt_status lt_featcache_read(const lt_featcache_entry *e, const char *name, void **bytes,
                            size_t *n, lt_error *err)
{
    size_t i = blob_index(e, name, err);
    *bytes = NULL;
    if (i == e->n_blobs) {
        return LT_ERR;
    }
    *n = (size_t)e->sizes[i];
    *bytes = lt_calloc(*n ? *n : 1, 1, name, err);
    lt_status st = *bytes ? lt_featcache_read_into(e, name, *bytes, *n, err) : LT_ERR;
    if (st != LT_OK) {
        free(*bytes);
        *bytes = NULL;
    }
    return st;
}

void lt_featcache_entry_free(lt_featcache_entry *e)
{
    if (e) {
        free(e->names);
        free(e->sizes);
        e->names = NULL;
        e->sizes = NULL;
        e->n_blobs = 0;
    }
}
