/* model.h — the parameters of the linear classifier s = x·W + b.
 *
 * Parameters live in one flat array, W (D, C) row-major followed by b (C), so the
 * optimizer updates them in one loop and the gradient has the same layout. Scores,
 * loss and gradient are the training kernel's (kernel.h). */
#ifndef LINTRAIN_MODEL_H
#define LINTRAIN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "lintrain/common.h"
#include "lintrain/rng.h"

/* How to start: the config's model.init, init_scale, init_weights, init_bias. */
typedef struct {
    bool gaussian;            /* W ~ N(0, scale²); else zeros */
    double scale;
    const char *weights;      /* .npy of shape (D, C) replacing W, or NULL */
    const char *bias;         /* .npy of shape (C,) replacing b, or NULL */
} lt_model_init_spec;

typedef struct {
    size_t D, C;
    size_t n_params;  /* D * C + C */
    float *params;    /* owned: W then b */
    float *W;         /* view: (D, C) row-major */
    float *b;         /* view: (C) */
} lt_model;

lt_status lt_model_create(lt_model *m, size_t D, size_t C, lt_error *err);
void lt_model_free(lt_model *m);

/* Initialises as spec says: gaussian (std scale, drawn from rng in W's row-major order)
 * or zeros for W; b zero; then the weights / bias .npy files when given (shapes must
 * be (D, C) and (C,)). */
lt_status lt_model_init(lt_model *m, const lt_model_init_spec *spec, lt_rng *rng,
                        lt_error *err);

/* Reads W and b from .npy files of shapes (D, C) and (C,) (a run folder's
 * weights.npy and bias.npy). */
lt_status lt_model_load(lt_model *m, const char *weights, const char *bias, lt_error *err);

#endif
