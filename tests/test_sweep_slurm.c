/* test_sweep_slurm.c — scripts/sweep --slurm --submit [--wait] without a cluster: the
 * option errors (exit 2) and the errors when Slurm is not installed or no controller
 * answers (exit 1, naming scripts/slurm_local.sh), each before anything is written.
 * The sweep on a real cluster is make test-slurm's (tests/cluster/test_slurm.c).
 * Runs from the repository root (make test does), against ./lintrain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "testutil.h"

static int setup(void **state)
{
    tu_setup_tmp(state);
    const char *base = "{\"data\": {\"dir\": \"data/cifar-10-sample\", \"val_size\": 200},\n"
                       " \"train\": {\"epochs\": 2, \"batch_size\": 100, \"log_every\": 0}}\n";
    const char *spec = "{\"grid\": {\"optimizer.lr\": [1e-7, 1e-6]}}\n";
    char *path = tu_join(tu_tmp, "base.json");
    tu_write_file(path, base, strlen(base));
    free(path);
    path = tu_join(tu_tmp, "spec.json");
    tu_write_file(path, spec, strlen(spec));
    free(path);
    return 0;
}

/* Runs `PREFIX scripts/sweep ... --out tu_tmp/out OPTIONS`; fails the test unless it
 * exits with rc, prints each of the NULL-ended texts, and leaves tu_tmp/out unmade. */
static void sweep_fails(const char *prefix, const char *options, int rc, ...)
{
    char *out = NULL;
    int got = tu_runf(&out, "%s scripts/sweep --config '%s/base.json' --spec '%s/spec.json' "
                      "--out '%s/out' %s", prefix, tu_tmp, tu_tmp, tu_tmp, options);
    if (got != rc) {
        fail_msg("sweep %s exited %d, not %d:\n%s", options, got, rc, out);
    }
    va_list ap;
    va_start(ap, rc);
    for (const char *text; (text = va_arg(ap, const char *)) != NULL;) {
        if (!strstr(out, text)) {
            fail_msg("sweep %s: \"%s\" not in its output:\n%s", options, text, out);
        }
    }
    va_end(ap);
    free(out);
    assert_false(tu_exists_in("out", NULL));
}

static void test_option_errors(void **state)
{
    (void)state;
    sweep_fails("", "--submit", 2, "--submit: needs --slurm", NULL);
    sweep_fails("", "--slurm --wait", 2, "--wait: needs --slurm --submit", NULL);
    sweep_fails("", "--wait", 2, "--wait: needs --slurm --submit", NULL);
}

/* Python itself, so that the sweep can run with a PATH that holds no Slurm command. */
static char *python_path(void)
{
    char *out = NULL;
    assert_int_equal(tu_run("python3 -c 'import sys; print(sys.executable)'", &out), 0);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static void test_no_sbatch(void **state)
{
    (void)state;
    char *python = python_path();
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "PATH=/nonexistent '%s'", python);
    sweep_fails(prefix, "--slurm --submit --wait", 1, "sbatch not found",
                "scripts/slurm_local.sh start", NULL);
    free(python);
}

/* With Slurm installed, SLURM_CONF naming a file that does not exist: the sweep says so
 * (at once: sinfo would retry for a minute) and how to start a cluster. */
static void test_no_controller(void **state)
{
    (void)state;
    if (tu_run("command -v sbatch", NULL) != 0) {
        skip();
    }
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "SLURM_CONF='%s/no-such/slurm.conf'", tu_tmp);
    sweep_fails(prefix, "--slurm --submit", 1, "no Slurm configuration: ",
                "/no-such/slurm.conf does not exist", "scripts/slurm_local.sh start", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_no_sbatch),
        cmocka_unit_test(test_no_controller),
    };
    return cmocka_run_group_tests(tests, setup, tu_teardown_tmp);
}
