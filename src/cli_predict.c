/* cli_predict.c — `lintrain predict`: classes of PNG images, or of the rows of a .npy
 * array, under a finished run. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/featpipe.h"
#include "lintrain/image.h"
#include "lintrain/npy.h"
#include "lintrain/run.h"

static const char USAGE[] =
    "usage: lintrain predict --run DIR [--top K] [--json] [--config FILE]\n"
    "                        [--set key.path=VALUE]... IMAGE.png...\n"
    "       lintrain predict --run DIR [--top K] [--json] [--config FILE]\n"
    "                        [--set key.path=VALUE]... --npy X.npy\n"
    "\n"
    "Classifies records with a finished run and prints each one's top classes with\n"
    "softmax probabilities (softmax runs) or scores (SVM runs).\n"
    "\n"
    "PNG images (runs trained on images): each is read with libpng (8-bit or 16-bit\n"
    "gray, RGB, RGBA or palette; alpha composited onto white), resized to 32x32 by area\n"
    "averaging when it is another size (the aspect ratio is not kept) and preprocessed\n"
    "as in training. A file that cannot be read is reported on stderr and the others\n"
    "are still predicted.\n"
    "\n"
    "--npy X.npy (any run): the rows of X, an (N, D) array of uint8, float32 or float64\n"
    "with the D features the run was trained on, preprocessed as in training.\n"
    "\n"
    "  --run DIR              the run folder (config.json, data.json, weights.npy,\n"
    "                         bias.npy, preprocess.npy)\n"
    "  --npy X.npy            predict the rows of X instead of images\n"
    "  --top K                how many classes to print, best first [3]\n"
    "  --json                 one JSON object per image (or row) per line: {\"file\" (or\n"
    "                         \"row\", from 0), \"top\": [{\"class\", \"index\", \"score\",\n"
    "                         \"prob\"}...]} (\"prob\" for softmax runs only)\n"
    "  --config FILE          use FILE instead of DIR/config.json\n"
    "  --set key.path=VALUE   override one key; repeatable\n"
    "\n"
    "Exit status: 0 every image or row predicted, 1 a file could not be read (or\n"
    "another failure), 2 config or usage error (images for a run not trained on\n"
    "images, rows of another D).\n";

#define SIDE 32

typedef struct {
    lt_cli_config_args cfg;
    const char *dir;
    const char **images;  /* owned array; elements borrowed from argv */
    size_t n_images;
    const char *npy;      /* --npy X.npy, or NULL */
    size_t top;
    int json, help;
} predict_args;

static int predict_option(void *ctx, int argc, char **argv, int *i)
{
    predict_args *a = ctx;
    const char *v;
    if (strcmp(argv[*i], "--json") == 0) {
        a->json = 1;
    } else if ((v = lt_cli_option_value("--npy", argc, argv, i))) {
        a->npy = v;
    } else if ((v = lt_cli_option_value("--run", argc, argv, i))) {
        a->dir = v;
    } else if ((v = lt_cli_option_value("--top", argc, argv, i))) {
        if (lt_cli_parse_count("--top", v, &a->top) != 0) {
            return 2;
        }
    } else if (argv[*i][0] == '-' && argv[*i][1] != '\0') {
        return 0;
    } else {
        a->images[a->n_images++] = argv[*i];
    }
    return 1;
}

static int parse_args(int argc, char **argv, predict_args *a)
{
    memset(a, 0, sizeof *a);
    a->top = 3;
    a->images = calloc((size_t)argc + 1, sizeof *a->images);
    if (!a->images) {
        fprintf(stderr, "lintrain: out of memory\n");
        return 1;
    }
    int rc = lt_cli_parse("predict", "--run|--npy|--top|--json", argc, argv, 0, &a->cfg, &a->help,
                          predict_option, a);
    if (rc != 0 || a->help) {
        return rc;
    }
    if (!a->dir || (a->n_images == 0) == !a->npy) {
        fprintf(stderr, "lintrain: predict needs --run DIR and either images or --npy X.npy "
                        "(try lintrain predict --help)\n");
        return 2;
    }
    if (a->top < 1) {
        fprintf(stderr, "lintrain: --top: must be at least 1, got 0\n");
        return 2;
    }
    return 0;
}

/* --top K against the run's C classes. */
static int check_top(const predict_args *a, size_t C)
{
    if (a->top < 1 || a->top > C) {
        fprintf(stderr, "lintrain: --top: must be in [1, %zu] (the run's classes), got %zu\n",
                C, a->top);
        return 2;
    }
    return 0;
}

/* The 32x32 image of path: read, and resized when it is another size. */
static lt_status load_image(const char *path, lt_image *im, size_t *w, size_t *h, lt_error *err)
{
    lt_image raw;
    lt_status st = lt_image_read_png(path, &raw, err);
    if (st != LT_OK) {
        return st;
    }
    *w = raw.width;
    *h = raw.height;
    if (raw.width == SIDE && raw.height == SIDE) {
        *im = raw;
        return LT_OK;
    }
    st = lt_image_resize(&raw, SIDE, SIDE, im, err);
    lt_image_free(&raw);
    if (st != LT_OK) {
        lt_error_prefix(err, path);
    }
    return st;
}

/* One record's scores, probabilities and classes by decreasing score, for C classes. */
typedef struct {
    size_t C;
    float *scores;   /* owned: (C) */
    double *probs;   /* owned: (C) softmax of the scores */
    size_t *order;   /* owned: (C) */
    float *features; /* owned: data.features: one image's features; else NULL */
} prediction;

static lt_status prediction_alloc(prediction *p, size_t C, lt_error *err)
{
    p->C = C;
    p->scores = lt_calloc(C, sizeof *p->scores, "scores", err);
    p->probs = lt_calloc(C, sizeof *p->probs, "probabilities", err);
    p->order = lt_calloc(C, sizeof *p->order, "class order", err);
    return p->scores && p->probs && p->order ? LT_OK : LT_ERR;
}

static void prediction_free(prediction *p)
{
    free(p->scores);
    free(p->probs);
    free(p->order);
    free(p->features);
}

/* order gets the classes by decreasing score (the lower index first on ties). */
static void rank(prediction *p)
{
    for (size_t k = 0; k < p->C; k++) {
        size_t j = k;
        for (; j > 0 && p->scores[p->order[j - 1]] < p->scores[k]; j--) {
            p->order[j] = p->order[j - 1];
        }
        p->order[j] = k;
    }
}

/* The scores of the one record of rows under the run (through its kernel), their
 * softmax probabilities and ranking. */
static lt_status classify(const lt_run *run, lt_kernel *kernel, const lt_rows *one,
                          prediction *p, lt_error *err)
{
    lt_kernel_scores(kernel, &run->model, one, p->scores);
    double max = p->scores[0], sum = 0.0;
    for (size_t k = 1; k < p->C; k++) {
        max = p->scores[k] > max ? p->scores[k] : max;
    }
    for (size_t k = 0; k < p->C; k++) {
        p->probs[k] = exp((double)p->scores[k] - max);
        sum += p->probs[k];
    }
    for (size_t k = 0; k < p->C; k++) {
        p->probs[k] /= sum;
    }
    if (!isfinite(sum)) {
        return lt_fail(err, LT_ERR, "the scores are not finite");
    }
    rank(p);
    return LT_OK;
}

/* What a line is about: an image file (its size before resizing) or a row of --npy. */
typedef struct {
    const char *file; /* NULL: row */
    size_t row, w, h;
} item;

static void print_text(const predict_args *a, const lt_run *run, const item *it,
                       const prediction *p, int softmax)
{
    if (it->file) {
        printf("%s", it->file);
    } else {
        printf("%s row %zu", a->npy, it->row);
    }
    if (it->file && (it->w != SIDE || it->h != SIDE)) {
        printf(" (%zux%zu, resized)", it->w, it->h);
    }
    for (size_t r = 0; r < a->top; r++) {
        size_t k = p->order[r];
        printf("%s %s %.4f", r ? "," : ":", run->data.class_names[k],
               softmax ? p->probs[k] : (double)p->scores[k]);
    }
    printf("\n");
}

static void print_json(const predict_args *a, const lt_run *run, const item *it,
                       const prediction *p, int softmax)
{
    cJSON *o = cJSON_CreateObject();
    if (it->file) {
        cJSON_AddStringToObject(o, "file", it->file);
    } else {
        cJSON_AddNumberToObject(o, "row", (double)it->row);
    }
    cJSON *top = cJSON_AddArrayToObject(o, "top");
    for (size_t r = 0; r < a->top; r++) {
        size_t k = p->order[r];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "class", run->data.class_names[k]);
        cJSON_AddNumberToObject(c, "index", (double)k);
        cJSON_AddNumberToObject(c, "score", p->scores[k]);
        if (softmax) {
            cJSON_AddNumberToObject(c, "prob", p->probs[k]);
        }
        cJSON_AddItemToArray(top, c);
    }
    if (it->file && (it->w != SIDE || it->h != SIDE)) {
        cJSON *from = cJSON_AddArrayToObject(o, "resized_from");
        cJSON_AddItemToArray(from, cJSON_CreateNumber((double)it->w));
        cJSON_AddItemToArray(from, cJSON_CreateNumber((double)it->h));
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text) {
        printf("%s\n", text);
    }
    free(text);
}

static void print_item(const predict_args *a, const lt_run *run, const item *it,
                       const prediction *p)
{
    int softmax = strcmp(run->cfg.model.loss, "softmax") == 0;
    if (a->json) {
        print_json(a, run, it, p, softmax);
    } else {
        print_text(a, run, it, p, softmax);
    }
    fflush(stdout);
}

static void print_header(const predict_args *a, const lt_run *run)
{
    if (!a->json) {
        int softmax = strcmp(run->cfg.model.loss, "softmax") == 0;
        printf("%s (top %zu) from %s\n", softmax ? "softmax probabilities" : "class scores",
               a->top, run->dir);
    }
}

/* One image through the run: read, resized, its record classified. */
static lt_status predict_image(const lt_run *run, const lt_featpipe *feat, lt_kernel *k,
                               item *it, prediction *p, lt_error *err)
{
    lt_image im;
    lt_status st = load_image(it->file, &im, &it->w, &it->h, err);
    if (st == LT_OK) {
        uint8_t pixels[LT_CIFAR_D];
        lt_image_to_record(&im, pixels);
        lt_image_free(&im);
        lt_rows one = {pixels, LT_DTYPE_U8, NULL, NULL, 0, 1};
        if (feat->n > 0) {
            /* data.features: the image's features, with the stages the run fitted. */
            one.x = p->features;
            one.dtype = LT_DTYPE_F32;
            st = lt_featpipe_image(feat, pixels, LT_FEATPIPE_SIDE, p->features, err);
        }
        st = st == LT_OK ? classify(run, k, &one, p, err) : st;
        if (st != LT_OK) {
            lt_error_prefix(err, it->file);
        }
    }
    return st;
}

/* Every image: 0, or 1 when one could not be read (each reported, the others done). */
static int predict_images(const predict_args *a, const lt_run *run, prediction *p)
{
    lt_kernel k;
    lt_featpipe feat = {0};
    lt_error err = {{0}};
    lt_status st = LT_OK;
    if (run->data.features[0] && (st = lt_featpipe_init(&feat, &run->cfg, &err)) == LT_OK) {
        st = lt_featpipe_load(&feat, run->dir, &err);
        p->features = st == LT_OK ? lt_calloc(lt_featpipe_size(&feat), sizeof *p->features,
                                              "features", &err)
                                  : NULL;
        st = st == LT_OK && !p->features ? LT_ERR : st;
    }
    if (st != LT_OK || lt_run_kernel(run, 1, &k, &err) != LT_OK) {
        lt_featpipe_free(&feat);
        fprintf(stderr, "lintrain: %s\n", err.msg);
        return 1;
    }
    int failed = 0;
    print_header(a, run);
    for (size_t i = 0; i < a->n_images; i++) {
        item it = {a->images[i], 0, 0, 0};
        if (predict_image(run, &feat, &k, &it, p, &err) != LT_OK) {
            fflush(stdout);
            fprintf(stderr, "lintrain: %s\n", err.msg);
            failed = 1;
            continue;
        }
        print_item(a, run, &it, p);
    }
    lt_kernel_free(&k);
    lt_featpipe_free(&feat);
    return failed;
}

/* X of --npy, checked against the run: (N, D) with the run's D. */
static lt_status open_npy(const predict_args *a, const lt_run *run, lt_npy_file *nf,
                          lt_error *err)
{
    lt_status st = lt_npy_open(a->npy, nf, err);
    if (st != LT_OK) {
        return st;
    }
    const lt_npy_header *h = &nf->h;
    if (h->ndim != 2 || h->shape[1] != run->data.D || h->shape[0] == 0) {
        char shape[64] = "(";
        for (int d = 0; d < h->ndim; d++) {
            size_t len = strlen(shape);
            snprintf(shape + len, sizeof shape - len, "%s%zu", d ? ", " : "", h->shape[d]);
        }
        lt_npy_close(nf);
        return lt_fail(err, LT_ECONFIG, "--npy %s: shape %s%s; the run in %s takes rows of "
                       "D = %zu features: an array (N, %zu) with N >= 1", a->npy, shape,
                       h->ndim == 1 ? ",)" : ")", run->dir, run->data.D, run->data.D);
    }
    return LT_OK;
}

/* The rows of X in memory as the kernel takes them: uint8 rows of a float run become
 * float32 (exactly); float rows stay float32 (also for a uint8 run). */
static lt_status load_rows(const predict_args *a, const lt_run *run, void **x,
                           lt_dtype *dtype, size_t *n, lt_error *err)
{
    lt_npy_file nf;
    lt_status st = open_npy(a, run, &nf, err);
    if (st != LT_OK) {
        return st;
    }
    int u8 = nf.kind == LT_NPY_UINT && nf.itemsize == 1;
    size_t D = run->data.D;
    *n = nf.h.shape[0];
    *dtype = u8 && run->data.dtype == LT_DTYPE_U8 ? LT_DTYPE_U8 : LT_DTYPE_F32;
    *x = lt_calloc2(*n, D, u8 ? 1 : sizeof(float), "--npy rows", err);
    st = *x ? lt_npy_read_matrix(&nf, u8 ? LT_DTYPE_U8 : LT_DTYPE_F32, *x, err) : LT_ERR;
    lt_npy_close(&nf);
    float *f = NULL;
    if (st == LT_OK && u8 && *dtype == LT_DTYPE_F32) {
        f = lt_calloc2(*n, D, sizeof *f, "--npy rows", err);
        for (size_t i = 0; f && i < *n * D; i++) {
            f[i] = (float)((const uint8_t *)*x)[i];
        }
        free(*x);
        *x = f;
        st = f ? LT_OK : LT_ERR;
    }
    return st;
}

/* Every row of --npy; a float X for a uint8 run is scored by the float kernel "auto"
 * picks (the run's own may take uint8 rows only). */
static lt_status predict_npy(const predict_args *a, const lt_run *run, prediction *p,
                             lt_error *err)
{
    void *x = NULL;
    lt_dtype dtype;
    size_t n = 0;
    lt_kernel k;
    lt_status st = load_rows(a, run, &x, &dtype, &n, err);
    const char *kernel = dtype == run->data.dtype ? run->cfg.train.kernel : "auto";
    if (st == LT_OK) {
        st = lt_kernel_create(&k, kernel, run->model.D, run->model.C, dtype, 1,
                              run->prep.shift, run->prep.scale, err);
    }
    if (st == LT_OK) {
        print_header(a, run);
        for (size_t i = 0; i < n && st == LT_OK; i++) {
            lt_rows one = {x, dtype, NULL, NULL, i, 1};
            item it = {NULL, i, 0, 0};
            st = classify(run, &k, &one, p, err);
            if (st == LT_OK) {
                print_item(a, run, &it, p);
            } else {
                lt_error_prefix(err, a->npy);
            }
        }
        lt_kernel_free(&k);
    }
    free(x);
    return st;
}

/* Images need a run trained on images. */
static lt_status check_images(const predict_args *a, const lt_run *run, lt_error *err)
{
    int images = run->data.features[0] || (run->data.is_image && run->data.D == LT_CIFAR_D);
    if (a->n_images > 0 && !images) {
        return lt_fail(err, LT_ECONFIG, "%s: the run was trained on %s data of D = %zu "
                       "features, not on 32x32 images: predict its rows with --npy X.npy",
                       a->images[0], run->data.format, run->data.D);
    }
    return LT_OK;
}

int lt_cli_predict(int argc, char **argv)
{
    predict_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && a.help) {
        fputs(USAGE, stdout);
    } else if (rc == 0) {
        lt_run run;
        prediction p = {0};
        lt_error err = {{0}};
        lt_status st = lt_run_open(&run, a.dir, a.cfg.config, a.cfg.sets, a.cfg.n_sets, 0, &err);
        if (st == LT_OK && (rc = check_top(&a, run.data.C)) == 0 &&
            (st = check_images(&a, &run, &err)) == LT_OK &&
            (st = prediction_alloc(&p, run.data.C, &err)) == LT_OK) {
            if (a.npy) {
                st = predict_npy(&a, &run, &p, &err);
            } else {
                rc = predict_images(&a, &run, &p);
            }
        }
        prediction_free(&p);
        lt_run_free(&run); /* emptied by a failed lt_run_open */
        if (st != LT_OK) {
            fflush(stdout);
            fprintf(stderr, "lintrain: %s\n", err.msg);
            rc = (int)st;
        }
    }
    free(a.images);
    lt_cli_config_args_free(&a.cfg);
    return rc;
}
