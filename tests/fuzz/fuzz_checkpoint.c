/* fuzz_checkpoint.c — libFuzzer harness for the checkpoint reader (checkpoint.c).
 *
 * Most mutations break a CRC and stop at the first check, so when the first byte is odd
 * the harness rewrites both CRCs of (a copy of) the input before decoding: the framing
 * code behind them gets fuzzed too. Properties: an accepted checkpoint hands out every
 * block it lists with its own type and count; encoding its blocks again gives a file of
 * the same size that decodes to the same blocks. */
#include "fuzz_util.h"

#include "lintrain/checkpoint.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

static size_t ckpt_type_size(lt_ckpt_type t)
{
    return t == LT_CKPT_F32 ? 4 : t == LT_CKPT_BYTES ? 1 : 8;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy != NULL);
    if (size > 0) {
        memcpy(copy, data, size);
    }
    if (size >= LT_CKPT_HEADER && (data[0] & 1u)) {
        copy[0] = 'L'; /* the magic's first byte is even: put it back */
        lt_checkpoint_seal(copy, size);
    }
    static lt_checkpoint ck, again;
    lt_error err = {{0}};
    lt_status st = lt_checkpoint_decode(&ck, copy, size, "fuzz", &err);
    if (st != LT_OK) {
        FUZZ_CHECK(err.msg[0] != '\0' && ck.n_blocks == 0 && ck.bytes == NULL);
        free(copy);
        return 0;
    }
    FUZZ_CHECK(ck.n_blocks <= LT_CKPT_MAX_BLOCKS);
    for (size_t i = 0; i < ck.n_blocks; i++) {
        const lt_ckpt_block *b = &ck.blocks[i];
        FUZZ_CHECK(lt_checkpoint_find(&ck, b->name) == b);
        void *buf = malloc(b->count * ckpt_type_size(b->type) + 1);
        FUZZ_CHECK(buf != NULL);
        FUZZ_CHECK(lt_checkpoint_get(&ck, b->name, b->type, b->count, buf, &err) == LT_OK);
        FUZZ_CHECK(b->count == 0 || memcmp(buf, b->data, b->count * ckpt_type_size(b->type)) == 0);
        free(buf);
    }
    /* Re-encode (the blocks point into ck's copy of the file) and decode again. */
    lt_checkpoint out;
    lt_checkpoint_init(&out, ck.D, ck.C, ck.n_params);
    for (size_t i = 0; i < ck.n_blocks; i++) {
        const lt_ckpt_block *b = &ck.blocks[i];
        FUZZ_CHECK(lt_checkpoint_add(&out, b->name, b->type, b->data, b->count, &err) == LT_OK);
    }
    uint8_t *bytes;
    size_t n;
    FUZZ_CHECK(lt_checkpoint_encode(&out, &bytes, &n, &err) == LT_OK);
    FUZZ_CHECK(lt_checkpoint_decode(&again, bytes, n, "re-encoded", &err) == LT_OK);
    FUZZ_CHECK(again.n_blocks == ck.n_blocks && n == size);
    for (size_t i = 0; i < ck.n_blocks; i++) {
        FUZZ_CHECK(strcmp(again.blocks[i].name, ck.blocks[i].name) == 0);
        FUZZ_CHECK(again.blocks[i].type == ck.blocks[i].type);
        FUZZ_CHECK(again.blocks[i].count == ck.blocks[i].count);
    }
    free(bytes);
    lt_checkpoint_free(&again);
    lt_checkpoint_free(&ck);
    free(copy);
    return 0;
}
