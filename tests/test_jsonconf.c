/* test_jsonconf.c — the engine of jsonconf.h with key tables of its own: "only for"
 * keys, conditional sections, number lists, mistakes of a table; and the helpers behind
 * its messages (edit distance, exact numbers). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include <cmocka.h>

#include "config_testutil.h"

#include "lintrain/jsonconf.h"
#include "lintrain/suggest.h"

/* ---- the engine with tables of its own ------------------------------------------------------ */

typedef struct {
    const char *name;
    double rho;
    lt_numlist milestones;
    lt_strlist tags;
    long long warmup;
} toy_cfg;

#define TOY(p, t, field, d) .path = (p), .type = (t), .offset = offsetof(toy_cfg, field), .def = (d)
#define SECTION(p) {.path = (p), .type = LT_JC_OBJECT}

static const lt_jc_key TOY_KEYS[] = {
    SECTION("opt"),
    {TOY("opt.name", LT_JC_STRING, name, "\"sgd\""), .choices = "sgd|momentum|nesterov"},
    {TOY("opt.rho", LT_JC_NUMBER, rho, "0.9"), .lo = LT_JC_GE(0), .hi = LT_JC_LT(1),
     .only = {"opt.name", "momentum|nesterov", NULL}},
    {TOY("opt.milestones", LT_JC_NUMLIST, milestones, "[10, 20.5]"), .lo = LT_JC_GE(0)},
    {TOY("opt.tags", LT_JC_STRLIST, tags, "[]"), .choices = "fast|slow"},
    {.path = "warm", .type = LT_JC_OBJECT, .only = {"opt.name", "nesterov", NULL}},
    {TOY("warm.steps", LT_JC_INTEGER, warmup, "5"), .lo = LT_JC_GE(0)},
};
#define N_TOY (sizeof TOY_KEYS / sizeof TOY_KEYS[0])

/* lt_jsonconf_load of keys on json (NULL: no file) and sets; *tree is the resolved tree. */
static lt_status toy_load(const char *dir, const lt_jc_key *keys, size_t n_keys,
                          const char *json, const char *const *sets, size_t n_sets,
                          toy_cfg *t, cJSON **tree, lt_error *err)
{
    char *path = json ? put(dir, "toy.json", json) : NULL;
    memset(t, 0, sizeof *t);
    lt_jc_source src = {path, sets, n_sets};
    void *resolved = NULL;
    lt_status st = lt_jsonconf_load(keys, n_keys, t, &resolved, NULL, &src, err);
    *tree = resolved;
    free(path);
    return st;
}

static void toy_free(toy_cfg *t, cJSON *tree)
{
    lt_jsonconf_free(TOY_KEYS, N_TOY, t, tree);
}

static void test_only_for(void **state)
{
    toy_cfg t;
    cJSON *tree;
    lt_error err = {{0}};

    /* Not used by sgd: absent from the resolved tree, zero in the struct. */
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, "{}", NULL, 0, &t, &tree, &err), LT_OK);
    assert_null(tree_get(tree, "opt.rho", 7));
    assert_null(tree_get(tree, "warm", 4));
    assert_true(t.rho == 0.0);
    assert_int_equal(t.warmup, 0);
    toy_free(&t, tree);

    /* Used by momentum: the default is filled. */
    const char *momentum[] = {"opt.name=momentum"};
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, NULL, momentum, 1, &t, &tree, &err), LT_OK);
    assert_true(t.rho == 0.9);
    assert_non_null(tree_get(tree, "opt.rho", 7));
    assert_null(tree_get(tree, "warm", 4));
    toy_free(&t, tree);

    /* A conditional section: present with nesterov, with its keys' defaults. */
    const char *nesterov[] = {"opt.name=nesterov"};
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, NULL, nesterov, 1, &t, &tree, &err), LT_OK);
    assert_int_equal(t.warmup, 5);
    assert_true(t.rho == 0.9);
    toy_free(&t, tree);

    /* Given where it is not used: an error naming the key, the choice and its users. */
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, "{\"opt\": {\"rho\": 0.5}}", NULL, 0, &t,
                              &tree, &err),
                     LT_ECONFIG);
    assert_has(err.msg, "opt.rho: not used by opt \"sgd\" (used by: momentum, nesterov)");
    assert_null(tree);
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, "{\"warm\": {}}", NULL, 0, &t, &tree,
                              &err),
                     LT_ECONFIG);
    assert_has(err.msg, "warm: not used by opt \"sgd\" (used by: nesterov)");

    /* ...unless a --set makes it used. */
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, "{\"opt\": {\"rho\": 0.5}}", momentum, 1,
                              &t, &tree, &err),
                     LT_OK);
    assert_true(t.rho == 0.5);
    toy_free(&t, tree);

    /* A used key is still checked. */
    const char *bad_rho[] = {"opt.name=momentum", "opt.rho=1"};
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, NULL, bad_rho, 2, &t, &tree, &err),
                     LT_ECONFIG);
    assert_has(err.msg, "opt.rho: must be in [0, 1), got 1");
}

static void test_lists(void **state)
{
    toy_cfg t;
    cJSON *tree;
    lt_error err = {{0}};

    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, NULL, NULL, 0, &t, &tree, &err), LT_OK);
    assert_int_equal(t.milestones.n, 2);
    assert_true(t.milestones.items[0] == 10.0 && t.milestones.items[1] == 20.5);
    assert_int_equal(t.tags.n, 0);
    toy_free(&t, tree);

    const char *given[] = {"opt.milestones=[0, 1e-3]", "opt.tags=[\"slow\", \"fast\"]"};
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, NULL, given, 2, &t, &tree, &err), LT_OK);
    assert_int_equal(t.milestones.n, 2);
    assert_true(same_bits(t.milestones.items[1], 1e-3));
    assert_int_equal(t.tags.n, 2);
    assert_string_equal(t.tags.items[0], "slow");
    toy_free(&t, tree);

    const char *bad_type[] = {"opt.milestones=[1, \"x\"]"};
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, NULL, bad_type, 1, &t, &tree, &err),
                     LT_ECONFIG);
    assert_has(err.msg, "opt.milestones[1]: expected a number, got a string (\"x\")");
    const char *bad_range[] = {"opt.milestones=[-1]"};
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, NULL, bad_range, 1, &t, &tree, &err),
                     LT_ECONFIG);
    assert_has(err.msg, "opt.milestones[0]: must be >= 0, got -1");
    const char *bad_choice[] = {"opt.tags=[\"fast\", \"slwo\"]"};
    assert_int_equal(toy_load(*state, TOY_KEYS, N_TOY, NULL, bad_choice, 1, &t, &tree, &err),
                     LT_ECONFIG);
    assert_has(err.msg,
               "opt.tags[1]: unknown \"slwo\" (did you mean \"slow\"? choices: fast, slow)");
    assert_null(t.milestones.items);
    assert_null(t.tags.items);
}

/* Mistakes in a key table are LT_ERR ("config schema: ..."), never blamed on the user. */
static void test_schema_mistakes(void **state)
{
    toy_cfg t;
    cJSON *tree;
    lt_error err = {{0}};

    static const lt_jc_key key_before_section[] = {
        {TOY("opt.name", LT_JC_STRING, name, "\"sgd\"")},
        SECTION("opt"),
    };
    assert_int_equal(toy_load(*state, key_before_section, 2, NULL, NULL, 0, &t, &tree, &err),
                     LT_ERR);
    assert_has(err.msg, "config schema: opt.name: listed before its section");

    static const lt_jc_key controller_after[] = {
        SECTION("opt"),
        {TOY("opt.rho", LT_JC_NUMBER, rho, "0.9"), .only = {"opt.name", "momentum", NULL}},
        {TOY("opt.name", LT_JC_STRING, name, "\"sgd\"")},
    };
    assert_int_equal(toy_load(*state, controller_after, 3, NULL, NULL, 0, &t, &tree, &err),
                     LT_ERR);
    assert_has(err.msg, "config schema: opt.rho: its \"only for\" key");

    static const lt_jc_key bad_default[] = {
        SECTION("opt"),
        {TOY("opt.rho", LT_JC_NUMBER, rho, "0.9.1")},
    };
    assert_int_equal(toy_load(*state, bad_default, 2, NULL, NULL, 0, &t, &tree, &err), LT_ERR);
    assert_has(err.msg, "config schema: opt.rho");

    static const lt_jc_key default_out_of_range[] = {
        SECTION("opt"),
        {TOY("opt.rho", LT_JC_NUMBER, rho, "2"), .hi = LT_JC_LT(1)},
    };
    assert_int_equal(toy_load(*state, default_out_of_range, 2, NULL, NULL, 0, &t, &tree, &err),
                     LT_ERR);
    assert_has(err.msg, "config schema: invalid default: ");
    assert_has(err.msg, "opt.rho: must be < 1, got 2");
}

/* ---- the helpers behind the messages ----------------------------------------------------- */

static void test_edit_distance_and_suggestions(void **state)
{
    (void)state;
    assert_int_equal(lt_suggest_edit_distance("kitten", 6, "sitting", 7), 3);
    assert_int_equal(lt_suggest_edit_distance("", 0, "abc", 3), 3);
    assert_int_equal(lt_suggest_edit_distance("lrr", 3, "lr", 2), 1);
    assert_int_equal(lt_suggest_edit_distance("optimiser", 9, "optimizer", 9), 1);
    assert_int_equal(lt_suggest_edit_distance("ab", 2, "ba", 2), 2);

    assert_true(lt_suggest_close_enough(1, "lrr", 2));
    assert_true(lt_suggest_close_enough(2, "epoch", 6));
    assert_false(lt_suggest_close_enough(2, "x", 2));           /* every character replaced */
    assert_true(lt_suggest_close_enough(3, "abcdefghi", 9));    /* 9/3 = 3 */
    assert_false(lt_suggest_close_enough(4, "abcdefghi", 9));
}

static void test_number_text(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(lt_jsonconf_number_text(0.1 + 0.2, buf, sizeof buf), "0.30000000000000004");
    assert_string_equal(lt_jsonconf_number_text(1e-7, buf, sizeof buf), "1e-07");
    assert_string_equal(lt_jsonconf_number_text(3e-4, buf, sizeof buf), "0.0003");
    assert_string_equal(lt_jsonconf_number_text(9007199254740992.0, buf, sizeof buf),
                        "9007199254740992");
    assert_string_equal(lt_jsonconf_number_text(256, buf, sizeof buf), "256");
    assert_string_equal(lt_jsonconf_number_text(2.5e4, buf, sizeof buf), "25000");
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_only_for, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_lists, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_schema_mistakes, setup_dir, remove_dir),
        cmocka_unit_test(test_edit_distance_and_suggestions),
        cmocka_unit_test(test_number_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
