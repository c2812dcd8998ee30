/* cli_plot.c — `lintrain plot`: a run folder's pictures, again, without retraining:
 * templates.png (drawn here) and curves.png (scripts/plot_curves, through gnuplot). */
#include <stdio.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/curves.h"
#include "lintrain/run.h"
#include "lintrain/templates.h"

static const char USAGE[] =
    "usage: lintrain plot --run DIR [--config FILE] [--set key.path=VALUE]...\n"
    "\n"
    "Draws a run folder's pictures again, without retraining:\n"
    "  DIR/templates.png   each class's column of W as a 32x32 image, min-max scaled\n"
    "                      over all of W, the class name under it (libpng)\n"
    "  DIR/curves.png      batch and epoch losses, train/validation accuracy and the\n"
    "                      learning rate, from DIR/metrics.jsonl, by scripts/plot_curves\n"
    "                      with gnuplot (Debian's gnuplot-nox; make deps installs it);\n"
    "                      skipped with one line on stderr when gnuplot is not installed\n"
    "\n"
    "  --run DIR              the run folder\n"
    "  --config FILE          use FILE instead of DIR/config.json\n"
    "  --set key.path=VALUE   override one key; repeatable\n"
    "\n"
    "The curves script is looked for in $LINTRAIN_SCRIPTS, then beside the binary\n"
    "(scripts/plot_curves), then in ../share/lintrain/ from it (make install).\n"
    "It writes into DIR, so it holds DIR's lock while it runs: with a run or another\n"
    "eval or plot at work in DIR it exits at once (\"DIR is in use by process PID\").\n"
    "\n"
    "Exit status: 0 ok (also when curves.png was skipped), 1 failure, 2 config or\n"
    "usage error.\n";

/* curves.png; 1 when the script failed (a skip is not a failure). */
static int curves(const char *dir)
{
    lt_error note;
    lt_curves_result r = lt_curves_draw(dir, &note);
    if (r == LT_CURVES_WRITTEN) {
        printf("wrote %s/" LT_CURVES_FILE "\n", dir);
    } else if (note.msg[0]) {
        fprintf(stderr, "lintrain: %s\n", note.msg);
    }
    return r == LT_CURVES_FAILED;
}

/* templates.png, drawn from the run's weights and class names. */
static lt_status templates(const char *dir, const lt_cli_config_args *a, lt_error *err)
{
    lt_run run;
    char path[LT_PATH_MAX];
    lt_status st = lt_run_open(&run, dir, a->config, a->sets, a->n_sets, LT_RUN_NO_PREPROCESS,
                               err);
    if (st != LT_OK) {
        return st;
    }
    st = lt_path_join(path, dir, LT_TEMPLATES_FILE, err);
    if (st == LT_OK) {
        st = lt_templates_write(path, run.model.W, run.model.C, run.class_names, err);
    }
    lt_run_free(&run);
    if (st == LT_OK) {
        printf("wrote %s\n", path);
    }
    return st;
}

int lt_cli_plot(int argc, char **argv)
{
    lt_cli_config_args a;
    const char *dir;
    int help;
    int rc = lt_cli_parse_run("plot", argc, argv, &a, &dir, &help);
    if (rc == 0 && help) {
        fputs(USAGE, stdout);
    } else if (rc == 0) {
        lt_error err = {{0}};
        lt_run_lock lock;
        /* templates.png and curves.png are written into the folder: one writer at a time. */
        lt_status st = lt_run_lock_take(&lock, dir, 0, &err);
        if (st == LT_OK) {
            st = templates(dir, &a, &err);
        }
        if (st == LT_OK) {
            rc = curves(dir);
        } else {
            fprintf(stderr, "lintrain: %s\n", err.msg);
            rc = (int)st;
        }
        lt_run_lock_release(&lock);
    }
    lt_cli_config_args_free(&a);
    return rc;
}
