/* test_reference.c — the config reference is generated from the schema and current:
 * docs/config.md and lintrain.1's key list are what make reference writes now; the
 * schema's per-optimizer rules and defaults are those of optim.c's table; a loaded
 * config resolves into the plain structs of the update rules and schedules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "lintrain/config.h"
#include "lintrain/config_doc.h"
#include "lintrain/jsonconf.h"
#include "lintrain/optim.h"
#include "lintrain/schedule.h"

/* What gen writes, as a string (free it). */
static char *generated(lt_status (*gen)(FILE *out, lt_error *err))
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    lt_error err = {{0}};
    if (gen(f, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void test_markdown_current(void **state)
{
    (void)state;
    char *want = generated(lt_config_doc_markdown);
    char *have = tu_read_file("docs/config.md", NULL);
    if (!have || strcmp(have, want) != 0) {
        fail_msg("docs/config.md is not what the schema gives: run make reference");
    }
    assert_non_null(strstr(want, "| `optimizer.rho` | number | 0.9 | in [0, 1) | "
                                 "optimizer.name: momentum, nesterov |"));
    free(want);
    free(have);
}

static void test_man_keys_current(void **state)
{
    (void)state;
    char *want = generated(lt_config_doc_man);
    char *man = tu_read_file("lintrain.1", NULL);
    assert_non_null(man);
    char *begin = strstr(man, "BEGIN KEYS");
    char *end = begin ? strstr(begin, ".\\\" END KEYS") : NULL;
    assert_non_null(end);
    begin = strchr(begin, '\n') + 1;
    *end = '\0';
    if (strcmp(begin, want) != 0) {
        fail_msg("lintrain.1's key list is not what the schema gives: run make reference");
    }
    free(want);
    free(man);
}

/* Whether the "|" list holds name. */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, "|");
        if (len == n && strncmp(p, name, n) == 0) {
            return 1;
        }
        p += len + (p[len] == '|');
    }
    return 0;
}

/* For every optimizer of the table: the keys of its entry are in its resolved config and
 * no other optimizer.* key is; the rate, eps and batch size default to its entry's. */
static void test_rules_from_optimizer_table(void **state)
{
    (void)state;
    size_t n_schema;
    const lt_jc_key *schema = lt_config_schema(&n_schema);
    const char *name;
    for (size_t i = 0; (name = lt_optim_name_at(i)) != NULL; i++) {
        const lt_optim_kind *kind = lt_optim_find(name);
        char set[64];
        snprintf(set, sizeof set, "optimizer.name=%s", name);
        const char *sets[] = {set};
        lt_config cfg;
        lt_error err = {{0}};
        if (lt_config_load(&cfg, NULL, sets, 1, &err) != LT_OK) {
            fail_msg("%s: %s", name, err.msg);
        }
        for (size_t k = 0; k < n_schema; k++) {
            const char *path = schema[k].path;
            if (strncmp(path, "optimizer.", 10) != 0 || strcmp(path, "optimizer.name") == 0) {
                continue;
            }
            const char *leaf = path + 10;
            int want = listed(kind->keys, leaf) || (strcmp(leaf, "lr") == 0 && kind->lr > 0) ||
                       (strcmp(leaf, "eps") == 0 && kind->eps > 0);
            if (lt_jsonconf_has(cfg.resolved, path) != (want != 0)) {
                fail_msg("%s: %s %s the resolved config", name, path,
                         want ? "missing from" : "wrongly in");
            }
        }
        assert_true(cfg.optimizer.lr == kind->lr);
        assert_true(cfg.optimizer.eps == kind->eps);
        assert_int_equal(cfg.train.batch_size, kind->full_batch ? 0 : 256);
        assert_int_equal(lt_jsonconf_has(cfg.resolved, "schedule"),
                         kind->family == LT_OPTIM_FIRST_ORDER);
        lt_config_free(&cfg);
    }
}

/* The strings of the config become enums and numbers once, at load. */
static void test_resolved_params(void **state)
{
    (void)state;
    const char *sets[] = {"optimizer.name=momentum", "optimizer.form=velocity",
                          "optimizer.rho=0.5", "optimizer.lr=0.25", "schedule.name=step",
                          "schedule.unit=step", "schedule.milestones=[3, 7]",
                          "schedule.gamma=0.5"};
    lt_config cfg;
    lt_error err = {{0}};
    assert_int_equal(lt_config_load(&cfg, NULL, sets, 8, &err), LT_OK);
    assert_int_equal(cfg.optim_params.form, LT_MOMENTUM_VELOCITY);
    assert_true(cfg.optim_params.rho == 0.5);
    const lt_schedule_spec *s = &cfg.schedule_spec;
    assert_ptr_equal(s->kind, lt_schedule_find("step"));
    assert_int_equal(s->unit, LT_SCHEDULE_BY_STEP);
    assert_true(s->lr == 0.25 && s->gamma == 0.5);
    assert_int_equal(s->n_milestones, 2);
    assert_true(s->milestones[1] == 7.0);
    /* Updates 0..2 at 0.25, 3..6 at 0.125, from 7 at 0.0625. */
    lt_schedule_point p = {5, 10, 100, 1};
    assert_true(lt_schedule_lr(s, &p) == 0.125);
    lt_config_free(&cfg);
}

/* The update rules need no config: a velocity-form momentum step from params alone
 * (v = rho*v - lr*g; w += v). */
static void test_rule_without_config(void **state)
{
    (void)state;
    lt_optim_params p = {.rho = 0.5, .form = LT_MOMENTUM_VELOCITY};
    lt_optimizer opt;
    lt_error err = {{0}};
    assert_int_equal(lt_optimizer_create(&opt, lt_optim_find("momentum"), &p, 1, 1, &err),
                     LT_OK);
    float w = 1.0f, g = 2.0f;
    lt_optimizer_step(&opt, &w, &g, 0.25);   /* v = -0.5, w = 0.5 */
    lt_optimizer_step(&opt, &w, &g, 0.5);    /* v = -0.25 - 1 = -1.25, w = -0.75 */
    assert_true(w == -0.75f);
    lt_optimizer_free(&opt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown_current),
        cmocka_unit_test(test_man_keys_current),
        cmocka_unit_test(test_rules_from_optimizer_table),
        cmocka_unit_test(test_resolved_params),
        cmocka_unit_test(test_rule_without_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
