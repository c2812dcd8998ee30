/* checkpoint.h — checkpoint.bin: everything a run needs to continue bit for bit.
 *
 * The file is a 64-byte header followed by a body of named blocks:
 *
 *   header  0  magic "LTCKPT\r\n" (8 bytes; the CR LF catches text-mode mangling)
 *           8  u32 format version (LT_CKPT_VERSION)
 *          12  u32 number of blocks
 *          16  u64 D        features  } the model's shape, checked before any block
 *          24  u64 C        classes   } is looked at
 *          32  u64 n_params
 *          40  u64 body bytes (the file is exactly 64 + this long)
 *          48  u32 CRC-32 of the body
 *          52  u32 CRC-32 of header bytes [0, 52)
 *          56  8 zero bytes (reserved; checked)
 *   block   0  name, NUL-padded to 24 bytes (at least one NUL)
 *          24  u32 element type (lt_ckpt_type)
 *          28  u32 zero (reserved)
 *          32  u64 element count
 *          40  the elements, then zero padding to a multiple of 8 bytes
 *
 * Integers and floats are little-endian (the reader and writer refuse a big-endian
 * host, as npy.c does). CRC-32 is the IEEE polynomial of zlib, gzip and PNG.
 *
 * A checkpoint is built by adding blocks (borrowed pointers) and written at once;
 * reading checks the header, the length, both checksums and every block's framing
 * before returning, so a damaged file is refused whole and never half-loaded. What
 * the blocks mean is up to the caller: train_checkpoint.c stores the trainer's state
 * from one table, and each training driver (train_driver.h) adds its optimizer's. A new
 * kind of state is one lt_checkpoint_add on save and one lt_checkpoint_get on restore.
 * Readers look blocks up by name, so blocks a reader does not know are ignored. */
#ifndef LINTRAIN_CHECKPOINT_H
#define LINTRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"

#define LT_CKPT_VERSION 1u
#define LT_CKPT_HEADER 64
#define LT_CKPT_NAME 24          /* bytes of a block name, with its NUL */
#define LT_CKPT_MAX_BLOCKS 256
#define LT_CKPT_MAX_BYTES ((size_t)1 << 30)  /* refuse larger files before reading */

typedef enum {
    LT_CKPT_F32 = 1,    /* float */
    LT_CKPT_F64 = 2,    /* double */
    LT_CKPT_U64 = 3,    /* uint64_t */
    LT_CKPT_BYTES = 4   /* raw bytes (text, for instance) */
} lt_ckpt_type;

typedef struct {
    char name[LT_CKPT_NAME];
    lt_ckpt_type type;
    size_t count;        /* elements */
    const void *data;    /* borrowed: from the caller (writing) or the file's bytes (reading) */
} lt_ckpt_block;

typedef struct {
    uint64_t D, C, n_params;
    lt_ckpt_block blocks[LT_CKPT_MAX_BLOCKS];
    size_t n_blocks;
    unsigned char *bytes;  /* owned: the file read, which the blocks point into */
} lt_checkpoint;

/* An empty checkpoint for a model of shape (D, C) with n_params parameters. */
void lt_checkpoint_init(lt_checkpoint *ck, size_t D, size_t C, size_t n_params);

/* Adds a block; data is borrowed until the checkpoint is written. Errors: a name that
 * is empty, too long or already there; too many blocks; an unknown type. */
lt_status lt_checkpoint_add(lt_checkpoint *ck, const char *name, lt_ckpt_type type,
                            const void *data, size_t count, lt_error *err);

/* Serializes ck into a malloc'ed buffer (*out, *n bytes); for writing and for tests. */
lt_status lt_checkpoint_encode(const lt_checkpoint *ck, unsigned char **out, size_t *n,
                               lt_error *err);

/* Writes both CRCs into an encoded checkpoint of n >= LT_CKPT_HEADER bytes: the
 * encoder's last step, public for the tests and fuzzers that edit a checkpoint and
 * reseal it to reach the checks behind the checksums. */
void lt_checkpoint_seal(unsigned char *buf, size_t n);

/* Writes ck to path atomically: path.tmp in the same folder, fsync, rename, fsync of
 * the folder. */
lt_status lt_checkpoint_write(const lt_checkpoint *ck, const char *path, lt_error *err);

/* Parses n bytes (copied; the caller keeps its buffer) into *ck, checking everything
 * described above. what names the source in messages. On failure *ck is empty. */
lt_status lt_checkpoint_decode(lt_checkpoint *ck, const void *bytes, size_t n,
                               const char *what, lt_error *err);

/* Reads and decodes path. A missing file says so; see lt_checkpoint_decode. */
lt_status lt_checkpoint_read(lt_checkpoint *ck, const char *path, lt_error *err);

/* The block named name, or NULL. */
const lt_ckpt_block *lt_checkpoint_find(const lt_checkpoint *ck, const char *name);

/* Copies block name into dst, which holds count elements of type; an error naming the
 * block when it is missing or has another type or count. */
lt_status lt_checkpoint_get(const lt_checkpoint *ck, const char *name, lt_ckpt_type type,
                            size_t count, void *dst, lt_error *err);

/* Frees what ck owns and empties it; accepts NULL. */
void lt_checkpoint_free(lt_checkpoint *ck);

/* CRC-32 (IEEE 802.3, reflected, as zlib.crc32) of n bytes, continuing from crc (0 to
 * start). */
uint32_t lt_checkpoint_crc32(uint32_t crc, const void *data, size_t n);

#endif
