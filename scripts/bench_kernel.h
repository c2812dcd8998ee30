/* bench_kernel.h — the kernel rows of `make bench` (scripts/bench_kernel.c): softmax SGD
 * epochs on synthetic data sets of any shape and dtype through one named kernel, and
 * the machine's FMA peaks they are compared with. */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#include <stddef.h>

#include "lintrain/common.h"

/* A synthetic data set: n rows of D values of dtype, labels uniform in 0..C-1. */
typedef struct {
    const char *name;    /* e.g. "c100-u8" */
    const char *what;    /* what it stands for, for the table */
    size_t n, D, C;
    lt_dtype dtype;
} bench_shape;

/* The shapes, in table order; NULL past the last. */
const bench_shape *bench_kernel_shape_at(size_t i);

/* GFLOP per epoch: the two products X·W and Xᵀ·dS, 2 FLOP per multiply-add each. */
double bench_kernel_epoch_gflop(const bench_shape *s);

/* Trains softmax + L2 with SGD, batch 256, shuffled, through kernel `kernel` with
 * `threads` threads (0: one per CPU) for `epochs` epochs; wall_s[e] and cpu_s[e] get
 * epoch e's seconds (updates only; CPU time of the whole process). Nonzero with the
 * reason in *err on failure. */
int bench_kernel_epochs(const bench_shape *s, const char *kernel, int threads, int epochs,
                        double *wall_s, double *cpu_s, lt_error *err);

/* One core's FMA peak in GFLOP/s with vectors of `bits` (256: AVX2+FMA, 512: AVX-512F),
 * measured: independent chains of FMAs, best of 3 half-second runs in CPU time. NAN
 * when the CPU (or the compiler) lacks them. */
double bench_kernel_fma_peak(int bits);

#endif
