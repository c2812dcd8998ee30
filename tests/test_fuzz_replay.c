/* test_fuzz_replay.c — replays, under make test (and make sanitize), every committed
 * input of the fuzz harnesses: their seed corpora (tests/fuzz/seeds/<harness>/) and the
 * inputs that once broke something (tests/fuzz/regress/<harness>/, kept as regression
 * tests). The harnesses are compiled in here with their entry points renamed, so their
 * property checks run with gcc as well as under libFuzzer. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#define FUZZ_ENTRY fuzz_config_one
#include "fuzz/fuzz_config.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_cifar_one
#include "fuzz/fuzz_cifar.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_checkpoint_one
#include "fuzz/fuzz_checkpoint.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_resume_one
#include "fuzz/fuzz_resume.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_npy_one
#include "fuzz/fuzz_npy.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_cifar100_one
#include "fuzz/fuzz_cifar100.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_names_one
#include "fuzz/fuzz_names.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_png_one
#include "fuzz/fuzz_png.c"
#undef FUZZ_ENTRY

/* Runs every file of tests/fuzz/<kind>/<harness>/ through entry, and then accepted()
 * when given, which must hold; returns how many files. */
static int replay_dir(const char *kind, const char *harness,
                      int (*entry)(const uint8_t *, size_t), int (*accepted)(void))
{
    char dir[512];
    snprintf(dir, sizeof dir, "tests/fuzz/%s/%s", kind, harness);
    DIR *d = opendir(dir);
    if (!d) {
        return 0; /* no findings yet */
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char *path = tu_join(dir, e->d_name);
        size_t len;
        char *bytes = tu_read_file(path, &len);
        assert_non_null(bytes);
        entry((const uint8_t *)bytes, len); /* aborts on a broken property */
        if (accepted && !accepted()) {
            fail_msg("%s: the seed was not accepted", path);
        }
        free(bytes);
        free(path);
        n++;
    }
    closedir(d);
    return n;
}

static void replay(const char *harness, int (*entry)(const uint8_t *, size_t),
                   int (*seed_accepted)(void))
{
    int seeds = replay_dir("seeds", harness, entry, seed_accepted);
    int found = replay_dir("regress", harness, entry, NULL);
    assert_true(seeds > 0);
    printf("%s: %d seeds, %d regression inputs replayed\n", harness, seeds, found);
}

static void test_replay_config(void **state)
{
    (void)state;
    replay("config", fuzz_config_one, NULL);
}

static void test_replay_cifar(void **state)
{
    (void)state;
    replay("cifar", fuzz_cifar_one, NULL);
}

static void test_replay_checkpoint(void **state)
{
    (void)state;
    replay("checkpoint", fuzz_checkpoint_one, NULL);
}

/* The resume seeds are real checkpoints of the harness's own run: each must resume. */
static int resume_seed_accepted(void)
{
    return resume_last == LT_OK;
}

static void test_replay_resume(void **state)
{
    (void)state;
    replay("resume", fuzz_resume_one, resume_seed_accepted);
}

static void test_replay_npy(void **state)
{
    (void)state;
    replay("npy", fuzz_npy_one, NULL);
}

static void test_replay_cifar100(void **state)
{
    (void)state;
    replay("cifar100", fuzz_cifar100_one, NULL);
}

static void test_replay_names(void **state)
{
    (void)state;
    replay("names", fuzz_names_one, NULL);
}

/* The PNG seeds are images of every colour type libpng reads: each must decode. */
static int png_seed_accepted(void)
{
    return png_last_accepted;
}

static void test_replay_png(void **state)
{
    (void)state;
    replay("png", fuzz_png_one, png_seed_accepted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_config),
        cmocka_unit_test(test_replay_cifar),
        cmocka_unit_test(test_replay_checkpoint),
        cmocka_unit_test(test_replay_resume),
        cmocka_unit_test(test_replay_npy),
        cmocka_unit_test(test_replay_cifar100),
        cmocka_unit_test(test_replay_names),
        cmocka_unit_test(test_replay_png),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
