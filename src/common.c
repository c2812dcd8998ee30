/* common.c — error values and checked allocation. */
#include "lintrain/common.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lt_status lt_fail(lt_error *err, lt_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

void lt_error_prefix(lt_error *err, const char *prefix)
{
    if (!err) {
        return;
    }
    /* Shift the message right to make room; what no longer fits is cut at the end. */
    size_t cap = sizeof err->msg, plen = strlen(prefix) + 2, mlen = strlen(err->msg);
    if (plen >= cap) {
        return;
    }
    if (mlen > cap - 1 - plen) {
        mlen = cap - 1 - plen;
    }
    memmove(err->msg + plen, err->msg, mlen);
    err->msg[plen + mlen] = '\0';
    memcpy(err->msg, prefix, plen - 2);
    err->msg[plen - 2] = ':';
    err->msg[plen - 1] = ' ';
}

int lt_size_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) {
        return -1;
    }
    *out = a * b;
    return 0;
}

void *lt_calloc(size_t count, size_t size, const char *what, lt_error *err)
{
    size_t bytes;
    if (lt_size_mul(count, size, &bytes) != 0) {
        lt_fail(err, LT_ERR, "%s: size %zu x %zu overflows", what, count, size);
        return NULL;
    }
    void *p = calloc(bytes ? bytes : 1, 1);
    if (!p) {
        lt_fail(err, LT_ERR, "%s: out of memory allocating %zu bytes", what, bytes);
    }
    return p;
}

void *lt_calloc2(size_t rows, size_t cols, size_t size, const char *what, lt_error *err)
{
    size_t count;
    if (lt_size_mul(rows, cols, &count) != 0) {
        lt_fail(err, LT_ERR, "%s: %zu x %zu elements overflow", what, rows, cols);
        return NULL;
    }
    return lt_calloc(count, size, what, err);
}

const void *lt_table_find(const void *table, size_t count, size_t stride, const char *name)
{
    for (size_t i = 0; i < count; i++) {
        const char *const *entry = (const void *)((const char *)table + i * stride);
        if (strcmp(*entry, name) == 0) {
            return entry;
        }
    }
    return NULL;
}

const char *lt_table_name_at(const void *table, size_t count, size_t stride, size_t i)
{
    if (i >= count) {
        return NULL;
    }
    return *(const char *const *)(const void *)((const char *)table + i * stride);
}

size_t lt_dtype_size(lt_dtype dtype)
{
    return dtype == LT_DTYPE_F32 ? sizeof(float) : 1;
}
