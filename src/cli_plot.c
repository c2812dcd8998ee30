/* cli_plot.c — `lintrain plot`: a run folder's pictures, again, without retraining:
 * the picture of W (templates.png or weights.png, drawn here) and curves.png
 * (scripts/plot_curves, through gnuplot). */
#include <stdio.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/curves.h"
#include "lintrain/run.h"

static const char USAGE[] =
    "usage: lintrain plot --run DIR [--config FILE] [--set key.path=VALUE]...\n"
    "\n"
    "Draws a run folder's pictures again, without retraining:\n"
    "  DIR/templates.png   image data (32x32x3): each class's column of W as a 32x32\n"
    "                      image, min-max scaled over all of W, the class name under it\n"
    "  DIR/weights.png     other data: W as a heat map, a row per feature and a column\n"
    "                      per class (blue negative, white 0, red positive); none, with\n"
    "                      one line on stderr, when W has over 2048 features or 256\n"
    "                      classes\n"
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

/* The picture of W (templates.png or weights.png), drawn from the run's weights and
 * data.json; or one line saying why there is none. */
static lt_status weights_picture(const char *dir, const lt_cli_config_args *a, lt_error *err)
{
    lt_run run;
    const char *written;
    char note[sizeof err->msg];
    lt_status st = lt_run_open(&run, dir, a->config, a->sets, a->n_sets, LT_RUN_NO_PREPROCESS,
                               err);
    if (st != LT_OK) {
        return st;
    }
    st = lt_run_draw_weights(dir, &run.model, &run.data, &written, note, sizeof note, err);
    lt_run_free(&run);
    if (st == LT_OK && written) {
        printf("wrote %s/%s\n", dir, written);
    } else if (st == LT_OK) {
        fflush(stdout);
        fprintf(stderr, "lintrain: %s\n", note);
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
        /* The pictures are written into the folder: one writer at a time. */
        lt_status st = lt_run_lock_take(&lock, dir, 0, &err);
        if (st == LT_OK) {
            st = weights_picture(dir, &a, &err);
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
