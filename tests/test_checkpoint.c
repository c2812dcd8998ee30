/* test_checkpoint.c — the checkpoint.bin format: CRC-32 against its published check
 * value, round trips, refusal of every truncation and of every single-byte change,
 * framing errors in blocks whose checksums are right, and every optimizer's state
 * surviving a save and restore bit for bit. Also the checked allocators. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lintrain/checkpoint.h"
#include "lintrain/config.h"
#include "lintrain/lbfgs.h"
#include "lintrain/optim.h"
#include "lintrain/rng.h"
#include "lintrain/train_driver.h"
#include "testutil.h"

/* Under AddressSanitizer an impossible allocation must return NULL, as malloc does. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* CRC-32's check value (the CRC catalogue's "check" for CRC-32/ISO-HDLC, zlib's crc32). */
static void test_crc32_check_value(void **state)
{
    (void)state;
    assert_int_equal(lt_checkpoint_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(lt_checkpoint_crc32(0, "", 0), 0u);
    /* Continuing a CRC over two pieces equals the CRC of the whole. */
    uint32_t part = lt_checkpoint_crc32(0, "1234", 4);
    assert_int_equal(lt_checkpoint_crc32(part, "56789", 5), 0xCBF43926u);
}

/* A small checkpoint of every block type, encoded into *buf. */
static const float F[3] = {1.5f, -0.0f, 3.25e-20f};
static const double G[2] = {0.1, -1e300};
static const uint64_t U[4] = {0, 1, UINT64_MAX, 1234567890123ull};
static const char TEXT[] = "{\"a\": 1}";

static void encode_sample(unsigned char **buf, size_t *n)
{
    lt_checkpoint ck;
    lt_error err;
    lt_checkpoint_init(&ck, 4, 3, 15);
    assert_int_equal(lt_checkpoint_add(&ck, "f", LT_CKPT_F32, F, 3, &err), LT_OK);
    assert_int_equal(lt_checkpoint_add(&ck, "g", LT_CKPT_F64, G, 2, &err), LT_OK);
    assert_int_equal(lt_checkpoint_add(&ck, "u", LT_CKPT_U64, U, 4, &err), LT_OK);
    assert_int_equal(lt_checkpoint_add(&ck, "text", LT_CKPT_BYTES, TEXT, strlen(TEXT), &err),
                     LT_OK);
    assert_int_equal(lt_checkpoint_add(&ck, "empty", LT_CKPT_F32, NULL, 0, &err), LT_OK);
    assert_int_equal(lt_checkpoint_encode(&ck, buf, n, &err), LT_OK);
}

static void test_round_trip(void **state)
{
    (void)state;
    unsigned char *buf;
    size_t n;
    encode_sample(&buf, &n);
    /* Header 64 + blocks of 40-byte heads with data padded to 8: 16, 16, 32, 8, 0. */
    assert_int_equal(n, 64 + 5 * 40 + 16 + 16 + 32 + 8 + 0);
    assert_memory_equal(buf, "LTCKPT\r\n", 8);
    lt_checkpoint ck;
    lt_error err;
    assert_int_equal(lt_checkpoint_decode(&ck, buf, n, "mem", &err), LT_OK);
    assert_int_equal(ck.D, 4);
    assert_int_equal(ck.C, 3);
    assert_int_equal(ck.n_params, 15);
    assert_int_equal(ck.n_blocks, 5);
    float f[3];
    double g[2];
    uint64_t u[4];
    char text[sizeof TEXT] = {0};
    assert_int_equal(lt_checkpoint_get(&ck, "f", LT_CKPT_F32, 3, f, &err), LT_OK);
    assert_memory_equal(f, F, sizeof F); /* bits: -0.0 and the denormal-free tiny value */
    assert_int_equal(lt_checkpoint_get(&ck, "g", LT_CKPT_F64, 2, g, &err), LT_OK);
    assert_memory_equal(g, G, sizeof G);
    assert_int_equal(lt_checkpoint_get(&ck, "u", LT_CKPT_U64, 4, u, &err), LT_OK);
    assert_memory_equal(u, U, sizeof U);
    assert_int_equal(lt_checkpoint_get(&ck, "text", LT_CKPT_BYTES, strlen(TEXT), text, &err),
                     LT_OK);
    assert_string_equal(text, TEXT);
    assert_int_equal(lt_checkpoint_get(&ck, "empty", LT_CKPT_F32, 0, NULL, &err), LT_OK);
    /* Wrong type, wrong count, missing: errors naming the block. */
    assert_int_equal(lt_checkpoint_get(&ck, "f", LT_CKPT_F64, 3, g, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "\"f\""));
    assert_int_equal(lt_checkpoint_get(&ck, "u", LT_CKPT_U64, 3, u, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "expected 3"));
    assert_int_equal(lt_checkpoint_get(&ck, "nope", LT_CKPT_U64, 1, u, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "nope"));
    lt_checkpoint_free(&ck);
    lt_checkpoint_free(&ck); /* twice: freeing an empty checkpoint is fine */
    free(buf);
}

static void test_every_truncation_refused(void **state)
{
    (void)state;
    unsigned char *buf;
    size_t n;
    encode_sample(&buf, &n);
    for (size_t len = 0; len < n; len++) {
        lt_checkpoint ck;
        lt_error err = {{0}};
        if (lt_checkpoint_decode(&ck, buf, len, "mem", &err) != LT_ERR) {
            fail_msg("a checkpoint cut to %zu of %zu bytes was accepted", len, n);
        }
        assert_int_equal(ck.n_blocks, 0); /* nothing half-loaded */
        assert_null(ck.bytes);
        assert_true(strstr(err.msg, "truncated") || strstr(err.msg, "shorter"));
    }
    free(buf);
}

static void test_every_byte_change_refused(void **state)
{
    (void)state;
    unsigned char *buf;
    size_t n;
    encode_sample(&buf, &n);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            buf[i] ^= (unsigned char)(1u << bit);
            lt_checkpoint ck;
            lt_error err = {{0}};
            if (lt_checkpoint_decode(&ck, buf, n, "mem", &err) == LT_OK) {
                /* Only the reserved bytes could change unnoticed; none are unchecked. */
                fail_msg("byte %zu bit %d flipped: accepted", i, bit);
            }
            buf[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* And trailing bytes after a valid file. */
    unsigned char *longer = malloc(n + 1);
    assert_non_null(longer);
    memcpy(longer, buf, n);
    longer[n] = 0;
    lt_checkpoint ck;
    lt_error err;
    assert_int_equal(lt_checkpoint_decode(&ck, longer, n + 1, "mem", &err), LT_ERR);
    assert_non_null(strstr(err.msg, "trailing"));
    free(longer);
    free(buf);
}

/* Edits that the checksums do not catch (the file was resealed) are still refused by the
 * framing checks: the format does not rely on the CRC for memory safety. */
static void test_framing_errors_with_valid_checksums(void **state)
{
    (void)state;
    struct {
        size_t offset;
        unsigned char value;
        const char *message;
    } cases[] = {
        {8, 2, "version 2"},                     /* format version */
        {12, 6, "truncated header"},             /* one block more than there is */
        {12, 4, "after the last block"},         /* one block fewer */
        {64, 0, "bad name"},                     /* first block's name empty */
        {64 + 24, 9, "unknown type"},            /* first block's type */
        {64 + 32, 200, "do not fit"},            /* first block's count */
        {64 + 40 + 16, 'f', "appears twice"},    /* second block renamed "f" */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        unsigned char *buf;
        size_t n;
        encode_sample(&buf, &n);
        buf[cases[c].offset] = cases[c].value;
        lt_checkpoint_seal(buf, n);
        lt_checkpoint ck;
        lt_error err = {{0}};
        assert_int_equal(lt_checkpoint_decode(&ck, buf, n, "mem", &err), LT_ERR);
        if (!strstr(err.msg, cases[c].message)) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", c, err.msg, cases[c].message);
        }
        free(buf);
    }
}

static void test_add_refusals(void **state)
{
    (void)state;
    lt_checkpoint ck;
    lt_error err;
    float x = 1;
    lt_checkpoint_init(&ck, 1, 1, 2);
    assert_int_equal(lt_checkpoint_add(&ck, "", LT_CKPT_F32, &x, 1, &err), LT_ERR);
    assert_int_equal(lt_checkpoint_add(&ck, "a_name_of_twenty_four_by", LT_CKPT_F32, &x, 1, &err),
                     LT_ERR);
    assert_int_equal(lt_checkpoint_add(&ck, "x", (lt_ckpt_type)7, &x, 1, &err), LT_ERR);
    assert_int_equal(lt_checkpoint_add(&ck, "x", LT_CKPT_F32, NULL, 1, &err), LT_ERR);
    assert_int_equal(lt_checkpoint_add(&ck, "x", LT_CKPT_F32, &x, 1, &err), LT_OK);
    assert_int_equal(lt_checkpoint_add(&ck, "x", LT_CKPT_F32, &x, 1, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "twice"));
}

static void test_file_write_and_read(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_join(dir, "checkpoint.bin");
    lt_checkpoint ck;
    lt_error err;
    lt_checkpoint_init(&ck, 4, 3, 15);
    assert_int_equal(lt_checkpoint_add(&ck, "f", LT_CKPT_F32, F, 3, &err), LT_OK);
    assert_int_equal(lt_checkpoint_write(&ck, path, &err), LT_OK);
    char *tmp = tu_join(dir, "checkpoint.bin.tmp");
    assert_null(tu_read_file(tmp, NULL)); /* renamed into place, nothing left over */
    lt_checkpoint back;
    assert_int_equal(lt_checkpoint_read(&back, path, &err), LT_OK);
    float f[3];
    assert_int_equal(lt_checkpoint_get(&back, "f", LT_CKPT_F32, 3, f, &err), LT_OK);
    assert_memory_equal(f, F, sizeof F);
    lt_checkpoint_free(&back);
    /* Missing file, empty file, a folder. */
    char *missing = tu_join(dir, "none.bin");
    assert_int_equal(lt_checkpoint_read(&back, missing, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "cannot open"));
    tu_write_file(path, "", 0);
    assert_int_equal(lt_checkpoint_read(&back, path, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "truncated"));
    assert_int_equal(lt_checkpoint_read(&back, dir, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "not a regular file"));
    free(missing);
    free(tmp);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* Σ cosh(x_i − c_i) + ¼ Σ x_i·x_{i+1}, c_i = (i mod 5)/5: convex, not quadratic, so
 * L-BFGS keeps a history and its steps depend on it. */
static lt_status cosh_chain(void *ctx, const double *x, double *f, double *g, lt_error *err)
{
    (void)err;
    size_t n = *(const size_t *)ctx;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double c = (double)(i % 5) / 5.0;
        s += cosh(x[i] - c);
        g[i] = sinh(x[i] - c);
        if (i + 1 < n) {
            s += 0.25 * x[i] * x[i + 1];
            g[i] += 0.25 * x[i + 1];
        }
        if (i > 0) {
            g[i] += 0.25 * x[i - 1];
        }
    }
    *f = s;
    return LT_OK;
}

/* Encodes ck and decodes it into *back, as a write and a read would. */
static void encode_decode(const lt_checkpoint *ck, lt_checkpoint *back)
{
    unsigned char *buf;
    size_t bytes;
    lt_error err;
    assert_int_equal(lt_checkpoint_encode(ck, &buf, &bytes, &err), LT_OK);
    assert_int_equal(lt_checkpoint_decode(back, buf, bytes, "mem", &err), LT_OK);
    free(buf);
}

/* L-BFGS: two steps, lt_train_lbfgs_save, encode, decode, lt_train_lbfgs_restore into a
 * fresh optimizer; its next step gives the same x bits, counters and direction as the
 * original's. A fresh optimizer without the restore steps elsewhere (no history: the
 * check can fail). */
static void lbfgs_state_survives(void)
{
    enum { N = 37, HISTORY = 4 };
    size_t n = N;
    lt_lbfgs a, b, c;
    lt_error err;
    assert_int_equal(lt_lbfgs_create(&a, n, HISTORY, 3, 1.0, 1e-12, 1e-12, cosh_chain, &n,
                                     &err), LT_OK);
    assert_int_equal(lt_lbfgs_create(&b, n, HISTORY, 3, 1.0, 1e-12, 1e-12, cosh_chain, &n,
                                     &err), LT_OK);
    assert_int_equal(lt_lbfgs_create(&c, n, HISTORY, 3, 1.0, 1e-12, 1e-12, cosh_chain, &n,
                                     &err), LT_OK);
    double x[N], xa[N], xb[N], xc[N];
    for (int i = 0; i < N; i++) {
        x[i] = i % 2 ? 2.0 : -1.5;
    }
    lt_lbfgs_stop stop;
    long long iters;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(lt_lbfgs_step(&a, x, &stop, &iters, &err), LT_OK);
        assert_true(stop == LT_LBFGS_MAX_ITER || stop == LT_LBFGS_MAX_EVAL);
    }
    assert_true(a.num_old >= 2);
    lt_checkpoint ck, back;
    lt_train_lbfgs_saved saved;
    lt_checkpoint_init(&ck, 1, 1, N);
    assert_int_equal(lt_train_lbfgs_save(&a, &ck, &saved, &err), LT_OK);
    encode_decode(&ck, &back);
    lt_train_lbfgs_saved_free(&saved);
    assert_int_equal(lt_train_lbfgs_restore(&b, &back, &err), LT_OK);
    assert_int_equal(b.num_old, a.num_old);
    assert_int_equal(b.n_iter, a.n_iter);
    assert_int_equal(b.func_evals, a.func_evals);
    memcpy(xa, x, sizeof x);
    memcpy(xb, x, sizeof x);
    memcpy(xc, x, sizeof x);
    assert_int_equal(lt_lbfgs_step(&a, xa, &stop, &iters, &err), LT_OK);
    assert_int_equal(lt_lbfgs_step(&b, xb, &stop, &iters, &err), LT_OK);
    assert_int_equal(lt_lbfgs_step(&c, xc, &stop, &iters, &err), LT_OK);
    assert_memory_equal(xa, xb, sizeof xa);
    assert_memory_equal(a.d, b.d, sizeof xa);
    assert_memory_equal(&a.t, &b.t, sizeof a.t);
    assert_memory_equal(&a.h_diag, &b.h_diag, sizeof a.h_diag);
    assert_int_equal(a.n_iter, b.n_iter);
    assert_int_equal(a.func_evals, b.func_evals);
    assert_memory_not_equal(xa, xc, sizeof xa);
    /* Another history length is refused, naming the block. */
    lt_lbfgs other;
    assert_int_equal(lt_lbfgs_create(&other, n, HISTORY + 1, 3, 1.0, 0, 0, cosh_chain, &n,
                                     &err), LT_OK);
    assert_int_equal(lt_train_lbfgs_restore(&other, &back, &err), LT_ERR);
    assert_non_null(strstr(err.msg, "lbfgs.count"));
    lt_lbfgs_free(&other);
    lt_checkpoint_free(&back);
    lt_lbfgs_free(&a);
    lt_lbfgs_free(&b);
    lt_lbfgs_free(&c);
}

/* For every optimizer of the table: a few updates, save, restore into a fresh one; the
 * state is the same bits, and the next update gives the same weights. L-BFGS keeps its
 * state in lbfgs.c (lbfgs_state_survives); random search has none but its counter here
 * (its search stream and best trial are train.c's blocks, checked end to end by
 * test_resume). */
static void test_every_optimizer_state_survives(void **state)
{
    (void)state;
    enum { N = 37, N_DECAY = 30, STEPS = 5 };
    const char *name;
    for (size_t i = 0; (name = lt_optim_name_at(i)) != NULL; i++) {
        lt_optim_family family = lt_optim_find(name)->family;
        if (family == LT_OPTIM_LBFGS) {
            lbfgs_state_survives();
        }
        char set_name[128];
        snprintf(set_name, sizeof set_name, "optimizer.name=%s", name);
        const char *sets[] = {set_name, "train.batch_size=0"};
        lt_config cfg;
        lt_error err;
        if (lt_config_load(&cfg, NULL, sets, 2, &err) != LT_OK) {
            fail_msg("optimizer %s: %s", name, err.msg);
        }
        lt_optimizer a, b;
        assert_int_equal(lt_optimizer_create(&a, lt_optim_find(name), &cfg.optim_params, N,
                                             N_DECAY, &err),
                         LT_OK);
        assert_int_equal(lt_optimizer_create(&b, lt_optim_find(name), &cfg.optim_params, N,
                                             N_DECAY, &err),
                         LT_OK);
        lt_rng rng;
        lt_rng_seed(&rng, 42, 7);
        float w[N], g[N];
        for (int k = 0; k < N; k++) {
            w[k] = (float)lt_rng_normal(&rng);
        }
        int steps = family == LT_OPTIM_FIRST_ORDER ? STEPS : 0;
        for (int s = 0; s < steps; s++) {
            for (int k = 0; k < N; k++) {
                g[k] = (float)lt_rng_normal(&rng);
            }
            lt_optimizer_step(&a, w, g, 0.01);
        }
        lt_checkpoint ck, back;
        lt_checkpoint_init(&ck, 1, 1, N);
        assert_int_equal(lt_optimizer_save(&a, &ck, &err), LT_OK);
        encode_decode(&ck, &back);
        assert_int_equal(lt_optimizer_restore(&b, &back, &err), LT_OK);
        assert_int_equal(b.t, steps);
        for (int k = 0; k < a.kind->n_state; k++) {
            assert_memory_equal(a.state[k], b.state[k], N * sizeof(float));
        }
        float wa[N], wb[N];
        memcpy(wa, w, sizeof w);
        memcpy(wb, w, sizeof w);
        if (family == LT_OPTIM_FIRST_ORDER) {
            lt_optimizer_step(&a, wa, g, 0.01);
            lt_optimizer_step(&b, wb, g, 0.01);
        }
        assert_memory_equal(wa, wb, sizeof wa);
        lt_checkpoint_free(&back);
        lt_optimizer_free(&a);
        lt_optimizer_free(&b);
        lt_config_free(&cfg);
    }
}

/* Every optimizer family of the table has a training driver that can save and restore
 * its state: the checkpoint format knows blocks, the drivers know their optimizers. */
static void test_every_family_has_a_driver(void **state)
{
    (void)state;
    const char *name;
    for (size_t i = 0; (name = lt_optim_name_at(i)) != NULL; i++) {
        const lt_train_driver *d = lt_train_driver_for(lt_optim_find(name)->family);
        if (!d || !d->setup || !d->run || !d->save || !d->restore || !d->free || !d->hint) {
            fail_msg("optimizer %s: no complete training driver", name);
        }
    }
    assert_ptr_equal(lt_train_driver_for(LT_OPTIM_LBFGS), &lt_train_lbfgs_driver);
    assert_ptr_equal(lt_train_driver_for(LT_OPTIM_RANDOM_SEARCH), &lt_train_search_driver);
    assert_ptr_equal(lt_train_driver_for(LT_OPTIM_FIRST_ORDER), &lt_train_first_order_driver);
}

/* Allocation sizes that overflow, or that no machine has, are errors, not crashes. */
static void test_checked_allocation(void **state)
{
    (void)state;
    lt_error err = {{0}};
    assert_null(lt_calloc(SIZE_MAX / 2, 4, "huge", &err));
    assert_non_null(strstr(err.msg, "overflows"));
    assert_null(lt_calloc2(SIZE_MAX / 1024, 2048, 1, "huge2", &err));
    assert_non_null(strstr(err.msg, "overflow"));
    assert_null(lt_calloc((size_t)1 << 60, 1, "impossible", &err));
    assert_non_null(strstr(err.msg, "out of memory"));
    void *p = lt_calloc2(3, 5, 4, "small", &err);
    assert_non_null(p);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_truncation_refused),
        cmocka_unit_test(test_every_byte_change_refused),
        cmocka_unit_test(test_framing_errors_with_valid_checksums),
        cmocka_unit_test(test_add_refusals),
        cmocka_unit_test(test_file_write_and_read),
        cmocka_unit_test(test_every_optimizer_state_survives),
        cmocka_unit_test(test_every_family_has_a_driver),
        cmocka_unit_test(test_checked_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
