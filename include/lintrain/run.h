/* run.h — a run folder: the names lintrain owns in it, the lock that lets one
 * process at a time write it, what it holds (nothing, a finished run, an interrupted
 * one); a finished run read back (eval, predict, plot), with the data it was trained on
 * (data.json, rundata.h); and the files training adds beside the weights:
 * preprocess.npy (preprocess.h) and the picture of W (templates.png or weights.png).
 *
 * A finished run without preprocess.npy gets the statistics refit on the configured
 * training split: the same numbers, since the fit is deterministic. */
#ifndef LINTRAIN_RUN_H
#define LINTRAIN_RUN_H

#include <stddef.h>

#include "lintrain/cifar.h"
#include "lintrain/common.h"
#include "lintrain/config.h"
#include "lintrain/fsutil.h"
#include "lintrain/kernel.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/preprocess.h"
#include "lintrain/rundata.h"

#define LT_TEMPLATES_FILE "templates.png"
#define LT_LOCK_FILE ".lock"

/* ---- the folder as a place to write --------------------------------------------------
 * run.c's table RUN_FILES is the one list of the names lintrain writes in a run
 * folder (each also as NAME.tmp while it is written); every other file is the user's
 * and is never removed. */

/* Whether name is one of the files lintrain writes in a run folder (or its .tmp). */
int lt_run_owns(const char *name);

/* An exclusive advisory lock (flock) on DIR/.lock, held from lt_run_lock_take to
 * lt_run_lock_release or the process's end: the kernel drops it when the process dies,
 * so a killed run leaves no stale lock. The file holds the holder's PID, for the
 * message of the next one; it stays in the folder (removing it would let two
 * processes lock two different files). */
typedef struct {
    int fd;             /* -1: not held */
    int made_dir;       /* the lock created the folder (removed again if left empty) */
    char dir[LT_PATH_MAX];
} lt_run_lock;

#define LT_LOCK_CREATE 1u /* lt_run_lock_take: create the folder when missing (else a
                             missing folder is LT_OK with no lock: nothing to guard) */

/* Takes the lock on dir without waiting. A folder locked by another process is LT_ERR
 * "DIR is in use by process PID". */
lt_status lt_run_lock_take(lt_run_lock *lock, const char *dir, unsigned flags, lt_error *err);

/* Releases the lock; when lt_run_lock_take created the folder and it holds nothing but
 * .lock (the run was refused before writing), removes both. Accepts a lock never taken
 * (fd -1). */
void lt_run_lock_release(lt_run_lock *lock);

typedef enum {
    LT_RUN_NONE,        /* no file of lintrain's (but .lock) */
    LT_RUN_FINISHED,    /* summary.json says "ok" or "diverged" */
    LT_RUN_UNFINISHED   /* anything else of lintrain's: interrupted, killed, crashed */
} lt_run_kind;

typedef struct {
    lt_run_kind kind;
    char status[32];            /* LT_RUN_FINISHED: summary.json's status */
    int resumable;              /* LT_RUN_UNFINISHED with a checkpoint.bin that reads */
    long long epochs_done, epochs; /* resumable: from the checkpoint */
    char why[sizeof(lt_error)]; /* LT_RUN_UNFINISHED, not resumable: why not */
} lt_run_state;

/* What dir holds (a missing folder holds nothing). Errors: the folder cannot be read. */
lt_status lt_run_state_read(const char *dir, lt_run_state *s, lt_error *err);

/* The refusal to train into dir, which holds run s: LT_ECONFIG with a message naming
 * the choices (--resume when s is resumable, --force, a free folder). */
lt_status lt_run_refuse(const char *dir, const lt_run_state *s, lt_error *err);

/* The first of DIR-2, DIR-3, ... that does not exist (DIR-N counts on from N). */
void lt_run_free_folder(const char *dir, char *out, size_t size);

/* Removes every file of lintrain's from dir but .lock; the user's files stay. */
lt_status lt_run_clear(const char *dir, lt_error *err);

/* The names in dir that lintrain does not own, ", "-separated into out (cut short
 * when it does not fit); *n gets their number. */
lt_status lt_run_foreign(const char *dir, char *out, size_t size, size_t *n, lt_error *err);

/* ---- a finished run read back ---------------------------------------------------------- */

typedef struct {
    char dir[LT_PATH_MAX];
    lt_config cfg;          /* owned: the run's config.json (or --config) with --set */
    lt_model model;         /* owned: weights.npy, bias.npy */
    lt_preprocess prep;     /* owned */
    int prep_refit;         /* 1: preprocess.npy was missing and the fit was redone */
    const lt_loss *loss;
    lt_rundata data;        /* owned: data.json (D, C, dtype, class names), or CIFAR-10's */
} lt_run;

#define LT_RUN_NO_PREPROCESS 1u /* lt_run_open flag: leave run->prep empty */

/* Opens run folder dir: the config is config (NULL: dir/config.json) with sets
 * applied; then data.json (rundata.h: a folder without one is a CIFAR-10 run), the
 * weights of its shape, the preprocessing (unless flags has LT_RUN_NO_PREPROCESS).
 * Errors name the file; a folder without weights.npy is "not a finished run"; a
 * preprocessing refit on data of another shape than data.json's is LT_ECONFIG. */
lt_status lt_run_open(lt_run *run, const char *dir, const char *config,
                      const char *const *sets, size_t n_sets, unsigned flags, lt_error *err);
void lt_run_free(lt_run *run);

/* The training kernel for run's model and preprocessing (train.kernel's implementation),
 * with threads threads (0: one per online CPU): what eval and predict compute with, so
 * that they give the numbers training gave. */
lt_status lt_run_kernel(const lt_run *run, size_t threads, lt_kernel *k, lt_error *err);

/* The picture of W that fits the data, into dir: templates.png for images (32x32x3,
 * D = 3072), else weights.png (weightmap.h) when W is small enough to draw, else none.
 * *written gets the file name (NULL for none) and note, of size bytes, one line saying
 * why there is no picture ("" when there is one). */
lt_status lt_run_draw_weights(const char *dir, const lt_model *m, const lt_rundata *data,
                              const char **written, char *note, size_t size, lt_error *err);

/* What training writes after the weights: preprocess.npy and the picture of W
 * (lt_run_draw_weights; note as there). */
lt_status lt_run_write_extras(const char *dir, const lt_model *m, const lt_preprocess *p,
                              const lt_rundata *data, char *note, size_t size,
                              lt_error *err);

#endif
