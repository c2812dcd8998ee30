/* cli_toy.c — `lintrain toy`: one optimizer on one 2-D surface, the trajectory as CSV. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/config.h"
#include "lintrain/toy.h"

static const char USAGE[] =
    "usage: lintrain toy --function NAME --optimizer NAME [--steps N] [--lr LR]\n"
    "                    [--start X,Y] [--noise SIGMA] [--cond K] [--seed S] [--out FILE]\n"
    "                    [--config FILE] [--set key.path=VALUE]...\n"
    "\n"
    "Runs a first-order optimizer of the trainer (the same update code) on a 2-D\n"
    "function and writes the trajectory as CSV: step,x,y,f,lr (step 0 is the start;\n"
    "lr is the rate of the update that led to the row). Its hyperparameters and\n"
    "schedule are the config's optimizer.* and schedule.* keys (set them with --set;\n"
    "one update per epoch).\n"
    "\n"
    "Optimizers:";

static const char USAGE_TAIL[] =
    "\n"
    "\n"
    "Functions:\n"
    "  quadratic          (x^2 + K*y^2)/2, condition number K; start (-8, 1)\n"
    "  saddle             x^2 - y^2; start (-1, 0.001)\n"
    "  rosenbrock         (1-x)^2 + 100(y-x^2)^2, minimum at (1, 1); start (-1.5, 2)\n"
    "  noisy_quadratic    the quadratic with N(0, SIGMA^2) added to each gradient\n"
    "                     component (the noisy minibatch); SIGMA 1 unless told\n"
    "  plane              x + y: a constant gradient (1, 1); start (0, 0)\n"
    "\n"
    "  --function NAME        the surface (required)\n"
    "  --optimizer NAME       same as --set optimizer.name=NAME (required)\n"
    "  --steps N              updates [100]\n"
    "  --lr LR                same as --set optimizer.lr=LR\n"
    "  --start X,Y            the starting point\n"
    "  --noise SIGMA          gradient noise, any function [0; 1 for noisy_quadratic]\n"
    "  --cond K               the quadratics' condition number [10]\n"
    "  --seed S               draws the noise [0]\n"
    "  --out FILE             write the CSV there instead of stdout\n"
    "  --config FILE, --set key.path=VALUE   as for training\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 config or usage error, 3 diverged (the CSV holds\n"
    "the steps up to it).\n";

/* The usage, with the first-order optimizers of optim.c's table. */
static void print_usage(void)
{
    fputs(USAGE, stdout);
    const char *name;
    for (size_t i = 0; (name = lt_optim_name_at(i)) != NULL; i++) {
        if (lt_optim_find(name)->family == LT_OPTIM_FIRST_ORDER) {
            printf(" %s", name);
        }
    }
    fputs(USAGE_TAIL, stdout);
}

typedef struct {
    lt_cli_config_args cfg;
    int help;
    const char *function, *optimizer, *lr, *out;
    lt_toy_opts opts;
    int start_given, noise_given;
} toy_args;

/* A finite number, the whole string; -1 after printing why not. */
static int parse_double(const char *option, const char *s, double *out, char **rest)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    int whole = rest ? 1 : *end == '\0';
    if (end == s || !whole || errno != 0 || !isfinite(v)) {
        fprintf(stderr, "lintrain: %s: expected a number, got \"%s\"\n", option, s);
        return -1;
    }
    if (rest) {
        *rest = end;
    }
    *out = v;
    return 0;
}

static int parse_start(const char *s, double *xy)
{
    char *rest;
    if (parse_double("--start", s, &xy[0], &rest) != 0) {
        return 2;
    }
    if (*rest != ',' || parse_double("--start", rest + 1, &xy[1], NULL) != 0) {
        fprintf(stderr, "lintrain: --start: expected X,Y, got \"%s\"\n", s);
        return 2;
    }
    return 0;
}

static int toy_option(void *ctx, int argc, char **argv, int *i)
{
    toy_args *a = ctx;
    const char *v;
    size_t seed;
    int rc = 0;
    if ((v = lt_cli_option_value("--function", argc, argv, i))) {
        a->function = v;
    } else if ((v = lt_cli_option_value("--optimizer", argc, argv, i))) {
        a->optimizer = v;
    } else if ((v = lt_cli_option_value("--steps", argc, argv, i))) {
        rc = lt_cli_parse_count("--steps", v, &a->opts.steps);
    } else if ((v = lt_cli_option_value("--lr", argc, argv, i))) {
        double lr;
        rc = lt_cli_parse_positive("--lr", v, &lr);
        a->lr = v;
    } else if ((v = lt_cli_option_value("--start", argc, argv, i))) {
        rc = parse_start(v, a->opts.start);
        a->start_given = 1;
    } else if ((v = lt_cli_option_value("--noise", argc, argv, i))) {
        if (parse_double("--noise", v, &a->opts.noise, NULL) != 0 || a->opts.noise < 0) {
            fprintf(stderr, "lintrain: --noise: must be at least 0\n");
            rc = 2;
        }
        a->noise_given = 1;
    } else if ((v = lt_cli_option_value("--cond", argc, argv, i))) {
        rc = lt_cli_parse_positive("--cond", v, &a->opts.params.cond);
    } else if ((v = lt_cli_option_value("--seed", argc, argv, i))) {
        rc = lt_cli_parse_count("--seed", v, &seed);
        a->opts.seed = seed;
    } else if ((v = lt_cli_option_value("--out", argc, argv, i))) {
        a->out = v;
    } else {
        return 0;
    }
    return rc == 0 ? 1 : rc;
}

/* "key=value" in a malloc'ed string, or NULL when out of memory. */
static char *make_set(const char *key, const char *value)
{
    size_t len = strlen(key) + strlen(value) + 2;
    char *s = malloc(len);
    if (s) {
        snprintf(s, len, "%s=%s", key, value);
    }
    return s;
}

static int write_csv(FILE *f, const lt_toy_point *traj, size_t n)
{
    fprintf(f, "step,x,y,f,lr\n");
    for (size_t k = 0; k < n; k++) {
        fprintf(f, "%zu,%.9g,%.9g,%.9g,%.9g\n", k, traj[k].x, traj[k].y, traj[k].f, traj[k].lr);
    }
    return ferror(f) ? -1 : 0;
}

static int run_toy(toy_args *a)
{
    const lt_toy_function *fn = lt_toy_find(a->function);
    if (!fn) {
        fprintf(stderr, "lintrain: toy: unknown function \"%s\" (try lintrain toy --help)\n",
                a->function);
        return 2;
    }
    if (!a->start_given) {
        a->opts.start[0] = fn->start[0];
        a->opts.start[1] = fn->start[1];
    }
    if (!a->noise_given) {
        a->opts.noise = fn->default_noise;
    }
    /* --optimizer and --lr first, so that a --set of the same key wins. */
    const char **sets = calloc(a->cfg.n_sets + 2, sizeof *sets);
    char *name_set = make_set("optimizer.name", a->optimizer);
    char *lr_set = a->lr ? make_set("optimizer.lr", a->lr) : NULL;
    lt_toy_point *traj = calloc(a->opts.steps + 1, sizeof *traj);
    if (!sets || !name_set || (a->lr && !lr_set) || !traj) {
        fprintf(stderr, "lintrain: out of memory\n");
        free(sets), free(name_set), free(lr_set), free(traj);
        return 1;
    }
    size_t n_sets = 0;
    sets[n_sets++] = name_set;
    if (lr_set) {
        sets[n_sets++] = lr_set;
    }
    for (size_t k = 0; k < a->cfg.n_sets; k++) {
        sets[n_sets++] = a->cfg.sets[k];
    }
    lt_config cfg;
    lt_error err = {{0}};
    size_t done = 0;
    lt_status st = lt_config_load(&cfg, a->cfg.config, sets, n_sets, &err);
    if (st == LT_OK) {
        lt_cli_print_notes(cfg.notes);
        st = lt_toy_run(fn, &cfg, &a->opts, traj, &done, &err);
    }
    int rc = (int)st;
    if (st == LT_OK || st == LT_EDIVERGED) {
        FILE *f = a->out ? fopen(a->out, "w") : stdout;
        int bad = !f || write_csv(f, traj, done + 1) != 0;
        if (a->out && f && fclose(f) != 0) {
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "lintrain: toy: cannot write %s\n", a->out ? a->out : "stdout");
            rc = 1;
        }
    }
    if (st != LT_OK) {
        fprintf(stderr, "lintrain: %s\n", err.msg);
    }
    lt_config_free(&cfg);
    free(sets), free(name_set), free(lr_set), free(traj);
    return rc;
}

int lt_cli_toy(int argc, char **argv)
{
    toy_args a;
    memset(&a, 0, sizeof a);
    a.opts.steps = 100;
    a.opts.params.cond = 10.0;
    int rc = lt_cli_parse("toy",
                          "--function|--optimizer|--steps|--lr|--start|--noise|--cond|--seed|"
                          "--out",
                          argc, argv, 0, &a.cfg, &a.help, toy_option, &a);
    if (rc == 0 && a.help) {
        print_usage();
    } else if (rc == 0 && (!a.function || !a.optimizer)) {
        fprintf(stderr, "lintrain: toy needs --function NAME and --optimizer NAME "
                "(try lintrain toy --help)\n");
        rc = 2;
    } else if (rc == 0) {
        rc = run_toy(&a);
    }
    lt_cli_config_args_free(&a.cfg);
    return rc;
}
