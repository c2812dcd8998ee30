/* test_same_weights.c — every shipped config still trains to the same weights.
 *
 * tests/fixtures/config_weights.sha256 holds the sha256 of the weights.npy each file of
 * configs/ writes on the embedded sample (2 epochs, or 20 trials of random search, the
 * AVX2 kernel). A refactor must leave every one of them unchanged; a config without a
 * recorded hash fails too, so a new config gets one on purpose.
 * Runs from the repository root (make test does), against ./lintrain. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#define HASHES "tests/fixtures/config_weights.sha256"

/* The recorded hash of config `name`, copied into hash[65]; 0 when none is recorded. */
static int recorded_hash(const char *name, char hash[65])
{
    char *text = tu_read_file(HASHES, NULL);
    assert_non_null(text);
    int found = 0;
    for (char *line = strtok(text, "\n"); line && !found; line = strtok(NULL, "\n")) {
        char key[256], value[65];
        if (line[0] != '#' && sscanf(line, "%255s %64s", key, value) == 2 &&
            strcmp(key, name) == 0) {
            memcpy(hash, value, sizeof value);
            found = 1;
        }
    }
    free(text);
    return found;
}

/* Trains configs/<name>.json as the fixture's header says; returns the sha256 of its
 * weights.npy in hash[65]. */
static void trained_hash(const char *name, char hash[65])
{
    char cfg[512];
    snprintf(cfg, sizeof cfg, "configs/%s.json", name);
    char *text = tu_read_file(cfg, NULL);
    assert_non_null(text);
    const char *budget = strstr(text, "random_search") ? "--set optimizer.trials=20"
                                                        : "--set train.epochs=2";
    free(text);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "./lintrain --config %s --set data.dir=data/cifar-10-sample "
             "--set data.val_size=200 --set train.kernel=avx2 %s --out '%s/%s' --quiet "
             "&& sha256sum '%s/%s/weights.npy'",
             cfg, budget, tu_tmp, name, tu_tmp, name);
    char *out = NULL;
    int rc = tu_run(cmd, &out);
    if (rc != 0) {
        fail_msg("%s: exit %d: %s", cfg, rc, out);
    }
    /* The hash is the first word of the last line: sha256sum's. */
    char *last = out;
    for (char *p = out; *p; p++) {
        if (p[0] == '\n' && p[1] != '\0') {
            last = p + 1;
        }
    }
    if (sscanf(last, "%64s", hash) != 1) {
        fail_msg("%s: no hash in: %s", cfg, out);
    }
    free(out);
}

static int has_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}

static void test_every_config_same_weights(void **state)
{
    (void)state;
    if (!has_avx2()) {
        skip();
    }
    DIR *dir = opendir("configs");
    assert_non_null(dir);
    int checked = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) {
            continue;
        }
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(n - 5), e->d_name);
        char want[65], got[65];
        if (!recorded_hash(name, want)) {
            fail_msg("configs/%s.json has no hash in " HASHES, name);
        }
        trained_hash(name, got);
        if (strcmp(want, got) != 0) {
            fail_msg("configs/%s.json trains to other weights: sha256 %s, recorded %s", name,
                     got, want);
        }
        checked++;
    }
    closedir(dir);
    assert_true(checked >= 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_config_same_weights),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp_cache, tu_teardown_tmp);
}
