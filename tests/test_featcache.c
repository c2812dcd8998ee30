/* test_featcache.c — the feature cache (featcache.h) and its SHA-256: FIPS 180-4's test
 * vectors; keys stable and sensitive to every part; a round trip; a flipped byte, a cut
 * blob and another version detected and rebuilt; a writer killed mid-write leaving no
 * entry; two processes filling one key (one computes, the other waits and reads); and
 * `lintrain cache --list/--clear` on a cache folder of the test's own. */
#define _XOPEN_SOURCE 700 /* utimensat's flags */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lintrain/featcache.h"
#include "testutil.h"

static void check_sha(const char *msg, size_t n, const char *expected)
{
    char hex[LT_SHA256_HEX];
    lt_sha256_hex(msg, n, hex);
    assert_string_equal(hex, expected);
    lt_sha256 s; /* the same bytes fed in uneven pieces */
    lt_sha256_init(&s);
    for (size_t i = 0, step = 1; i < n; i += step, step = step * 3 % 97 + 1) {
        lt_sha256_update(&s, msg + i, i + step <= n ? step : n - i);
    }
    lt_sha256_final_hex(&s, hex);
    assert_string_equal(hex, expected);
}

/* FIPS 180-4's examples (NIST's "SHA256.pdf"): "abc", the 448-bit message (two blocks:
 * its padding spills over) and a million "a"; and the empty message. */
static void test_sha256_vectors(void **state)
{
    (void)state;
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    check_sha(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* ---- keys ----------------------------------------------------------------------------- */

static char data_file[4096];

/* A key from its parts; hex gets it. */
static void make_key(lt_featcache_key *k, unsigned version, const char *stages,
                     const char *seed, char hex[LT_SHA256_HEX])
{
    lt_error err;
    lt_featcache_key_init(k, version);
    assert_int_equal(lt_featcache_key_add(k, "stages", stages, &err), LT_OK);
    assert_int_equal(lt_featcache_key_add(k, "seed", seed, &err), LT_OK);
    assert_int_equal(lt_featcache_key_add_file(k, "data", data_file, &err), LT_OK);
    lt_featcache_key_summary(k, "hog + hue_histogram 10");
    lt_featcache_key_hex(k, hex);
}

static void key_hex(unsigned version, const char *stages, const char *seed,
                    char hex[LT_SHA256_HEX])
{
    lt_featcache_key k;
    make_key(&k, version, stages, seed, hex);
    lt_featcache_key_free(&k);
}

/* 3 MiB of bytes that depend on their offset, so the head and tail differ. */
static void write_data(const char *path)
{
    size_t n = 3u << 20;
    unsigned char *b = malloc(n);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        b[i] = (unsigned char)(i * 2654435761u >> 13);
    }
    tu_write_file(path, b, n);
    free(b);
}

/* Sets path's modification time to t seconds. */
static void set_mtime(const char *path, time_t t)
{
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Rewrites byte off of path in place (same size), then restores the old mtime. */
static void poke(const char *path, long off)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    fputc(c ^ 0x5a, f);
    assert_int_equal(fclose(f), 0);
}

static void test_key_stable_and_sensitive(void **state)
{
    (void)state;
    char a[LT_SHA256_HEX], b[LT_SHA256_HEX], c[LT_SHA256_HEX];
    snprintf(data_file, sizeof data_file, "%s/data.bin", tu_tmp);
    write_data(data_file);
    set_mtime(data_file, 1000000000);
    key_hex(1, "[{\"name\":\"hog\"}]", "7", a);
    key_hex(1, "[{\"name\":\"hog\"}]", "7", b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 64);
    key_hex(2, "[{\"name\":\"hog\"}]", "7", b);  /* the code version */
    assert_string_not_equal(a, b);
    key_hex(1, "[{\"name\":\"hog\"},{\"name\":\"hue_histogram\"}]", "7", b);
    assert_string_not_equal(a, b);
    key_hex(1, "[{\"name\":\"hog\"}]", "8", b);  /* the seed */
    assert_string_not_equal(a, b);
    set_mtime(data_file, 1000000001);  /* the file touched */
    key_hex(1, "[{\"name\":\"hog\"}]", "7", b);
    assert_string_not_equal(a, b);
    set_mtime(data_file, 1000000000);
    key_hex(1, "[{\"name\":\"hog\"}]", "7", b);
    assert_string_equal(a, b);
    long offsets[] = {10, (3L << 20) - 10};  /* head, tail: same size and mtime */
    for (int i = 0; i < 2; i++) {
        poke(data_file, offsets[i]);
        set_mtime(data_file, 1000000000);
        key_hex(1, "[{\"name\":\"hog\"}]", "7", c);
        assert_string_not_equal(a, c);
        poke(data_file, offsets[i]);
        set_mtime(data_file, 1000000000);
    }
    /* The parts' boundaries count: "ab"+"c" is not "a"+"bc". */
    lt_featcache_key k1, k2;
    lt_error err;
    lt_featcache_key_init(&k1, 1);
    lt_featcache_key_init(&k2, 1);
    assert_int_equal(lt_featcache_key_add(&k1, "x", "ab", &err), LT_OK);
    assert_int_equal(lt_featcache_key_add(&k1, "y", "c", &err), LT_OK);
    assert_int_equal(lt_featcache_key_add(&k2, "x", "a", &err), LT_OK);
    assert_int_equal(lt_featcache_key_add(&k2, "y", "bc", &err), LT_OK);
    lt_featcache_key_hex(&k1, a);
    lt_featcache_key_hex(&k2, b);
    assert_string_not_equal(a, b);
    assert_int_not_equal(lt_featcache_key_add(&k1, "z", "two\nlines", &err), LT_OK);
    lt_featcache_key_free(&k1);
    lt_featcache_key_free(&k2);
}

/* ---- entries -------------------------------------------------------------------------- */

#define BLOB_BYTES 100000

static unsigned char blob_a[BLOB_BYTES], blob_b[77];

static void init_blobs(void)
{
    for (size_t i = 0; i < BLOB_BYTES; i++) {
        blob_a[i] = (unsigned char)(i % 251);
    }
    for (size_t i = 0; i < sizeof blob_b; i++) {
        blob_b[i] = (unsigned char)(255 - i);
    }
}

static void fill(const char *root, const lt_featcache_key *k)
{
    lt_featcache_writer w;
    lt_error err;
    assert_int_equal(lt_featcache_writer_begin(&w, root, k, &err), LT_OK);
    assert_int_equal(lt_featcache_writer_add(&w, "train.npy", blob_a, BLOB_BYTES, &err), LT_OK);
    assert_int_equal(lt_featcache_writer_add(&w, "centroids.npy", blob_b, sizeof blob_b, &err),
                     LT_OK);
    assert_int_not_equal(lt_featcache_writer_add(&w, "../x", blob_b, 1, &err), LT_OK);
    assert_int_equal(lt_featcache_writer_commit(&w, k, &err), LT_OK);
}

/* Whether k's entry is a hit with both blobs as written; reason gets the miss's. */
static int hit(const char *root, const lt_featcache_key *k, char *reason, size_t cap)
{
    lt_featcache_entry e;
    lt_error err;
    int found;
    assert_int_equal(lt_featcache_open(&e, root, k, &found, reason, cap, &err), LT_OK);
    if (!found) {
        return 0;
    }
    void *bytes;
    size_t n;
    assert_int_equal(lt_featcache_read(&e, "train.npy", &bytes, &n, &err), LT_OK);
    assert_int_equal(n, BLOB_BYTES);
    assert_memory_equal(bytes, blob_a, BLOB_BYTES);
    free(bytes);
    assert_int_equal(lt_featcache_read(&e, "centroids.npy", &bytes, &n, &err), LT_OK);
    assert_int_equal(n, sizeof blob_b);
    assert_memory_equal(bytes, blob_b, sizeof blob_b);
    free(bytes);
    assert_int_not_equal(lt_featcache_read(&e, "val.npy", &bytes, &n, &err), LT_OK);
    lt_featcache_entry_free(&e);
    return 1;
}

static char *fresh_root(const char *name)
{
    char *root = malloc(4096);
    assert_non_null(root);
    snprintf(root, 4096, "%s/%s", tu_tmp, name);
    tu_rmtree(root);
    return root;
}

static void test_round_trip(void **state)
{
    (void)state;
    char *root = fresh_root("roundtrip"), reason[256], hex[LT_SHA256_HEX];
    lt_featcache_key k, other;
    make_key(&k, 1, "[{\"name\":\"hog\"}]", "7", hex);
    assert_false(hit(root, &k, reason, sizeof reason));
    assert_string_equal(reason, "no entry");
    fill(root, &k);
    assert_true(hit(root, &k, reason, sizeof reason));
    make_key(&other, 1, "[{\"name\":\"hog\"}]", "8", hex);
    assert_false(hit(root, &other, reason, sizeof reason));
    /* The manifest says what the key was made of, readably. */
    char path[8192];
    lt_featcache_key_hex(&k, hex);
    snprintf(path, sizeof path, "%s/%s/manifest.json", root, hex);
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "seed=7"));
    assert_non_null(strstr(text, "hog + hue_histogram 10"));
    free(text);
    lt_featcache_key_free(&k);
    lt_featcache_key_free(&other);
    free(root);
}

/* Replaces entry file name of k's entry by what edit makes of it. */
static void damage(const char *root, const lt_featcache_key *k, const char *name,
                   void (*edit)(char *text, size_t *n))
{
    char hex[LT_SHA256_HEX], path[8192];
    size_t n;
    lt_featcache_key_hex(k, hex);
    snprintf(path, sizeof path, "%s/%s/%s", root, hex, name);
    char *text = tu_read_file(path, &n);
    assert_non_null(text);
    edit(text, &n);
    tu_write_file(path, text, n);
    free(text);
}

static void flip_byte(char *text, size_t *n)
{
    text[*n / 2] ^= 1;
}

static void cut(char *text, size_t *n)
{
    (void)text;
    *n -= 1;
}

static void other_version(char *text, size_t *n)
{
    char *v = strstr(text, "\"version\":\t1");
    assert_non_null(v);
    v[strlen("\"version\":\t")] = '9';
    (void)n;
}

static void test_damage_detected_and_rebuilt(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        void (*edit)(char *, size_t *);
        const char *reason;
    } CASES[] = {
        {"train.npy", flip_byte, "blob train.npy: checksum mismatch"},
        {"centroids.npy", cut, "blob centroids.npy: 76 bytes, the manifest says 77"},
        {"manifest.json", other_version, "manifest: another feature code version"},
        {"manifest.json", cut, "manifest: not JSON"},
    };
    char *root = fresh_root("damage"), reason[256], hex[LT_SHA256_HEX];
    lt_featcache_key k;
    make_key(&k, 1, "[{\"name\":\"hog\"}]", "7", hex);
    init_blobs();
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        fill(root, &k);
        assert_true(hit(root, &k, reason, sizeof reason));
        damage(root, &k, CASES[i].file, CASES[i].edit);
        assert_false(hit(root, &k, reason, sizeof reason));
        assert_string_equal(reason, CASES[i].reason);
        fill(root, &k);  /* the rebuild replaces the damaged entry */
        assert_true(hit(root, &k, reason, sizeof reason));
    }
    lt_featcache_key_free(&k);
    free(root);
}

/* ---- processes ------------------------------------------------------------------------ */

/* A writer killed (SIGKILL) after writing a blob, before its commit: no entry reads as
 * valid, its lock is free again, and the next writer clears what it left. */
static void test_killed_writer(void **state)
{
    (void)state;
    char *root = fresh_root("killed"), reason[256], hex[LT_SHA256_HEX];
    lt_featcache_key k;
    make_key(&k, 1, "[{\"name\":\"hog\"}]", "7", hex);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        lt_featcache_guard g;
        lt_featcache_writer w;
        lt_error err;
        if (lt_featcache_lock(&g, root, hex, NULL, NULL, &err) != LT_OK ||
            lt_featcache_writer_begin(&w, root, &k, &err) != LT_OK ||
            lt_featcache_writer_add(&w, "train.npy", blob_a, BLOB_BYTES, &err) != LT_OK) {
            _exit(1);
        }
        if (write(ready[1], "x", 1) != 1) {
            _exit(1);
        }
        pause();
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    char cmd[8192], *out = NULL;
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c '^.tmp-%s-%d$'", root, hex, (int)pid);
    assert_int_equal(tu_run(cmd, &out), 0);  /* its private folder is there ... */
    free(out);
    assert_false(hit(root, &k, reason, sizeof reason));  /* ... but no entry */
    assert_string_equal(reason, "no entry");
    lt_featcache_guard g;
    lt_error err;
    alarm(20);  /* a lock that stayed held would hang here */
    assert_int_equal(lt_featcache_lock(&g, root, hex, NULL, NULL, &err), LT_OK);
    alarm(0);
    fill(root, &k);
    lt_featcache_unlock(&g);
    assert_true(hit(root, &k, reason, sizeof reason));
    assert_int_not_equal(tu_run(cmd, &out), 0);  /* the leftover is gone */
    free(out);
    close(ready[0]);
    close(ready[1]);
    lt_featcache_key_free(&k);
    free(root);
}

static void log_line(const char *path, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0666);
    if (fd < 0 || write(fd, line, (size_t)n) != n) {
        _exit(3);
    }
    close(fd);
}

static void on_wait(void *ctx, const char *key, long pid)
{
    (void)key;
    log_line(ctx, "waited for %ld\n", pid);
}

/* The caller's pattern of featcache.h, in a child: exits 0 when it ends with a hit. */
static void fill_or_read(const char *root, const lt_featcache_key *k, const char *log,
                         int ready_fd, int go_fd)
{
    char hex[LT_SHA256_HEX], reason[256];
    lt_featcache_guard g;
    lt_error err;
    lt_featcache_key_hex(k, hex);
    if (hit(root, k, reason, sizeof reason)) {
        _exit(4);  /* the test starts from an empty cache */
    }
    if (lt_featcache_lock(&g, root, hex, on_wait, (void *)log, &err) != LT_OK) {
        _exit(1);
    }
    char c;
    if (ready_fd >= 0 && (write(ready_fd, "x", 1) != 1 || read(go_fd, &c, 1) != 1)) {
        _exit(1);
    }
    if (!hit(root, k, reason, sizeof reason)) {
        nanosleep(&(struct timespec){0, 100000000}, NULL);  /* the extraction */
        log_line(log, "computed by %ld\n", (long)getpid());
        fill(root, k);
    }
    lt_featcache_unlock(&g);
    _exit(hit(root, k, reason, sizeof reason) ? 0 : 2);
}

/* Two processes fill one key: the second finds the lock held, says it waits (for the
 * first's pid), and reads the entry the first computed; the entry is computed once. */
static void test_concurrent_fill(void **state)
{
    (void)state;
    char *root = fresh_root("concurrent"), hex[LT_SHA256_HEX], log[4096], expect[256];
    lt_featcache_key k;
    make_key(&k, 1, "[{\"name\":\"kmeans\"}]", "7", hex);
    snprintf(log, sizeof log, "%s/concurrent.log", tu_tmp);
    unlink(log);
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t first = fork();
    assert_true(first >= 0);
    if (first == 0) {
        fill_or_read(root, &k, log, ready[1], go[0]);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);  /* the first holds the lock */
    pid_t second = fork();
    assert_true(second >= 0);
    if (second == 0) {
        fill_or_read(root, &k, log, -1, -1);
    }
    /* The first computes once the second has said it waits (at most 30 s). */
    for (int i = 0; i < 3000; i++) {
        char *said = tu_read_file(log, NULL);
        int waiting = said && strstr(said, "waited");
        free(said);
        if (waiting) {
            break;
        }
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    assert_int_equal(write(go[1], "x", 1), 1);
    int s1, s2;
    assert_int_equal(waitpid(first, &s1, 0), first);
    assert_int_equal(waitpid(second, &s2, 0), second);
    assert_true(WIFEXITED(s1) && WEXITSTATUS(s1) == 0);
    assert_true(WIFEXITED(s2) && WEXITSTATUS(s2) == 0);
    char *text = tu_read_file(log, NULL);
    assert_non_null(text);
    snprintf(expect, sizeof expect, "waited for %ld\ncomputed by %ld\n", (long)first,
             (long)first);
    assert_string_equal(text, expect);
    free(text);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    lt_featcache_key_free(&k);
    free(root);
}

/* ---- lintrain cache ------------------------------------------------------------------- */

static int cache_cmd(const char *root, char **out, const char *args)
{
    return tu_runf(out, "LINTRAIN_CACHE_DIR='%s' ./lintrain cache %s 2>&1", root, args);
}

static void test_cli_list_and_clear(void **state)
{
    (void)state;
    char *root = fresh_root("cli"), h1[LT_SHA256_HEX], h2[LT_SHA256_HEX], *out;
    lt_featcache_key k1, k2;
    make_key(&k1, 1, "[{\"name\":\"hog\"}]", "1", h1);
    make_key(&k2, 1, "[{\"name\":\"hog\"}]", "2", h2);
    lt_featcache_key_summary(&k2, "kmeans 1600 6x6 stride 1");
    fill(root, &k1);
    fill(root, &k2);
    assert_int_equal(cache_cmd(root, &out, "--list"), 0);
    char line[256];
    char path[8192];
    size_t manifest;
    snprintf(path, sizeof path, "%s/%s/manifest.json", root, h1);
    free(tu_read_file(path, &manifest));
    snprintf(line, sizeof line, "%.16s  %6.1f KB  ", h1, (BLOB_BYTES + 77 + manifest) / 1024.0);
    assert_non_null(strstr(out, line));
    assert_non_null(strstr(out, "hog + hue_histogram 10\n"));
    assert_non_null(strstr(out, "kmeans 1600 6x6 stride 1\n"));
    assert_non_null(strstr(out, "2 entries, "));
    free(out);
    assert_int_equal(cache_cmd(root, &out, "--clear abc"), 2);  /* under 4 digits */
    free(out);
    assert_int_equal(cache_cmd(root, &out, "--clear"), 0);
    free(out);
    assert_int_equal(cache_cmd(root, &out, "--list"), 0);
    assert_non_null(strstr(out, "0 entries, 0 B in "));
    free(out);
    fill(root, &k1);
    fill(root, &k2);
    snprintf(line, sizeof line, "--clear %.8s", h2);
    assert_int_equal(cache_cmd(root, &out, line), 0);
    assert_non_null(strstr(out, "removed 1 entry from "));
    free(out);
    assert_int_equal(cache_cmd(root, &out, line), 2);  /* no longer there */
    assert_non_null(strstr(out, "no such entry"));
    free(out);
    char reason[256];
    assert_true(hit(root, &k1, reason, sizeof reason));
    assert_false(hit(root, &k2, reason, sizeof reason));
    assert_int_equal(cache_cmd(root, &out, "--lst"), 2);
    assert_non_null(strstr(out, "--list"));
    free(out);
    assert_int_equal(cache_cmd(root, &out, ""), 2);
    free(out);
    lt_featcache_key_free(&k1);
    lt_featcache_key_free(&k2);
    free(root);
}

int main(void)
{
    init_blobs();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_key_stable_and_sensitive),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damage_detected_and_rebuilt),
        cmocka_unit_test(test_killed_writer),
        cmocka_unit_test(test_concurrent_fill),
        cmocka_unit_test(test_cli_list_and_clear),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
