/* featcache.h — the feature cache: computed feature matrices (and what the feature
 * stages fitted) stored on disk under a key, so that runs with the same features
 * extract them once.
 *
 * Where: lt_featcache_root: $LINTRAIN_CACHE_DIR when set, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/lintrain/features.
 *
 * An entry is a folder ROOT/KEY holding named blobs and manifest.json (each blob's size
 * and checksum (featcache_sum.c), the key's parts in readable form, the code version,
 * the creation time).
 * KEY is the SHA-256 of the key's parts (lt_featcache_key). A writer fills a private
 * folder ROOT/.tmp-KEY-PID and renames it to ROOT/KEY, so a reader sees a whole entry
 * or none. lt_featcache_open checks the manifest against the key and every blob's size
 * and checksum; an entry that fails is reported as a miss with the reason, never
 * trusted, and replaced by the next writer of its key (which removes it under the lock).
 *
 * Concurrency: one lock file ROOT/KEY.lock per key (flock). The pattern:
 *
 *     open -> hit: read the blobs
 *          -> miss: lock (waits while another process fills the entry), open again
 *             -> hit: unlock, read (the other process computed it)
 *             -> miss: compute, writer_begin, add..., commit, unlock
 *
 * Nothing here prints: waiting is reported through a callback. */
#ifndef LINTRAIN_FEATCACHE_H
#define LINTRAIN_FEATCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/fsutil.h"
#include "lintrain/sha256.h"

/* The feature code's version: part of every key and of every manifest. Raise it
 * whenever any feature stage would compute different values for the same config
 * (an extractor's arithmetic, a default, the blob layout): old entries then never
 * match again. */
#define LT_FEATCACHE_VERSION 1

#define LT_FEATCACHE_MANIFEST "manifest.json"

/* ---- the key ------------------------------------------------------------------------ */

/* A key built from named parts, in order. Each part is hashed as its name and value,
 * each preceded by its length, so no two lists of parts hash the same input. */
typedef struct {
    lt_sha256 hash;
    unsigned version;   /* LT_FEATCACHE_VERSION, unless a test says otherwise */
    char *parts;        /* owned: "name=value\n" per part, for the manifest */
    size_t len, cap;
    char summary[256];  /* one line for `lintrain cache --list`; not hashed */
} lt_featcache_key;

/* Starts a key with the version as its first part. */
void lt_featcache_key_init(lt_featcache_key *k, unsigned version);
void lt_featcache_key_free(lt_featcache_key *k);

/* Adds a part: name (e.g. "stages", "seed", "split") and its value, e.g. the feature
 * stages' canonical config JSON. A value holds no newline (for the manifest's form). */
lt_status lt_featcache_key_add(lt_featcache_key *k, const char *name, const char *value,
                               lt_error *err);

/* Adds the identity of the data file at path as part name: its absolute path, size,
 * modification time (ns) and the SHA-256 of its first and last MiB. An error when the
 * file cannot be read. */
lt_status lt_featcache_key_add_file(lt_featcache_key *k, const char *name, const char *path,
                                    lt_error *err);

/* The one-line description kept in the manifest (e.g. "kmeans 1600 6x6 stride 1 + hog"). */
void lt_featcache_key_summary(lt_featcache_key *k, const char *summary);

/* The key: 64 hex digits. k stays usable (the hash is finished on a copy). */
void lt_featcache_key_hex(const lt_featcache_key *k, char hex[LT_SHA256_HEX]);

/* The cache folder (see above); an error when neither variable nor HOME is set. */
lt_status lt_featcache_root(char out[LT_PATH_MAX], lt_error *err);

/* ---- reading ------------------------------------------------------------------------ */

typedef struct {
    char dir[LT_PATH_MAX];  /* ROOT/KEY */
    size_t n_blobs;
    char (*names)[64];      /* owned: (n_blobs) blob names */
    uint64_t *sizes;        /* owned: (n_blobs) their sizes */
} lt_featcache_entry;

/* Looks k up under root. *found = 1 with e filled (free it with lt_featcache_entry_free)
 * when the entry exists and every check passes; else *found = 0 and reason says why
 * ("no entry", "blob train.npy: checksum mismatch", ...); an entry that failed a check
 * is left for lt_featcache_writer_begin to remove. LT_ERR only when the cache folder
 * itself cannot be read. */
lt_status lt_featcache_open(lt_featcache_entry *e, const char *root, const lt_featcache_key *k,
                            int *found, char *reason, size_t reason_cap, lt_error *err);

/* The blob called name: *bytes (malloc'ed, owned by the caller) of *n bytes. An error
 * when e has no such blob or its size changed since open. */
lt_status lt_featcache_read(const lt_featcache_entry *e, const char *name, void **bytes,
                            size_t *n, lt_error *err);

/* The blob called name into dst, which holds n bytes: an error when the blob has
 * another size, or e has no such blob, or its size changed since open. */
lt_status lt_featcache_read_into(const lt_featcache_entry *e, const char *name, void *dst,
                                 size_t n, lt_error *err);

void lt_featcache_entry_free(lt_featcache_entry *e);

/* ---- the lock ----------------------------------------------------------------------- */

typedef struct {
    int fd;  /* the lock file ROOT/KEY.lock, held with flock; -1 when not held */
} lt_featcache_guard;

/* Called once when the lock is held by another process: pid (0 when unknown) is the
 * process filling the entry. Then lt_featcache_lock waits for it. */
typedef void (*lt_featcache_wait_fn)(void *ctx, const char *key, long pid);

/* Takes the key's lock, creating root when missing; on_wait (may be NULL) hears about
 * a wait before it starts. The lock goes with the process: a killed holder frees it. */
lt_status lt_featcache_lock(lt_featcache_guard *g, const char *root, const char *key,
                            lt_featcache_wait_fn on_wait, void *ctx, lt_error *err);
void lt_featcache_unlock(lt_featcache_guard *g);

/* ---- writing (with the key's lock held) ---------------------------------------------- */

typedef struct {
    char tmp[LT_PATH_MAX];    /* ROOT/.tmp-KEY-PID, the private folder */
    char final[LT_PATH_MAX];  /* ROOT/KEY */
    char hex[LT_SHA256_HEX];
    void *blobs;              /* owned: the manifest's blob list so far (a cJSON array) */
} lt_featcache_writer;

/* Starts an entry for k under root: removes the entry ROOT/KEY that failed its checks
 * and what a killed writer of the same key left (ROOT/.tmp-KEY-*), then creates the
 * private folder. */
lt_status lt_featcache_writer_begin(lt_featcache_writer *w, const char *root,
                                    const lt_featcache_key *k, lt_error *err);

/* Writes blob name (letters, digits, ".", "_", "-"; at most 63; not starting with "."
 * nor "manifest.json") of n bytes. */
lt_status lt_featcache_writer_add(lt_featcache_writer *w, const char *name, const void *bytes,
                                  size_t n, lt_error *err);

/* Writes the manifest, flushes everything to disk and renames the folder into place
 * (replacing an entry left there); w is freed. On failure the private folder is
 * removed. */
lt_status lt_featcache_writer_commit(lt_featcache_writer *w, const lt_featcache_key *k,
                                     lt_error *err);

/* Drops the private folder; w is freed. Safe after a failed begin or add. */
void lt_featcache_writer_abort(lt_featcache_writer *w);

/* Removes the folder path and the files in it (entries hold no subfolders): renamed
 * to ROOT/.trash-* first, so that it stops being an entry at once. */
lt_status lt_featcache_remove(const char *path, lt_error *err);

/* ---- listing and clearing ------------------------------------------------------------ */

typedef struct {
    char key[LT_SHA256_HEX];
    uint64_t bytes;     /* all files of the entry */
    char created[32];   /* "YYYY-MM-DDTHH:MM:SSZ", or "?" when the manifest is unreadable */
    char summary[256];  /* or "(no readable manifest)" */
} lt_featcache_info;

/* Every entry under root, sorted by key (*items malloc'ed, NULL when none). A missing
 * root is an empty cache. Blobs are not checked here (lt_featcache_open does). */
lt_status lt_featcache_list(const char *root, lt_featcache_info **items, size_t *n,
                            lt_error *err);

/* Removes the entry whose key begins with prefix (at least 4 digits, matching exactly
 * one entry), or with prefix NULL every entry, leftover of a killed writer and unused
 * lock file. An entry whose lock another process holds is left alone and counted in
 * *busy. *removed counts the entries removed. LT_ECONFIG when prefix matches no entry
 * or several (err says which). */
lt_status lt_featcache_clear(const char *root, const char *prefix, size_t *removed,
                             size_t *busy, lt_error *err);

/* ---- the blob checksum (featcache_sum.c) --------------------------------------------- */

#define LT_FEATCACHE_SUM_HEX 33 /* 32 hex digits and the NUL */

typedef struct {
    uint64_t a[4], b[4];  /* the four lanes' running sums and sums of sums */
    uint64_t bytes;
} lt_featcache_sum;

void lt_featcache_sum_init(lt_featcache_sum *s);
/* Adds n bytes; every call but the last must pass a multiple of 32 bytes. */
void lt_featcache_sum_update(lt_featcache_sum *s, const void *data, size_t n);
void lt_featcache_sum_hex(const lt_featcache_sum *s, char hex[LT_FEATCACHE_SUM_HEX]);

#endif
