/* npy_read.c — reading the .npy arrays of the data sets: X as uint8, float32 or float64
 * rows, y as any integer type.
 *
 * Each file is an input boundary, checked once here: the dtype by its name (numpy's
 * 'descr': a byte order '<' '>' '|' '=', a kind letter, a size in bytes), C order, and a
 * file size equal to the header plus exactly the data the shape says, all before the
 * caller allocates anything large. The data is then read straight into the caller's
 * final buffer in large reads; only float64 goes through a small buffer, converted a
 * chunk at a time, so a load costs no second copy of the data. */
#include "lintrain/npy.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Bytes per read: large enough that system calls cost nothing, small enough that a
 * chunk is still in cache when it is checked for NaN. */
#define CHUNK ((size_t)2 << 20)

typedef struct {
    char letter;
    size_t size;
    const char *name;
    int supported; /* read by lt_npy_open */
} dtype_row;

static const dtype_row DTYPES[] = {
    {'u', 1, "uint8", 1},      {'i', 1, "int8", 1},       {'u', 2, "uint16", 1},
    {'i', 2, "int16", 1},      {'u', 4, "uint32", 1},     {'i', 4, "int32", 1},
    {'u', 8, "uint64", 1},     {'i', 8, "int64", 1},      {'f', 4, "float32", 1},
    {'f', 8, "float64", 1},    {'f', 2, "float16", 0},    {'f', 16, "float128", 0},
    {'b', 1, "bool", 0},       {'c', 8, "complex64", 0},  {'c', 16, "complex128", 0},
    {'O', 8, "object (Python objects)", 0},
};

/* Kinds whose size is not fixed, or that are never numbers. */
static const char *kind_name(char letter)
{
    switch (letter) {
    case 'U': return "str (unicode text)";
    case 'S': return "bytes";
    case 'V': return "void (raw records)";
    case 'M': return "datetime64";
    case 'm': return "timedelta64";
    case 'O': return "object (Python objects)";
    default: return NULL;
    }
}

static const dtype_row *find_dtype(char letter, size_t size)
{
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++) {
        if (DTYPES[i].letter == letter && DTYPES[i].size == size) {
            return &DTYPES[i];
        }
    }
    return NULL;
}

/* Sets nf's kind and itemsize from its descr, or refuses the dtype by name. */
static lt_status classify(lt_npy_file *nf, lt_error *err)
{
    const char *d = nf->h.descr, *path = nf->path;
    char *end = NULL;
    unsigned long size = 0;
    if (strlen(d) >= 3 && d[2] >= '0' && d[2] <= '9') {
        errno = 0;
        size = strtoul(d + 2, &end, 10);
    }
    const dtype_row *row = end && *end == '\0' && errno == 0 ? find_dtype(d[1], size) : NULL;
    const char *name = row ? row->name : strlen(d) >= 2 ? kind_name(d[1]) : NULL;
    if (!row || !row->supported) {
        return lt_fail(err, LT_ERR, "%s: dtype '%s'%s%s%s is not supported (supported: "
                       "uint8, int8 .. int64, uint64, float32, float64)", path, d,
                       name ? " (" : "", name ? name : "", name ? ")" : "");
    }
    if (d[0] == '>' && size > 1) {
        return lt_fail(err, LT_ERR, "%s: dtype '%s' is big-endian %s; not supported (save "
                       "it little-endian: a.astype(a.dtype.newbyteorder('<')))", path, d,
                       row->name);
    }
    if (d[0] != '<' && d[0] != '=' && d[0] != '|' && d[0] != '>') {
        return lt_fail(err, LT_ERR, "%s: dtype '%s' has no valid byte order", path, d);
    }
    nf->kind = d[1] == 'f' ? LT_NPY_FLOAT : d[1] == 'i' ? LT_NPY_INT : LT_NPY_UINT;
    nf->itemsize = size;
    return LT_OK;
}

/* Checks the shape's size and that the file holds exactly that much data. */
static lt_status check_size(lt_npy_file *nf, lt_error *err)
{
    struct stat st;
    size_t count = 1, bytes;
    for (int i = 0; i < nf->h.ndim; i++) {
        if (lt_size_mul(count, nf->h.shape[i], &count) != 0) {
            return lt_fail(err, LT_ERR, "%s: array size overflows", nf->path);
        }
    }
    if (lt_size_mul(count, nf->itemsize, &bytes) != 0 ||
        bytes > SIZE_MAX - nf->h.data_offset) {
        return lt_fail(err, LT_ERR, "%s: array size overflows", nf->path);
    }
    if (fstat(fileno(nf->f), &st) != 0) {
        return lt_fail(err, LT_ERR, "%s: cannot stat: %s", nf->path, strerror(errno));
    }
    size_t have = (size_t)st.st_size - nf->h.data_offset;
    if ((size_t)st.st_size < nf->h.data_offset || have < bytes) {
        return lt_fail(err, LT_ERR, "%s: truncated: the shape needs %zu bytes of %s, the file "
                       "holds %zu", nf->path, bytes, lt_npy_type_name(nf),
                       (size_t)st.st_size < nf->h.data_offset ? 0 : have);
    }
    if (have > bytes) {
        return lt_fail(err, LT_ERR, "%s: %zu unexpected bytes after the %zu bytes of data",
                       nf->path, have - bytes, bytes);
    }
    nf->count = count;
    return LT_OK;
}

lt_status lt_npy_open(const char *path, lt_npy_file *out, lt_error *err)
{
    lt_npy_file nf;
    memset(&nf, 0, sizeof nf);
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0) {
        return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return lt_fail(err, LT_ERR, "%s: not a regular file", path);
    }
    nf.path = lt_calloc(strlen(path) + 1, 1, "npy path", err);
    if (!nf.path) {
        return LT_ERR;
    }
    memcpy(nf.path, path, strlen(path) + 1);
    nf.f = fopen(path, "rb");
    lt_status s = LT_ERR;
    if (!nf.f) {
        lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    } else if (lt_npy_header_read(nf.f, path, &nf.h, err) == LT_OK &&
               classify(&nf, err) == LT_OK) {
        s = check_size(&nf, err);
    }
    if (s != LT_OK) {
        lt_npy_close(&nf);
        return s;
    }
    *out = nf;
    return LT_OK;
}

void lt_npy_close(lt_npy_file *nf)
{
    if (nf->f) {
        fclose(nf->f); /* read-only: nothing to lose */
    }
    free(nf->path);
    memset(nf, 0, sizeof *nf);
}

const char *lt_npy_type_name(const lt_npy_file *nf)
{
    char letter = nf->kind == LT_NPY_FLOAT ? 'f' : nf->kind == LT_NPY_INT ? 'i' : 'u';
    const dtype_row *row = find_dtype(letter, nf->itemsize);
    return row ? row->name : "?";
}

/* Reads exactly n bytes into dst. */
static lt_status read_bytes(lt_npy_file *nf, void *dst, size_t n, lt_error *err)
{
    size_t got = n > 0 ? fread(dst, 1, n, nf->f) : 0;
    if (got != n) {
        return lt_fail(err, LT_ERR, "%s: %s", nf->path,
                       ferror(nf->f) ? strerror(errno) : "file shrank while being read");
    }
    return LT_OK;
}

static lt_status not_finite(const lt_npy_file *nf, size_t at, double v, lt_error *err)
{
    size_t D = nf->h.ndim == 2 ? nf->h.shape[1] : 1;
    const char *what = isnan(v) ? "NaN" : isinf(v) ? (v > 0 ? "+Inf" : "-Inf")
                                                    : "a value beyond float32's range";
    return lt_fail(err, LT_ERR, "%s: row %zu, column %zu (0-based): %s (%g); the data must "
                   "be finite", nf->path, at / D, at % D, what, v);
}

/* float32 values straight into dst, each chunk checked for NaN and Inf while in cache. */
static lt_status read_f32(lt_npy_file *nf, float *dst, lt_error *err)
{
    for (size_t at = 0; at < nf->count;) {
        size_t n = nf->count - at < CHUNK / 4 ? nf->count - at : CHUNK / 4;
        if (read_bytes(nf, dst + at, n * 4, err) != LT_OK) {
            return LT_ERR;
        }
        const uint32_t *bits = (const uint32_t *)(const void *)(dst + at);
        uint32_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            bad |= (uint32_t)((bits[i] & 0x7f800000u) == 0x7f800000u);
        }
        for (size_t i = 0; bad && i < n; i++) {
            if (!isfinite(dst[at + i])) {
                return not_finite(nf, at + i, dst[at + i], err);
            }
        }
        at += n;
    }
    return LT_OK;
}

/* float64 through a small buffer, converted to float32. */
static lt_status read_f64(lt_npy_file *nf, float *dst, lt_error *err)
{
    double *buf = lt_calloc(CHUNK / 8, sizeof *buf, "float64 chunk", err);
    lt_status st = buf ? LT_OK : LT_ERR;
    for (size_t at = 0; st == LT_OK && at < nf->count;) {
        size_t n = nf->count - at < CHUNK / 8 ? nf->count - at : CHUNK / 8;
        st = read_bytes(nf, buf, n * 8, err);
        for (size_t i = 0; st == LT_OK && i < n; i++) {
            if (!isfinite(buf[i]) || fabs(buf[i]) > FLT_MAX) {
                st = not_finite(nf, at + i, buf[i], err);
            }
            dst[at + i] = (float)buf[i];
        }
        at += n;
    }
    free(buf);
    return st;
}

lt_status lt_npy_read_matrix(lt_npy_file *nf, lt_dtype dtype, void *dst, lt_error *err)
{
    int u8 = nf->kind == LT_NPY_UINT && nf->itemsize == 1;
    int f32 = nf->kind == LT_NPY_FLOAT && nf->itemsize == 4;
    int f64 = nf->kind == LT_NPY_FLOAT && nf->itemsize == 8;
    if (dtype == LT_DTYPE_U8 && u8) {
        return read_bytes(nf, dst, nf->count, err);
    }
    if (dtype == LT_DTYPE_F32 && (f32 || f64)) {
        return f32 ? read_f32(nf, dst, err) : read_f64(nf, dst, err);
    }
    return lt_fail(err, LT_ERR, "%s: data of dtype %s cannot be read as %s (the data must "
                   "be uint8, float32 or float64)", nf->path, lt_npy_type_name(nf),
                   dtype == LT_DTYPE_U8 ? "uint8" : "float32");
}

/* The label at p as a signed 64-bit value (a uint64 above INT64_MAX as INT64_MAX, which
 * the range check refuses all the same). */
static int64_t label_at(const unsigned char *p, lt_npy_kind kind, size_t size)
{
    uint64_t u = 0;
    memcpy(&u, p, size); /* little-endian host: the low bytes */
    if (kind == LT_NPY_UINT) {
        return u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
    }
    int shift = (int)(64 - 8 * size);
    return (int64_t)(u << shift) >> shift; /* sign-extend */
}

static lt_status check_label(const lt_npy_file *nf, size_t row, int64_t v, lt_error *err)
{
    if (v < 0) {
        return lt_fail(err, LT_ERR, "%s: row %zu (0-based): label %lld is negative; labels "
                       "are 0..C-1", nf->path, row, (long long)v);
    }
    if (v > UINT16_MAX) {
        return lt_fail(err, LT_ERR, "%s: row %zu (0-based): label %lld is above %u, the "
                       "largest supported", nf->path, row, (long long)v, UINT16_MAX);
    }
    return LT_OK;
}

lt_status lt_npy_read_labels(lt_npy_file *nf, uint16_t *labels, uint16_t *max, lt_error *err)
{
    *max = 0;
    if (nf->kind == LT_NPY_FLOAT) {
        return lt_fail(err, LT_ERR, "%s: labels of dtype %s; labels must be integers",
                       nf->path, lt_npy_type_name(nf));
    }
    size_t per = CHUNK / 8 / nf->itemsize;
    unsigned char *buf = lt_calloc(per, nf->itemsize, "label chunk", err);
    lt_status st = buf ? LT_OK : LT_ERR;
    for (size_t at = 0; st == LT_OK && at < nf->count;) {
        size_t n = nf->count - at < per ? nf->count - at : per;
        st = read_bytes(nf, buf, n * nf->itemsize, err);
        for (size_t i = 0; st == LT_OK && i < n; i++) {
            int64_t v = label_at(buf + i * nf->itemsize, nf->kind, nf->itemsize);
            st = check_label(nf, at + i, v, err);
            labels[at + i] = (uint16_t)v;
            *max = st == LT_OK && labels[at + i] > *max ? labels[at + i] : *max;
        }
        at += n;
    }
    free(buf);
    return st;
}
