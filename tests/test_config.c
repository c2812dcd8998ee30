/* test_config.c — lt_config: defaults, every class of config error, --set overrides,
 * and the resolved JSON's round trip; the engine of jsonconf.h with key tables of its
 * own ("only for" keys, conditional sections, number lists, mistakes of a table); the
 * schema's rules and defaults derived from the optimizer table. */
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

#include "testutil.h"

#include "lintrain/config.h"
#include "lintrain/json_diag.h"
#include "lintrain/jsonconf.h"
#include "lintrain/loss.h"
#include "lintrain/optim.h"
#include "lintrain/suggest.h"

/* The value at the dotted path of a resolved tree, or NULL. */
static cJSON *tree_get(void *resolved, const char *path, size_t len)
{
    cJSON *v = resolved;
    const char *p = path, *end = path + len;
    while (v && p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        cJSON *m = NULL;
        for (cJSON *c = cJSON_IsObject(v) ? v->child : NULL; c && !m; c = c->next) {
            m = strlen(c->string) == n && strncmp(c->string, p, n) == 0 ? c : NULL;
        }
        v = m;
        p += n + 1;
    }
    return v;
}

/* ---- helpers --------------------------------------------------------------------- */

static int setup_dir(void **state)
{
    *state = tu_mkdtemp();
    return 0;
}

static int remove_dir(void **state)
{
    tu_rmtree(*state);
    free(*state);
    return 0;
}

/* Writes text to dir/name; returns the path (free it). */
static char *put(const char *dir, const char *name, const char *text)
{
    char *path = tu_join(dir, name);
    tu_write_file(path, text, strlen(text));
    return path;
}

/* Fails the test, showing msg, unless msg contains needle. */
static void assert_has(const char *msg, const char *needle)
{
    if (!strstr(msg, needle)) {
        print_error("message:  %s\nexpected: ...%s...\n", msg, needle);
        fail();
    }
}

static void assert_starts(const char *msg, const char *prefix)
{
    if (strncmp(msg, prefix, strlen(prefix)) != 0) {
        print_error("message:  %s\nexpected to start with: %s\n", msg, prefix);
        fail();
    }
}

static void assert_empty_config(const lt_config *cfg)
{
    lt_config zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(cfg, &zero, sizeof zero);
}

/* Loads json from dir/config.json (json NULL: no file) with sets; the load must succeed. */
static void load_ok(const char *dir, const char *json, const char *const *sets, size_t n_sets,
                    lt_config *cfg)
{
    char *path = json ? put(dir, "config.json", json) : NULL;
    lt_error err = {{0}};
    lt_status st = lt_config_load(cfg, path, sets, n_sets, &err);
    if (st != LT_OK) {
        print_error("unexpected failure: %s\n", err.msg);
    }
    assert_int_equal(st, LT_OK);
    assert_non_null(cfg->resolved);
    free(path);
}

/* Loads json from dir/config.json with sets: it must fail with LT_ECONFIG, leave the
 * config empty, and give one line that contains each needle (a NULL-ended list). The
 * message is copied to msg_out when non-NULL. */
static void expect_error(const char *dir, const char *json, const char *const *sets,
                         size_t n_sets, char *msg_out, ...)
{
    char *path = put(dir, "config.json", json);
    lt_config cfg;
    lt_error err = {{0}};
    memset(&cfg, 0xab, sizeof cfg);  /* the load must empty it, whatever it held */
    lt_status st = lt_config_load(&cfg, path, sets, n_sets, &err);
    if (st != LT_ECONFIG) {
        print_error("status %d, message: %s\n", (int)st, err.msg);
    }
    assert_int_equal(st, LT_ECONFIG);
    assert_empty_config(&cfg);
    /* One line; a JSON syntax error adds the file's line and a caret under it. */
    const char *nl = strchr(err.msg, '\n');
    if (strstr(err.msg, "invalid JSON")) {
        assert_non_null(nl);
        assert_non_null(strchr(nl + 1, '\n'));
        assert_null(strchr(strchr(nl + 1, '\n') + 1, '\n'));
    } else {
        assert_null(nl);
    }
    va_list ap;
    va_start(ap, msg_out);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;) {
        assert_has(err.msg, needle);
    }
    va_end(ap);
    if (msg_out) {
        memcpy(msg_out, err.msg, sizeof err.msg);
    }
    lt_config_free(&cfg);
    free(path);
}

/* The same without --set. */
#define EXPECT(dir, json, ...) expect_error((dir), (json), NULL, 0, NULL, __VA_ARGS__, NULL)

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

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
    EXPECT(*state, "{\"data\": {\"val_size\": -1}}", "data.val_size: must be an integer >= 0, got -1");
    EXPECT(*state, "{\"train\": {\"seed\": -1}}",
           "train.seed: must be an integer in [0, 9007199254740992], got -1");
    EXPECT(*state, "{\"train\": {\"threads\": 5000}}",
           "train.threads: must be an integer in [0, 1024], got 5000");
    EXPECT(*state, "{\"regularization\": {\"lambda\": -0.5}}",
           "regularization.lambda: must be >= 0, got -0.5");
    EXPECT(*state, "{\"train\": {\"batch_size\": 1e300}}", "train.batch_size: must be an integer",
           "2^53");
    EXPECT(*state, "{\"optimizer\": {\"lr\": 1e999}}", "optimizer.lr: must be a finite number, got inf");

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
    EXPECT(*state, "{\"regularization\": {\"type\": \"L2\"}}", "regularization.type: unknown \"L2\"",
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
        {"{\"train\": {\"shuffle\": True}}", "line 1, column 23 (byte 22)", "bare word \"True\"", "^"},
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
        assert_false(lt_json_diagnose(valid[i], strlen(valid[i]), &at, why, sizeof why));
    }
    const char *t = "{\"a\": 1,\n \"b\": 2,\n}";
    assert_true(lt_json_diagnose(t, strlen(t), &at, why, sizeof why));
    assert_int_equal(at, 16);
    assert_has(why, "trailing comma");
    size_t line, col;
    lt_json_position(t, at, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 8);
    lt_json_excerpt(t, strlen(t), at, excerpt, sizeof excerpt);
    assert_string_equal(excerpt, "    2 |  \"b\": 2,\n      |        ^");
    t = "{\"a\": \"x\\qy\"}";
    assert_true(lt_json_diagnose(t, strlen(t), &at, why, sizeof why));
    assert_has(why, "invalid escape");
    t = "{\"a\": 1.}";
    assert_true(lt_json_diagnose(t, strlen(t), &at, why, sizeof why));
    assert_has(why, "invalid number \"1.\"");
    /* A tab before the column is kept in the caret line, so the caret lines up. */
    t = "{\n\t\"a\" 1}";
    assert_true(lt_json_diagnose(t, strlen(t), &at, why, sizeof why));
    lt_json_excerpt(t, strlen(t), at, excerpt, sizeof excerpt);
    assert_string_equal(excerpt, "    2 | \t\"a\" 1}\n      | \t   ^");
    /* A long line shows a window around the column. */
    char longline[300];
    memset(longline, ' ', sizeof longline);
    longline[0] = '{';
    memcpy(longline + 200, "x}", 3);
    assert_true(lt_json_diagnose(longline, strlen(longline), &at, why, sizeof why));
    assert_int_equal(at, 200);
    lt_json_excerpt(longline, strlen(longline), at, excerpt, sizeof excerpt);
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
    expect_error(dir, "{}", no_eq, 1, NULL, "--set \"optimizer.lr\": expected KEY.PATH=VALUE", NULL);
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
    expect_error(*state, "{}", inf, 1, NULL, "--set \"optimizer.lr=1e999\"", "must be a finite number",
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

/* ---- optimizer and schedule keys ------------------------------------------------------------ */

/* Loads with sets only; fails the test unless it loads. */
static void load_sets(const char *const *sets, size_t n, lt_config *cfg)
{
    lt_error err = {{0}};
    lt_status st = lt_config_load(cfg, NULL, sets, n, &err);
    if (st != LT_OK) {
        print_error("unexpected failure: %s\n", err.msg);
    }
    assert_int_equal(st, LT_OK);
}

static bool resolved_has(const lt_config *cfg, const char *path)
{
    return tree_get(cfg->resolved, path, strlen(path)) != NULL;
}

/* Each optimizer gets its own keys with their defaults, and only those. */
static void test_optimizer_keys(void **state)
{
    (void)state;
    lt_config cfg;
    const char *sgd[] = {"optimizer.name=sgd"};
    load_sets(sgd, 1, &cfg);
    assert_true(same_bits(cfg.optimizer.lr, 3e-7));
    assert_false(resolved_has(&cfg, "optimizer.rho"));
    assert_false(resolved_has(&cfg, "optimizer.eps"));
    assert_true(resolved_has(&cfg, "schedule.warmup_steps"));
    assert_false(resolved_has(&cfg, "schedule.unit"));  /* constant: no unit */
    lt_config_free(&cfg);

    const char *mom[] = {"optimizer.name=momentum"};
    load_sets(mom, 1, &cfg);
    assert_true(cfg.optimizer.rho == 0.9);
    assert_string_equal(cfg.optimizer.form, "standard");
    assert_true(same_bits(cfg.optimizer.lr, 3e-7));
    lt_config_free(&cfg);

    /* A key listed once per default: eps is the lecture's 1e-7 for AdaGrad... */
    const char *ada[] = {"optimizer.name=adagrad"};
    load_sets(ada, 1, &cfg);
    assert_true(same_bits(cfg.optimizer.eps, 1e-7));
    assert_true(same_bits(cfg.optimizer.lr, 1e-2));
    lt_config_free(&cfg);
    const char *rms[] = {"optimizer.name=rmsprop"};
    load_sets(rms, 1, &cfg);
    assert_true(cfg.optimizer.decay_rate == 0.99);
    assert_true(same_bits(cfg.optimizer.eps, 1e-7));
    lt_config_free(&cfg);
    /* ...and 1e-8 for Adam, whose other keys come too; a given value wins either way. */
    const char *adam[] = {"optimizer.name=adam"};
    load_sets(adam, 1, &cfg);
    assert_true(same_bits(cfg.optimizer.eps, 1e-8));
    assert_true(same_bits(cfg.optimizer.lr, 1e-3));
    assert_true(cfg.optimizer.beta1 == 0.9 && cfg.optimizer.beta2 == 0.999);
    assert_true(cfg.optimizer.bias_correction);
    assert_false(resolved_has(&cfg, "optimizer.weight_decay"));
    char *json = lt_config_to_json(&cfg);
    const char *first = strstr(json, "\"eps\"");
    assert_non_null(first);
    assert_null(strstr(first + 1, "\"eps\""));  /* listed once in config.json */
    free(json);
    lt_config_free(&cfg);
    const char *adam_eps[] = {"optimizer.name=adamw", "optimizer.eps=1e-6"};
    load_sets(adam_eps, 2, &cfg);
    assert_true(same_bits(cfg.optimizer.eps, 1e-6));
    assert_true(cfg.optimizer.weight_decay == 0.01);
    lt_config_free(&cfg);

    const char *lbfgs[] = {"optimizer.name=lbfgs", "train.batch_size=0"};
    load_sets(lbfgs, 2, &cfg);
    assert_true(cfg.optimizer.lr == 1.0);
    assert_int_equal(cfg.optimizer.history, 10);
    assert_int_equal(cfg.optimizer.max_iter, 20);
    assert_true(same_bits(cfg.optimizer.tolerance_grad, 1e-7));
    assert_true(same_bits(cfg.optimizer.tolerance_change, 1e-9));
    assert_false(resolved_has(&cfg, "schedule"));
    assert_null(cfg.schedule.name);
    assert_int_equal(cfg.train.epochs, 10);
    lt_config_free(&cfg);

    const char *rs[] = {"optimizer.name=random_search", "train.batch_size=0"};
    load_sets(rs, 2, &cfg);
    assert_int_equal(cfg.optimizer.trials, 1000);
    assert_true(same_bits(cfg.optimizer.init_scale, 1e-4));
    assert_false(resolved_has(&cfg, "optimizer.lr"));
    assert_false(resolved_has(&cfg, "train.epochs"));
    assert_false(resolved_has(&cfg, "schedule"));
    lt_config_free(&cfg);

    const char *step[] = {"schedule.name=step"};
    load_sets(step, 1, &cfg);
    assert_string_equal(cfg.schedule.unit, "epoch");
    assert_int_equal(cfg.schedule.milestones.n, 0);
    assert_true(cfg.schedule.gamma == 0.1);
    lt_config_free(&cfg);
}

/* A key given where it does not apply names every optimizer that uses it. */
static void test_optimizer_keys_not_used(void **state)
{
    EXPECT(*state, "{\"optimizer\": {\"rho\": 0.5}}",
           "optimizer.rho: not used by optimizer \"sgd\" (used by: momentum, nesterov)");
    EXPECT(*state, "{\"optimizer\": {\"name\": \"momentum\", \"eps\": 1e-8}}",
           "optimizer.eps: not used by optimizer \"momentum\" (used by: adagrad, rmsprop, adam, "
           "adamw)");
    EXPECT(*state,
           "{\"optimizer\": {\"name\": \"random_search\", \"lr\": 1}, \"train\": "
           "{\"batch_size\": 0}}",
           "optimizer.lr: not used by optimizer \"random_search\" (used by: sgd, momentum, "
           "nesterov, adagrad, rmsprop, adam, adamw, lbfgs)");
    EXPECT(*state,
           "{\"optimizer\": {\"name\": \"lbfgs\"}, \"schedule\": {\"name\": \"cosine\"}, "
           "\"train\": {\"batch_size\": 0}}",
           "schedule: not used by optimizer \"lbfgs\"");
    EXPECT(*state,
           "{\"optimizer\": {\"name\": \"random_search\"}, \"train\": {\"epochs\": 3, "
           "\"batch_size\": 0}}",
           "train.epochs: not used by optimizer \"random_search\"");
    EXPECT(*state, "{\"schedule\": {\"name\": \"cosine\", \"gamma\": 0.5}}",
           "schedule.gamma: not used by schedule \"cosine\" (used by: step)");
    EXPECT(*state, "{\"optimizer\": {\"name\": \"adam\", \"beta2\": 1}}",
           "optimizer.beta2: must be in [0, 1), got 1");
    EXPECT(*state, "{\"optimizer\": {\"name\": \"momentum\", \"form\": \"velocty\"}}",
           "optimizer.form: unknown \"velocty\" (did you mean \"velocity\"?");
    EXPECT(*state, "{\"schedule\": {\"name\": \"step\", \"milestones\": [3, -1]}}",
           "schedule.milestones[1]: must be >= 0, got -1");
    EXPECT(*state, "{\"schedule\": {\"name\": \"cosinus\"}}",
           "schedule.name: unknown \"cosinus\" (did you mean \"cosine\"?");
}

/* Rules between keys: L-BFGS and random search are full-batch; L-BFGS needs a smooth
 * penalty. A --set that fixes the file is enough. */
static void test_cross_field_rules(void **state)
{
    EXPECT(*state, "{\"optimizer\": {\"name\": \"lbfgs\"}, \"train\": {\"batch_size\": 256}}",
           "train.batch_size: optimizer \"lbfgs\" is full-batch and deterministic",
           "set it to 0 (full batch), got 256");
    EXPECT(*state, "{\"optimizer\": {\"name\": \"random_search\"}, \"train\": {\"batch_size\": 1}}",
           "train.batch_size: optimizer \"random_search\" scores each trial on the whole",
           "got 1");
    EXPECT(*state,
           "{\"optimizer\": {\"name\": \"lbfgs\"}, \"train\": {\"batch_size\": 0}, "
           "\"regularization\": {\"type\": \"l1\"}}",
           "regularization.type: \"l1\" is not differentiable", "use \"l2\" or \"none\"");
    EXPECT(*state,
           "{\"optimizer\": {\"name\": \"lbfgs\"}, \"train\": {\"batch_size\": 0}, "
           "\"regularization\": {\"type\": \"elastic_net\"}}",
           "regularization.type: \"elastic_net\" is not differentiable");
    const char *sets[] = {"optimizer.name=lbfgs"};
    expect_error(*state, "{\"train\": {\"batch_size\": 64}}", sets, 1, NULL,
                 "config.json: train.batch_size: optimizer \"lbfgs\"", NULL);
    lt_config cfg;
    const char *fixed[] = {"optimizer.name=lbfgs", "train.batch_size=0",
                           "regularization.type=l1", "regularization.lambda=0"};
    load_ok(*state, "{\"train\": {\"batch_size\": 64}}", fixed, 4, &cfg);
    lt_config_free(&cfg);
}

/* train.batch_size defaults to the full batch where the optimizer needs it. */
static void test_batch_size_follows_optimizer(void **state)
{
    lt_config cfg;
    load_ok(*state, "{\"optimizer\": {\"name\": \"random_search\", \"trials\": 50}}", NULL, 0,
            &cfg);
    assert_int_equal(cfg.train.batch_size, 0);
    assert_null(cfg.notes);
    lt_config_free(&cfg);
    load_ok(*state, "{\"optimizer\": {\"name\": \"lbfgs\"}}", NULL, 0, &cfg);
    assert_int_equal(cfg.train.batch_size, 0);
    lt_config_free(&cfg);
    const char *to_lbfgs[] = {"optimizer.name=lbfgs"};
    load_ok(*state, "{\"optimizer\": {\"name\": \"sgd\"}}", to_lbfgs, 1, &cfg);
    assert_int_equal(cfg.train.batch_size, 0);
    lt_config_free(&cfg);
    load_ok(*state, "{\"optimizer\": {\"name\": \"adam\"}}", NULL, 0, &cfg);
    assert_int_equal(cfg.train.batch_size, 256);
    lt_config_free(&cfg);
    /* An explicit value that conflicts is still refused, from the file or a --set. */
    const char *minibatch[] = {"train.batch_size=64"};
    expect_error(*state, "{\"optimizer\": {\"name\": \"random_search\"}}", minibatch, 1, NULL,
                 "--set \"train.batch_size=64\": train.batch_size: optimizer \"random_search\"",
                 NULL);
}

/* A --set that changes a choice drops the file's keys the new choice does not use. */
static void test_set_choice_drops_unused_keys(void **state)
{
    const char *momentum = "{\"optimizer\": {\"name\": \"momentum\", \"lr\": 1e-4, "
                           "\"rho\": 0.95, \"form\": \"velocity\"}}";
    const char *to_adam[] = {"optimizer.name=adam"};
    lt_config cfg;
    load_ok(*state, momentum, to_adam, 1, &cfg);
    assert_string_equal(cfg.notes, "optimizer.rho dropped: not used by adam\n"
                                   "optimizer.form dropped: not used by adam\n");
    assert_true(cfg.optimizer.lr == 1e-4);  /* adam uses lr: kept */
    assert_true(cfg.optimizer.beta1 == 0.9);
    char *json = lt_config_to_json(&cfg);
    assert_null(strstr(json, "rho"));
    assert_null(strstr(json, "velocity"));
    free(json);
    lt_config_free(&cfg);

    /* A key set explicitly for the new choice must be one it uses. */
    const char *explicit_rho[] = {"optimizer.name=adam", "optimizer.rho=0.5"};
    expect_error(*state, momentum, explicit_rho, 2, NULL,
                 "--set \"optimizer.rho=0.5\": optimizer.rho: not used by optimizer \"adam\"",
                 NULL);
    /* Without a --set of the choice, the file contradicts itself: still an error. */
    EXPECT(*state, "{\"optimizer\": {\"name\": \"adam\", \"rho\": 0.9}}",
           "optimizer.rho: not used by optimizer \"adam\"");

    /* A key listed once per default (lr) is dropped once; a section goes whole. */
    const char *to_search[] = {"optimizer.name=random_search"};
    load_ok(*state, "{\"optimizer\": {\"lr\": 0.1}, \"schedule\": {\"name\": \"cosine\"}}",
            to_search, 1, &cfg);
    assert_string_equal(cfg.notes, "optimizer.lr dropped: not used by random_search\n"
                                   "schedule dropped: not used by random_search\n");
    assert_null(cfg.schedule.name);
    assert_int_equal(cfg.train.batch_size, 0);
    lt_config_free(&cfg);
    const char *search_and_schedule[] = {"optimizer.name=random_search", "schedule.name=step"};
    expect_error(*state, "{}", search_and_schedule, 2, NULL, "schedule: not used by", NULL);

    /* schedule.name chooses too. */
    const char *to_cosine[] = {"schedule.name=cosine"};
    load_ok(*state, "{\"schedule\": {\"name\": \"step\", \"milestones\": [5], \"gamma\": 0.5}}",
            to_cosine, 1, &cfg);
    assert_string_equal(cfg.notes, "schedule.milestones dropped: not used by cosine\n"
                                   "schedule.gamma dropped: not used by cosine\n");
    assert_string_equal(cfg.schedule.unit, "epoch");
    lt_config_free(&cfg);
}

/* --set KEY=null removes the key: its default applies. */
static void test_set_null_removes_key(void **state)
{
    const char *file = "{\"optimizer\": {\"name\": \"adam\", \"lr\": 0.5}, "
                       "\"model\": {\"init_weights\": \"w.npy\"}}";
    const char *sets[] = {"optimizer.lr=null", "model.init_weights=null", "train.epochs=null",
                          "schedule=null"};
    lt_config cfg;
    load_ok(*state, file, sets, 4, &cfg);
    assert_true(cfg.optimizer.lr == 1e-3);
    assert_null(cfg.model.init_weights);
    assert_int_equal(cfg.train.epochs, 10);
    assert_string_equal(cfg.schedule.name, "constant");
    lt_config_free(&cfg);
    /* In a file, null is still a wrong type. */
    EXPECT(*state, "{\"optimizer\": {\"lr\": null}}", "optimizer.lr: expected a number, got null");
}

/* The resolved config of a run with optimizer and schedule keys loads back the same. */
static void test_round_trip_optimizer_keys(void **state)
{
    const char *sets[] = {"optimizer.name=adamw", "optimizer.lr=3e-4", "optimizer.beta2=0.98",
                          "optimizer.bias_correction=false", "schedule.name=step",
                          "schedule.milestones=[10, 15]", "schedule.unit=step",
                          "schedule.warmup_steps=100", "schedule.lr_scaling_base_batch=128"};
    lt_config a, b;
    load_ok(*state, "{}", sets, sizeof sets / sizeof sets[0], &a);
    char *json = lt_config_to_json(&a);
    load_ok(*state, json, NULL, 0, &b);
    char *again = lt_config_to_json(&b);
    assert_string_equal(json, again);
    assert_false(b.optimizer.bias_correction);
    assert_int_equal(b.schedule.milestones.n, 2);
    assert_true(b.schedule.milestones.items[1] == 15.0);
    assert_int_equal(b.schedule.lr_scaling_base_batch, 128);
    free(json);
    free(again);
    lt_config_free(&a);
    lt_config_free(&b);
}

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

/* engine_load of keys on json (NULL: no file) and sets; *tree is the resolved tree. */
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
    assert_has(err.msg, "opt.tags[1]: unknown \"slwo\" (did you mean \"slow\"? choices: fast, slow)");
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
    assert_int_equal(lt_edit_distance("kitten", 6, "sitting", 7), 3);
    assert_int_equal(lt_edit_distance("", 0, "abc", 3), 3);
    assert_int_equal(lt_edit_distance("lrr", 3, "lr", 2), 1);
    assert_int_equal(lt_edit_distance("optimiser", 9, "optimizer", 9), 1);
    assert_int_equal(lt_edit_distance("ab", 2, "ba", 2), 2);

    assert_true(lt_close_enough(1, "lrr", 2));
    assert_true(lt_close_enough(2, "epoch", 6));
    assert_false(lt_close_enough(2, "x", 2));           /* every character replaced */
    assert_true(lt_close_enough(3, "abcdefghi", 9));    /* 9/3 = 3 */
    assert_false(lt_close_enough(4, "abcdefghi", 9));
}

static void test_number_text(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(lt_jsonconf_number_text(0.1 + 0.2, buf, sizeof buf), "0.30000000000000004");
    assert_string_equal(lt_jsonconf_number_text(1e-7, buf, sizeof buf), "1e-07");
    assert_string_equal(lt_jsonconf_number_text(3e-4, buf, sizeof buf), "0.0003");
    assert_string_equal(lt_jsonconf_number_text(9007199254740992.0, buf, sizeof buf), "9007199254740992");
    assert_string_equal(lt_jsonconf_number_text(256, buf, sizeof buf), "256");
    assert_string_equal(lt_jsonconf_number_text(2.5e4, buf, sizeof buf), "25000");
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
        cmocka_unit_test_setup_teardown(test_optimizer_keys, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_optimizer_keys_not_used, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_cross_field_rules, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_batch_size_follows_optimizer, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_set_choice_drops_unused_keys, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_set_null_removes_key, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_round_trip_optimizer_keys, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_only_for, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_lists, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_schema_mistakes, setup_dir, remove_dir),
        cmocka_unit_test(test_edit_distance_and_suggestions),
        cmocka_unit_test(test_number_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
