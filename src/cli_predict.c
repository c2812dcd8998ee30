/* cli_predict.c — `lintrain predict`: classes of PNG images under a finished run. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/cli.h"
#include "lintrain/cli_args.h"
#include "lintrain/image.h"
#include "lintrain/run.h"

static const char USAGE[] =
    "usage: lintrain predict --run DIR [--top K] [--json] [--config FILE]\n"
    "                        [--set key.path=VALUE]... IMAGE.png...\n"
    "\n"
    "Classifies PNG images with a finished run: each image is read with libpng (8-bit\n"
    "or 16-bit gray, RGB, RGBA or palette; alpha composited onto white), resized to\n"
    "32x32 by area averaging when it is another size (the aspect ratio is not kept),\n"
    "preprocessed as in training, and its top classes are printed with softmax\n"
    "probabilities (softmax runs) or scores (SVM runs). A file that cannot be read is\n"
    "reported on stderr and the others are still predicted.\n"
    "\n"
    "  --run DIR              the run folder (config.json, weights.npy, bias.npy,\n"
    "                         preprocess.npy)\n"
    "  --top K                how many classes to print, best first [3]\n"
    "  --json                 one JSON object per image per line: {\"file\", \"top\":\n"
    "                         [{\"class\", \"index\", \"score\", \"prob\"}...]} (\"prob\" for\n"
    "                         softmax runs only)\n"
    "  --config FILE          use FILE instead of DIR/config.json\n"
    "  --set key.path=VALUE   override one key; repeatable\n"
    "\n"
    "Exit status: 0 every image predicted, 1 a file could not be read (or another\n"
    "failure), 2 config or usage error.\n";

#define NC LT_CIFAR_C
#define SIDE 32

typedef struct {
    lt_cli_config_args cfg;
    const char *dir;
    const char **images;  /* owned array; elements borrowed from argv */
    size_t n_images;
    size_t top;
    int json, help;
} predict_args;

static int predict_option(void *ctx, int argc, char **argv, int *i)
{
    predict_args *a = ctx;
    const char *v;
    if (strcmp(argv[*i], "--json") == 0) {
        a->json = 1;
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
    int rc = lt_cli_parse("predict", "--run|--top|--json", argc, argv, 0, &a->cfg, &a->help,
                          predict_option, a);
    if (rc != 0 || a->help) {
        return rc;
    }
    if (!a->dir || a->n_images == 0) {
        fprintf(stderr, "lintrain: predict needs --run DIR and at least one image "
                        "(try lintrain predict --help)\n");
        return 2;
    }
    if (a->top < 1 || a->top > NC) {
        fprintf(stderr, "lintrain: --top: must be in [1, %d], got %zu\n", NC, a->top);
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

/* Scores of one 32x32 image under the run (through its kernel), and softmax
 * probabilities of them. */
static lt_status classify(const lt_run *run, lt_kernel *kernel, const lt_image *im,
                          float scores[NC], double probs[NC], lt_error *err)
{
    uint8_t pixels[LT_CIFAR_D];
    lt_image_to_record(im, pixels);
    lt_rows one = {pixels, LT_DTYPE_U8, NULL, NULL, 0, 1};
    lt_kernel_scores(kernel, &run->model, &one, scores);
    double max = scores[0], sum = 0.0;
    for (size_t k = 1; k < NC; k++) {
        max = scores[k] > max ? scores[k] : max;
    }
    for (size_t k = 0; k < NC; k++) {
        probs[k] = exp((double)scores[k] - max);
        sum += probs[k];
    }
    for (size_t k = 0; k < NC; k++) {
        probs[k] /= sum;
    }
    if (!isfinite(sum)) {
        return lt_fail(err, LT_ERR, "the scores are not finite");
    }
    return LT_OK;
}

/* order gets the classes by decreasing score (the lower index first on ties). */
static void rank(const float scores[NC], size_t order[NC])
{
    for (size_t k = 0; k < NC; k++) {
        size_t j = k;
        for (; j > 0 && scores[order[j - 1]] < scores[k]; j--) {
            order[j] = order[j - 1];
        }
        order[j] = k;
    }
}

static void print_text(const predict_args *a, const lt_run *run, const char *path, size_t w,
                       size_t h, const float *scores, const double *probs, int softmax)
{
    size_t order[NC];
    rank(scores, order);
    printf("%s", path);
    if (w != SIDE || h != SIDE) {
        printf(" (%zux%zu, resized)", w, h);
    }
    for (size_t r = 0; r < a->top; r++) {
        size_t k = order[r];
        printf("%s %s %.4f", r ? "," : ":", run->class_names[k],
               softmax ? probs[k] : (double)scores[k]);
    }
    printf("\n");
}

static void print_json(const predict_args *a, const lt_run *run, const char *path, size_t w,
                       size_t h, const float *scores, const double *probs, int softmax)
{
    size_t order[NC];
    rank(scores, order);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", path);
    cJSON *top = cJSON_AddArrayToObject(o, "top");
    for (size_t r = 0; r < a->top; r++) {
        size_t k = order[r];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "class", run->class_names[k]);
        cJSON_AddNumberToObject(c, "index", (double)k);
        cJSON_AddNumberToObject(c, "score", scores[k]);
        if (softmax) {
            cJSON_AddNumberToObject(c, "prob", probs[k]);
        }
        cJSON_AddItemToArray(top, c);
    }
    if (w != SIDE || h != SIDE) {
        cJSON *from = cJSON_AddArrayToObject(o, "resized_from");
        cJSON_AddItemToArray(from, cJSON_CreateNumber((double)w));
        cJSON_AddItemToArray(from, cJSON_CreateNumber((double)h));
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text) {
        printf("%s\n", text);
    }
    free(text);
}

static int predict_all(const predict_args *a, const lt_run *run, lt_kernel *k)
{
    int softmax = strcmp(run->cfg.model.loss, "softmax") == 0;
    int failed = 0;
    if (!a->json) {
        printf("%s (top %zu) from %s\n", softmax ? "softmax probabilities" : "class scores",
               a->top, run->dir);
    }
    for (size_t i = 0; i < a->n_images; i++) {
        lt_image im;
        lt_error err = {{0}};
        size_t w = 0, h = 0;
        float scores[NC];
        double probs[NC];
        lt_status st = load_image(a->images[i], &im, &w, &h, &err);
        if (st == LT_OK) {
            st = classify(run, k, &im, scores, probs, &err);
            lt_image_free(&im);
            if (st != LT_OK) {
                lt_error_prefix(&err, a->images[i]);
            }
        }
        if (st != LT_OK) {
            fflush(stdout);
            fprintf(stderr, "lintrain: %s\n", err.msg);
            failed = 1;
            continue;
        }
        if (a->json) {
            print_json(a, run, a->images[i], w, h, scores, probs, softmax);
        } else {
            print_text(a, run, a->images[i], w, h, scores, probs, softmax);
        }
        fflush(stdout);
    }
    return failed;
}

int lt_cli_predict(int argc, char **argv)
{
    predict_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && a.help) {
        fputs(USAGE, stdout);
    } else if (rc == 0) {
        lt_run run;
        lt_error err = {{0}};
        lt_status st = lt_run_open(&run, a.dir, a.cfg.config, a.cfg.sets, a.cfg.n_sets, 0, &err);
        if (st == LT_OK) {
            lt_kernel k;
            st = lt_run_kernel(&run, 1, &k, &err);
            if (st == LT_OK) {
                rc = predict_all(&a, &run, &k);
                lt_kernel_free(&k);
            }
            lt_run_free(&run);
        }
        if (st != LT_OK) {
            fprintf(stderr, "lintrain: %s\n", err.msg);
            rc = (int)st;
        }
    }
    free(a.images);
    lt_cli_config_args_free(&a.cfg);
    return rc;
}
