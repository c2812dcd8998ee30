/* test_config.c — lt_config: defaults, every class of config error, --set overrides,
 * and the resolved JSON's round trip (the optimizer and schedule keys:
 * test_config_rules.c; the engine with tables of its own: test_jsonconf.c). */
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

#include "lintrain/json_diag.h"
#include "lintrain/jsonconf.h"
#include "lintrain/loss.h"

/* ---- defaults -------------------------------------------------------------------- */

static void test_defaults_filled(void **state)
{
    char *path = put(*state, "exp1.json", "{}");
    lt_config cfg;
    lt_error err = {{0}};
    assert_int_equal(lt_config_load(&cfg, path, NULL, 0, &err), LT_OK);

    assert_string_equal(cfg.data.dir, "data/cifar-10-batches-bin");
    assert_int_equal(cfg.data.train_files.n, 5);
    assert_string_equal(cfg.data.train_files.items[0], "data_batch_1.bin");
    assert_string_equal(cfg.data.train_files.items[4], "data_batch_5.bin");
    assert_string_equal(cfg.data.test_file, "test_batch.bin");
    assert_int_equal(cfg.data.val_size, 1000);
    assert_int_equal(cfg.data.limit_train, 0);
    assert_string_equal(cfg.data.preprocess, "mean_image");
    assert_string_equal(cfg.model.loss, "softmax");
    assert_true(cfg.model.svm_margin == 1.0);
    assert_string_equal(cfg.model.init, "gaussian");
    assert_true(same_bits(cfg.model.init_scale, 1e-4));
    assert_null(cfg.model.init_weights);
    assert_null(cfg.model.init_bias);
    assert_string_equal(cfg.regularization.type, "l2");
    assert_true(cfg.regularization.lambda == 1e3);
    assert_true(cfg.regularization.beta == 0.5);
    assert_string_equal(cfg.optimizer.name, "sgd");
    assert_true(same_bits(cfg.optimizer.lr, 3e-7));
    assert_string_equal(cfg.schedule.name, "constant");
    assert_int_equal(cfg.train.epochs, 10);
    assert_int_equal(cfg.train.batch_size, 256);
    assert_true(cfg.train.shuffle);
    assert_int_equal(cfg.train.seed, 0);
    assert_int_equal(cfg.train.log_every, 100);
    assert_int_equal(cfg.train.threads, 0);
    assert_string_equal(cfg.output.dir, "runs/exp1");

    lt_config_free(&cfg);
    free(path);
}

static void test_defaults_without_file(void **state)
{
    (void)state;
    lt_config cfg;
    lt_error err = {{0}};
    assert_int_equal(lt_config_load(&cfg, NULL, NULL, 0, &err), LT_OK);
    assert_string_equal(cfg.output.dir, "runs/default");
    assert_int_equal(cfg.train.epochs, 10);
    lt_config_free(&cfg);
}

static void test_output_dir_from_file_name(void **state)
{
    const char *cases[][2] = {
        {"my.run.json", "runs/my.run"},
        {"plain", "runs/plain"},
        {"x.json.bak", "runs/x.json.bak"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = put(*state, cases[i][0], "{}");
        lt_config cfg;
        lt_error err = {{0}};
        assert_int_equal(lt_config_load(&cfg, path, NULL, 0, &err), LT_OK);
        assert_string_equal(cfg.output.dir, cases[i][1]);
        lt_config_free(&cfg);
        free(path);
    }
    lt_config cfg;
    load_ok(*state, "{\"output\": {\"dir\": \"elsewhere\"}}", NULL, 0, &cfg);
    assert_string_equal(cfg.output.dir, "elsewhere");
    lt_config_free(&cfg);
}

/* The resolved JSON lists sections and keys in schema order, whatever the file's order,
 * and holds every key of the schema that applies to every run (the others: see
 * test_optimizer_keys). */
static void test_resolved_in_schema_order(void **state)
{
    lt_config cfg;
    load_ok(*state,
            "{\"train\": {\"seed\": 3, \"epochs\": 2}, \"model\": {}, "
            "\"data\": {\"val_size\": 10, \"dir\": \"d\"}}",
            NULL, 0, &cfg);
    char *json = lt_config_to_json(&cfg);
    assert_non_null(json);
    const char *order[] = {"\"data\"", "\"dir\"", "\"val_size\"", "\"model\"",
                           "\"regularization\"", "\"optimizer\"", "\"schedule\"",
                           "\"train\"", "\"epochs\"", "\"seed\"", "\"output\""};
    const char *prev = json;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *at = strstr(prev, order[i]);
        if (!at) {
            print_error("%s missing or out of order in:\n%s", order[i], json);
        }
        assert_non_null(at);
        prev = at;
    }
    size_t n_schema;
    const lt_jc_key *schema = lt_config_schema(&n_schema);
    for (size_t i = 0; i < n_schema; i++) {
        if (schema[i].only.key || !schema[i].def) {
            continue;
        }
        if (!lt_jsonconf_has(cfg.resolved, schema[i].path)) {
            print_error("%s is not in the resolved config\n", schema[i].path);
            fail();
        }
    }
    free(json);
    lt_config_free(&cfg);
}

/* ---- unknown keys, sections, types ------------------------------------------------- */

static void test_unknown_keys(void **state)
{
    char msg[1024];
    char *path = tu_join(*state, "config.json");
    char expected[1200];
    snprintf(expected, sizeof expected,
             "%s: unknown key \"optimizer.lrr\" (did you mean \"optimizer.lr\"?)", path);
    expect_error(*state, "{\"optimizer\": {\"lrr\": 1e-3}}", NULL, 0, msg, "optimizer.lrr", NULL);
    assert_string_equal(msg, expected);

    EXPECT(*state, "{\"optimiser\": {}}", "unknown key \"optimiser\"",
           "did you mean \"optimizer\"");
    EXPECT(*state, "{\"data\": {\"dri\": \"x\"}}", "unknown key \"data.dri\"",
           "did you mean \"data.dir\"");
    EXPECT(*state, "{\"Train\": {}}", "unknown key \"Train\"", "did you mean \"train\"");

    /* Nothing close: no suggestion. */
    expect_error(*state, "{\"train\": {\"zzzzzz\": 1}}", NULL, 0, msg,
                 "unknown key \"train.zzzzzz\"", NULL);
    assert_null(strstr(msg, "did you mean"));
    expect_error(*state, "{\"x\": 1}", NULL, 0, msg, "unknown key \"x\"", NULL);
    assert_null(strstr(msg, "did you mean"));

    /* The --set spelling inside a file. */
    EXPECT(*state, "{\"optimizer.lr\": 1}", "unknown key \"optimizer.lr\"",
           "nests its keys: {\"optimizer\": {...}}");
    free(path);
}

static void test_section_not_object(void **state)
{
    EXPECT(*state, "{\"train\": 5}", "train: expected an object, got a number (5)");
    EXPECT(*state, "{\"data\": [\"x\"]}", "data: expected an object, got a list");
    EXPECT(*state, "{\"optimizer\": \"sgd\"}",
           "optimizer: expected an object, got a string (\"sgd\")");
}

static void test_wrong_types(void **state)
{
    EXPECT(*state, "{\"optimizer\": {\"lr\": \"abc\"}}",
           "optimizer.lr: expected a number, got a string (\"abc\")");
    EXPECT(*state, "{\"train\": {\"shuffle\": 1}}",
           "train.shuffle: expected true or false, got a number (1)");
    EXPECT(*state, "{\"train\": {\"epochs\": \"10\"}}",
           "train.epochs: expected an integer, got a string (\"10\")");
    EXPECT(*state, "{\"data\": {\"train_files\": 3}}",
           "data.train_files: expected a list of strings, got a number (3)");
    EXPECT(*state, "{\"data\": {\"train_files\": [\"a.bin\", 2]}}",
           "data.train_files[1]: expected a string, got a number (2)");
    EXPECT(*state, "{\"data\": {\"dir\": null}}", "data.dir: expected a string, got null");
    EXPECT(*state, "{\"model\": {\"init_weights\": 3}}",
           "model.init_weights: expected a string or null, got a number (3)");
    EXPECT(*state, "{\"model\": {\"loss\": {}}}", "model.loss: expected a string, got an object");
    EXPECT(*state, "{\"regularization\": {\"lambda\": true}}",
           "regularization.lambda: expected a number, got true");
}

/* ---- ranges and strings ------------------------------------------------------------- */

static void test_ranges(void **state)
{
    EXPECT(*state, "{\"optimizer\": {\"lr\": 0}}", "optimizer.lr: must be > 0, got 0");
    EXPECT(*state, "{\"optimizer\": {\"lr\": -1}}", "optimizer.lr: must be > 0, got -1");
    EXPECT(*state, "{\"train\": {\"epochs\": 0}}",
           "train.epochs: must be an integer in [1, 1000000000], got 0");
    EXPECT(*state, "{\"train\": {\"epochs\": 2.5}}",
           "train.epochs: must be an integer in [1, 1000000000], got 2.5");
    EXPECT(*state, "{\"data\": {\"val_size\": -1}}",
           "data.val_size: must be an integer >= 0, got -1");
    EXPECT(*state, "{\"train\": {\"seed\": -1}}",
           "train.seed: must be an integer in [0, 9007199254740992], got -1");
    EXPECT(*state, "{\"train\": {\"threads\": 5000}}",
           "train.threads: must be an integer in [0, 1024], got 5000");
    EXPECT(*state, "{\"regularization\": {\"lambda\": -0.5}}",
           "regularization.lambda: must be >= 0, got -0.5");
    EXPECT(*state, "{\"train\": {\"batch_size\": 1e300}}", "train.batch_size: must be an integer",
           "2^53");
    EXPECT(*state, "{\"optimizer\": {\"lr\": 1e999}}",
           "optimizer.lr: must be a finite number, got inf");

    /* The bounds themselves are valid. */
    lt_config cfg;
    load_ok(*state,
            "{\"train\": {\"epochs\": 1, \"seed\": 9007199254740992, \"threads\": 1024, "
            "\"batch_size\": 0}, \"data\": {\"val_size\": 0}, \"regularization\": {\"lambda\": 0}}",
            NULL, 0, &cfg);
    assert_int_equal(cfg.train.epochs, 1);
    assert_true(cfg.train.seed == 9007199254740992LL);
    assert_int_equal(cfg.train.threads, 1024);
    assert_int_equal(cfg.train.batch_size, 0);
    lt_config_free(&cfg);
}

static void test_empty_strings(void **state)
{
    EXPECT(*state, "{\"data\": {\"dir\": \"\"}}", "data.dir: must not be empty");
    EXPECT(*state, "{\"data\": {\"train_files\": []}}", "data.train_files: must not be empty");
    EXPECT(*state, "{\"data\": {\"train_files\": [\"a.bin\", \"\"]}}",
           "data.train_files[1]: must not be empty");
    EXPECT(*state, "{\"output\": {\"dir\": \"\"}}", "output.dir: must not be empty");
    EXPECT(*state, "{\"model\": {\"init_bias\": \"\"}}", "model.init_bias: must not be empty",
           "use null");

    lt_config cfg;
    load_ok(*state, "{\"data\": {\"test_file\": \"\"}}", NULL, 0, &cfg);
    assert_string_equal(cfg.data.test_file, "");
    lt_config_free(&cfg);
}

/* The expected "choices: a, b" list of a module's name table. */
static void choices_of(const char *(*name_at)(size_t), char *buf, size_t cap)
{
    size_t used = (size_t)snprintf(buf, cap, "choices: ");
    for (size_t i = 0; name_at(i); i++) {
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", name_at(i));
    }
    snprintf(buf + used, cap - used, ")");
}

static void test_unknown_names(void **state)
{
    char choices[512], msg[1024];
    choices_of(lt_loss_name_at, choices, sizeof choices);
    EXPECT(*state, "{\"model\": {\"loss\": \"softmx\"}}",
           "model.loss: unknown \"softmx\" (did you mean \"softmax\"? choices: ", choices);
    EXPECT(*state, "{\"model\": {\"init\": \"gausian\"}}",
           "model.init: unknown \"gausian\" (did you mean \"gaussian\"? choices: gaussian, zeros)");
    EXPECT(*state, "{\"regularization\": {\"type\": \"L2\"}}",
           "regularization.type: unknown \"L2\"",
           "did you mean \"l2\"");
    EXPECT(*state, "{\"data\": {\"preprocess\": \"mean\"}}", "data.preprocess: unknown \"mean\"");
    EXPECT(*state, "{\"schedule\": {\"name\": \"cosine_annealing_warm\"}}",
           "schedule.name: unknown \"cosine_annealing_warm\"");

    choices_of(lt_optim_name_at, choices, sizeof choices);
    expect_error(*state, "{\"optimizer\": {\"name\": \"zzz\"}}", NULL, 0, msg,
                 "optimizer.name: unknown \"zzz\" (choices: ", choices, NULL);
    assert_null(strstr(msg, "did you mean"));
}

/* ---- the file itself ------------------------------------------------------------------ */

static void test_invalid_json_position(void **state)
{
    /* The position is the mistake's, not where cJSON stopped (column 12, past "tru"). */
    EXPECT(*state, "{\n  \"train\": {\"epochs\": 1},\n  \"model\": tru\n}",
           "config.json: invalid JSON at line 3, column 12 (byte 39): bare word \"tru\"",
           "\n    3 |   \"model\": tru\n      |            ^");
    EXPECT(*state, "{\n  \"train\": {\"epochs\": 1},\n  oops\n}",
           "invalid JSON at line 3, column 3 (byte 30): bare word \"oops\" where a key");
    EXPECT(*state, "{} x", "invalid JSON at line 1, column 4 (byte 3): more text after the end");
    EXPECT(*state, "{\"a\": 1,}", "invalid JSON at line 1, column 8 (byte 7): trailing comma");
    EXPECT(*state, "   \n", "invalid JSON at line 2, column 1 (byte 4): no JSON value");
}

/* Each mistake of a hand-written config is named, with its line, column and caret. */
static void test_invalid_json_named(void **state)
{
    static const struct {
        const char *json, *where, *why, *excerpt;
    } cases[] = {
        {"{\n  \"train\": {\"epochs\": 5,}\n}", "line 2, column 24 (byte 25)",
         "trailing comma before \"}\": JSON allows none",
         "    2 |   \"train\": {\"epochs\": 5,}\n      |                        ^"},
        {"{\"data\": {\"train_files\": [\"a\", \"b\",]}}", "line 1, column 35 (byte 34)",
         "trailing comma before \"]\"", "^"},
        {"{\n  \"train\": {\"epochs\": 5}\n  \"model\": {}\n}", "line 2, column 25 (byte 26)",
         "missing comma between this value and the next key",
         "    2 |   \"train\": {\"epochs\": 5}\n      |                         ^"},
        {"{\"data\": {\"train_files\": [\"a\" \"b\"]}}", "line 1, column 30 (byte 29)",
         "missing comma between this value and the next item", "^"},
        {"{\"train\" {\"epochs\": 5}}", "line 1, column 9 (byte 8)",
         "missing colon after the key", "    1 | {\"train\" {\"epochs\": 5}}\n      |         ^"},
        {"{\n  // the run\n  \"train\": {}\n}", "line 2, column 3 (byte 4)",
         "a // comment: JSON has no comments", "    2 |   // the run\n      |   ^"},
        {"{\"train\": {\"epochs\": /* five */ 5}}", "line 1, column 22 (byte 21)",
         "a /* */ comment: JSON has no comments", "^"},
        {"{\"data\": {\"dir\": \"data/x}}\n", "line 1, column 18 (byte 17)",
         "unterminated string: no closing \" on its line", "^"},
        {"{'train': {}}", "line 1, column 2 (byte 1)",
         "single quotes: JSON strings take double quotes", "    1 | {'train': {}}\n      |  ^"},
        {"{\"model\": {\"loss\": svm}}", "line 1, column 20 (byte 19)",
         "bare word \"svm\" where a value should be", "^"},
        {"{\"train\": {\"shuffle\": True}}", "line 1, column 23 (byte 22)",
         "bare word \"True\"", "^"},
        {"{\"train\": {\"epochs\": 5}", "line 1, column 24 (byte 23)", "the file ends", "^"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char where[128];
        snprintf(where, sizeof where, "config.json: invalid JSON at %s", cases[i].where);
        EXPECT(*state, cases[i].json, where, cases[i].why, cases[i].excerpt);
    }
}

/* The diagnoser alone: valid JSON finds nothing, and positions are byte offsets. */
static void test_json_diagnoser(void **state)
{
    (void)state;
    char why[256], excerpt[512];
    size_t at = 99;
    const char *valid[] = {"{}", " [1, -2.5e3, true, false, null, \"a\\\"b\\u00e9\"] ",
                           "{\"a\": {\"b\": [[], {}]}}\n", "0", "\"x\""};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        assert_false(lt_json_diag_diagnose(valid[i], strlen(valid[i]), &at, why, sizeof why));
    }
    const char *t = "{\"a\": 1,\n \"b\": 2,\n}";
    assert_true(lt_json_diag_diagnose(t, strlen(t), &at, why, sizeof why));
    assert_int_equal(at, 16);
    assert_has(why, "trailing comma");
    size_t line, col;
    lt_json_diag_position(t, at, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 8);
    lt_json_diag_excerpt(t, strlen(t), at, excerpt, sizeof excerpt);
    assert_string_equal(excerpt, "    2 |  \"b\": 2,\n      |        ^");
    t = "{\"a\": \"x\\qy\"}";
    assert_true(lt_json_diag_diagnose(t, strlen(t), &at, why, sizeof why));
    assert_has(why, "invalid escape");
    t = "{\"a\": 1.}";
    assert_true(lt_json_diag_diagnose(t, strlen(t), &at, why, sizeof why));
    assert_has(why, "invalid number \"1.\"");
    /* A tab before the column is kept in the caret line, so the caret lines up. */
    t = "{\n\t\"a\" 1}";
    assert_true(lt_json_diag_diagnose(t, strlen(t), &at, why, sizeof why));
    lt_json_diag_excerpt(t, strlen(t), at, excerpt, sizeof excerpt);
    assert_string_equal(excerpt, "    2 | \t\"a\" 1}\n      | \t   ^");
    /* A long line shows a window around the column. */
    char longline[300];
    memset(longline, ' ', sizeof longline);
    longline[0] = '{';
    memcpy(longline + 200, "x}", 3);
    assert_true(lt_json_diag_diagnose(longline, strlen(longline), &at, why, sizeof why));
    assert_int_equal(at, 200);
    lt_json_diag_excerpt(longline, strlen(longline), at, excerpt, sizeof excerpt);
    assert_non_null(strstr(excerpt, "| ...  "));
    assert_true(strlen(excerpt) < 200);
}

static void test_file_errors(void **state)
{
    const char *dir = *state;
    EXPECT(dir, "", "config.json: empty file");
    EXPECT(dir, "[1, 2]", "config.json: the top level must be a JSON object, got a list");
    EXPECT(dir, "\"x\"", "the top level must be a JSON object, got a string");

    /* A NUL byte: cJSON would stop there and accept the "{}" before it. */
    char *path = tu_join(dir, "nul.json");
    tu_write_file(path, "{}\0{", 4);
    lt_config cfg;
    lt_error err = {{0}};
    assert_int_equal(lt_config_load(&cfg, path, NULL, 0, &err), LT_ECONFIG);
    assert_has(err.msg, "invalid JSON at line 1, column 3 (byte 2): a NUL byte");
    free(path);

    assert_int_equal(lt_config_load(&cfg, dir, NULL, 0, &err), LT_ECONFIG);
    assert_has(err.msg, dir);
    assert_has(err.msg, "is a directory");
    assert_empty_config(&cfg);

    path = tu_join(dir, "missing.json");
    assert_int_equal(lt_config_load(&cfg, path, NULL, 0, &err), LT_ECONFIG);
    assert_has(err.msg, "missing.json: cannot open: No such file or directory");
    assert_empty_config(&cfg);
    free(path);

    /* Past the size cap, even when the content would be fine. */
    size_t n = LT_JC_MAX_FILE_BYTES + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    path = tu_join(dir, "big.json");
    tu_write_file(path, big, n);
    assert_int_equal(lt_config_load(&cfg, path, NULL, 0, &err), LT_ECONFIG);
    assert_has(err.msg, "big.json: larger than 16 MiB");
    free(path);
    free(big);
}

static void test_duplicate_keys(void **state)
{
    EXPECT(*state, "{\"optimizer\": {\"lr\": 1e-3, \"lr\": 2e-3}}",
           "config.json: duplicate key \"optimizer.lr\"");
    EXPECT(*state, "{\"train\": {}, \"model\": {}, \"train\": {}}", "duplicate key \"train\"");

    /* A --set replaces the first and cannot hide the second. */
    const char *sets[] = {"optimizer.lr=0.5"};
    expect_error(*state, "{\"optimizer\": {\"lr\": 1e-3, \"lr\": -1}}", sets, 1, NULL,
                 "config.json: duplicate key \"optimizer.lr\"", NULL);
}

/* ---- --set ------------------------------------------------------------------------------ */

static void test_set_overrides(void **state)
{
    const char *sets[] = {
        "optimizer.lr=3e-4",
        "model.loss=svm",                               /* not JSON: a string */
        "model.init=\"zeros\"",                         /* JSON string */
        "data.train_files=[\"a.bin\", \"b.bin\"]",      /* JSON list */
        "train.shuffle=false",
        "train.epochs=3",                               /* "train" is not in the file */
        "train.epochs=4",                               /* the later one wins */
        "model.init_weights=w.npy",
        "model.init_bias=null",
        "data.test_file=",                              /* empty: the string "" */
    };
    lt_config cfg;
    load_ok(*state, "{\"model\": {\"loss\": \"softmax\", \"init_bias\": \"b.npy\"}}", sets,
            sizeof sets / sizeof sets[0], &cfg);
    assert_true(same_bits(cfg.optimizer.lr, 3e-4));
    assert_string_equal(cfg.model.loss, "svm");
    assert_string_equal(cfg.model.init, "zeros");
    assert_int_equal(cfg.data.train_files.n, 2);
    assert_string_equal(cfg.data.train_files.items[0], "a.bin");
    assert_string_equal(cfg.data.train_files.items[1], "b.bin");
    assert_false(cfg.train.shuffle);
    assert_int_equal(cfg.train.epochs, 4);
    assert_string_equal(cfg.model.init_weights, "w.npy");
    assert_null(cfg.model.init_bias);
    assert_string_equal(cfg.data.test_file, "");
    lt_config_free(&cfg);

    /* A whole section from one --set; its missing keys get their defaults. */
    const char *section[] = {"optimizer={\"lr\": 0.5}"};
    load_ok(*state, NULL, section, 1, &cfg);
    assert_true(cfg.optimizer.lr == 0.5);
    assert_string_equal(cfg.optimizer.name, "sgd");
    lt_config_free(&cfg);
}

static void test_set_errors(void **state)
{
    const char *dir = *state;
    const char *no_eq[] = {"optimizer.lr"};
    expect_error(dir, "{}", no_eq, 1, NULL, "--set \"optimizer.lr\": expected KEY.PATH=VALUE",
                 NULL);
    const char *empty[] = {"=1"};
    expect_error(dir, "{}", empty, 1, NULL, "--set \"=1\": empty key name", NULL);
    const char *empty_part[] = {"optimizer..lr=1"};
    expect_error(dir, "{}", empty_part, 1, NULL, "--set \"optimizer..lr=1\": empty key name", NULL);
    const char *trailing_dot[] = {"optimizer.=1"};
    expect_error(dir, "{}", trailing_dot, 1, NULL, "empty key name", NULL);

    const char *through_number[] = {"optimizer.lr.x=1"};
    expect_error(dir, "{\"optimizer\": {\"lr\": 1e-3}}", through_number, 1, NULL,
                 "--set \"optimizer.lr.x=1\": \"optimizer.lr\" is a number (0.001), not an object",
                 NULL);
    const char *through_string[] = {"model.loss.kind=svm"};
    expect_error(dir, "{\"model\": {\"loss\": \"svm\"}}", through_string, 1, NULL,
                 "\"model.loss\" is a string (\"svm\"), not an object", NULL);

    /* The second --set is bad; the first one is fine. */
    const char *second[] = {"train.epochs=2", "nonsense"};
    expect_error(dir, "{}", second, 2, NULL, "--set \"nonsense\"", NULL);
}

/* A value from a --set is blamed on that --set, a value from the file on the file. */
static void test_set_errors_name_their_source(void **state)
{
    char msg[1024];
    const char *typo[] = {"optimizer.lrr=1"};
    expect_error(*state, "{}", typo, 1, msg, NULL);
    assert_string_equal(msg, "--set \"optimizer.lrr=1\": unknown key \"optimizer.lrr\" "
                             "(did you mean \"optimizer.lr\"?)");

    const char *negative[] = {"optimizer.lr=-1"};
    expect_error(*state, "{}", negative, 1, msg, NULL);
    assert_string_equal(msg, "--set \"optimizer.lr=-1\": optimizer.lr: must be > 0, got -1");

    const char *whole[] = {"data={\"train_files\": [1]}"};
    expect_error(*state, "{}", whole, 1, msg, NULL);
    assert_starts(msg, "--set \"data={");
    assert_has(msg, "data.train_files[0]: expected a string, got a number (1)");

    const char *inf[] = {"optimizer.lr=1e999"};
    expect_error(*state, "{}", inf, 1, NULL, "--set \"optimizer.lr=1e999\"",
                 "must be a finite number",
                 NULL);

    const char *other[] = {"train.epochs=3"};
    char *path = tu_join(*state, "config.json");
    expect_error(*state, "{\"optimizer\": {\"lr\": -1}}", other, 1, msg, NULL);
    assert_starts(msg, path);
    assert_has(msg, "optimizer.lr: must be > 0, got -1");
    free(path);
}

/* --set runs before validation: it can repair a bad value of the file. */
static void test_set_fixes_file(void **state)
{
    const char *sets[] = {"optimizer.lr=0.01", "model.loss=svm"};
    lt_config cfg;
    load_ok(*state, "{\"optimizer\": {\"lr\": -1}, \"model\": {\"loss\": \"softmx\"}}", sets, 2,
            &cfg);
    assert_true(cfg.optimizer.lr == 0.01);
    assert_string_equal(cfg.model.loss, "svm");
    lt_config_free(&cfg);
}

/* ---- round trip --------------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    const char *sets[] = {"optimizer.lr=3e-4", "train.seed=9007199254740992"};
    lt_config a, b;
    load_ok(*state,
            "{\"data\": {\"train_files\": [\"data_batch_1.bin\", \"x y.bin\"], \"val_size\": 7},"
            " \"model\": {\"init_weights\": \"w.npy\"},"
            " \"regularization\": {\"lambda\": 0.30000000000000004, \"beta\": 1e-300}}",
            sets, 2, &a);
    char *first = lt_config_to_json(&a);
    assert_non_null(first);
    size_t n = strlen(first);
    assert_true(n > 0 && first[n - 1] == '\n');

    char *path = put(*state, "resolved.json", first);
    lt_error err = {{0}};
    assert_int_equal(lt_config_load(&b, path, NULL, 0, &err), LT_OK);
    char *second = lt_config_to_json(&b);
    assert_non_null(second);
    assert_string_equal(first, second);

    /* Bit-exact numbers: cJSON's printer alone turns 0.1 + 0.2 into 0.3 and 2^53 into
     * 9.00719925474099e+15. */
    assert_true(same_bits(b.optimizer.lr, 3e-4));
    assert_true(same_bits(b.regularization.lambda, 0.1 + 0.2));
    assert_true(same_bits(b.regularization.beta, 1e-300));
    assert_true(b.train.seed == 9007199254740992LL);
    assert_string_equal(b.output.dir, "runs/config");  /* explicit now, not "runs/resolved" */
    assert_string_equal(b.data.train_files.items[1], "x y.bin");
    assert_string_equal(b.model.init_weights, "w.npy");
    assert_null(b.model.init_bias);
    assert_has(second, "\"lr\":\t0.0003");

    /* The default lr too. */
    lt_config c;
    load_ok(*state, "{}", NULL, 0, &c);
    char *third = lt_config_to_json(&c);
    assert_has(third, "\"lr\":\t3e-07");
    free(path);
    path = put(*state, "third.json", third);
    lt_config d;
    assert_int_equal(lt_config_load(&d, path, NULL, 0, &err), LT_OK);
    assert_true(same_bits(d.optimizer.lr, 3e-7));

    free(first);
    free(second);
    free(third);
    free(path);
    lt_config_free(&a);
    lt_config_free(&b);
    lt_config_free(&c);
    lt_config_free(&d);
}

static void test_free_is_safe(void **state)
{
    lt_config_free(NULL);

    lt_config cfg;
    memset(&cfg, 0, sizeof cfg);
    lt_config_free(&cfg);
    assert_null(lt_config_to_json(&cfg));
    assert_null(lt_config_to_json(NULL));

    /* After a failed load, twice. */
    char *path = put(*state, "bad.json", "{\"optimizer\": {\"lr\": 0}}");
    lt_error err = {{0}};
    assert_int_equal(lt_config_load(&cfg, path, NULL, 0, &err), LT_ECONFIG);
    lt_config_free(&cfg);
    lt_config_free(&cfg);
    assert_empty_config(&cfg);

    /* After a good one, twice: the first empties it. */
    assert_int_equal(lt_config_load(&cfg, NULL, NULL, 0, &err), LT_OK);
    lt_config_free(&cfg);
    assert_empty_config(&cfg);
    lt_config_free(&cfg);
    free(path);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_filled, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_defaults_without_file, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_output_dir_from_file_name, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_resolved_in_schema_order, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_unknown_keys, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_section_not_object, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_wrong_types, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_ranges, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_empty_strings, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_unknown_names, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_invalid_json_position, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_invalid_json_named, setup_dir, remove_dir),
        cmocka_unit_test(test_json_diagnoser),
        cmocka_unit_test_setup_teardown(test_file_errors, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_duplicate_keys, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_set_overrides, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_set_errors, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_set_errors_name_their_source, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_set_fixes_file, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_round_trip, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_free_is_safe, setup_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
