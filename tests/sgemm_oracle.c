/* sgemm_oracle.c — the reference forward and backward pass, two sgemm calls. */
#include "sgemm_oracle.h"

#include <cblas.h>
#include <string.h>

void oracle_scores(const lt_model *m, const float *X, size_t n, float *scores)
{
    for (size_t i = 0; i < n; i++) {
        memcpy(scores + i * m->C, m->b, m->C * sizeof(float));
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)m->C, (int)m->D, 1.0f,
                X, (int)m->D, m->W, (int)m->C, 1.0f, scores, (int)m->C);
}

double oracle_loss_grad(const lt_model *m, const lt_loss *loss, double margin, const float *X,
                        const uint16_t *y, size_t n, float *scores, float *grad,
                        size_t *correct)
{
    size_t C = m->C;
    oracle_scores(m, X, n, scores);
    if (correct) {
        *correct = lt_loss_count_correct(scores, y, n, C);
    }
    double scale = 1.0 / (double)n;
    double sum = loss->sum_and_grad(scores, y, n, C, margin, scale, grad ? scores : NULL);
    if (grad) {
        float *gW = grad, *gb = grad + m->D * C;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m->D, (int)C, (int)n, 1.0f, X,
                    (int)m->D, scores, (int)C, 0.0f, gW, (int)C);
        memset(gb, 0, C * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < C; j++) {
                gb[j] += scores[i * C + j];
            }
        }
    }
    return sum * scale;
}
