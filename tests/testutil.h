/* testutil.h — small helpers shared by the test programs (cmocka). */
#ifndef LINTRAIN_TESTUTIL_H
#define LINTRAIN_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>

/* Creates a fresh temporary directory and returns its path (static storage per call
 * slot is not shared: the result is malloc'ed, free it). Aborts the test on failure. */
char *tu_mkdtemp(void);

/* Removes a directory tree (rm -rf). */
void tu_rmtree(const char *path);

/* Writes n bytes to path, replacing it. Aborts the test on failure. */
void tu_write_file(const char *path, const void *data, size_t n);

/* A sweep spec that pins data.limit_train (which --set may not change) is copied to
 * tu_tmp with the limit cut to the committed sample's 1,800 training records; spec
 * (a path, size bytes) then names the copy. Other specs are left as they are. */
void tu_spec_for_sample(char *spec, size_t size);

/* Writes text to tu_tmp/name. */
void tu_put(const char *name, const char *text);

/* Whether the files at paths a and b hold the same bytes (both must be readable). */
int tu_same_file(const char *a, const char *b);

/* Reads a whole file; *n gets its size. malloc'ed, NUL-terminated; NULL if unreadable. */
char *tu_read_file(const char *path, size_t *n);

/* Runs a shell command; stdout and stderr are captured together into *output
 * (malloc'ed, may be NULL if not wanted). Returns the exit status, or -1 if the
 * command did not exit normally. */
int tu_run(const char *cmd, char **output);

/* Starts `sh -c cmd` in the background and returns its pid (an "exec ..." command
 * keeps that pid for the program it runs), for waitpid and kill. */
int tu_start(const char *cmd);

/* tu_run of a command formatted as printf would (fmt, then its arguments). */
int tu_runf(char **output, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tu_vrunf(char **output, const char *fmt, va_list ap);

/* Fails the test unless |a − b| <= tol, in double (cmocka 1.1.5 compares floats only). */
#define assert_near(a, b, tol) \
    tu_assert_near((double)(a), (double)(b), (double)(tol), #a, __FILE__, __LINE__)
void tu_assert_near(double a, double b, double tol, const char *expr, const char *file, int line);

/* Fails the test unless |a − b| <= rel·max(1, |b|): relative for large values, absolute
 * near zero. */
#define assert_close(a, b, rel) \
    tu_assert_close((double)(a), (double)(b), (double)(rel), #a, __FILE__, __LINE__)
void tu_assert_close(double a, double b, double rel, const char *expr, const char *file, int line);

/* Parses the JSON file at path (a cJSON *, to be freed with cJSON_Delete); aborts the
 * test when it is missing or not JSON. */
void *tu_load_json(const char *path);

/* cmocka group fixtures: tu_setup_tmp makes a fresh temporary folder, tu_tmp, and
 * tu_teardown_tmp removes it. */
extern char *tu_tmp;
int tu_setup_tmp(void **state);
int tu_teardown_tmp(void **state);
/* tu_setup_tmp, and LINTRAIN_CACHE_DIR=tu_tmp/cache: runs with data.features keep their
 * features in a cache of the test's own. */
int tu_setup_tmp_cache(void **state);

/* The entries of the feature cache folder root (its names but lock files), and the
 * path of the last one listed into last (cap bytes). */
int tu_cache_entries(const char *root, char *last, size_t cap);

/* Whether the file at path begins with the PNG signature (curves.png is gnuplot's). */
int tu_is_png(const char *path);

/* path joined: "dir/name" in a malloc'ed string. */
char *tu_join(const char *dir, const char *name);

/* "tu_tmp/dir/file" (file NULL: "tu_tmp/dir"), malloc'ed. */
char *tu_path_in(const char *dir, const char *file);

/* Whether tu_tmp/dir/file (file NULL: tu_tmp/dir) exists. */
int tu_exists_in(const char *dir, const char *file);

/* tu_load_json of tu_tmp/dir/file (a cJSON *, to be freed with cJSON_Delete). */
void *tu_load_json_in(const char *dir, const char *file);

/* The number o (a cJSON object) holds at key; fails the test when it is not a number. */
double tu_json_number(const void *o, const char *key);

/* Runs ./lintrain --out tu_tmp/dir args (tu_run's output and exit status). */
int tu_lintrain(const char *dir, const char *args, char **output);

/* tu_tmp/dir/metrics.jsonl, one cJSON * per line in a NULL-ended array (a cJSON **);
 * *count gets their number. Free with tu_free_lines. */
void *tu_metrics_lines(const char *dir, int *count);
void tu_free_lines(void *lines);

/* The "type" of a metrics.jsonl line ("step", "epoch", "trial"). */
const char *tu_line_type(const void *line);

/* One row of a sweep's leaderboard.csv (scripts/sweep). */
typedef struct {
    char trial[32], status[16];
    double val_acc; /* NAN when the cell is empty */
    int epochs;     /* -1 when the cell is empty */
} tu_board_row;

/* The rows of tu_tmp/dir/leaderboard.csv in rank order, into rows; returns their
 * number. Fails the test when there are more than cap, or a cell holds a quote. */
int tu_read_board(const char *dir, tu_board_row *rows, int cap);

#endif
