/* test_sweep_checks.c — what scripts/sweep checks before it writes anything (--set parsed
 * as lintrain parses it, every trial config through lintrain check, reruns into a folder
 * of another spec) and the picture it draws, sweep.png, with a pruned trial faked as the
 * Optuna worker records one. Runs from the repository root, against ./lintrain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"

static const char BASE[] = "{\"data\": {\"dir\": \"data/cifar-10-sample\", \"val_size\": 200},\n"
                           " \"train\": {\"epochs\": 3, \"batch_size\": 100, \"log_every\": 0}}\n";

static const char SPEC[] =
    "{\"grid\": {\"regularization.lambda\": [10, 100]},\n"
    " \"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-6]}}, \"trials\": 2}\n";

static int setup(void **state)
{
    tu_setup_tmp(state);
    tu_put("base.json", BASE);
    tu_put("spec.json", SPEC);
    return 0;
}

/* scripts/sweep with tu_tmp/base.json, tu_tmp/<spec>, the folder tu_tmp/<out>, extra. */
static int sweep(const char *spec, const char *out, const char *extra, char **output)
{
    return tu_runf(output, "scripts/sweep --config '%s/base.json' --spec '%s/%s' --out '%s/%s' %s",
                   tu_tmp, tu_tmp, spec, tu_tmp, out, extra);
}

/* Fails unless the sweep exits with rc and its output holds each of the NULL-ended
 * strings; returns the output (malloc'ed). */
static char *expect(int rc, const char *spec, const char *out, const char *extra, ...)
{
    char *text = NULL;
    int got = sweep(spec, out, extra, &text);
    if (got != rc) {
        fail_msg("sweep %s %s: exit %d, not %d:\n%s", spec, extra, got, rc, text);
    }
    va_list ap;
    va_start(ap, extra);
    for (const char *s; (s = va_arg(ap, const char *));) {
        if (!strstr(text, s)) {
            fail_msg("sweep %s %s: no \"%s\" in:\n%s", spec, extra, s, text);
        }
    }
    va_end(ap);
    return text;
}

/* What lintrain check resolves from a config file and --set options (output.dir set). */
static char *resolved(const char *config, const char *sets)
{
    char *out = NULL;
    int rc = tu_runf(&out, "./lintrain check --config '%s' --out /x %s 2>&1", config, sets);
    if (rc != 0) {
        fail_msg("lintrain check %s %s: exit %d\n%s", config, sets, rc, out);
    }
    return out;
}

/* Each trial config is the base with the --set values, read as lintrain reads them (a
 * JSON value, else the text; cJSON's lenient "1." and white space; null removes the key):
 * lintrain resolves the trial's config.json and base + the same --set to the same config. */
static void test_set_as_lintrain_reads_it(void **state)
{
    (void)state;
    const char *sets = "--set 'train.epochs= 2 ' --set data.preprocess=scale "
                       "--set model.init_scale=1. --set 'optimizer.name=\"momentum\"' "
                       "--set train.batch_size=null --set 'train.seed=[1]'";
    free(expect(2, "spec.json", "s0", sets, "train.seed: ", NULL));
    assert_false(tu_exists_in("s0", NULL));
    sets = "--set 'train.epochs= 2 ' --set data.preprocess=scale --set model.init_scale=1. "
           "--set 'optimizer.name=\"momentum\"' --set train.batch_size=null";
    free(expect(0, "spec.json", "s1", sets, "4 trials", NULL));
    cJSON *m = tu_load_json_in("s1", "sweep.json");
    cJSON *recorded = cJSON_GetObjectItem(m, "set");
    assert_int_equal(cJSON_GetArraySize(recorded), 5);
    assert_string_equal(cJSON_GetArrayItem(recorded, 0)->valuestring, "train.epochs= 2 ");
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(m, "trials"))
    {
        const cJSON *p = cJSON_GetObjectItem(t, "params");
        char path[4096], swept[256];
        snprintf(path, sizeof path, "%s/s1/trials/%s/trial_config.json", tu_tmp,
                 cJSON_GetObjectItem(t, "id")->valuestring);
        snprintf(swept, sizeof swept, "--set optimizer.lr=%.17g --set regularization.lambda=%.17g",
                 tu_json_number(p, "optimizer.lr"), tu_json_number(p, "regularization.lambda"));
        char *all = malloc(strlen(sets) + strlen(swept) + 2);
        sprintf(all, "%s %s", sets, swept);
        char base[4096];
        snprintf(base, sizeof base, "%s/base.json", tu_tmp);
        char *a = resolved(path, ""), *b = resolved(base, all);
        assert_string_equal(a, b);
        assert_non_null(strstr(a, "\"momentum\""));
        free(a);
        free(b);
        free(all);
    }
    cJSON_Delete(m);
    /* A key the spec sweeps, or one the sweep sets, cannot be --set. */
    free(expect(2, "spec.json", "s2", "--set optimizer.lr=1e-6",
                "--set optimizer.lr: optimizer.lr is also swept by the spec (random.optimizer.lr)",
                NULL));
    free(expect(2, "spec.json", "s2", "--set regularization={}", "also swept", NULL));
    free(expect(2, "spec.json", "s2", "--set train.threads=2", "set by the sweep", NULL));
    free(expect(2, "spec.json", "s2", "--set train", "expected KEY.PATH=VALUE", NULL));
    assert_false(tu_exists_in("s2", NULL));
}

/* A config lintrain refuses is a spec error before anything is written: a typo'd key
 * with lintrain's did-you-mean, a refused value of a grid, the end of a random range. */
static void test_trial_configs_checked(void **state)
{
    (void)state;
    tu_put("typo.json", "{\"random\": {\"optimizer.lrr\": {\"log_uniform\": [1e-7, 1e-6]}},"
                     " \"trials\": 20}");
    free(expect(2, "typo.json", "c1", "",
                "unknown key \"optimizer.lrr\" (did you mean \"optimizer.lr\"?)", NULL));
    tu_put("neg.json", "{\"grid\": {\"optimizer.lr\": [3e-7, -1, 1e-6]}}");
    free(expect(2, "neg.json", "c1", "", "optimizer.lr=-1: optimizer.lr: must be > 0, got -1",
                "(1 of 3 configs checked refused)", NULL));
    tu_put("range.json", "{\"random\": {\"optimizer.lr\": {\"uniform\": [-1, 1e-6]}},"
                      " \"trials\": 5}");
    free(expect(2, "range.json", "c1", "--slurm", "optimizer.lr=-1 (a corner", NULL));
    /* A --set typo too: every trial is refused, and one line says so. */
    free(expect(2, "spec.json", "c1", "--set train.epoch=2",
                "unknown key \"train.epoch\" (did you mean \"train.epochs\"?)",
                "(all 4 configs checked refused)", NULL));
    assert_false(tu_exists_in("c1", NULL));
    /* A trial that lintrain refuses when it runs (its config edited after the check) is
     * recorded as a config error, as before. */
    free(expect(0, "spec.json", "c2", "--slurm", NULL));
    cJSON *m = tu_load_json_in("c2", "sweep.json");
    const char *id =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "trials"), 0), "id")
            ->valuestring;
    char path[4096];
    snprintf(path, sizeof path, "%s/c2/trials/%s/trial_config.json", tu_tmp, id);
    cJSON *c = tu_load_json(path);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(c, "optimizer"), "lr", cJSON_CreateNumber(-1));
    char *text = cJSON_Print(c);
    tu_write_file(path, text, strlen(text));
    free(text);
    cJSON_Delete(c);
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "scripts/sweep --trial '%s/c2/trials/%s'", tu_tmp, id), 0);
    assert_non_null(strstr(out, "config_error"));
    free(out);
    cJSON_Delete(m);
}

/* Reruns into a sweep folder: another spec, base or --set is refused key by key and
 * leaves the folder as it was; added grid values and trials keep every trial id; a new
 * metric only ranks again; --force replaces the spec. */
static void test_rerun_guard(void **state)
{
    (void)state;
    free(expect(0, "spec.json", "g", "--slurm", "4 trials", NULL));
    char *path = tu_path_in("g", "sweep.json");
    char *before = tu_read_file(path, NULL);
    tu_put("s.json", "{\"grid\": {\"regularization.lambda\": [10, 1000]},\n"
                  " \"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-6]}},"
                  " \"trials\": 2, \"seed\": 1}\n");
    free(expect(2, "s.json", "g", "--slurm", "holds a sweep of another spec",
                "spec grid.regularization.lambda: was [10, 100], now [10, 1000]",
                "spec seed: was 0, now 1", NULL));
    free(expect(2, "spec.json", "g", "--slurm --set train.epochs=2",
                "--set train.epochs: was absent, now 2", NULL));
    tu_put("base.json", "{\"data\": {\"dir\": \"data/cifar-10-sample\", \"val_size\": 200},\n"
                     " \"train\": {\"epochs\": 4, \"batch_size\": 100, \"log_every\": 0}}\n");
    free(expect(2, "spec.json", "g", "--slurm", "base config train.epochs: was 3, now 4", NULL));
    tu_put("base.json", BASE);
    char *after = tu_read_file(path, NULL);
    assert_string_equal(before, after);
    free(after);

    tu_put("more.json", "{\"grid\": {\"regularization.lambda\": [1000, 10, 100]},\n"
                     " \"random\": {\"optimizer.lr\": {\"log_uniform\": [1e-7, 1e-6]}},"
                     " \"trials\": 3, \"metric\": \"val_data_loss\", \"mode\": \"min\"}\n");
    free(expect(0, "more.json", "g", "--slurm", "9 trials",
                "grid.regularization.lambda: adds [1000]",
                "trials: 2 -> 3", "metric: was \"val_acc\", now \"val_data_loss\"", NULL));
    cJSON *old = cJSON_Parse(before), *now = tu_load_json(path);
    const cJSON *a, *b;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(old, "trials"))
    {
        int found = 0;
        cJSON_ArrayForEach(b, cJSON_GetObjectItem(now, "trials"))
        {
            found += cJSON_Compare(a, b, 1);
        }
        assert_int_equal(found, 1);
    }
    cJSON_Delete(now);
    free(expect(2, "spec.json", "g", "--slurm", "trials: was 3, now 2", NULL));
    free(expect(0, "s.json", "g", "--slurm --force", "--force: spec seed: was 0, now 1", NULL));
    now = tu_load_json(path);
    assert_int_equal((int)tu_json_number(cJSON_GetObjectItem(now, "spec"), "seed"), 1);
    cJSON_Delete(now);
    cJSON_Delete(old);
    free(before);
    free(path);
}

/* Lines of tu_tmp/dir/file that are not blank. */
static int count_lines(const char *dir, const char *file)
{
    char *path = tu_path_in(dir, file);
    char *text = tu_read_file(path, NULL);
    if (!text) {
        fail_msg("%s: missing", path);
    }
    int n = 0;
    for (char *p = text; *p; p++) {
        n += *p == '\n' && p > text && p[-1] != '\n';
    }
    free(text);
    free(path);
    return n;
}

/* sweep.png after a sweep and after scripts/leaderboard, a real PNG; a trial faked as
 * pruned at epoch 1 (as the Optuna worker leaves one: metrics.jsonl cut short, no
 * summary.json, status.json "pruned") is drawn as a pruned point and a curve of one
 * epoch ending in a cross: a gnuplot that keeps its script and data files shows what
 * was drawn. Without gnuplot: one line, no picture, exit 0. */
static void test_sweep_png(void **state)
{
    (void)state;
    free(expect(0, "spec.json", "p", "--jobs 2", "wrote ", "sweep.png", NULL));
    char *png = tu_path_in("p", "sweep.png");
    assert_true(tu_is_png(png));
    cJSON *m = tu_load_json_in("p", "sweep.json");
    const char *id =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "trials"), 1), "id")
            ->valuestring;
    char *out = NULL;
    assert_int_equal(tu_runf(&out,
                             "cd '%s/p/trials/%s' && rm summary.json && grep -v "
                             "'\"type\":\"epoch\",\"step\":[0-9]*,\"epoch\":[23],' metrics.jsonl "
                             "> m && mv m metrics.jsonl && echo '{\"status\": \"pruned\", "
                             "\"epoch\": 1}' > status.json",
                             tu_tmp, id),
                     0);
    free(out);
    tu_put("spy", "#!/bin/sh\nd=$(dirname \"$0\")/spied\nmkdir -p \"$d\"\n"
               "tee \"$d/plot.gp\" | gnuplot || exit 1\n"
               "for f in $(grep -o \"/[^' ]*sweep-plot-[^/]*/[a-z_]*\\.tsv\" \"$d/plot.gp\"); do "
               "cp \"$f\" \"$d/\"; done\n");
    assert_int_equal(tu_runf(&out, "chmod +x '%s/spy' && rm '%s' && LINTRAIN_GNUPLOT='%s/spy' "
                                   "scripts/leaderboard '%s/p'",
                             tu_tmp, png, tu_tmp, tu_tmp),
                     0);
    assert_non_null(strstr(out, "3 ok, 1 pruned"));
    free(out);
    assert_true(tu_is_png(png));
    assert_int_equal(count_lines("spied", "pts_ok.tsv"), 3);
    assert_int_equal(count_lines("spied", "pts_pruned.tsv"), 1);
    assert_int_equal(count_lines("spied", "curve_ok.tsv"), 3 * 3);
    assert_int_equal(count_lines("spied", "curve_pruned.tsv"), 1);
    char *ends = tu_path_in("spied", "curve_ends.tsv");
    char *text = tu_read_file(ends, NULL);
    assert_true(strncmp(text, "1 ", 2) == 0); /* the cross at epoch 1 */
    free(text);
    free(ends);
    char *gp = tu_path_in("spied", "plot.gp");
    text = tu_read_file(gp, NULL);
    assert_non_null(strstr(text, "curve_pruned.tsv' using 1:2:3 with lines lw 2 dt 2"));
    assert_non_null(strstr(text, "set logscale")); /* optimizer.lr: log_uniform */
    free(text);
    free(gp);
    /* No gnuplot: one line says so; the leaderboard is written all the same. */
    assert_int_equal(tu_runf(&out, "rm '%s' && LINTRAIN_GNUPLOT=/nonexistent/gnuplot "
                                   "scripts/leaderboard '%s/p'",
                             png, tu_tmp),
                     0);
    assert_non_null(strstr(out, "gnuplot not found"));
    assert_null(strstr(strstr(out, "gnuplot not found"), "\nsweep:"));
    assert_false(access(png, F_OK) == 0);
    free(out);
    free(png);
    cJSON_Delete(m);
}

/* The specs of configs/sweeps/ are valid (every trial config passes lintrain check, on
 * the sample: the full set may be absent) and expand to the trials the README says. */
static void test_shipped_specs(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        const char *trials;
    } shipped[] = {
        {"cs231n_softmax.json", "20 trials"},
        {"cs231n_svm.json", "20 trials"},
        {"optimizer_schedule.json", "48 trials"},
        {"softmax_fine.json", "6 trials"},
        {"softmax_5k_random.json", "16 trials"},
    };
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        char cmd[8192], spec[4096], *out = NULL;
        snprintf(spec, sizeof spec, "configs/sweeps/%s", shipped[i].spec);
        tu_spec_for_sample(spec, sizeof spec);
        snprintf(cmd, sizeof cmd,
                 "scripts/sweep --config configs/softmax_sgd.json --spec %s "
                 "--out '%s/shipped%zu' --slurm --set data.dir=data/cifar-10-sample "
                 "--set data.val_size=200",
                 spec, tu_tmp, i);
        int rc = tu_run(cmd, &out);
        if (rc != 0 || !strstr(out, shipped[i].trials)) {
            fail_msg("%s: exit %d:\n%s", shipped[i].spec, rc, out);
        }
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_as_lintrain_reads_it),
        cmocka_unit_test(test_trial_configs_checked),
        cmocka_unit_test(test_rerun_guard),
        cmocka_unit_test(test_sweep_png),
        cmocka_unit_test(test_shipped_specs),
    };
    return cmocka_run_group_tests(tests, setup, tu_teardown_tmp);
}
