/* names.c — class-name files, one name a line; see names.h. */
#include "lintrain/names.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char (*names)[LT_CLASS_NAME_MAX];
    size_t n, cap;
    size_t blank_at; /* the line of the first blank line after a name, or 0 */
} name_list;

static lt_status add_name(name_list *l, const char *name, size_t len, const char *path,
                          size_t lineno, lt_error *err)
{
    if (l->blank_at) {
        return lt_fail(err, LT_ERR, "%s: line %zu is blank between names (line k names class "
                       "k, so no gaps)", path, l->blank_at);
    }
    if (len >= LT_CLASS_NAME_MAX) {
        return lt_fail(err, LT_ERR, "%s: line %zu: class name of %zu bytes is longer than the "
                       "limit of %d", path, lineno, len, LT_CLASS_NAME_MAX - 1);
    }
    if (l->n == LT_NAMES_MAX) {
        return lt_fail(err, LT_ERR, "%s: more than %d class names", path, LT_NAMES_MAX);
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 128;
        void *p = realloc(l->names, cap * sizeof *l->names);
        if (!p) {
            return lt_fail(err, LT_ERR, "%s: out of memory for %zu class names", path, cap);
        }
        l->names = p;
        l->cap = cap;
    }
    memcpy(l->names[l->n++], name, len + 1);
    return LT_OK;
}

static lt_status read_lines(FILE *f, const char *path, name_list *l, lt_error *err)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    lt_status st = LT_OK;
    while (st == LT_OK && (got = getline(&line, &cap, f)) != -1) {
        lineno++;
        size_t len = (size_t)got;
        while (len > 0 && isspace((unsigned char)line[len - 1])) {
            len--;
        }
        line[len] = '\0';
        if (memchr(line, '\0', len)) {
            st = lt_fail(err, LT_ERR, "%s: line %zu: contains a NUL byte", path, lineno);
        } else if (len == 0) {
            l->blank_at = l->blank_at ? l->blank_at : lineno;
        } else {
            st = add_name(l, line, len, path, lineno, err);
        }
    }
    if (st == LT_OK && ferror(f)) {
        st = lt_fail(err, LT_ERR, "%s: read error: %s", path, strerror(errno));
    }
    free(line);
    return st;
}

lt_status lt_names_read(const char *path, char (**names)[LT_CLASS_NAME_MAX], size_t *n,
                        lt_error *err)
{
    name_list l = {NULL, 0, 0, 0};
    struct stat sb;
    *names = NULL;
    *n = 0;
    if (stat(path, &sb) != 0) {
        return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode)) {
        return lt_fail(err, LT_ERR, "%s: not a regular file", path);
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    lt_status st = read_lines(f, path, &l, err);
    fclose(f); /* read-only: nothing to lose */
    if (st == LT_OK && l.n == 0) {
        st = lt_fail(err, LT_ERR, "%s: no class names (one name a line)", path);
    }
    if (st != LT_OK) {
        free(l.names);
        return st;
    }
    *names = l.names;
    *n = l.n;
    return LT_OK;
}
