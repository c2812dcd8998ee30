/* cli_cache.c — `lintrain cache --list | --clear [KEY]`: the feature cache's entries,
 * shown or removed (featcache.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/featcache.h"

static const char USAGE[] =
    "usage: lintrain cache --list\n"
    "       lintrain cache --clear [KEY]\n"
    "\n"
    "The feature cache: the feature matrices runs with data.features computed, kept so\n"
    "that the next run with the same features, seed and data files reads them instead.\n"
    "It lives in $LINTRAIN_CACHE_DIR when set, else in\n"
    "${XDG_CACHE_HOME:-~/.cache}/lintrain/features.\n"
    "\n"
    "  --list                 one line per entry: key (its first 16 digits), size,\n"
    "                         creation time (UTC), the feature stages; then the total\n"
    "  --clear [KEY]          remove every entry, or the one whose key begins with KEY\n"
    "                         (at least 4 digits); entries a running process is filling\n"
    "                         are left alone\n"
    "\n"
    "Exit status: 0 ok, 1 failure (also: an entry was in use), 2 usage error or no\n"
    "entry matches KEY.\n";

/* "1.5 GB" and the like, in powers of 1024. */
static void human(uint64_t bytes, char *out, size_t cap)
{
    static const char *const UNITS[] = {"B", "KB", "MB", "GB", "TB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof UNITS / sizeof UNITS[0]) {
        v /= 1024;
        u++;
    }
    snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, UNITS[u]);
}

static int list(const char *root)
{
    lt_featcache_info *items;
    size_t n;
    lt_error err = {{0}};
    if (lt_featcache_list(root, &items, &n, &err) != LT_OK) {
        fprintf(stderr, "lintrain: %s\n", err.msg);
        return 1;
    }
    uint64_t total = 0;
    char size[32];
    for (size_t i = 0; i < n; i++) {
        human(items[i].bytes, size, sizeof size);
        printf("%.16s  %9s  %-20s  %s\n", items[i].key, size, items[i].created,
               items[i].summary);
        total += items[i].bytes;
    }
    human(total, size, sizeof size);
    printf("%zu entr%s, %s in %s\n", n, n == 1 ? "y" : "ies", size, root);
    free(items);
    return 0;
}

static int clear(const char *root, const char *key)
{
    size_t removed, busy;
    lt_error err = {{0}};
    lt_status st = lt_featcache_clear(root, key, &removed, &busy, &err);
    if (st != LT_OK) {
        fprintf(stderr, "lintrain: %s\n", err.msg);
        return st == LT_ECONFIG ? 2 : 1;
    }
    printf("removed %zu entr%s from %s\n", removed, removed == 1 ? "y" : "ies", root);
    if (busy) {
        fflush(stdout);
        fprintf(stderr, "lintrain: %zu entr%s in use by a running process, left alone\n", busy,
                busy == 1 ? "y" : "ies");
        return 1;
    }
    return 0;
}

int lt_cli_cache(int argc, char **argv)
{
    int do_list = 0, do_clear = 0;
    const char *key = NULL;
    for (int i = 1; i < argc; i++) {
        if (lt_cli_is_help(argv[i])) {
            fputs(USAGE, stdout);
            return 0;
        } else if (strcmp(argv[i], "--list") == 0) {
            do_list = 1;
        } else if (strcmp(argv[i], "--clear") == 0) {
            do_clear = 1;
            if (i + 1 < argc && argv[i + 1][0] != '-') {
                key = argv[++i];
            }
        } else {
            return lt_cli_bad_option("cache", argv[i], "--list|--clear");
        }
    }
    if (do_list + do_clear != 1) {
        fprintf(stderr, "lintrain: cache needs one of --list and --clear (try lintrain cache "
                "--help)\n");
        return 2;
    }
    char root[LT_PATH_MAX];
    lt_error err = {{0}};
    if (lt_featcache_root(root, &err) != LT_OK) {
        fprintf(stderr, "lintrain: %s\n", err.msg);
        return 1;
    }
    return do_list ? list(root) : clear(root, key);
}
