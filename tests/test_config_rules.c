/* test_config_rules.c — the optimizer and schedule keys of lt_config: which choice
 * uses which key, the defaults per optimizer, the rules between keys, --set changing a
 * choice. */
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
#include "lintrain/optim.h"

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

/* Every rule between keys is the config's: early stopping without a validation split
 * fails at load (it waited for the trainer's setup); the rules that need the size of
 * the training split are lt_config_check_data, the same messages as before. */
static void test_rules_in_one_place(void **state)
{
    EXPECT(*state, "{\"train\": {\"early_stopping_patience\": 2}, \"data\": {\"val_size\": 0}}",
           "config.json: train.early_stopping_patience: needs a validation split "
           "(data.val_size > 0)");
    const char *sets[] = {"train.batch_size=100", "train.epochs=3",
                          "schedule.warmup_steps=31"};
    lt_config cfg;
    load_ok(*state, NULL, sets, 3, &cfg);
    lt_error err = {{0}};
    assert_int_equal(lt_config_check_data(&cfg, 1000, &err), LT_ECONFIG);
    assert_string_equal(err.msg, "schedule.warmup_steps: 31 is more than the run's 30 updates "
                                 "(3 epochs of 10)");
    assert_int_equal(lt_config_check_data(&cfg, 99, &err), LT_ECONFIG);
    assert_string_equal(err.msg, "train.batch_size: 100 is larger than the 99 training records "
                                 "(use 0 for full batch)");
    assert_int_equal(lt_config_check_data(&cfg, 1001, &err), LT_OK);  /* 11 per epoch */
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


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_optimizer_keys, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_optimizer_keys_not_used, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_cross_field_rules, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_rules_in_one_place, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_batch_size_follows_optimizer, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_set_choice_drops_unused_keys, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_set_null_removes_key, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_round_trip_optimizer_keys, setup_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
