/* cli_gradcheck.c — `lintrain gradcheck`: the sparse gradient check, printed. */
#include <stdio.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/config.h"
#include "lintrain/gradcheck.h"

static const char USAGE[] =
    "usage: lintrain gradcheck --config FILE [--set key.path=VALUE]... [--samples N]\n"
    "                          [--checks K] [--h H] [--seed S]\n"
    "\n"
    "Checks the analytic gradient of the configured loss and penalty against the\n"
    "centered difference (f(w+h) - f(w-h)) / 2h at K random coordinates of W and of b,\n"
    "on N training samples, at the weights training starts from (model.init,\n"
    "model.init_weights), in double precision. Prints each coordinate, both values\n"
    "and the relative error |a-n| / max(|a|, |n|), then the maximum.\n"
    "\n"
    "  --config FILE          the config (JSON), as for training\n"
    "  --set key.path=VALUE   override one key; repeatable\n"
    "  --samples N            training samples, drawn at random [100]\n"
    "  --checks K             coordinates of W, and of b (at most 10) [10]\n"
    "  --h H                  the step [1e-7]; retried at h/10, h/100, h/1000 where a\n"
    "                         kink (hinge, |w| at 0) makes it fail\n"
    "  --seed S               draws the samples and the coordinates [0]\n"
    "\n"
    "Exit status: 0 every relative error at most 1e-6, 1 over it (or a failure),\n"
    "2 config or usage error.\n";

typedef struct {
    lt_cli_config_args cfg;
    lt_gradcheck_opts opts;
    int help;
} gc_args;

static int gc_option(void *ctx, int argc, char **argv, int *i)
{
    gc_args *a = ctx;
    const char *v;
    size_t seed;
    int rc;
    if ((v = lt_cli_option_value("--samples", argc, argv, i))) {
        rc = lt_cli_parse_count("--samples", v, &a->opts.samples);
    } else if ((v = lt_cli_option_value("--checks", argc, argv, i))) {
        rc = lt_cli_parse_count("--checks", v, &a->opts.checks);
    } else if ((v = lt_cli_option_value("--h", argc, argv, i))) {
        rc = lt_cli_parse_positive("--h", v, &a->opts.h);
    } else if ((v = lt_cli_option_value("--seed", argc, argv, i))) {
        rc = lt_cli_parse_count("--seed", v, &seed);
        a->opts.seed = seed;
    } else {
        return 0;
    }
    return rc == 0 ? 1 : rc;
}

static int parse_args(int argc, char **argv, gc_args *a)
{
    memset(a, 0, sizeof *a);
    a->opts = lt_gradcheck_defaults();
    int rc = lt_cli_parse("gradcheck", "--samples|--checks|--h|--seed", argc, argv, 0, &a->cfg,
                          &a->help, gc_option, a);
    if (rc == 0 && !a->help && (a->opts.samples == 0 || a->opts.checks == 0)) {
        fprintf(stderr, "lintrain: gradcheck: --samples and --checks must be at least 1\n");
        return 2;
    }
    return rc;
}

static void print_point(const lt_gradcheck_point *p)
{
    char where[48];
    if (p->is_bias) {
        snprintf(where, sizeof where, "b[%zu]", p->col);
    } else {
        snprintf(where, sizeof where, "W[%zu,%zu]", p->row, p->col);
    }
    printf("  %-11s %19.11e %19.11e %10.2e", where, p->analytic, p->numeric, p->rel_error);
    if (p->verdict == LT_GC_OK) {
        printf("\n");
    } else if (p->verdict == LT_GC_AT_KINK) {
        printf("  at a kink: the analytic value lies between the one-sided slopes "
               "%.6e and %.6e\n", p->slope_minus, p->slope_plus);
    } else {
        printf("  %s (h %.0e)\n", lt_gradcheck_verdict_name(p->verdict), p->h_used);
    }
}

static void print_result(const lt_config *cfg, const lt_gradcheck_opts *o,
                         const lt_gradcheck_result *r)
{
    printf("gradient check: %s loss, %s penalty (lambda %g), %zu training samples, h %g, "
           "double precision\n",
           cfg->model.loss, cfg->regularization.type, cfg->regularization.lambda, o->samples,
           o->h);
    printf("  %-11s %19s %19s %10s\n", "coordinate", "analytic", "numeric", "rel. error");
    size_t failed = 0;
    for (size_t k = 0; k < r->n_points; k++) {
        print_point(&r->points[k]);
        failed += r->points[k].verdict == LT_GC_FAIL;
    }
    printf("max relative error %.2e over %zu coordinates", r->max_rel_error,
           r->n_points - r->n_at_kink);
    if (r->n_at_kink > 0) {
        printf(" (%zu more at a kink, checked as subgradients)", r->n_at_kink);
    }
    if (r->pass) {
        printf(", threshold %g: ok\n", o->threshold);
    } else {
        printf(", threshold %g: FAIL at %zu coordinates\n", o->threshold, failed);
    }
    fflush(stdout);
}

int lt_cli_gradcheck_hooked(int argc, char **argv, void (*tamper)(double *analytic, size_t n))
{
    gc_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && a.help) {
        fputs(USAGE, stdout);
    }
    if (rc != 0 || a.help) {
        lt_cli_config_args_free(&a.cfg);
        return rc;
    }
    a.opts.tamper = tamper;
    lt_config cfg;
    lt_error err = {{0}};
    lt_gradcheck_result r = {0};
    lt_status st = lt_config_load(&cfg, a.cfg.config, a.cfg.sets, a.cfg.n_sets, &err);
    if (st == LT_OK) {
        lt_cli_print_notes(cfg.notes);
        st = lt_gradcheck_run(&cfg, &a.opts, &r, &err);
    }
    if (st == LT_OK) {
        print_result(&cfg, &a.opts, &r);
        rc = r.pass ? 0 : 1;
    } else {
        fprintf(stderr, "lintrain: %s\n", err.msg);
        rc = (int)st;
    }
    lt_gradcheck_result_free(&r);
    lt_config_free(&cfg);
    lt_cli_config_args_free(&a.cfg);
    return rc;
}

int lt_cli_gradcheck(int argc, char **argv)
{
    return lt_cli_gradcheck_hooked(argc, argv, NULL);
}
