/* train_checkpoint.c — the trainer's checkpoint.bin: the resolved config, the
 * parameters, the progress, the shuffle stream and this epoch's order, the last epoch's
 * evaluation (for summary.json), the divergence reference, the best epoch and its
 * weights, the seconds spent; then the driver's blocks (the optimizer's state). A
 * resumed run restores them all and so makes the same updates in the same order: its
 * weights.npy is byte for byte that of the run never stopped.
 *
 * The trainer's blocks are one table (name, type, address, count), which both writes
 * and reads them; the structs below are the blocks' layouts, as in the file. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lintrain/fsutil.h"
#include "lintrain/train_driver.h"

/* Block "progress". */
typedef struct {
    uint64_t step, epochs_done, step_in_epoch, metrics_bytes, seconds_ms;
} ckpt_progress;

/* An lt_eval, as doubles. */
typedef struct {
    double n, correct, loss, accuracy;
} ckpt_eval;

/* Block "last_epoch": the last epoch's report. */
typedef struct {
    double epoch, step, seconds;
    ckpt_eval train, val;
} ckpt_last_epoch;

/* Block "best": the best validation epoch so far and its report (best_weights.npy and
 * early stopping go on from it after a resume); "best.params" holds its weights. */
typedef struct {
    double epoch;
    ckpt_eval val;
} ckpt_best;

_Static_assert(sizeof(ckpt_progress) == 5 * sizeof(uint64_t), "progress: 5 u64");
_Static_assert(sizeof(ckpt_last_epoch) == 11 * sizeof(double), "last_epoch: 11 f64");
_Static_assert(sizeof(ckpt_best) == 5 * sizeof(double), "best: 5 f64");

/* The trainer's state as the blocks hold it, between the trainer and the file. */
typedef struct {
    ckpt_progress progress;
    uint64_t rng[2];
    uint64_t *order;      /* owned: (n_train) */
    ckpt_last_epoch last;
    ckpt_best best;
} ckpt_image;

typedef struct {
    const char *name;
    lt_ckpt_type type;
    void *addr;
    size_t count;
} ckpt_slot;

#define MAX_SLOTS 8

/* The table: the trainer's blocks but "config" (written whole, compared on reading). */
static size_t slots(lt_trainer *t, ckpt_image *im, ckpt_slot *s)
{
    size_t np = t->model.n_params, k = 0;
    s[k++] = (ckpt_slot){"params", LT_CKPT_F32, t->model.params, np};
    s[k++] = (ckpt_slot){"progress", LT_CKPT_U64, &im->progress, 5};
    s[k++] = (ckpt_slot){"rng.shuffle", LT_CKPT_U64, im->rng, 2};
    s[k++] = (ckpt_slot){"order", LT_CKPT_U64, im->order, t->data.train.n};
    s[k++] = (ckpt_slot){"last_epoch", LT_CKPT_F64, &im->last, 11};
    s[k++] = (ckpt_slot){"divergence.loss0", LT_CKPT_F64, &t->loss0, 1};
    if (t->best) {  /* runs with a validation split */
        s[k++] = (ckpt_slot){"best", LT_CKPT_F64, &im->best, 5};
        s[k++] = (ckpt_slot){"best.params", LT_CKPT_F32, t->best, np};
    }
    return k;
}

static void pack_eval(const lt_eval *e, ckpt_eval *out)
{
    *out = (ckpt_eval){(double)e->n, (double)e->correct, e->loss, e->accuracy};
}

/* Whether x is a whole number in [0, 2^53], so that it converts to an integer exactly
 * (converting a double out of an integer type's range is undefined behaviour). */
static int is_count(double x)
{
    return x >= 0 && x <= 9007199254740992.0 && x == floor(x);
}

static int eval_valid(const ckpt_eval *e)
{
    return is_count(e->n) && is_count(e->correct) && e->correct <= e->n;
}

static void unpack_eval(const ckpt_eval *in, lt_eval *e)
{
    e->n = (size_t)in->n;
    e->correct = (size_t)in->correct;
    e->loss = in->loss;
    e->accuracy = in->accuracy;
}

/* The trainer's state into *im, after epochs_done whole epochs and k updates. */
static lt_status pack(const lt_trainer *t, long long epochs_done, long long k,
                      long long mbytes, ckpt_image *im, lt_error *err)
{
    size_t n = t->data.train.n;
    im->order = lt_calloc(n, sizeof *im->order, "checkpoint order", err);
    if (!im->order) {
        return LT_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        im->order[i] = t->order[i];
    }
    im->progress = (ckpt_progress){(uint64_t)t->step, (uint64_t)epochs_done, (uint64_t)k,
                                   (uint64_t)mbytes,
                                   (uint64_t)llround(1000.0 * (lt_train_now() - t->t0))};
    im->rng[0] = t->rng_shuffle.state;
    im->rng[1] = t->rng_shuffle.inc;
    const lt_epoch_report *r = &t->last_epoch;
    im->last.epoch = (double)r->epoch;
    im->last.step = (double)r->step;
    im->last.seconds = r->seconds;
    pack_eval(&r->train, &im->last.train);
    pack_eval(&r->val, &im->last.val);
    im->best.epoch = (double)t->best_epoch;
    pack_eval(&t->best_val, &im->best.val);
    return LT_OK;
}

/* Adds the config, the table's blocks and the driver's to ck and writes it. */
static lt_status write_blocks(lt_trainer *t, ckpt_image *im, const char *path, lt_error *err)
{
    char *config = lt_config_to_json(t->cfg);
    if (!config) {
        return lt_fail(err, LT_ERR, "out of memory writing the checkpoint");
    }
    ckpt_slot s[MAX_SLOTS];
    size_t n_slots = slots(t, im, s);
    lt_checkpoint ck;
    /* Blocks point at their data until lt_checkpoint_write. */
    lt_checkpoint_init(&ck, t->model.D, t->model.C, t->model.n_params);
    lt_status st = lt_checkpoint_add(&ck, "config", LT_CKPT_BYTES, config, strlen(config), err);
    for (size_t i = 0; i < n_slots && st == LT_OK; i++) {
        st = lt_checkpoint_add(&ck, s[i].name, s[i].type, s[i].addr, s[i].count, err);
    }
    if (st == LT_OK) {
        st = t->driver->save(t, &ck, err);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_write(&ck, path, err);
    }
    free(config);
    return st;
}

lt_status lt_train_checkpoint_save(lt_trainer *t, long long epochs_done, long long k,
                                   lt_error *err)
{
    long long mbytes = 0;
    char path[LT_PATH_MAX];
    ckpt_image im = {0};
    lt_status st = lt_metrics_sync(&t->metrics, &mbytes, err);
    if (st == LT_OK) {
        st = lt_path_join(path, t->cfg->output.dir, LT_TRAIN_CKPT_FILE, err);
    }
    if (st == LT_OK) {
        st = pack(t, epochs_done, k, mbytes, &im, err);
    }
    if (st == LT_OK) {
        st = write_blocks(t, &im, path, err);
    }
    if (st == LT_OK) {
        t->ckpt_epochs = epochs_done;
    }
    free(im.order);
    return st;
}

/* ---- restoring ---------------------------------------------------------------------- */

/* Checks that the checkpoint belongs to this config: the model's shape, the config
 * (but output.dir) and the number of training records. */
static lt_status check_belongs(const lt_trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    const lt_model *m = &t->model;
    if (ck->D != m->D || ck->C != m->C || ck->n_params != m->n_params) {
        return lt_fail(err, LT_ECONFIG, "the checkpoint is for a model of %llu x %llu "
                       "weights (%llu parameters); this run has %zu x %zu (%zu)",
                       (unsigned long long)ck->D, (unsigned long long)ck->C,
                       (unsigned long long)ck->n_params, m->D, m->C, m->n_params);
    }
    const lt_ckpt_block *cb = lt_checkpoint_find(ck, "config");
    if (!cb || cb->type != LT_CKPT_BYTES) {
        return lt_fail(err, LT_ERR, "the checkpoint has no block \"config\" of bytes");
    }
    char *text = lt_calloc(cb->count + 1, 1, "config", err);
    if (!text) {
        return LT_ERR;
    }
    memcpy(text, cb->data, cb->count);
    char why[512];
    int differs = lt_config_compare(t->cfg, text, "the checkpoint", "output.dir", why, sizeof why);
    free(text);
    if (differs) {
        return lt_fail(err, differs > 0 ? LT_ECONFIG : LT_ERR,
                       "the checkpoint belongs to a different config: %s", why);
    }
    const lt_ckpt_block *b = lt_checkpoint_find(ck, "order");
    size_t n = t->data.train.n;
    if (b && b->type == LT_CKPT_U64 && b->count != n) {
        return lt_fail(err, LT_ECONFIG, "the checkpoint was written for %zu training records; "
                       "the data now gives %zu", b->count, n);
    }
    return LT_OK;
}

/* Block "order" must be a permutation of 0..n-1. */
static lt_status unpack_order(lt_trainer *t, const uint64_t *order, lt_error *err)
{
    size_t n = t->data.train.n;
    unsigned char *seen = lt_calloc(n, 1, "checkpoint order check", err);
    lt_status st = seen ? LT_OK : LT_ERR;
    for (size_t i = 0; st == LT_OK && i < n; i++) {
        if (order[i] >= n || seen[order[i]]) {
            st = lt_fail(err, LT_ERR, "checkpoint block \"order\" is not a permutation of the "
                         "%zu training records (entry %zu)", n, i);
        } else {
            seen[order[i]] = 1;
            t->order[i] = (size_t)order[i];
        }
    }
    free(seen);
    return st;
}

/* Checks the progress block against the config and takes it. */
static lt_status unpack_progress(lt_trainer *t, const ckpt_progress *p, lt_error *err)
{
    uint64_t spe = (uint64_t)t->steps_per_epoch;
    /* A driver that checkpoints whole epochs only does at most spe updates per epoch. */
    bool steps_ok = t->driver->whole_epochs
                        ? p->step <= p->epochs_done * spe && p->step_in_epoch == 0
                        : p->step == p->epochs_done * spe + p->step_in_epoch;
    if (p->epochs_done > (uint64_t)t->epochs || p->step_in_epoch > spe || !steps_ok ||
        (p->epochs_done == (uint64_t)t->epochs && p->step_in_epoch != 0) ||
        p->metrics_bytes > (uint64_t)INT64_MAX || p->seconds_ms > (uint64_t)INT64_MAX) {
        return lt_fail(err, LT_ERR, "checkpoint block \"progress\" is inconsistent: step %llu, "
                       "%llu epochs and %llu updates done, %lld steps per epoch",
                       (unsigned long long)p->step, (unsigned long long)p->epochs_done,
                       (unsigned long long)p->step_in_epoch, t->steps_per_epoch);
    }
    t->step = (long long)p->step;
    t->epoch0 = (long long)p->epochs_done;
    t->k0 = (long long)p->step_in_epoch;
    t->metrics_bytes = (long long)p->metrics_bytes;
    t->t0 -= (double)p->seconds_ms / 1000.0;
    t->ckpt_epochs = t->epoch0;
    return LT_OK;
}

/* The blocks read into the trainer and *im, checked, and taken. */
static lt_status unpack(lt_trainer *t, const ckpt_image *im, lt_error *err)
{
    const ckpt_last_epoch *last = &im->last;
    if (!lt_train_all_finite(t->model.params, t->model.n_params)) {
        return lt_fail(err, LT_ERR, "checkpoint block \"params\" holds NaN or Inf");
    }
    if (!(im->rng[1] & 1u)) {
        return lt_fail(err, LT_ERR, "checkpoint block \"rng.shuffle\": the stream must be odd");
    }
    /* 1e300 there made the conversion to size_t undefined (UBSan, fuzz_resume). */
    if (!is_count(last->epoch) || !is_count(last->step) || !eval_valid(&last->train) ||
        !eval_valid(&last->val)) {
        return lt_fail(err, LT_ERR, "checkpoint block \"last_epoch\" holds impossible counts");
    }
    if (t->best && (!is_count(im->best.epoch) || !eval_valid(&im->best.val))) {
        return lt_fail(err, LT_ERR, "checkpoint block \"best\" holds impossible counts");
    }
    lt_status st = unpack_order(t, im->order, err);
    if (st != LT_OK) {
        return st;
    }
    t->rng_shuffle.state = im->rng[0];
    t->rng_shuffle.inc = im->rng[1];
    t->last_epoch.epoch = (long long)last->epoch;
    t->last_epoch.epochs = t->cfg->train.epochs;
    t->last_epoch.step = (long long)last->step;
    t->last_epoch.seconds = last->seconds;
    unpack_eval(&last->train, &t->last_epoch.train);
    unpack_eval(&last->val, &t->last_epoch.val);
    t->best_epoch = (long long)im->best.epoch;
    unpack_eval(&im->best.val, &t->best_val);
    return unpack_progress(t, &im->progress, err);
}

/* Takes the checkpoint's blocks, after checking that they belong to this config. */
static lt_status restore_blocks(lt_trainer *t, const lt_checkpoint *ck, lt_error *err)
{
    lt_status st = check_belongs(t, ck, err);
    if (st != LT_OK) {
        return st;
    }
    ckpt_image im = {0};
    im.order = lt_calloc(t->data.train.n, sizeof *im.order, "checkpoint order", err);
    if (!im.order) {
        return LT_ERR;
    }
    ckpt_slot s[MAX_SLOTS];
    size_t n_slots = slots(t, &im, s);
    for (size_t i = 0; i < n_slots && st == LT_OK; i++) {
        st = lt_checkpoint_get(ck, s[i].name, s[i].type, s[i].count, s[i].addr, err);
    }
    if (st == LT_OK) {
        st = unpack(t, &im, err);
    }
    free(im.order);
    return st == LT_OK ? t->driver->restore(t, ck, err) : st;
}

lt_status lt_train_checkpoint_epochs(const lt_checkpoint *ck, long long *done, lt_error *err)
{
    ckpt_progress p;
    lt_status st = lt_checkpoint_get(ck, "progress", LT_CKPT_U64, 5, &p, err);
    if (st == LT_OK && p.epochs_done > (uint64_t)INT64_MAX) {
        st = lt_fail(err, LT_ERR, "checkpoint block \"progress\" is inconsistent");
    }
    *done = st == LT_OK ? (long long)p.epochs_done : 0;
    return st;
}

lt_status lt_train_checkpoint_restore(lt_trainer *t, lt_error *err)
{
    char path[LT_PATH_MAX];
    lt_checkpoint ck;
    struct stat sb;
    lt_status st = lt_path_join(path, t->cfg->output.dir, LT_TRAIN_CKPT_FILE, err);
    if (st == LT_OK && stat(path, &sb) != 0 && errno == ENOENT) {
        return lt_fail(err, LT_ERR, "%s: cannot open: no such file (the run wrote no "
                       "checkpoint: it stopped before its first, or train.checkpoint_every "
                       "is 0)", path);
    }
    if (st == LT_OK) {
        st = lt_checkpoint_read(&ck, path, err);
    }
    if (st == LT_OK) {
        st = restore_blocks(t, &ck, err);
        if (st != LT_OK) {
            lt_error_prefix(err, path);
        }
    }
    lt_checkpoint_free(&ck);
    return st;
}
