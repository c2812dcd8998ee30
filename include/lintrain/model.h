/* model.h — the linear classifier s = x·W + b and its loss gradient.
 *
 * Parameters live in one flat array, W (D, C) row-major followed by b (C), so the
 * optimizer updates them in one loop and the gradient has the same layout. Every
 * product goes through OpenBLAS sgemm. */
#ifndef LINTRAIN_MODEL_H
#define LINTRAIN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/config.h"
#include "lintrain/loss.h"
#include "lintrain/rng.h"

typedef struct {
    size_t D, C;
    size_t n_params;  /* D * C + C */
    float *params;    /* owned: W then b */
    float *W;         /* view: (D, C) row-major */
    float *b;         /* view: (C) */
} lt_model;

lt_status lt_model_create(lt_model *m, size_t D, size_t C, lt_error *err);
void lt_model_free(lt_model *m);

/* Initialises from cfg->model: gaussian (std init_scale, drawn from rng in W's
 * row-major order) or zeros for W; b zero; then init_weights / init_bias .npy files
 * when given (shapes must be (D, C) and (C,)). */
lt_status lt_model_init(lt_model *m, const lt_config *cfg, lt_rng *rng, lt_error *err);

/* Reads W and b from .npy files of shapes (D, C) and (C,) (a run folder's
 * weights.npy and bias.npy). */
lt_status lt_model_load(lt_model *m, const char *weights, const char *bias, lt_error *err);

/* scores (n, C) = X (n, D) · W + b. */
void lt_model_scores(const lt_model *m, const float *X, size_t n, float *scores);

/* Mean data loss over the n rows of X with labels y. When grad is non-NULL, writes
 * the gradient of that mean into grad (params layout): dW = Xᵀ·dS, db = Σ_rows dS.
 * scores (n, C) is workspace (it holds dS afterwards). *correct (if non-NULL) gets
 * the number of rows classified right. */
double lt_model_loss_grad(const lt_model *m, const lt_loss *loss, double margin,
                          const float *X, const uint8_t *y, size_t n, float *scores,
                          float *grad, size_t *correct);

#endif
