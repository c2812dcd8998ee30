/* model.h — the parameters of the linear classifier s = x·W + b.
 *
 * Parameters live in one flat array, W (D, C) row-major followed by b (C), so the
 * optimizer updates them in one loop and the gradient has the same layout. Scores,
 * loss and gradient are the training kernel's (kernel.h). */
#ifndef LINTRAIN_MODEL_H
#define LINTRAIN_MODEL_H

#include <stddef.h>

#include "lintrain/common.h"
#include "lintrain/config.h"
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

#endif
