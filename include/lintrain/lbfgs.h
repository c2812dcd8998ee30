/* lbfgs.h — L-BFGS with a strong-Wolfe line search, in double precision.
 *
 * A port of torch.optim.LBFGS(line_search_fn="strong_wolfe") (itself after Mark
 * Schmidt's minFunc): the same two-loop recursion, the same initial step
 * min(1, 1/‖g‖₁)·lr on the very first iteration and lr afterwards, the same cubic
 * interpolation, bracketing and zoom (c1 = 1e-4, c2 = 0.9, at most 25 evaluations per
 * search), the same stopping tests. One lt_lbfgs_step is one call of PyTorch's step():
 * up to max_iter iterations and max_iter·5/4 evaluations; the history carries over to
 * the next call. The line search returns a point that satisfies the Armijo condition
 * f(x + t·d) ≤ f(x) + c1·t·gᵀd (sufficient decrease), or t = 0 (no move) when none was
 * found. The objective is a callback, so tests can run it on closed-form functions. */
#ifndef LINTRAIN_LBFGS_H
#define LINTRAIN_LBFGS_H

#include <stddef.h>

#include "lintrain/common.h"

/* f(x) into *f and ∇f(x) into g (n). A status other than LT_OK stops the step. */
typedef lt_status (*lt_lbfgs_eval)(void *ctx, const double *x, double *f, double *g,
                                   lt_error *err);

typedef enum {
    LT_LBFGS_MAX_ITER,   /* did max_iter iterations: call again to go on */
    LT_LBFGS_MAX_EVAL,   /* used max_iter·5/4 evaluations: call again to go on */
    LT_LBFGS_GRAD,       /* max |g| <= tolerance_grad: converged */
    LT_LBFGS_CHANGE,     /* step or loss change below tolerance_change: converged */
    LT_LBFGS_DIRECTION   /* gᵀd > −tolerance_change: no descent left */
} lt_lbfgs_stop;

/* One iteration, as reported to on_iter. */
typedef struct {
    long long iter;      /* iterations since creation, from 1 */
    double loss;         /* f at the new point */
    double t;            /* the step length the line search chose */
    int evals;           /* evaluations the line search used */
} lt_lbfgs_iter;

typedef struct {
    /* settings (lt_lbfgs_create) */
    size_t n;
    int history;
    long long max_iter, max_eval;
    double lr, tolerance_grad, tolerance_change;
    lt_lbfgs_eval eval;
    void *ctx;
    void (*on_iter)(void *ctx, const lt_lbfgs_iter *it);  /* may be NULL */
    /* state carried between steps, all owned */
    double **y, **s;     /* history: y = Δg, s = Δx, oldest first; history arrays of n */
    double *ro;          /* 1 / yᵀs, history */
    double *al;          /* two-loop coefficients, history */
    int num_old;         /* pairs held */
    double *d;           /* (n) last direction */
    double t;            /* last step length */
    double h_diag;       /* scale of the initial inverse Hessian */
    double *g, *prev_g;  /* (n) gradient now and at the previous iteration */
    long long n_iter, func_evals;
    /* line-search workspace, owned, (n) each */
    double *xt, *g_new, *g_prev, *bracket_g[2];
} lt_lbfgs;

/* Allocates for n unknowns. history >= 1, max_iter >= 1. */
lt_status lt_lbfgs_create(lt_lbfgs *L, size_t n, int history, long long max_iter, double lr,
                          double tolerance_grad, double tolerance_change, lt_lbfgs_eval eval,
                          void *ctx, lt_error *err);

/* One PyTorch step() from x (n), updated in place. *stop says why it ended; *iters gets
 * the iterations done (0 when x already met tolerance_grad). */
lt_status lt_lbfgs_step(lt_lbfgs *L, double *x, lt_lbfgs_stop *stop, long long *iters,
                        lt_error *err);

/* Frees what L owns; accepts NULL and a zeroed L. */
void lt_lbfgs_free(lt_lbfgs *L);

#endif
