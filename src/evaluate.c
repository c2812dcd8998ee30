/* evaluate.c — a split's loss and accuracy through the kernel (no float copy of the
 * data set), and its confusion matrix from the kernel's scores. */
#include "lintrain/evaluate.h"

#include <stdlib.h>
#include <string.h>

void lt_evaluate_kernel(lt_kernel *k, const lt_model *m, const lt_loss *loss, double margin,
                        const lt_dataset *ds, const size_t *idx, size_t n, lt_eval *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) {
        return;
    }
    lt_rows rows = {ds->x, ds->dtype, ds->labels, idx, 0, n};
    out->n = n;
    out->loss = lt_kernel_loss_grad(k, m, loss, margin, &rows, NULL, &out->correct);
    out->accuracy = (double)out->correct / (double)n;
}

lt_status lt_evaluate_confusion(lt_kernel *k, const lt_model *m, const lt_loss *loss,
                                double margin, const lt_dataset *ds, lt_eval *out,
                                size_t *confusion, lt_error *err)
{
    size_t C = m->C;
    memset(confusion, 0, C * C * sizeof *confusion);
    lt_evaluate_kernel(k, m, loss, margin, ds, NULL, ds->n, out);
    if (ds->n == 0) {
        return LT_OK;
    }
    /* A second pass for the scores: the first gives the loss and accuracy exactly as
     * training's evaluation sums them (summary.json's, bit for bit); eval is not a hot
     * path. The same rows in the same call shape: the scores the accuracy counted. */
    float *scores = lt_calloc2(ds->n, C, sizeof *scores, "evaluation scores", err);
    if (!scores) {
        return LT_ERR;
    }
    lt_rows rows = {ds->x, ds->dtype, NULL, NULL, 0, ds->n};
    lt_kernel_scores(k, m, &rows, scores);
    for (size_t i = 0; i < ds->n; i++) {
        confusion[(size_t)ds->labels[i] * C + lt_loss_argmax(scores + i * C, C)]++;
    }
    free(scores);
    return LT_OK;
}
