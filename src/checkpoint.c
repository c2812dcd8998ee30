/* checkpoint.c — the checkpoint.bin format (see checkpoint.h): named blocks behind a
 * header with magic, version, shape, length and two CRC-32s; encoded in memory and
 * written atomically; decoded and fully checked before any block is handed out. */
#include "lintrain/checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lintrain/fsutil.h"

static const unsigned char MAGIC[8] = {'L', 'T', 'C', 'K', 'P', 'T', '\r', '\n'};
#define BLOCK_HEAD 40  /* name 24 + type 4 + reserved 4 + count 8 */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* ---- CRC-32 ------------------------------------------------------------------------ */

/* Reflected polynomial 0xEDB88320, one table lookup per byte; the table is built from
 * the polynomial on first use (8 shift-and-xor steps per entry). */
uint32_t lt_checkpoint_crc32(uint32_t crc, const void *data, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc = table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
    }
    return ~crc;
}

/* ---- little-endian fields ------------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static size_t type_size(uint32_t type)
{
    switch (type) {
    case LT_CKPT_F32: return 4;
    case LT_CKPT_F64: return 8;
    case LT_CKPT_U64: return 8;
    case LT_CKPT_BYTES: return 1;
    }
    return 0;
}

static const char *type_name(uint32_t type)
{
    switch (type) {
    case LT_CKPT_F32: return "float32";
    case LT_CKPT_F64: return "float64";
    case LT_CKPT_U64: return "uint64";
    case LT_CKPT_BYTES: return "bytes";
    }
    return "unknown";
}

/* Bytes a block takes in the file: head + data rounded up to 8; -1 on overflow. */
static int block_bytes(size_t count, size_t elem, size_t *out)
{
    size_t data;
    if (lt_size_mul(count, elem, &data) != 0 || data > SIZE_MAX - BLOCK_HEAD - 7) {
        return -1;
    }
    *out = BLOCK_HEAD + ((data + 7) & ~(size_t)7);
    return 0;
}

/* ---- building and writing --------------------------------------------------------------- */

void lt_checkpoint_init(lt_checkpoint *ck, size_t D, size_t C, size_t n_params)
{
    memset(ck, 0, sizeof *ck);
    ck->D = D;
    ck->C = C;
    ck->n_params = n_params;
}

lt_status lt_checkpoint_add(lt_checkpoint *ck, const char *name, lt_ckpt_type type,
                            const void *data, size_t count, lt_error *err)
{
    size_t len = strlen(name);
    if (len == 0 || len >= LT_CKPT_NAME) {
        return lt_fail(err, LT_ERR, "checkpoint: block name \"%s\" must have 1 to %d bytes",
                       name, LT_CKPT_NAME - 1);
    }
    if (type_size(type) == 0) {
        return lt_fail(err, LT_ERR, "checkpoint: block \"%s\": unknown type %d", name, (int)type);
    }
    if (count > 0 && !data) {
        return lt_fail(err, LT_ERR, "checkpoint: block \"%s\": no data", name);
    }
    if (lt_checkpoint_find(ck, name)) {
        return lt_fail(err, LT_ERR, "checkpoint: block \"%s\" added twice", name);
    }
    if (ck->n_blocks == LT_CKPT_MAX_BLOCKS) {
        return lt_fail(err, LT_ERR, "checkpoint: more than %d blocks", LT_CKPT_MAX_BLOCKS);
    }
    lt_ckpt_block *b = &ck->blocks[ck->n_blocks++];
    memset(b->name, 0, sizeof b->name);
    memcpy(b->name, name, len);
    b->type = type;
    b->count = count;
    b->data = data;
    return LT_OK;
}

lt_status lt_checkpoint_encode(const lt_checkpoint *ck, unsigned char **out, size_t *n,
                               lt_error *err)
{
    *out = NULL;
    *n = 0;
    if (!host_is_little_endian()) {
        return lt_fail(err, LT_ERR, "checkpoint: big-endian hosts are not supported");
    }
    size_t body = 0;
    for (size_t i = 0; i < ck->n_blocks; i++) {
        size_t bb;
        if (block_bytes(ck->blocks[i].count, type_size(ck->blocks[i].type), &bb) != 0 ||
            bb > LT_CKPT_MAX_BYTES - body) {
            return lt_fail(err, LT_ERR, "checkpoint: larger than %zu bytes", LT_CKPT_MAX_BYTES);
        }
        body += bb;
    }
    unsigned char *buf = lt_calloc(LT_CKPT_HEADER + body, 1, "checkpoint", err);
    if (!buf) {
        return LT_ERR;
    }
    unsigned char *p = buf + LT_CKPT_HEADER;
    for (size_t i = 0; i < ck->n_blocks; i++) {
        const lt_ckpt_block *b = &ck->blocks[i];
        size_t bb = 0, data = b->count * type_size(b->type); /* checked above */
        block_bytes(b->count, type_size(b->type), &bb);
        memcpy(p, b->name, LT_CKPT_NAME);
        put_u32(p + 24, (uint32_t)b->type);
        put_u64(p + 32, (uint64_t)b->count);
        if (data > 0) {
            memcpy(p + BLOCK_HEAD, b->data, data);
        }
        p += bb;
    }
    memcpy(buf, MAGIC, sizeof MAGIC);
    put_u32(buf + 8, LT_CKPT_VERSION);
    put_u32(buf + 12, (uint32_t)ck->n_blocks);
    put_u64(buf + 16, ck->D);
    put_u64(buf + 24, ck->C);
    put_u64(buf + 32, ck->n_params);
    put_u64(buf + 40, (uint64_t)body);
    lt_checkpoint_seal(buf, LT_CKPT_HEADER + body);
    *out = buf;
    *n = LT_CKPT_HEADER + body;
    return LT_OK;
}

void lt_checkpoint_seal(unsigned char *buf, size_t n)
{
    put_u32(buf + 48, lt_checkpoint_crc32(0, buf + LT_CKPT_HEADER, n - LT_CKPT_HEADER));
    put_u32(buf + 52, lt_checkpoint_crc32(0, buf, 52));
}

lt_status lt_checkpoint_write(const lt_checkpoint *ck, const char *path, lt_error *err)
{
    unsigned char *buf;
    size_t n;
    lt_status st = lt_checkpoint_encode(ck, &buf, &n, err);
    if (st == LT_OK) {
        st = lt_write_file_atomic(path, buf, n, err);
        free(buf);
    }
    return st;
}

/* ---- reading ---------------------------------------------------------------------------- */

static lt_status check_header(const unsigned char *h, size_t n, const char *what,
                              lt_error *err)
{
    if (n < LT_CKPT_HEADER) {
        return lt_fail(err, LT_ERR, "%s: truncated: %zu bytes, shorter than the %d-byte "
                       "checkpoint header", what, n, LT_CKPT_HEADER);
    }
    if (memcmp(h, MAGIC, sizeof MAGIC) != 0) {
        return lt_fail(err, LT_ERR, "%s: not a lintrain checkpoint (bad magic number)", what);
    }
    if (lt_checkpoint_crc32(0, h, 52) != get_u32(h + 52) || get_u64(h + 56) != 0) {
        return lt_fail(err, LT_ERR, "%s: damaged: the header's checksum does not match", what);
    }
    uint32_t version = get_u32(h + 8);
    if (version != LT_CKPT_VERSION) {
        return lt_fail(err, LT_ERR, "%s: checkpoint format version %u; this lintrain reads "
                       "version %u", what, version, LT_CKPT_VERSION);
    }
    uint64_t body = get_u64(h + 40);
    if (body != (uint64_t)(n - LT_CKPT_HEADER)) {
        return lt_fail(err, LT_ERR, "%s: %s: the header announces %llu bytes of blocks, the "
                       "file holds %zu", what,
                       body > (uint64_t)(n - LT_CKPT_HEADER) ? "truncated" : "trailing bytes",
                       (unsigned long long)body, n - LT_CKPT_HEADER);
    }
    if (lt_checkpoint_crc32(0, h + LT_CKPT_HEADER, (size_t)body) != get_u32(h + 48)) {
        return lt_fail(err, LT_ERR, "%s: damaged: the checksum of its blocks does not match "
                       "(a partial or corrupted write?)", what);
    }
    if (get_u32(h + 12) > LT_CKPT_MAX_BLOCKS) {
        return lt_fail(err, LT_ERR, "%s: %u blocks, more than %d", what, get_u32(h + 12),
                       LT_CKPT_MAX_BLOCKS);
    }
    return LT_OK;
}

/* Walks the blocks of the body (already checksummed) into ck->blocks. */
static lt_status parse_blocks(lt_checkpoint *ck, const unsigned char *body, size_t n,
                              uint32_t n_blocks, const char *what, lt_error *err)
{
    size_t at = 0;
    for (uint32_t i = 0; i < n_blocks; i++) {
        if (n - at < BLOCK_HEAD) {
            return lt_fail(err, LT_ERR, "%s: block %u: truncated header", what, i);
        }
        const unsigned char *p = body + at;
        if (memchr(p, '\0', LT_CKPT_NAME) == NULL || p[0] == '\0') {
            return lt_fail(err, LT_ERR, "%s: block %u: bad name", what, i);
        }
        uint32_t type = get_u32(p + 24);
        uint64_t count = get_u64(p + 32);
        size_t bb;
        if (type_size(type) == 0) {
            return lt_fail(err, LT_ERR, "%s: block \"%s\": unknown type %u", what,
                           (const char *)p, type);
        }
        if (count > SIZE_MAX || block_bytes((size_t)count, type_size(type), &bb) != 0 ||
            bb > n - at) {
            return lt_fail(err, LT_ERR, "%s: block \"%s\": %llu elements do not fit the file",
                           what, (const char *)p, (unsigned long long)count);
        }
        if (lt_checkpoint_find(ck, (const char *)p)) {
            return lt_fail(err, LT_ERR, "%s: block \"%s\" appears twice", what, (const char *)p);
        }
        lt_ckpt_block *b = &ck->blocks[ck->n_blocks++];
        memcpy(b->name, p, LT_CKPT_NAME);
        b->type = (lt_ckpt_type)type;
        b->count = (size_t)count;
        b->data = p + BLOCK_HEAD;
        at += bb;
    }
    if (at != n) {
        return lt_fail(err, LT_ERR, "%s: %zu bytes after the last block", what, n - at);
    }
    return LT_OK;
}

/* Decodes buf (n bytes), which ck adopts: on success ck->bytes is buf, on failure buf is
 * freed and ck empty. */
static lt_status decode_owned(lt_checkpoint *ck, unsigned char *buf, size_t n,
                              const char *what, lt_error *err)
{
    memset(ck, 0, sizeof *ck);
    lt_status st = host_is_little_endian()
                       ? check_header(buf, n, what, err)
                       : lt_fail(err, LT_ERR, "%s: big-endian hosts are not supported", what);
    if (st != LT_OK) {
        free(buf);
        return st;
    }
    ck->bytes = buf;
    ck->D = get_u64(buf + 16);
    ck->C = get_u64(buf + 24);
    ck->n_params = get_u64(buf + 32);
    st = parse_blocks(ck, buf + LT_CKPT_HEADER, n - LT_CKPT_HEADER, get_u32(buf + 12), what, err);
    if (st != LT_OK) {
        lt_checkpoint_free(ck);
    }
    return st;
}

lt_status lt_checkpoint_decode(lt_checkpoint *ck, const void *bytes, size_t n,
                               const char *what, lt_error *err)
{
    memset(ck, 0, sizeof *ck);
    unsigned char *buf = lt_calloc(n ? n : 1, 1, "checkpoint", err);
    if (!buf) {
        return LT_ERR;
    }
    if (n > 0) {
        memcpy(buf, bytes, n);
    }
    return decode_owned(ck, buf, n, what, err);
}

lt_status lt_checkpoint_read(lt_checkpoint *ck, const char *path, lt_error *err)
{
    memset(ck, 0, sizeof *ck);
    lt_status st = LT_ERR;
    unsigned char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        return lt_fail(err, LT_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        lt_fail(err, LT_ERR, "%s: not a regular file", path);
        goto cleanup;
    }
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > LT_CKPT_MAX_BYTES) {
        lt_fail(err, LT_ERR, "%s: %jd bytes, larger than a checkpoint can be", path,
                (intmax_t)sb.st_size);
        goto cleanup;
    }
    size_t n = (size_t)sb.st_size;
    buf = lt_calloc(n ? n : 1, 1, "checkpoint", err);
    if (!buf) {
        goto cleanup;
    }
    if (fread(buf, 1, n, f) != n) {
        lt_fail(err, LT_ERR, "%s: read error or changed while reading", path);
        goto cleanup;
    }
    st = decode_owned(ck, buf, n, path, err);
    buf = NULL; /* adopted or freed */
cleanup:
    free(buf);
    fclose(f); /* read-only: nothing to lose */
    return st;
}

const lt_ckpt_block *lt_checkpoint_find(const lt_checkpoint *ck, const char *name)
{
    for (size_t i = 0; i < ck->n_blocks; i++) {
        if (strncmp(ck->blocks[i].name, name, LT_CKPT_NAME) == 0) {
            return &ck->blocks[i];
        }
    }
    return NULL;
}

lt_status lt_checkpoint_get(const lt_checkpoint *ck, const char *name, lt_ckpt_type type,
                            size_t count, void *dst, lt_error *err)
{
    const lt_ckpt_block *b = lt_checkpoint_find(ck, name);
    if (!b) {
        return lt_fail(err, LT_ERR, "checkpoint has no block \"%s\"", name);
    }
    if (b->type != type || b->count != count) {
        return lt_fail(err, LT_ERR, "checkpoint block \"%s\" holds %zu %s values, expected %zu %s",
                       name, b->count, type_name(b->type), count, type_name(type));
    }
    if (count > 0) {
        memcpy(dst, b->data, count * type_size(type)); /* fits: checked when decoded */
    }
    return LT_OK;
}

void lt_checkpoint_free(lt_checkpoint *ck)
{
    if (!ck) {
        return;
    }
    free(ck->bytes);
    memset(ck, 0, sizeof *ck);
}
