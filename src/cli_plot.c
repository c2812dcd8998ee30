/* cli_plot.c — `lintrain plot`: a run folder's pictures, again, without retraining:
 * templates.png (drawn here) and curves.png (scripts/plot_curves, through gnuplot). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/runfolder.h"
#include "lintrain/templates.h"

static const char USAGE[] =
    "usage: lintrain plot --run DIR [--config FILE] [--set key.path=VALUE]...\n"
    "\n"
    "Draws a run folder's pictures again, without retraining:\n"
    "  DIR/templates.png   each class's column of W as a 32x32 image, min-max scaled\n"
    "                      over all of W, the class name under it (libpng)\n"
    "  DIR/curves.png      batch and epoch losses, train/validation accuracy and the\n"
    "                      learning rate, from DIR/metrics.jsonl, by scripts/plot_curves\n"
    "                      with gnuplot (Debian's gnuplot-nox); skipped with a message\n"
    "                      when gnuplot is not installed\n"
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

#define CURVES_SCRIPT "plot_curves"
#define GNUPLOT_MISSING 3 /* plot_curves's exit status when gnuplot is not installed */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds plot_curves (see USAGE); false when it is nowhere. */
static int find_script(char out[LT_PATH_MAX])
{
    const char *env = getenv("LINTRAIN_SCRIPTS");
    if (env && *env && (size_t)snprintf(out, LT_PATH_MAX, "%s/%s", env, CURVES_SCRIPT) <
                           LT_PATH_MAX && is_file(out)) {
        return 1;
    }
    char exe[LT_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        return 0;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) {
        return 0;
    }
    *slash = '\0';
    static const char *const PLACES[] = {"%s/scripts/%s", "%s/../share/lintrain/%s"};
    for (size_t i = 0; i < sizeof PLACES / sizeof PLACES[0]; i++) {
        if ((size_t)snprintf(out, LT_PATH_MAX, PLACES[i], exe, CURVES_SCRIPT) < LT_PATH_MAX &&
            is_file(out)) {
            return 1;
        }
    }
    return 0;
}

/* Runs /bin/sh script dir; returns its exit status, or -1 when it could not run. */
static int run_script(const char *script, const char *dir)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        execl("/bin/sh", "sh", script, dir, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int curves(const char *dir)
{
    char script[LT_PATH_MAX];
    if (!find_script(script)) {
        fprintf(stderr, "lintrain: curves.png skipped: scripts/%s not found (set "
                        "LINTRAIN_SCRIPTS to the folder holding it)\n", CURVES_SCRIPT);
        return 0;
    }
    int rc = run_script(script, dir);
    if (rc == GNUPLOT_MISSING) {
        fprintf(stderr, "lintrain: curves.png skipped (gnuplot is not installed)\n");
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "lintrain: %s %s failed (exit %d)\n", script, dir, rc);
        return 1;
    }
    return 0;
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
