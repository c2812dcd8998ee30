/* common.h — status codes, error values and checked allocation shared by every module.
 *
 * Library code never prints and never exits: it returns an lt_status and, on failure,
 * fills an lt_error with one line that says what went wrong and where. Only main()
 * prints it and turns the status into the process's exit status. */
#ifndef LINTRAIN_COMMON_H
#define LINTRAIN_COMMON_H

#include <stddef.h>

#define LT_VERSION "0.1.0"

/* Values double as exit statuses. */
typedef enum {
    LT_OK = 0,
    LT_ERR = 1,       /* I/O, data or any other runtime failure */
    LT_ECONFIG = 2,   /* bad config or command line; nothing was written */
    LT_EDIVERGED = 3, /* NaN or Inf in the loss, gradient or weights */
    LT_EINTERRUPTED = 128 /* stopped by SIGINT/SIGTERM after writing a checkpoint; the
                             exit status is 128 + the signal's number (130, 143) */
} lt_status;

typedef struct {
    char msg[1024];
} lt_error;

/* Formats the message into err (when non-NULL) and returns status, so that callers can
 * write `return lt_fail(err, LT_ERR, "%s: ...", path);`. */
lt_status lt_fail(lt_error *err, lt_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err->msg with "prefix: " (for adding context on the way up). */
void lt_error_prefix(lt_error *err, const char *prefix);

/* *out = a * b; returns 0, or -1 when the product overflows size_t. */
int lt_size_mul(size_t a, size_t b, size_t *out);

/* Zeroed array of count elements of size bytes; NULL with err filled when the size
 * overflows or the allocation fails. what names the array in the message. */
void *lt_calloc(size_t count, size_t size, const char *what, lt_error *err);

/* Zeroed array of rows * cols elements of size bytes, every product overflow-checked;
 * as lt_calloc otherwise. */
void *lt_calloc2(size_t rows, size_t cols, size_t size, const char *what, lt_error *err);

/* The type of a data set's values: images are uint8 pixels, other data (a .npy of
 * floats, computed features) float32. */
typedef enum {
    LT_DTYPE_U8 = 0,
    LT_DTYPE_F32 = 1
} lt_dtype;

/* Bytes of one value of dtype. */
size_t lt_dtype_size(lt_dtype dtype);

/* Name tables: arrays of structs whose first member is `const char *name` (losses,
 * penalties, optimizers, schedules). The entry named name, or NULL. */
const void *lt_table_find(const void *table, size_t count, size_t stride, const char *name);

/* The i-th entry's name, NULL past the end (for listings and "did you mean"). */
const char *lt_table_name_at(const void *table, size_t count, size_t stride, size_t i);

#endif
