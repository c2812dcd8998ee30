/* evaluate.h — loss, accuracy and confusion matrix of a model over a dataset, through
 * the training kernel: the numbers training reports for a split and those `lintrain
 * eval` reports for it come from the same code. */
#ifndef LINTRAIN_EVALUATE_H
#define LINTRAIN_EVALUATE_H

#include <stddef.h>

#include "lintrain/cifar.h"
#include "lintrain/common.h"
#include "lintrain/kernel.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"

typedef struct {
    size_t n;        /* records evaluated */
    size_t correct;  /* records classified right */
    double loss;     /* mean data loss (no penalty); 0 when n is 0 */
    double accuracy; /* correct / n; 0 when n is 0 */
} lt_eval;

/* Evaluates m on records idx[0..n) of ds (records 0..n when idx is NULL) through the
 * kernel k, whose preprocessing is that of the training split. Loss and accuracy are
 * those lt_kernel_loss_grad gives. */
void lt_evaluate_kernel(lt_kernel *k, const lt_model *m, const lt_loss *loss, double margin,
                        const lt_dataset *ds, const size_t *idx, size_t n, lt_eval *out);

/* lt_evaluate_kernel on every record of ds that also counts the confusion matrix:
 * confusion (C, C) row-major gets, at [t][k], the number of records of true class t
 * predicted as k (the highest score, the first on ties). Row sums are the class
 * counts, the diagonal sums to out->correct. Errors: out of memory. */
lt_status lt_evaluate_confusion(lt_kernel *k, const lt_model *m, const lt_loss *loss,
                                double margin, const lt_dataset *ds, lt_eval *out,
                                size_t *confusion, lt_error *err);

#endif
