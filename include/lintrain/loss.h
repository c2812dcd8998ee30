/* loss.h — data losses of the linear classifier, as a table of name -> functions.
 * Adding a loss is one entry in loss.c. */
#ifndef LINTRAIN_LOSS_H
#define LINTRAIN_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* The most classes a loss handles (its batch form keeps a row in double on the stack);
 * the data's readers refuse more. */
#define LT_LOSS_MAX_CLASSES 4096

/* One example's loss L_i of scores s (C) with label y, in double precision; when ds
 * is non-NULL, writes dL_i/ds into ds (C). C <= LT_LOSS_MAX_CLASSES. */
typedef double (*lt_loss_row_fn)(const double *s, size_t y, size_t C, double margin,
                                 double *ds);

typedef struct {
    const char *name;
    /* Sum over the n rows of the per-example loss L_i of scores (n, C) with labels y.
     * When dscores is non-NULL, writes scale * dL_i/ds into dscores (n, C); dscores may
     * alias scores. margin is the SVM's Delta (unused by softmax). */
    double (*sum_and_grad)(const float *scores, const uint16_t *y, size_t n, size_t C,
                           double margin, double scale, float *dscores);
    /* The same loss for one row in double: sum_and_grad is built on it, and the
     * gradient check (gradcheck.h) differentiates it in double precision. */
    lt_loss_row_fn row;
} lt_loss;

/* The entry named name, or NULL. */
const lt_loss *lt_loss_find(const char *name);

/* The i-th name of the table, NULL past its end (for listings and suggestions). */
const char *lt_loss_name_at(size_t i);

/* The index of the highest of C scores (the first one on ties): the predicted class. */
size_t lt_loss_argmax(const float *s, size_t C);

/* Number of rows whose highest score (first one on ties) is the label. */
size_t lt_loss_count_correct(const float *scores, const uint16_t *y, size_t n, size_t C);

#endif
