/* evaluate.c — whole-dataset loss and accuracy, a chunk of rows at a time so that
 * the float features never need more than a few MB. */
#include "lintrain/evaluate.h"

#include <stdlib.h>
#include <string.h>

#define EVAL_CHUNK 1024

lt_status lt_evaluate(const lt_model *m, const lt_loss *loss, double margin,
                      const lt_preprocess *p, const lt_dataset *ds, lt_eval *out,
                      lt_error *err)
{
    return lt_evaluate_confusion(m, loss, margin, p, ds, out, NULL, err);
}

void lt_confusion_add(const float *scores, const uint8_t *y, size_t n, size_t C,
                      size_t *confusion)
{
    for (size_t i = 0; i < n; i++) {
        confusion[(size_t)y[i] * C + lt_argmax(scores + i * C, C)]++;
    }
}

lt_status lt_evaluate_confusion(const lt_model *m, const lt_loss *loss, double margin,
                                const lt_preprocess *p, const lt_dataset *ds, lt_eval *out,
                                size_t *confusion, lt_error *err)
{
    memset(out, 0, sizeof *out);
    if (confusion) {
        memset(confusion, 0, m->C * m->C * sizeof *confusion);
    }
    if (ds->n == 0) {
        return LT_OK;
    }
    size_t rows = ds->n < EVAL_CHUNK ? ds->n : EVAL_CHUNK;
    float *X = lt_calloc2(rows, m->D, sizeof(float), "evaluation features", err);
    float *scores = lt_calloc2(rows, m->C, sizeof(float), "evaluation scores", err);
    if (!X || !scores) {
        free(X);
        free(scores);
        return LT_ERR;
    }
    double sum = 0.0;
    for (size_t start = 0; start < ds->n; start += rows) {
        size_t n = ds->n - start < rows ? ds->n - start : rows;
        lt_preprocess_rows(p, ds, NULL, start, n, X);
        lt_model_scores(m, X, n, scores);
        out->correct += lt_count_correct(scores, ds->labels + start, n, m->C);
        if (confusion) {
            lt_confusion_add(scores, ds->labels + start, n, m->C, confusion);
        }
        sum += loss->sum_and_grad(scores, ds->labels + start, n, m->C, margin, 0.0, NULL);
    }
    out->n = ds->n;
    out->loss = sum / (double)ds->n;
    out->accuracy = (double)out->correct / (double)ds->n;
    free(X);
    free(scores);
    return LT_OK;
}

/* The training loop's evaluation: the same loss and accuracy through the run's kernel,
 * which converts the uint8 pixels block by block (no float copy of the data set) and
 * uses the run's threads. */
void lt_evaluate_kernel(lt_kernel *k, const lt_model *m, const lt_loss *loss, double margin,
                        const lt_dataset *ds, const size_t *idx, size_t n, lt_eval *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) {
        return;
    }
    lt_rows rows = {ds->pixels, ds->labels, idx, 0, n};
    out->n = n;
    out->loss = lt_kernel_loss_grad(k, m, loss, margin, &rows, NULL, &out->correct);
    out->accuracy = (double)out->correct / (double)n;
}
