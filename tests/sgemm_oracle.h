/* sgemm_oracle.h — the linear classifier's scores, loss and gradient on float features
 * through OpenBLAS sgemm: the straightforward formulas the training kernel (kernel.h)
 * is checked against. Test code only; lintrain itself computes through the kernel. */
#ifndef LINTRAIN_SGEMM_ORACLE_H
#define LINTRAIN_SGEMM_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/loss.h"
#include "lintrain/model.h"

/* scores (n, C) = X (n, D) · W + b. */
void oracle_scores(const lt_model *m, const float *X, size_t n, float *scores);

/* Mean data loss over the n rows of X with labels y. When grad is non-NULL, writes
 * the gradient of that mean into grad (params layout): dW = Xᵀ·dS, db = Σ_rows dS.
 * scores (n, C) is workspace (it holds dS afterwards). *correct (if non-NULL) gets
 * the number of rows classified right. */
double oracle_loss_grad(const lt_model *m, const lt_loss *loss, double margin, const float *X,
                        const uint16_t *y, size_t n, float *scores, float *grad,
                        size_t *correct);

#endif
