/* curves.h — a run folder's curves.png, drawn from its metrics.jsonl by
 * scripts/plot_curves with gnuplot. `lintrain plot` and the end of every training run
 * (finished, diverged or interrupted) draw it through this one function. */
#ifndef LINTRAIN_CURVES_H
#define LINTRAIN_CURVES_H

#include "lintrain/common.h"

#define LT_CURVES_FILE "curves.png"

typedef enum {
    LT_CURVES_WRITTEN, /* dir/curves.png is there */
    LT_CURVES_SKIPPED, /* no gnuplot or no script: nothing written, not a failure */
    LT_CURVES_FAILED   /* the script ran and failed */
} lt_curves_result;

/* Draws dir/curves.png. The script is looked for in $LINTRAIN_SCRIPTS, then beside the
 * binary (scripts/plot_curves), then in ../share/lintrain/ from it (make install); it
 * runs with its stdout discarded and its stderr the caller's. When gnuplot is missing
 * the script itself says so on stderr in one line and note->msg is left empty; for any
 * other skip or failure note->msg holds the one line to show. */
lt_curves_result lt_curves_draw(const char *dir, lt_error *note);

#endif
