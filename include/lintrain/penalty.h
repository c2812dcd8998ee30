/* penalty.h — regularization penalties R(W), as a table of name -> functions.
 * The penalty applies to W only; the bias is not penalised (as in the lecture). */
#ifndef LINTRAIN_PENALTY_H
#define LINTRAIN_PENALTY_H

#include <stddef.h>

typedef struct {
    const char *name;
    /* R(w) over n weights; beta is elastic net's L2 weight. */
    double (*value)(const float *w, size_t n, double beta);
    /* g += lambda * dR/dw (a subgradient where R has a kink: sign(0) = 0). */
    void (*add_grad)(const float *w, size_t n, double lambda, double beta, float *g);
} lt_penalty;

const lt_penalty *lt_penalty_find(const char *name);
const char *lt_penalty_name_at(size_t i);

#endif
