/* curves.c — curves.png through scripts/plot_curves (curves.h). The drawing is a
 * shell script over gnuplot, not C: gnuplot does axes, legends and fonts, and the
 * script can be run by hand on any run folder, finished or not. */
#include "lintrain/curves.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lintrain/fsutil.h"

#define CURVES_SCRIPT "plot_curves"
#define GNUPLOT_MISSING 3 /* plot_curves's exit status when gnuplot is not installed */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds plot_curves (see curves.h); false when it is nowhere. */
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

/* Runs /bin/sh script dir with stdout on /dev/null; returns its exit status, or -1
 * when it could not run. */
static int run_script(const char *script, const char *dir)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            close(null);
        }
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

lt_curves_result lt_curves_draw(const char *dir, lt_error *note)
{
    char script[LT_PATH_MAX];
    note->msg[0] = '\0';
    if (!find_script(script)) {
        lt_fail(note, LT_ERR, "%s/" LT_CURVES_FILE " skipped: scripts/" CURVES_SCRIPT " not "
                "found (set LINTRAIN_SCRIPTS to the folder holding it)", dir);
        return LT_CURVES_SKIPPED;
    }
    int rc = run_script(script, dir);
    if (rc == GNUPLOT_MISSING) {
        return LT_CURVES_SKIPPED;
    }
    if (rc != 0) {
        lt_fail(note, LT_ERR, "%s %s failed (exit %d)", script, dir, rc);
        return LT_CURVES_FAILED;
    }
    return LT_CURVES_WRITTEN;
}
