/* npy.c — NumPy .npy files holding float32 ('<f4'), C order.
 *
 * Format (numpy/lib/format.py, "NEP 1"): the magic "\x93NUMPY", a major and a minor
 * version byte, the header length as a little-endian uint16 (v1.0) or uint32 (v2.0),
 * then an ASCII Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': ...}
 * padded with spaces and ended by '\n', then the raw array data.
 *
 * The writer reproduces numpy.save byte for byte (numpy >= 1.24): keys sorted, spare
 * spaces after the dict so the first axis can grow in place, and the whole preamble
 * padded to a multiple of 64 bytes. Data is written and read as the host's floats,
 * so both directions refuse to run on a big-endian host rather than swap bytes. */
#include "lintrain/npy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lintrain/fsutil.h"

_Static_assert(sizeof(float) == 4, "'<f4' needs a 4-byte float");

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
#define ALIGN 64                 /* numpy's ARRAY_ALIGN */
#define GROWTH_DIGITS 21         /* numpy's GROWTH_AXIS_MAX_DIGITS */
#define MAX_HEADER (1u << 20)    /* a sane bound; numpy.load's default is 10000 */
#define DICT_MAX 512             /* our preamble: <= 300 bytes for 8 dims of 20 digits, so
                                    v1.0 (uint16 length) always suffices */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Python's repr of a tuple of sizes: "()", "(5,)", "(3, 4)". */
static void shape_repr(char *buf, size_t cap, const size_t *shape, int ndim)
{
    size_t len = 0;
    len += (size_t)snprintf(buf + len, cap - len, "(");
    for (int i = 0; i < ndim; i++) {
        len += (size_t)snprintf(buf + len, cap - len, i > 0 ? ", %zu" : "%zu", shape[i]);
    }
    snprintf(buf + len, cap - len, ndim == 1 ? ",)" : ")");
}

/* Number of elements of shape, or -1 when it (or its size in bytes) overflows. */
static int element_count(const size_t *shape, int ndim, size_t *count)
{
    size_t n = 1, bytes;
    for (int i = 0; i < ndim; i++) {
        if (lt_size_mul(n, shape[i], &n) != 0) {
            return -1;
        }
    }
    if (lt_size_mul(n, sizeof(float), &bytes) != 0) {
        return -1;
    }
    *count = n;
    return 0;
}

/* The complete v1.0 preamble (magic .. '\n') for shape, into buf; returns its length,
 * a multiple of ALIGN. Mirrors numpy.lib.format._write_array_header + _wrap_header. */
static size_t build_header(char *buf, size_t cap, const size_t *shape, int ndim)
{
    char tuple[DICT_MAX / 2];
    shape_repr(tuple, sizeof tuple, shape, ndim);
    char *dict = buf + MAGIC_LEN + 4;
    size_t dcap = cap - MAGIC_LEN - 4;
    size_t dlen = (size_t)snprintf(dict, dcap,
                                   "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                                   tuple);
    if (ndim > 0) {
        /* Spare room so that appending along axis 0 can rewrite the header in place. */
        int digits = snprintf(NULL, 0, "%zu", shape[0]);
        for (int i = digits; i < GROWTH_DIGITS; i++) {
            dict[dlen++] = ' ';
        }
    }
    size_t total = MAGIC_LEN + 4 + dlen + 1; /* + the final '\n' */
    size_t pad = ALIGN - total % ALIGN;      /* numpy pads a full ALIGN when already aligned */
    memset(dict + dlen, ' ', pad);
    dlen += pad;
    dict[dlen++] = '\n';
    memcpy(buf, MAGIC, MAGIC_LEN);
    buf[6] = 1; /* version 1.0 */
    buf[7] = 0;
    buf[8] = (char)(dlen & 0xff);
    buf[9] = (char)(dlen >> 8);
    return MAGIC_LEN + 4 + dlen;
}

/* Writes the preamble and data to an already open stream and closes it durably:
 * fflush, fsync, fclose, each checked. The stream is closed in every case. */
static lt_status write_stream(FILE *f, const char *tmp, const char *header, size_t hlen,
                              const float *data, size_t count, lt_error *err)
{
    int ok = fwrite(header, 1, hlen, f) == hlen;
    if (ok && count > 0) {
        ok = fwrite(data, sizeof(float), count, f) == count;
    }
    ok = ok && fflush(f) == 0;
    ok = ok && fsync(fileno(f)) == 0;
    int saved = errno;
    if (fclose(f) != 0 && ok) {
        saved = errno;
        ok = 0;
    }
    if (!ok) {
        return lt_fail(err, LT_ERR, "%s: write failed: %s", tmp, strerror(saved));
    }
    return LT_OK;
}

lt_status lt_npy_write_f32(const char *path, const float *data, const size_t *shape,
                           int ndim, lt_error *err)
{
    lt_status st = LT_ERR;
    char header[DICT_MAX];
    char *tmp = NULL;
    size_t count;

    if (!host_is_little_endian()) {
        return lt_fail(err, LT_ERR, "%s: writing '<f4' on a big-endian host is not supported",
                       path);
    }
    if (ndim < 1 || ndim > LT_NPY_MAX_DIMS) {
        return lt_fail(err, LT_ERR, "%s: %d dimensions, expected 1..%d", path, ndim,
                       LT_NPY_MAX_DIMS);
    }
    if (element_count(shape, ndim, &count) != 0) {
        return lt_fail(err, LT_ERR, "%s: array size overflows", path);
    }
    if (count > 0 && !data) {
        return lt_fail(err, LT_ERR, "%s: no data for %zu elements", path, count);
    }
    size_t hlen = build_header(header, sizeof header, shape, ndim);
    size_t plen = strlen(path);
    tmp = lt_calloc(plen + sizeof ".tmp", 1, "temporary path", err);
    if (!tmp) {
        return LT_ERR;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", sizeof ".tmp");
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        lt_fail(err, LT_ERR, "%s: cannot create: %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (write_stream(f, tmp, header, hlen, data, count, err) != LT_OK) {
        remove(tmp);
        goto cleanup;
    }
    if (rename(tmp, path) != 0) {
        lt_fail(err, LT_ERR, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
        remove(tmp);
        goto cleanup;
    }
    st = lt_fsync_parent(path, err);
cleanup:
    free(tmp);
    return st;
}

/* ---- reading ---------------------------------------------------------------------- */

/* A cursor over the NUL-terminated header dict. */
typedef struct {
    const char *s;
    size_t i;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
           c->s[c->i] == '\r') {
        c->i++;
    }
}

/* Consumes ch (after white space); returns 0 when it is there. */
static int expect(cursor *c, char ch)
{
    skip_ws(c);
    if (c->s[c->i] != ch) {
        return -1;
    }
    c->i++;
    return 0;
}

/* A Python string literal in single or double quotes, without escapes (numpy writes
 * none for these keys and values), into out. */
static int parse_string(cursor *c, char *out, size_t cap)
{
    skip_ws(c);
    char q = c->s[c->i];
    if (q != '\'' && q != '"') {
        return -1;
    }
    size_t start = ++c->i;
    while (c->s[c->i] != q) {
        if (c->s[c->i] == '\0' || c->s[c->i] == '\\') {
            return -1;
        }
        c->i++;
    }
    size_t len = c->i - start;
    c->i++;
    if (len >= cap) {
        return -1;
    }
    memcpy(out, c->s + start, len);
    out[len] = '\0';
    return 0;
}

/* Python's True or False. */
static int parse_bool(cursor *c, int *value)
{
    skip_ws(c);
    if (strncmp(c->s + c->i, "True", 4) == 0) {
        *value = 1;
        c->i += 4;
    } else if (strncmp(c->s + c->i, "False", 5) == 0) {
        *value = 0;
        c->i += 5;
    } else {
        return -1;
    }
    return 0;
}

/* A non-negative decimal integer (Python 2 numpy wrote a trailing 'L'). */
static int parse_size(cursor *c, size_t *value)
{
    skip_ws(c);
    if (c->s[c->i] < '0' || c->s[c->i] > '9') {
        return -1;
    }
    size_t v = 0;
    while (c->s[c->i] >= '0' && c->s[c->i] <= '9') {
        size_t d = (size_t)(c->s[c->i] - '0');
        if (v > (SIZE_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
        c->i++;
    }
    if (c->s[c->i] == 'L') {
        c->i++;
    }
    *value = v;
    return 0;
}

/* A tuple of sizes: "()", "(5,)", "(3, 4)", "(3, 4,)". "(5)" is an int in Python,
 * not a tuple, so it is refused as numpy refuses it. Returns 0, -1 on bad syntax,
 * -2 on more than LT_NPY_MAX_DIMS entries. */
static int parse_shape(cursor *c, size_t shape[LT_NPY_MAX_DIMS], int *ndim)
{
    int n = 0, trailing_comma = 0;
    if (expect(c, '(') != 0) {
        return -1;
    }
    skip_ws(c);
    while (c->s[c->i] != ')') {
        size_t v;
        if (parse_size(c, &v) != 0) {
            return -1;
        }
        if (n == LT_NPY_MAX_DIMS) {
            return -2;
        }
        shape[n++] = v;
        trailing_comma = expect(c, ',') == 0;
        skip_ws(c);
        if (!trailing_comma && c->s[c->i] != ')') {
            return -1;
        }
    }
    c->i++;
    if (n == 1 && !trailing_comma) {
        return -1;
    }
    *ndim = n;
    return 0;
}


/* Parses one "'key': value" entry into h; seen tracks duplicates and missing keys. */
static lt_status parse_entry(cursor *c, lt_npy_header *h, unsigned *seen, const char *path,
                             lt_error *err)
{
    char key[32];
    if (parse_string(c, key, sizeof key) != 0 || expect(c, ':') != 0) {
        return lt_fail(err, LT_ERR, "%s: malformed header dict at byte %zu", path, c->i);
    }
    unsigned bit;
    int bad;
    if (strcmp(key, "descr") == 0) {
        bit = 1;
        skip_ws(c);
        if (c->s[c->i] == '[') {
            return lt_fail(err, LT_ERR, "%s: dtype is a structured (record) dtype; not "
                           "supported (need a plain numeric array)", path);
        }
        bad = parse_string(c, h->descr, sizeof h->descr);
    } else if (strcmp(key, "fortran_order") == 0) {
        bit = 2;
        bad = parse_bool(c, &h->fortran);
    } else if (strcmp(key, "shape") == 0) {
        bit = 4;
        bad = parse_shape(c, h->shape, &h->ndim);
        if (bad == -2) {
            return lt_fail(err, LT_ERR, "%s: more than %d dimensions", path, LT_NPY_MAX_DIMS);
        }
    } else {
        return lt_fail(err, LT_ERR, "%s: unexpected key '%s' in the header", path, key);
    }
    if (bad) {
        return lt_fail(err, LT_ERR, "%s: bad value for '%s' in the header at byte %zu",
                       path, key, c->i);
    }
    if (*seen & bit) {
        return lt_fail(err, LT_ERR, "%s: key '%s' appears twice in the header", path, key);
    }
    *seen |= bit;
    return LT_OK;
}

/* Parses the header dict text: the three keys in any order, any white space, an
 * optional trailing comma, and nothing but white space after the closing brace. */
static lt_status parse_header(const char *text, lt_npy_header *h, const char *path,
                              lt_error *err)
{
    cursor c = {text, 0};
    unsigned seen = 0;
    if (expect(&c, '{') != 0) {
        return lt_fail(err, LT_ERR, "%s: header is not a dict", path);
    }
    while (expect(&c, '}') != 0) {
        if (parse_entry(&c, h, &seen, path, err) != LT_OK) {
            return LT_ERR;
        }
        if (expect(&c, ',') != 0) {
            if (expect(&c, '}') != 0) {
                return lt_fail(err, LT_ERR, "%s: malformed header dict at byte %zu", path,
                               c.i);
            }
            break;
        }
    }
    skip_ws(&c);
    if (c.s[c.i] != '\0') {
        return lt_fail(err, LT_ERR, "%s: unexpected text after the header dict at byte %zu",
                       path, c.i);
    }
    if (seen != 7) {
        return lt_fail(err, LT_ERR, "%s: header lacks '%s'", path,
                       !(seen & 1) ? "descr" : !(seen & 2) ? "fortran_order" : "shape");
    }
    if (h->fortran) {
        return lt_fail(err, LT_ERR, "%s: Fortran order is not supported (need C order)",
                       path);
    }
    return LT_OK;
}

/* Reads magic, version and header length; leaves f at the start of the dict. */
static lt_status read_preamble(FILE *f, const char *path, size_t *hlen, lt_error *err)
{
    unsigned char p[12];
    if (fread(p, 1, 8, f) != 8 || memcmp(p, MAGIC, MAGIC_LEN) != 0) {
        if (ferror(f)) {
            return lt_fail(err, LT_ERR, "%s: read error: %s", path, strerror(errno));
        }
        return lt_fail(err, LT_ERR, "%s: not a .npy file (no \\x93NUMPY magic)", path);
    }
    size_t nlen;
    if (p[6] == 1 && p[7] == 0) {
        nlen = 2;
    } else if (p[6] == 2 && p[7] == 0) {
        nlen = 4;
    } else {
        return lt_fail(err, LT_ERR, "%s: unsupported .npy version %u.%u (supported: 1.0, 2.0)",
                       path, (unsigned)p[6], (unsigned)p[7]);
    }
    if (fread(p + 8, 1, nlen, f) != nlen) {
        return lt_fail(err, LT_ERR, "%s: truncated .npy preamble", path);
    }
    uint32_t len = 0;
    for (size_t i = nlen; i-- > 0;) {
        len = (len << 8) | p[8 + i];
    }
    if (len > MAX_HEADER) {
        return lt_fail(err, LT_ERR, "%s: header length %lu is implausibly large", path,
                       (unsigned long)len);
    }
    *hlen = len;
    return LT_OK;
}

/* Reads the header dict (hlen bytes) and parses it into h. */
static lt_status read_header(FILE *f, const char *path, size_t hlen, lt_npy_header *h,
                             lt_error *err)
{
    memset(h, 0, sizeof *h);
    lt_status st = LT_ERR;
    char *text = lt_calloc(hlen + 1, 1, "npy header", err);
    if (!text) {
        return LT_ERR;
    }
    if (fread(text, 1, hlen, f) != hlen) {
        lt_fail(err, LT_ERR, "%s: truncated header (expected %zu bytes)", path, hlen);
        goto cleanup;
    }
    if (memchr(text, '\0', hlen)) {
        lt_fail(err, LT_ERR, "%s: header contains a NUL byte", path);
        goto cleanup;
    }
    st = parse_header(text, h, path, err);
cleanup:
    free(text);
    return st;
}

lt_status lt_npy_header_read(FILE *f, const char *path, lt_npy_header *h, lt_error *err)
{
    size_t hlen = 0;
    memset(h, 0, sizeof *h);
    if (read_preamble(f, path, &hlen, err) != LT_OK ||
        read_header(f, path, hlen, h, err) != LT_OK) {
        return LT_ERR;
    }
    long at = ftell(f);
    if (at < 0) {
        return lt_fail(err, LT_ERR, "%s: cannot tell the position: %s", path, strerror(errno));
    }
    h->data_offset = (size_t)at;
    return LT_OK;
}

/* Reads exactly count floats and checks that nothing follows them. */
static lt_status read_data(FILE *f, const char *path, float *data, size_t count,
                           lt_error *err)
{
    size_t got = count > 0 ? fread(data, sizeof(float), count, f) : 0;
    if (got != count) {
        if (ferror(f)) {
            return lt_fail(err, LT_ERR, "%s: read error: %s", path, strerror(errno));
        }
        return lt_fail(err, LT_ERR, "%s: truncated data: %zu of %zu float32 values present",
                       path, got, count);
    }
    if (fgetc(f) != EOF) {
        return lt_fail(err, LT_ERR, "%s: unexpected bytes after the %zu float32 values",
                       path, count);
    }
    if (ferror(f)) {
        return lt_fail(err, LT_ERR, "%s: read error: %s", path, strerror(errno));
    }
    return LT_OK;
}

lt_status lt_npy_read_f32(const char *path, float **data, size_t shape[LT_NPY_MAX_DIMS],
                          int *ndim, lt_error *err)
{
    lt_status st = LT_ERR;
    lt_npy_header h;
    float *buf = NULL;
    size_t count = 0;

    *data = NULL;
    *ndim = 0;
    memset(&h, 0, sizeof h);
    if (!host_is_little_endian()) {
        return lt_fail(err, LT_ERR, "%s: reading '<f4' on a big-endian host is not supported",
                       path);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    if (lt_npy_header_read(f, path, &h, err) != LT_OK) {
        goto cleanup;
    }
    if (strcmp(h.descr, "<f4") != 0) {
        lt_fail(err, LT_ERR, "%s: dtype '%s' is not supported (need '<f4', "
                "little-endian float32)", path, h.descr);
        goto cleanup;
    }
    if (element_count(h.shape, h.ndim, &count) != 0) {
        lt_fail(err, LT_ERR, "%s: array size overflows", path);
        goto cleanup;
    }
    buf = lt_calloc(count, sizeof(float), "npy data", err);
    if (!buf || read_data(f, path, buf, count, err) != LT_OK) {
        goto cleanup;
    }
    *data = buf;
    buf = NULL;
    memcpy(shape, h.shape, sizeof h.shape);
    *ndim = h.ndim;
    st = LT_OK;
cleanup:
    free(buf);
    fclose(f); /* read-only: nothing to lose */
    return st;
}
