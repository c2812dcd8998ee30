/* model.c — the linear classifier's parameters: created, initialised, loaded. */
#include "lintrain/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/npy.h"

lt_status lt_model_create(lt_model *m, size_t D, size_t C, lt_error *err)
{
    memset(m, 0, sizeof *m);
    size_t dc;
    if (lt_size_mul(D, C, &dc) != 0 || dc > SIZE_MAX - C) {
        return lt_fail(err, LT_ERR, "model: %zu x %zu weights overflow", D, C);
    }
    m->params = lt_calloc(dc + C, sizeof(float), "model parameters", err);
    if (!m->params) {
        return LT_ERR;
    }
    m->D = D;
    m->C = C;
    m->n_params = dc + C;
    m->W = m->params;
    m->b = m->params + dc;
    return LT_OK;
}

void lt_model_free(lt_model *m)
{
    if (!m) {
        return;
    }
    free(m->params);
    memset(m, 0, sizeof *m);
}

/* "(3072, 10)": shape as NumPy prints it. */
static void shape_text(const size_t *shape, int ndim, char *out, size_t size)
{
    size_t len = (size_t)snprintf(out, size, "(");
    for (int k = 0; k < ndim && len < size; k++) {
        len += (size_t)snprintf(out + len, size - len, "%s%zu", k ? ", " : "", shape[k]);
    }
    if (len < size) {
        snprintf(out + len, size - len, ndim == 1 ? ",)" : ")");
    }
}

/* Copies a .npy array of exactly the expected shape into dst; another shape is a
 * status error naming both. */
static lt_status load_exact(const char *path, const size_t *want, int want_ndim, float *dst,
                            const char *key, lt_status status, lt_error *err)
{
    float *data = NULL;
    size_t shape[LT_NPY_MAX_DIMS];
    int ndim = 0;
    lt_status st = lt_npy_read_f32(path, &data, shape, &ndim, err);
    if (st != LT_OK) {
        lt_error_prefix(err, key);
        return st;
    }
    size_t count = 1;
    int same = ndim == want_ndim;
    for (int k = 0; same && k < ndim; k++) {
        same = shape[k] == want[k];
        count *= want[k];
    }
    if (!same) {
        char has[96], expected[64];
        free(data);
        shape_text(shape, ndim, has, sizeof has);
        shape_text(want, want_ndim, expected, sizeof expected);
        return lt_fail(err, status, "%s: %s has the wrong shape: %s, expected %s (%s)", key,
                       path, has, expected,
                       want_ndim == 2 ? "features x classes" : "classes");
    }
    memcpy(dst, data, count * sizeof(float));
    free(data);
    return LT_OK;
}

lt_status lt_model_init(lt_model *m, const lt_model_init_spec *spec, lt_rng *rng,
                        lt_error *err)
{
    size_t nW = m->D * m->C;
    if (spec->gaussian) {
        for (size_t i = 0; i < nW; i++) {
            m->W[i] = (float)(spec->scale * lt_rng_normal(rng));
        }
    } else {
        memset(m->W, 0, nW * sizeof(float));
    }
    memset(m->b, 0, m->C * sizeof(float));
    if (spec->weights) {
        size_t want[2] = {m->D, m->C};
        lt_status st = load_exact(spec->weights, want, 2, m->W, "model.init_weights",
                                  LT_ECONFIG, err);
        if (st != LT_OK) {
            return st;
        }
    }
    if (spec->bias) {
        size_t want[1] = {m->C};
        lt_status st = load_exact(spec->bias, want, 1, m->b, "model.init_bias",
                                  LT_ECONFIG, err);
        if (st != LT_OK) {
            return st;
        }
    }
    return LT_OK;
}

lt_status lt_model_load(lt_model *m, const char *weights, const char *bias, lt_error *err)
{
    size_t wshape[2] = {m->D, m->C}, bshape[1] = {m->C};
    lt_status st = load_exact(weights, wshape, 2, m->W, "weights", LT_ERR, err);
    if (st == LT_OK) {
        st = load_exact(bias, bshape, 1, m->b, "bias", LT_ERR, err);
    }
    return st;
}
