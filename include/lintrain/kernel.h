/* kernel.h — the forward path: scores, loss, loss gradient and accuracy count of the
 * linear classifier over rows of D uint8 or float32 values, any number of classes C,
 * with the preprocessing folded in. Training, the evaluation of every split,
 * `lintrain eval` and `lintrain predict` all compute through it.
 *
 * It computes, for the preprocessed rows x' = (x - shift) * scale, the scores
 * s = x'·W + b, the loss's mean over the rows and its gradient dW = x'ᵀ·dL/ds,
 * db = Σ_rows dL/ds. How is chosen by name:
 *   avx512    a fused, blocked AVX-512 kernel: each block of rows is read (uint8
 *             widened to float) while it is hot in cache, scored a block of at most
 *             12 classes at a time, turned into dL/ds by the loss and accumulated into
 *             the gradient, without a float copy of the batch (kernel_avx512.c; needs
 *             AVX-512 F, BW, VL and DQ)
 *   avx2      the same with AVX2+FMA and class blocks of at most 10 (kernel_avx2.c)
 *   portable  the same blocked algorithm in plain C (any CPU)
 *   sgemm     blocks of rows converted to float, both products by OpenBLAS sgemm: the
 *             plain formulas, kept as a choice to compare the others with
 *   auto      avx512 when the CPU has it, else avx2, else portable (the fastest the
 *             CPU runs, for every C and dtype measured: docs/performance.md)
 * Each implementation sums in its own fixed order: avx512 and avx2 agree to rounding,
 * not bit for bit, so a run with "auto" on a CPU with AVX-512 differs in the last bits
 * from one on a CPU with AVX2 only; train.kernel pins the implementation. With C = 10
 * and uint8 rows, avx2 sums exactly as the kernel written for CIFAR-10 alone did.
 * The tests check every implementation against tests/sgemm_oracle.c, the formulas
 * above on float features.
 *
 * A call's rows are cut into at most LT_KERNEL_SHARES shares, fixed by the number of
 * rows alone; the threads of one lt_pool take shares as they free up, each share sums
 * into its own gradient, and the shares are added in order. With more than
 * LT_KERNEL_CLASS_SPLIT classes (avx2, avx512) the rows go in rounds of at most
 * LT_KERNEL_SHARES blocks instead: the shares of a round compute its scores and dL/ds,
 * then the threads split the round's weight gradient by ranges of classes, each
 * summing over all the round's rows in order into the one gradient. Either way results
 * are the same bits for any number of threads (up to LT_KERNEL_SHARES are kept busy). While the
 * pool has more than one thread OpenBLAS is held at one thread; with `sgemm` the
 * threads are OpenBLAS's instead, lintrain starts none, and its results may depend on
 * OpenBLAS's thread count. */
#ifndef LINTRAIN_KERNEL_H
#define LINTRAIN_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/loss.h"
#include "lintrain/model.h"
#include "lintrain/pool.h"

/* Rows to work on: row i of the call is record idx[i] of x (idx non-NULL), or record
 * start + i. x holds records of D values of dtype (D of the model), row-major. */
typedef struct {
    const void *x;           /* borrowed */
    lt_dtype dtype;
    const uint16_t *labels;  /* borrowed; may be NULL for lt_kernel_scores */
    const size_t *idx;      /* borrowed, or NULL */
    size_t start, n;
} lt_rows;

#define LT_KERNEL_SHARES 8
#define LT_KERNEL_CLASS_SPLIT 16

typedef struct lt_kernel_impl lt_kernel_impl;
typedef struct lt_kernel_thread lt_kernel_thread;
typedef struct lt_kernel_share lt_kernel_share;

typedef struct {
    const lt_kernel_impl *impl;
    size_t D, C;
    lt_dtype dtype;              /* of the rows it is given */
    size_t ld;                   /* row stride of Wt and the gradient accumulators */
    size_t block_rows;           /* rows handed to the implementation at once */
    float *shift, *scale;        /* owned copies: (D) the preprocessing, x' = (x - shift) * scale */
    lt_pool pool;                /* owned (one thread with sgemm) */
    size_t threads;              /* threads that do the work: the pool's, or OpenBLAS's */
    float *Wt;                   /* owned: (C, ld) W transposed, column d scaled by scale[d] */
    lt_kernel_thread *th;        /* owned: (n_threads) each thread's workspace */
    size_t n_threads;
    lt_kernel_share *sh;         /* owned: (n_shares) each share's sums */
    size_t n_shares;
    int by_class;                /* the backward runs by class ranges, in rounds */
    size_t round_rows;           /* rows of a round (the call's: all of them, if !by_class) */
    const void **rrows;          /* owned: (round_rows) the round's row pointers, by_class */
    float *rS;                   /* owned: (round_rows, C) the round's dL/ds, by_class */
} lt_kernel;

/* Names of the implementations, for the config schema ("auto" first). */
const char *lt_kernel_name_at(size_t i);

/* Whether name is an implementation this CPU can run ("auto" always can). */
int lt_kernel_available(const char *name);

/* Prepares the kernel named name for a model of D features and C classes over rows of
 * dtype values, with threads threads (0 = one per online CPU) and the preprocessing
 * shift, scale (D), which it copies. An implementation the CPU cannot run, or that
 * does not handle C and dtype, is an error. */
lt_status lt_kernel_create(lt_kernel *k, const char *name, size_t D, size_t C, lt_dtype dtype,
                           size_t threads, const float *shift, const float *scale,
                           lt_error *err);

/* The implementation actually running ("avx512", "avx2", "portable" or "sgemm"). */
const char *lt_kernel_name(const lt_kernel *k);

/* Mean data loss over the rows (labels required). When grad is non-NULL it gets the
 * gradient of that mean in the params layout of m (dW then db). *correct, when
 * non-NULL, gets the number of rows whose highest score is the label. */
double lt_kernel_loss_grad(lt_kernel *k, const lt_model *m, const lt_loss *loss,
                           double margin, const lt_rows *rows, float *grad, size_t *correct);

/* scores (rows->n, C) = x'·W + b: the scores lt_kernel_loss_grad counts and scores
 * over the same rows, bit for bit (the same shares and blocks). */
void lt_kernel_scores(lt_kernel *k, const lt_model *m, const lt_rows *rows, float *scores);

void lt_kernel_free(lt_kernel *k);

#endif
