/* testutil.c — helpers shared by the test programs. */
#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cJSON.h>

char *tu_mkdtemp(void)
{
    char tmpl[] = "/tmp/lintrain-test-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char *copy = strdup(dir);
    assert_non_null(copy);
    return copy;
}

void tu_rmtree(const char *path)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) {
        fprintf(stderr, "warning: could not remove %s\n", path);
    }
}

void tu_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n > 0) {
        assert_int_equal(fwrite(data, 1, n, f), n);
    }
    assert_int_equal(fclose(f), 0);
}

/* Reads what is left of f into a malloc'ed, NUL-terminated buffer; *n gets its size. */
static char *read_stream(FILE *f, size_t *n)
{
    size_t cap = 4096, len = 0, got;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    if (n) {
        *n = len;
    }
    return buf;
}

char *tu_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = read_stream(f, n);
    fclose(f);
    return buf;
}

int tu_run(const char *cmd, char **output)
{
    size_t len = strlen(cmd) + 16;
    char *full = malloc(len);
    assert_non_null(full);
    snprintf(full, len, "(%s) 2>&1", cmd);
    FILE *p = popen(full, "r");
    free(full);
    assert_non_null(p);
    char *buf = read_stream(p, NULL);
    int status = pclose(p);
    if (output) {
        *output = buf;
    } else {
        free(buf);
    }
    if (status == -1 || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

int tu_vrunf(char **output, const char *fmt, va_list ap)
{
    char cmd[16384];
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    return tu_run(cmd, output);
}

int tu_runf(char **output, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tu_vrunf(output, fmt, ap);
    va_end(ap);
    return rc;
}

char *tu_tmp;

int tu_setup_tmp(void **state)
{
    (void)state;
    tu_tmp = tu_mkdtemp();
    return 0;
}

int tu_setup_tmp_cache(void **state)
{
    int rc = tu_setup_tmp(state);
    char *cache = tu_join(tu_tmp, "cache");
    rc = rc ? rc : setenv("LINTRAIN_CACHE_DIR", cache, 1);
    free(cache);
    return rc;
}

int tu_cache_entries(const char *root, char *last, size_t cap)
{
    char *out = NULL;
    tu_runf(&out, "ls '%s' 2>/dev/null | grep -v '\\.lock$' || true", root);
    int n = 0;
    for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        snprintf(last, cap, "%s/%s", root, line);
        n++;
    }
    free(out);
    return n;
}

int tu_teardown_tmp(void **state)
{
    (void)state;
    tu_rmtree(tu_tmp);
    free(tu_tmp);
    tu_tmp = NULL;
    return 0;
}

char *tu_join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    assert_non_null(p);
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

int tu_start(const char *cmd)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return (int)pid;
}

char *tu_path_in(const char *dir, const char *file)
{
    char *d = tu_join(tu_tmp, dir);
    if (!file) {
        return d;
    }
    char *p = tu_join(d, file);
    free(d);
    return p;
}

int tu_exists_in(const char *dir, const char *file)
{
    char *p = tu_path_in(dir, file);
    struct stat st;
    int ok = stat(p, &st) == 0;
    free(p);
    return ok;
}

void tu_assert_near(double a, double b, double tol, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%s = %.17g, expected %.17g within %g\n", expr, a, b, tol);
        _fail(file, line);
    }
}

void tu_assert_close(double a, double b, double rel, const char *expr, const char *file, int line)
{
    double scale = fabs(b) > 1.0 ? fabs(b) : 1.0;
    if (!(fabs(a - b) <= rel * scale)) {
        print_error("%s = %.17g, expected %.17g within %g relative\n", expr, a, b, rel);
        _fail(file, line);
    }
}

void *tu_load_json(const char *path)
{
    char *text = tu_read_file(path, NULL);
    if (!text) {
        print_error("cannot read %s (the tests run from the repository root)\n", path);
        fail();
    }
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (!j) {
        print_error("%s is not JSON\n", path);
        fail();
    }
    return j;
}

int tu_is_png(const char *path)
{
    size_t n = 0;
    char *bytes = tu_read_file(path, &n);
    int png = bytes && n > 8 && memcmp(bytes, "\x89PNG\r\n\x1a\n", 8) == 0;
    free(bytes);
    return png;
}

void *tu_load_json_in(const char *dir, const char *file)
{
    char *path = tu_path_in(dir, file);
    void *j = tu_load_json(path);
    free(path);
    return j;
}

double tu_json_number(const void *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    if (!cJSON_IsNumber(v)) {
        print_error("%s is not a number\n", key);
        fail();
    }
    return v->valuedouble;
}

int tu_lintrain(const char *dir, const char *args, char **output)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "./lintrain --out '%s/%s' %s", tu_tmp, dir, args);
    return tu_run(cmd, output);
}

void *tu_metrics_lines(const char *dir, int *count)
{
    char *path = tu_path_in(dir, "metrics.jsonl");
    char *text = tu_read_file(path, NULL);
    free(path);
    assert_non_null(text);
    size_t cap = 16, n = 0;
    cJSON **lines = malloc(cap * sizeof *lines);
    assert_non_null(lines);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (n + 2 > cap) {
            cap *= 2;
            lines = realloc(lines, cap * sizeof *lines);
            assert_non_null(lines);
        }
        lines[n] = cJSON_Parse(line);
        assert_non_null(lines[n]);
        n++;
    }
    lines[n] = NULL;
    free(text);
    *count = (int)n;
    return lines;
}

void tu_free_lines(void *array)
{
    cJSON **lines = array;
    for (int i = 0; lines[i]; i++) {
        cJSON_Delete(lines[i]);
    }
    free(lines);
}

int tu_same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    int same = na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

const char *tu_line_type(const void *line)
{
    const cJSON *t = cJSON_GetObjectItem(line, "type");
    assert_true(cJSON_IsString(t));
    return t->valuestring;
}

void tu_put(const char *name, const char *text)
{
    char *path = tu_join(tu_tmp, name);
    tu_write_file(path, text, strlen(text));
    free(path);
}

/* Splits line at its commas in place; returns the number of cells (at most cap). */
static int board_cells(char *line, char **cells, int cap)
{
    int n = 0;
    assert_null(strchr(line, '"'));
    for (char *p = line; p && n < cap; n++) {
        cells[n] = p;
        p = strchr(p, ',');
        p = p ? (*p = '\0', p + 1) : NULL;
    }
    return n;
}

static int board_column(char **header, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(header[i], name) == 0) {
            return i;
        }
    }
    fail_msg("leaderboard.csv: no column %s", name);
    return -1;
}

int tu_read_board(const char *dir, tu_board_row *rows, int cap)
{
    char *path = tu_path_in(dir, "leaderboard.csv");
    char *text = tu_read_file(path, NULL);
    if (!text) {
        fail_msg("%s: missing", path);
    }
    free(path);
    char *save = NULL, *header[64], *cells[64];
    int nh = board_cells(strtok_r(text, "\n", &save), header, 64);
    int ct = board_column(header, nh, "trial"), cs = board_column(header, nh, "status");
    int cv = board_column(header, nh, "val_acc"), ce = board_column(header, nh, "epochs");
    int n = 0;
    for (char *line; (line = strtok_r(NULL, "\n", &save)) != NULL; n++) {
        assert_true(n < cap);
        assert_int_equal(board_cells(line, cells, 64), nh);
        snprintf(rows[n].trial, sizeof rows[n].trial, "%s", cells[ct]);
        snprintf(rows[n].status, sizeof rows[n].status, "%s", cells[cs]);
        rows[n].val_acc = *cells[cv] ? strtod(cells[cv], NULL) : NAN;
        rows[n].epochs = *cells[ce] ? (int)strtol(cells[ce], NULL, 10) : -1;
    }
    free(text);
    return n;
}

/* A spec that pins data.limit_train (a swept key, which --set may not change) is
 * copied to tu_tmp with the limit cut to the sample's 1,800 training records; spec
 * then names the copy. */
void tu_spec_for_sample(char *spec, size_t size)
{
    cJSON *json = tu_load_json(spec);
    cJSON *limit = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "grid"), "data.limit_train");
    if (limit) {
        cJSON_ReplaceItemInArray(limit, 0, cJSON_CreateNumber(1000));
        char *text = cJSON_Print(json);
        char *copy = tu_join(tu_tmp, "limited_spec.json");
        tu_write_file(copy, text, strlen(text));
        snprintf(spec, size, "%s", copy);
        free(copy);
        free(text);
    }
    cJSON_Delete(json);
}
