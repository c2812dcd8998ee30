/* config.c — the run's configuration: the schema (every key, its type, range, default
 * and one line of documentation) and the rules between keys. The generic engine that
 * reads, checks and writes a config from this table is jsonconf.c.
 *
 * Which optimizer uses which key, and the defaults that differ per optimizer (the
 * rate, eps, the batch size), come from optim.c's table: one list, read here by
 * optimizer_uses and per_optimizer_default. Once loaded, the config is resolved into
 * the plain structs the update rules and schedules take (lt_optim_params,
 * lt_schedule_spec).
 *
 * Adding a key: one line in SCHEMA plus the struct field in config.h. */
#include "lintrain/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lintrain/featpipe.h"
#include "lintrain/kernel.h"
#include "lintrain/loss.h"
#include "lintrain/penalty.h"
#include "lintrain/preprocess.h"

/* Tuned on full CIFAR-10 with mean_image, batch 256, 20 epochs; CS231n's notebooks use
 * 2.5e4, which over-regularizes at this length of training. */
#define DEFAULT_LAMBDA "1e3"

/* The minibatch of the first-order optimizers; the full-batch ones take 0. */
#define DEFAULT_BATCH_SIZE 256

/* The defaults of each data.format: folder, training files, test file. */
static const struct {
    const char *format, *dir, *train_files, *test_file;
} FORMAT_DEFAULTS[] = {
    {"cifar10", "data/cifar-10-batches-bin",
     "[\"data_batch_1.bin\", \"data_batch_2.bin\", \"data_batch_3.bin\", "
     "\"data_batch_4.bin\", \"data_batch_5.bin\"]",
     "test_batch.bin"},
    {"cifar100", "data/cifar-100-binary", "[\"train.bin\"]", "test.bin"},
    {"npy", "data", NULL, NULL},
};

/* ---- the schema ---------------------------------------------------------------------- */

#define SECTION(p, d) {.path = (p), .type = LT_JC_OBJECT, .doc = (d)}
#define KEY(p, t, field, d)                                                               \
    .path = (p), .type = LT_JC_##t, .offset = offsetof(lt_config, field), .def = (d)
#define GE(x) LT_JC_GE(x)
#define GT(x) LT_JC_GT(x)
#define LE(x) LT_JC_LE(x)
#define LT(x) LT_JC_LT(x)
#define NONEMPTY LT_JC_NONEMPTY
/* Used by the optimizers whose table entry says so. */
#define OPTIMIZER_KEY .only = {"optimizer.name", NULL, optimizer_uses}
/* Its default comes from the optimizer's table entry. */
#define BY_OPTIMIZER .make_default = per_optimizer_default, .def_by = "optimizer.name"
/* Its default follows data.format. */
#define BY_FORMAT .make_default = per_format_default, .def_by = "data.format"

static bool optimizer_uses(const char *path, const char *name);
static bool per_optimizer_default(const lt_jc_view *v, const char *path, lt_jc_default *out);
static bool default_output_dir(const lt_jc_view *v, const char *path, lt_jc_default *out);
static bool per_format_default(const lt_jc_view *v, const char *path, lt_jc_default *out);
static bool per_features_default(const lt_jc_view *v, const char *path, lt_jc_default *out);

/* One line per key, in the order of the resolved config.json; the doc strings are the
 * reference's (lintrain config --reference). */
static const lt_jc_key SCHEMA[] = {
    SECTION("data", "the data set: its files, how it is split and preprocessed"),
    {KEY("data.format", STRING, data.format, "\"cifar10\""), .choices = "cifar10|cifar100|npy",
     .doc = "the data's form: CIFAR-10 or CIFAR-100 binary files, or .npy arrays X and y"},
    {KEY("data.dir", STRING, data.dir, NULL), .flags = NONEMPTY, BY_FORMAT,
     .doc = "folder holding the data files (relative file names are taken from it)"},
    {KEY("data.label", STRING, data.label, "\"fine\""), .choices = "fine|coarse",
     .only = {"data.format", "cifar100", NULL},
     .doc = "CIFAR-100's labels: the 100 fine classes or the 20 coarse superclasses"},
    {KEY("data.train_files", STRLIST, data.train_files, NULL), BY_FORMAT,
     .flags = NONEMPTY | LT_JC_NONEMPTY_ITEMS, .only = {"data.format", "cifar10|cifar100", NULL},
     .doc = "training files in data.dir, in order (absolute paths allowed)"},
    {KEY("data.test_file", STRING, data.test_file, NULL), BY_FORMAT,
     .only = {"data.format", "cifar10|cifar100", NULL}, .doc = "the test file; \"\" for none"},
    {KEY("data.train_x", STRING, data.train_x, "\"train_x.npy\""), .flags = NONEMPTY,
     .only = {"data.format", "npy", NULL},
     .doc = "training features: .npy (N, D) of uint8, float32 or float64"},
    {KEY("data.train_y", STRING, data.train_y, "\"train_y.npy\""), .flags = NONEMPTY,
     .only = {"data.format", "npy", NULL},
     .doc = "training labels: .npy (N,) of any integer type, 0..C-1"},
    {KEY("data.test_x", STRING, data.test_x, "\"\""), .only = {"data.format", "npy", NULL},
     .doc = "test features, as data.train_x; \"\" for no test split"},
    {KEY("data.test_y", STRING, data.test_y, "\"\""), .only = {"data.format", "npy", NULL},
     .doc = "test labels, as data.train_y; set with data.test_x"},
    {KEY("data.class_names", STRING, data.class_names, "\"\""),
     .only = {"data.format", "npy", NULL},
     .doc = "text file, one class name a line; \"\": C = max label + 1, names \"0\", \"1\", ..."},
    {KEY("data.val_size", INTEGER, data.val_size, "1000"), .lo = GE(0),
     .doc = "records held out from the end of the training files for validation"},
    {KEY("data.limit_train", INTEGER, data.limit_train, "0"), .lo = GE(0),
     .doc = "use only the first N training records; 0 = all"},
    {KEY("data.features", OBJLIST, data.features, "[{\"name\": \"pixels\"}]"),
     .flags = NONEMPTY, .check_item = lt_featpipe_check_stage,
     .only = {"data.format", "cifar10|cifar100", NULL}, .doc = LT_FEATPIPE_DOC},
    {KEY("data.feature_cache", BOOL, data.feature_cache, "true"),
     .only = {"data.format", "cifar10|cifar100", NULL},
     .doc = "keep the features of data.features in the feature cache and reuse them "
            "(${XDG_CACHE_HOME:-~/.cache}/lintrain/features; lintrain cache)"},
    {KEY("data.augment", STRLIST, data.augment, "[]"), .choices = "hflip",
     .flags = LT_JC_UNIQUE, .only = {"data.format", "cifar10|cifar100", NULL},
     .doc = "copies added to the training split (never validation or test): hflip, each "
            "training image mirrored left-right; see docs/features.md"},
    {KEY("data.preprocess", STRING, data.preprocess, NULL),
     .make_default = per_features_default,
     .name_at = lt_preprocess_name_at,
     .doc = "feature preprocessing, fitted on the training split (standardize: per channel "
            "for images, per feature otherwise; scale: uint8 data only); default mean_image "
            "on pixels, standardize on other data.features"},

    SECTION("model", "the linear classifier: its loss and its initial weights"),
    {KEY("model.loss", STRING, model.loss, "\"softmax\""), .name_at = lt_loss_name_at,
     .doc = "the data loss"},
    {KEY("model.svm_margin", NUMBER, model.svm_margin, "1"), .lo = GE(0),
     .doc = "the hinge margin Delta of the svm and ovr_squared_hinge losses"},
    {KEY("model.init", STRING, model.init, "\"gaussian\""), .choices = "gaussian|zeros",
     .doc = "how W is initialised (b starts at 0)"},
    {KEY("model.init_scale", NUMBER, model.init_scale, "1e-4"), .lo = GE(0),
     .doc = "standard deviation of the gaussian init"},
    {KEY("model.init_weights", STRING_OR_NULL, model.init_weights, "null"), .flags = NONEMPTY,
     .doc = ".npy float32 of shape (3072, 10) to start W from (a run's weights.npy)"},
    {KEY("model.init_bias", STRING_OR_NULL, model.init_bias, "null"), .flags = NONEMPTY,
     .doc = ".npy float32 of shape (10,) to start b from (a run's bias.npy)"},

    SECTION("regularization", "the penalty lambda * R(W) added to the data loss"),
    {KEY("regularization.type", STRING, regularization.type, "\"l2\""),
     .name_at = lt_penalty_name_at, .doc = "the penalty R(W); the bias is not penalised"},
    {KEY("regularization.lambda", NUMBER, regularization.lambda, DEFAULT_LAMBDA), .lo = GE(0),
     .doc = "lambda in loss = data loss + lambda * R(W)"},
    {KEY("regularization.beta", NUMBER, regularization.beta, "0.5"), .lo = GE(0),
     .doc = "beta of the elastic net: R = sum(beta * W^2 + |W|)"},

    /* Which optimizer uses a key, and the per-optimizer defaults, come from optim.c's
     * table (optimizer_uses, per_optimizer_default). */
    SECTION("optimizer", "the optimizer and its hyperparameters"),
    {KEY("optimizer.name", STRING, optimizer.name, "\"sgd\""), .name_at = lt_optim_name_at,
     .doc = "the optimizer"},
    {KEY("optimizer.lr", NUMBER, optimizer.lr, NULL), .lo = GT(0), BY_OPTIMIZER, OPTIMIZER_KEY,
     .doc = "base learning rate (lbfgs: the first step length)"},
    {KEY("optimizer.rho", NUMBER, optimizer.rho, "0.9"), .lo = GE(0), .hi = LT(1), OPTIMIZER_KEY,
     .doc = "momentum: the velocity's decay rho"},
    {KEY("optimizer.form", STRING, optimizer.form, "\"standard\""),
     .choices = "standard|velocity", OPTIMIZER_KEY,
     .doc = "standard: v = rho*v + g, w -= lr*v; velocity: v = rho*v - lr*g, w += v"},
    {KEY("optimizer.decay_rate", NUMBER, optimizer.decay_rate, "0.99"), .lo = GE(0),
     .hi = LT(1), OPTIMIZER_KEY, .doc = "decay of the squared-gradient average"},
    {KEY("optimizer.beta1", NUMBER, optimizer.beta1, "0.9"), .lo = GE(0), .hi = LT(1),
     OPTIMIZER_KEY, .doc = "decay of the first moment"},
    {KEY("optimizer.beta2", NUMBER, optimizer.beta2, "0.999"), .lo = GE(0), .hi = LT(1),
     OPTIMIZER_KEY, .doc = "decay of the second moment"},
    {KEY("optimizer.eps", NUMBER, optimizer.eps, NULL), .lo = GT(0), BY_OPTIMIZER,
     OPTIMIZER_KEY, .doc = "added to the square root in the denominator"},
    {KEY("optimizer.bias_correction", BOOL, optimizer.bias_correction, "true"), OPTIMIZER_KEY,
     .doc = "divide the moments by (1 - beta1^t) and (1 - beta2^t); false: \"Adam (almost)\""},
    {KEY("optimizer.weight_decay", NUMBER, optimizer.weight_decay, "0.01"), .lo = GE(0),
     OPTIMIZER_KEY, .doc = "decoupled decay w -= lr * weight_decay * w, on W (not b)"},
    {KEY("optimizer.history", INTEGER, optimizer.history, "10"), .lo = GE(1), .hi = LE(1000),
     OPTIMIZER_KEY, .doc = "the number of curvature pairs kept"},
    {KEY("optimizer.max_iter", INTEGER, optimizer.max_iter, "20"), .lo = GE(1), .hi = LE(1e6),
     OPTIMIZER_KEY, .doc = "iterations per epoch"},
    {KEY("optimizer.tolerance_grad", NUMBER, optimizer.tolerance_grad, "1e-7"), .lo = GE(0),
     OPTIMIZER_KEY, .doc = "stop when the largest gradient entry is at most this"},
    {KEY("optimizer.tolerance_change", NUMBER, optimizer.tolerance_change, "1e-9"),
     .lo = GE(0), OPTIMIZER_KEY, .doc = "stop when the loss or the step changes by at most this"},
    {KEY("optimizer.trials", INTEGER, optimizer.trials, "1000"), .lo = GE(1), .hi = LE(1e9),
     OPTIMIZER_KEY, .doc = "the number of random W tried"},
    {KEY("optimizer.init_scale", NUMBER, optimizer.init_scale, "1e-4"), .lo = GE(0),
     OPTIMIZER_KEY, .doc = "standard deviation of each sampled W and b"},

    /* L-BFGS's line search sets its own steps and random search takes none. */
    {.path = "schedule", .type = LT_JC_OBJECT, OPTIMIZER_KEY,
     .doc = "the learning-rate schedule, one factor of the base rate per update"},
    {KEY("schedule.name", STRING, schedule.name, "\"constant\""),
     .name_at = lt_schedule_name_at, .doc = "the schedule"},
    {KEY("schedule.unit", STRING, schedule.unit, "\"epoch\""), .choices = "epoch|step",
     .only = {"schedule.name", "step|cosine|linear|inverse_sqrt", NULL},
     .doc = "what the decay counts: epochs (constant within an epoch) or updates"},
    {KEY("schedule.milestones", NUMLIST, schedule.milestones, "[]"), .lo = GE(0),
     .flags = LT_JC_INCREASING, .only = {"schedule.name", "step", NULL},
     .doc = "where the rate is multiplied by gamma (a repeat counts twice)"},
    {KEY("schedule.gamma", NUMBER, schedule.gamma, "0.1"), .lo = GT(0),
     .only = {"schedule.name", "step", NULL}, .doc = "the factor at each milestone"},
    {KEY("schedule.warmup_steps", INTEGER, schedule.warmup_steps, "0"), .lo = GE(0),
     .hi = LE(LT_JC_INT_EXACT),
     .doc = "linear warmup: the rate times min(1, (k+1)/warmup_steps); 0 = none"},
    {KEY("schedule.lr_scaling_base_batch", INTEGER, schedule.lr_scaling_base_batch, "0"),
     .lo = GE(0), .hi = LE(LT_JC_INT_EXACT),
     .doc = "linear scaling rule: the base rate becomes lr * batch_size / this; 0 = off"},

    SECTION("train", "the training run"),
    {KEY("train.epochs", INTEGER, train.epochs, "10"), .lo = GE(1), .hi = LE(1e9), OPTIMIZER_KEY,
     .doc = "passes over the training split"},
    {KEY("train.batch_size", INTEGER, train.batch_size, NULL), .lo = GE(0), BY_OPTIMIZER,
     .doc = "rows per update; 0 = full batch; at most the training records"},
    {KEY("train.shuffle", BOOL, train.shuffle, "true"),
     .doc = "reshuffle the training split every epoch"},
    {KEY("train.seed", INTEGER, train.seed, "0"), .lo = GE(0), .hi = LE(LT_JC_INT_EXACT),
     .doc = "seeds the init and the shuffle"},
    {KEY("train.log_every", INTEGER, train.log_every, "100"), .lo = GE(0),
     .doc = "updates between logged batch losses; 0 = epoch lines only"},
    {KEY("train.threads", INTEGER, train.threads, "0"), .lo = GE(0), .hi = LE(1024),
     .doc = "threads of the training kernel; 0 = one per online CPU; results do not depend on it"},
    {KEY("train.checkpoint_every", INTEGER, train.checkpoint_every, "1"), .lo = GE(0),
     .hi = LE(1e9), .doc = "epochs between writes of checkpoint.bin; 0 = only on a signal"},
    {KEY("train.early_stopping_patience", INTEGER, train.early_stopping_patience, "0"),
     .lo = GE(0), .hi = LE(1e9),
     .doc = "stop after this many epochs without a better val_acc; 0 = off; needs a "
            "validation split"},
    {KEY("train.kernel", STRING, train.kernel, "\"auto\""), .name_at = lt_kernel_name_at,
     .doc = "the training kernel (auto: AVX-512, else AVX2, as the CPU has them, else "
            "portable; avx512 and avx2 differ in the last bits)"},
    {KEY("train.eval_train_size", INTEGER, train.eval_train_size, "5000"), .lo = GE(0),
     .doc = "training records scored for each epoch line; 0 = all"},
    {KEY("train.divergence_factor", NUMBER, train.divergence_factor, "1e3"), .lo = GE(0),
     .doc = "an epoch loss above this times the initial one is a divergence (exit 3); "
            "0 = no bound"},

    SECTION("output", "where the run is written"),
    {KEY("output.dir", STRING, output.dir, NULL), .make_default = default_output_dir,
     .flags = NONEMPTY, .doc = "the run folder (runs/default without --config)"},
};
#define N_SCHEMA (sizeof SCHEMA / sizeof SCHEMA[0])

const lt_jc_key *lt_config_schema(size_t *n_keys)
{
    *n_keys = N_SCHEMA;
    return SCHEMA;
}

/* ---- what the optimizer table decides ------------------------------------------------- */

/* Whether optimizer name uses the key (or section) at path: its rate and eps when its
 * entry has a default for them, its other optimizer.* keys when listed in its entry;
 * a schedule only for first-order optimizers (L-BFGS's line search sets its own steps),
 * epochs for all but random search (one pass of trials). */
static bool optimizer_uses(const char *path, const char *name)
{
    const lt_optim_kind *kind = lt_optim_find(name);
    if (!kind) {
        return false;
    }
    if (strcmp(path, "schedule") == 0) {
        return kind->family == LT_OPTIM_FIRST_ORDER;
    }
    if (strcmp(path, "train.epochs") == 0) {
        return kind->family != LT_OPTIM_RANDOM_SEARCH;
    }
    const char *leaf = path + strlen("optimizer.");
    if (strcmp(leaf, "lr") == 0) {
        return kind->lr > 0;
    }
    if (strcmp(leaf, "eps") == 0) {
        return kind->eps > 0;
    }
    size_t n = strlen(leaf);
    for (const char *p = kind->keys; *p;) {
        size_t len = strcspn(p, "|");
        if (len == n && strncmp(p, leaf, n) == 0) {
            return true;
        }
        p += len + (p[len] == '|');
    }
    return false;
}

/* The defaults that differ per optimizer, from its table entry. */
static bool per_optimizer_default(const lt_jc_view *v, const char *path, lt_jc_default *out)
{
    const char *name = lt_jsonconf_string(v, "optimizer.name");
    const lt_optim_kind *kind = name ? lt_optim_find(name) : NULL;
    if (!kind) {
        return false;
    }
    if (strcmp(path, "optimizer.lr") == 0) {
        out->number = kind->lr;
    } else if (strcmp(path, "optimizer.eps") == 0) {
        out->number = kind->eps;
    } else if (strcmp(path, "train.batch_size") == 0) {
        out->number = kind->full_batch ? 0 : DEFAULT_BATCH_SIZE;
    } else {
        return false;
    }
    return true;
}

/* data.dir, data.train_files and data.test_file of the format's FORMAT_DEFAULTS row. */
static bool per_format_default(const lt_jc_view *v, const char *path, lt_jc_default *out)
{
    const char *format = lt_jsonconf_string(v, "data.format");
    for (size_t i = 0; format && i < sizeof FORMAT_DEFAULTS / sizeof FORMAT_DEFAULTS[0]; i++) {
        if (strcmp(format, FORMAT_DEFAULTS[i].format) != 0) {
            continue;
        }
        const char *text = strcmp(path, "data.dir") == 0           ? FORMAT_DEFAULTS[i].dir
                           : strcmp(path, "data.train_files") == 0 ? FORMAT_DEFAULTS[i].train_files
                           : strcmp(path, "data.test_file") == 0   ? FORMAT_DEFAULTS[i].test_file
                                                                   : NULL;
        out->is_string = true;
        out->is_json = strcmp(path, "data.train_files") == 0;
        return text && snprintf(out->string, sizeof out->string, "%s", text) > 0;
    }
    return false;
}

/* data.preprocess: mean_image for the pixels alone (or no data.features: npy), standardize
 * per feature for computed features, whose scales differ from stage to stage. */
static bool per_features_default(const lt_jc_view *v, const char *path, lt_jc_default *out)
{
    (void)path;
    const cJSON *f = lt_jsonconf_value(v, "data.features");
    const cJSON *first = cJSON_IsArray(f) ? f->child : NULL;
    const cJSON *name = first ? cJSON_GetObjectItemCaseSensitive(first, "name") : NULL;
    bool pixels = !first || (!first->next && cJSON_IsString(name) &&
                             strcmp(name->valuestring, "pixels") == 0);
    out->is_string = true;
    snprintf(out->string, sizeof out->string, "%s", pixels ? "mean_image" : "standardize");
    return true;
}

/* "runs/<file name without .json>", so that each config gets its own run folder. */
static bool default_output_dir(const lt_jc_view *v, const char *path, lt_jc_default *out)
{
    (void)path;
    const char *file = lt_jsonconf_file(v);
    out->is_string = true;
    if (!file) {
        snprintf(out->string, sizeof out->string, "runs/default");
        return true;
    }
    const char *slash = strrchr(file, '/');
    const char *base = slash ? slash + 1 : file;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0) {
        len -= 5;
    }
    int n = snprintf(out->string, sizeof out->string, "runs/%.*s", (int)len, base);
    return n > 0 && (size_t)n < sizeof out->string;
}

/* ---- the rules between keys ------------------------------------------------------------ */

/* The rules that need only the config, after each key is valid on its own. */
static lt_status cross_checks(const lt_jc_source *src, const lt_config *cfg, lt_error *err)
{
    const lt_optim_kind *kind = lt_optim_find(cfg->optimizer.name);
    if (kind->full_batch && cfg->train.batch_size != 0) {
        return lt_jsonconf_fail(src, "train.batch_size", err,
                                "train.batch_size: optimizer \"%s\" %s: set it to 0 (full "
                                "batch), got %lld",
                                kind->name, kind->full_batch, cfg->train.batch_size);
    }
    const char *pen = cfg->regularization.type;
    if (kind->family == LT_OPTIM_LBFGS && cfg->regularization.lambda > 0 &&
        (strcmp(pen, "l1") == 0 || strcmp(pen, "elastic_net") == 0)) {
        return lt_jsonconf_fail(src, "regularization.type", err,
                                "regularization.type: \"%s\" is not differentiable where a "
                                "weight is 0, and L-BFGS needs a smooth objective: use \"l2\" "
                                "or \"none\" with optimizer \"lbfgs\" (or regularization.lambda "
                                "0)",
                                pen);
    }
    if (cfg->data.test_x && (cfg->data.test_x[0] == '\0') != (cfg->data.test_y[0] == '\0')) {
        const char *which = cfg->data.test_x[0] ? "data.test_y" : "data.test_x";
        return lt_jsonconf_fail(src, which, err,
                                "%s: data.test_x and data.test_y go together: set both (a "
                                "test split) or neither",
                                which);
    }
    if (cfg->train.early_stopping_patience > 0 && cfg->data.val_size == 0) {
        return lt_jsonconf_fail(src, "train.early_stopping_patience", err,
                                "train.early_stopping_patience: needs a validation split "
                                "(data.val_size > 0)");
    }
    return LT_OK;
}

lt_status lt_config_check_data(const lt_config *cfg, size_t ntrain, lt_error *err)
{
    if ((unsigned long long)cfg->train.batch_size > ntrain) {
        return lt_fail(err, LT_ECONFIG,
                       "train.batch_size: %lld is larger than the %zu training records "
                       "(use 0 for full batch)",
                       cfg->train.batch_size, ntrain);
    }
    const lt_optim_kind *kind = lt_optim_find(cfg->optimizer.name);
    if (kind->family != LT_OPTIM_FIRST_ORDER) {
        return LT_OK;
    }
    size_t batch = cfg->train.batch_size == 0 ? ntrain : (size_t)cfg->train.batch_size;
    long long steps = batch ? (long long)((ntrain + batch - 1) / batch) : 0;
    long long total = steps * cfg->train.epochs;
    if (cfg->schedule.warmup_steps > total) {
        return lt_fail(err, LT_ECONFIG,
                       "schedule.warmup_steps: %lld is more than the run's %lld updates "
                       "(%lld epochs of %lld)",
                       cfg->schedule.warmup_steps, total, cfg->train.epochs, steps);
    }
    return LT_OK;
}

/* ---- resolved: the plain structs of the update rules and schedules ----------------------- */

static void resolve_params(lt_config *cfg)
{
    const char *form = cfg->optimizer.form, *unit = cfg->schedule.unit;
    cfg->optim_params = (lt_optim_params){
        .rho = cfg->optimizer.rho,
        .form = form && strcmp(form, "velocity") == 0 ? LT_MOMENTUM_VELOCITY
                                                      : LT_MOMENTUM_STANDARD,
        .eps = cfg->optimizer.eps,
        .decay_rate = cfg->optimizer.decay_rate,
        .beta1 = cfg->optimizer.beta1,
        .beta2 = cfg->optimizer.beta2,
        .bias_correction = cfg->optimizer.bias_correction,
        .weight_decay = cfg->optimizer.weight_decay,
    };
    cfg->model_init = (lt_model_init_spec){
        .gaussian = cfg->model.init && strcmp(cfg->model.init, "gaussian") == 0,
        .scale = cfg->model.init_scale,
        .weights = cfg->model.init_weights,
        .bias = cfg->model.init_bias,
    };
    cfg->schedule_spec = (lt_schedule_spec){
        .kind = cfg->schedule.name ? lt_schedule_find(cfg->schedule.name) : NULL,
        .lr = cfg->optimizer.lr,
        .unit = unit && strcmp(unit, "step") == 0 ? LT_SCHEDULE_BY_STEP : LT_SCHEDULE_BY_EPOCH,
        .milestones = cfg->schedule.milestones.items,
        .n_milestones = cfg->schedule.milestones.n,
        .gamma = cfg->schedule.gamma,
        .warmup_steps = cfg->schedule.warmup_steps,
        .lr_scaling_base_batch = cfg->schedule.lr_scaling_base_batch,
    };
}

/* ---- the public API ---------------------------------------------------------------------- */

lt_status lt_config_load(lt_config *cfg, const char *path, const char *const *sets,
                         size_t n_sets, lt_error *err)
{
    if (!cfg) {
        return lt_fail(err, LT_ERR, "lt_config_load: no config to fill");
    }
    memset(cfg, 0, sizeof *cfg);
    lt_jc_source src = {path, sets, n_sets};
    lt_status st = lt_jsonconf_load(SCHEMA, N_SCHEMA, cfg, &cfg->resolved, &cfg->notes, &src,
                                    err);
    if (st != LT_OK) {
        memset(cfg, 0, sizeof *cfg);
        return st;
    }
    st = cross_checks(&src, cfg, err);
    if (st != LT_OK) {
        lt_config_free(cfg);
        return st;
    }
    resolve_params(cfg);
    return LT_OK;
}

char *lt_config_to_json(const lt_config *cfg)
{
    return cfg ? lt_jsonconf_to_json(cfg->resolved) : NULL;
}

void lt_config_free(lt_config *cfg)
{
    if (!cfg) {
        return;
    }
    lt_jsonconf_free(SCHEMA, N_SCHEMA, cfg, cfg->resolved);
    free(cfg->notes);
    memset(cfg, 0, sizeof *cfg);
}

int lt_config_compare(const lt_config *cfg, const char *other, const char *other_name,
                      const char *ignore, char *msg, size_t cap)
{
    return lt_jsonconf_compare(SCHEMA, N_SCHEMA, cfg ? cfg->resolved : NULL, other, other_name,
                               ignore, msg, cap);
}
