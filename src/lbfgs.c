/* lbfgs.c — L-BFGS with a strong-Wolfe line search: a line-by-line port of
 * torch/optim/lbfgs.py (PyTorch 1.13), whose comments name minFunc's polyinterp and
 * WolfeLineSearch as its sources. Python's min/max are kept as written (py_min,
 * py_max), so a NaN travels the same way it does there. */
#include "lintrain/lbfgs.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define C1 1e-4            /* sufficient decrease (Armijo) */
#define C2 0.9             /* curvature */
#define LS_TOLERANCE 1e-9  /* _strong_wolfe's own tolerance_change (PyTorch never passes its) */
#define MAX_LS 25          /* evaluations per line search */

static double py_max(double a, double b)
{
    return b > a ? b : a;
}

static double py_min(double a, double b)
{
    return b < a ? b : a;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += a[i] * b[i];
    }
    return s;
}

static double abs_max(const double *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        m = py_max(m, fabs(a[i]));
    }
    return m;
}

static void copy(double *dst, const double *src, size_t n)
{
    memcpy(dst, src, n * sizeof *dst);
}

/* The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to bounds
 * (or to [min(x1,x2), max(x1,x2)] when bounds is NULL); the middle when it has none. */
static double cubic_interpolate(double x1, double f1, double g1, double x2, double f2,
                                double g2, const double *bounds)
{
    double lo, hi;
    if (bounds) {
        lo = bounds[0];
        hi = bounds[1];
    } else if (x1 <= x2) {
        lo = x1;
        hi = x2;
    } else {
        lo = x2;
        hi = x1;
    }
    double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    double d2_square = d1 * d1 - g1 * g2;
    if (d2_square >= 0) {
        double d2 = sqrt(d2_square), min_pos;
        if (x1 <= x2) {
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
        } else {
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
        }
        return py_min(py_max(min_pos, lo), hi);
    }
    return (lo + hi) / 2.0;
}

/* f and g at x + t·d. */
static lt_status eval_at(lt_lbfgs *L, const double *x, double t, const double *d, double *f,
                         double *g, lt_error *err)
{
    for (size_t i = 0; i < L->n; i++) {
        L->xt[i] = x[i] + t * d[i];
    }
    return L->eval(L->ctx, L->xt, f, g, err);
}

typedef struct {
    double f;    /* in: f(x); out: f at the chosen point */
    double *g;   /* in: ∇f(x); out: the gradient there (n, caller's) */
    double t;    /* in: initial step; out: the chosen step */
    int evals;   /* out */
} search;

/* _strong_wolfe: finds t along d from x, with f, g and gtd = gᵀd at x. */
static lt_status strong_wolfe(lt_lbfgs *L, const double *x, const double *d, double gtd,
                              search *s, lt_error *err)
{
    size_t n = L->n;
    double f = s->f, t = s->t;
    double d_norm = abs_max(d, n);
    double *g_new = L->g_new, *g_prev = L->g_prev, **bg = L->bracket_g;
    double f_new;
    lt_status st = eval_at(L, x, t, d, &f_new, g_new, err);
    if (st != LT_OK) {
        return st;
    }
    int evals = 1;
    double gtd_new = dot(g_new, d, n);

    /* Bracket an interval holding a point that meets the Wolfe conditions. */
    double t_prev = 0, f_prev = f, gtd_prev = gtd;
    copy(g_prev, s->g, n);
    bool done = false;
    int ls_iter = 0, nb = 0;
    double br[2] = {0, 0}, br_f[2] = {0, 0}, br_gtd[2] = {0, 0};
    while (ls_iter < MAX_LS) {
        if (f_new > (f + C1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
            nb = 2;
            br[0] = t_prev, br[1] = t;
            br_f[0] = f_prev, br_f[1] = f_new;
            copy(bg[0], g_prev, n);
            copy(bg[1], g_new, n);
            br_gtd[0] = gtd_prev, br_gtd[1] = gtd_new;
            break;
        }
        if (fabs(gtd_new) <= -C2 * gtd) {
            nb = 1;
            br[0] = t;
            br_f[0] = f_new;
            copy(bg[0], g_new, n);
            done = true;
            break;
        }
        if (gtd_new >= 0) {
            nb = 2;
            br[0] = t_prev, br[1] = t;
            br_f[0] = f_prev, br_f[1] = f_new;
            copy(bg[0], g_prev, n);
            copy(bg[1], g_new, n);
            br_gtd[0] = gtd_prev, br_gtd[1] = gtd_new;
            break;
        }
        /* Interpolate, within [t + 0.01·(t − t_prev), 10·t]. */
        double bounds[2] = {t + 0.01 * (t - t_prev), t * 10};
        double tmp = t;
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds);
        t_prev = tmp;
        f_prev = f_new;
        copy(g_prev, g_new, n);
        gtd_prev = gtd_new;
        if ((st = eval_at(L, x, t, d, &f_new, g_new, err)) != LT_OK) {
            return st;
        }
        evals++;
        gtd_new = dot(g_new, d, n);
        ls_iter++;
    }
    if (ls_iter == MAX_LS) {
        nb = 2;
        br[0] = 0, br[1] = t;
        br_f[0] = f, br_f[1] = f_new;
        copy(bg[0], s->g, n);
        copy(bg[1], g_new, n);
    }

    /* Zoom: shrink the bracket until a point meets the conditions. */
    bool insuf_progress = false;
    int low = br_f[0] <= br_f[nb - 1] ? 0 : 1, high = 1 - low;
    while (!done && ls_iter < MAX_LS) {
        if (fabs(br[1] - br[0]) * d_norm < LS_TOLERANCE) {
            break;
        }
        t = cubic_interpolate(br[0], br_f[0], br_gtd[0], br[1], br_f[1], br_gtd[1], NULL);
        /* Too close to an end, twice or beyond it: move 10% of the bracket inside. */
        double bmax = py_max(br[0], br[1]), bmin = py_min(br[0], br[1]);
        double eps = 0.1 * (bmax - bmin);
        if (py_min(bmax - t, t - bmin) < eps) {
            if (insuf_progress || t >= bmax || t <= bmin) {
                t = fabs(t - bmax) < fabs(t - bmin) ? bmax - eps : bmin + eps;
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }
        if ((st = eval_at(L, x, t, d, &f_new, g_new, err)) != LT_OK) {
            return st;
        }
        evals++;
        gtd_new = dot(g_new, d, n);
        ls_iter++;
        if (f_new > (f + C1 * t * gtd) || f_new >= br_f[low]) {
            /* Armijo fails or no lower than the low end: the new high end. */
            br[high] = t;
            br_f[high] = f_new;
            copy(bg[high], g_new, n);
            br_gtd[high] = gtd_new;
            low = br_f[0] <= br_f[1] ? 0 : 1;
            high = 1 - low;
        } else {
            if (fabs(gtd_new) <= -C2 * gtd) {
                done = true;  /* the strong Wolfe conditions hold */
            } else if (gtd_new * (br[high] - br[low]) >= 0) {
                /* The old low end becomes the high end. */
                br[high] = br[low];
                br_f[high] = br_f[low];
                copy(bg[high], bg[low], n);
                br_gtd[high] = br_gtd[low];
            }
            br[low] = t;
            br_f[low] = f_new;
            copy(bg[low], g_new, n);
            br_gtd[low] = gtd_new;
        }
    }
    s->t = br[low];
    s->f = br_f[low];
    copy(s->g, bg[low], n);
    s->evals = evals;
    return LT_OK;
}

lt_status lt_lbfgs_create(lt_lbfgs *L, size_t n, int history, long long max_iter, double lr,
                          double tolerance_grad, double tolerance_change, lt_lbfgs_eval eval,
                          void *ctx, lt_error *err)
{
    memset(L, 0, sizeof *L);
    L->n = n;
    L->history = history;
    L->max_iter = max_iter;
    L->max_eval = max_iter * 5 / 4;
    L->lr = lr;
    L->tolerance_grad = tolerance_grad;
    L->tolerance_change = tolerance_change;
    L->eval = eval;
    L->ctx = ctx;
    L->h_diag = 1.0;
    size_t h = (size_t)history;
    L->y = lt_calloc(h, sizeof *L->y, "L-BFGS history", err);
    L->s = lt_calloc(h, sizeof *L->s, "L-BFGS history", err);
    L->ro = lt_calloc(h, sizeof *L->ro, "L-BFGS history", err);
    L->al = lt_calloc(h, sizeof *L->al, "L-BFGS history", err);
    if (!L->y || !L->s || !L->ro || !L->al) {
        lt_lbfgs_free(L);
        return LT_ERR;
    }
    for (size_t k = 0; k < h; k++) {
        L->y[k] = lt_calloc(n, sizeof(double), "L-BFGS history", err);
        L->s[k] = lt_calloc(n, sizeof(double), "L-BFGS history", err);
        if (!L->y[k] || !L->s[k]) {
            lt_lbfgs_free(L);
            return LT_ERR;
        }
    }
    double **vecs[] = {&L->d, &L->g, &L->prev_g, &L->xt, &L->g_new, &L->g_prev,
                       &L->bracket_g[0], &L->bracket_g[1]};
    for (size_t k = 0; k < sizeof vecs / sizeof vecs[0]; k++) {
        *vecs[k] = lt_calloc(n, sizeof(double), "L-BFGS workspace", err);
        if (!*vecs[k]) {
            lt_lbfgs_free(L);
            return LT_ERR;
        }
    }
    return LT_OK;
}

/* Appends the pair (y, s) = (g − prev_g, t·d), dropping the oldest when full, when
 * yᵀs > 1e-10 (curvature positive: the update keeps the inverse Hessian definite). */
static void remember(lt_lbfgs *L)
{
    size_t n = L->n;
    double *y = L->xt, *s = L->g_new;  /* workspace, free between line searches */
    for (size_t i = 0; i < n; i++) {
        y[i] = L->g[i] - L->prev_g[i];
        s[i] = L->d[i] * L->t;
    }
    double ys = dot(y, s, n);
    if (!(ys > 1e-10)) {
        return;
    }
    if (L->num_old == L->history) {
        /* Rotate: the oldest arrays become the slot for the newest. */
        double *oy = L->y[0], *os = L->s[0];
        memmove(L->y, L->y + 1, (size_t)(L->history - 1) * sizeof *L->y);
        memmove(L->s, L->s + 1, (size_t)(L->history - 1) * sizeof *L->s);
        memmove(L->ro, L->ro + 1, (size_t)(L->history - 1) * sizeof *L->ro);
        L->y[L->history - 1] = oy;
        L->s[L->history - 1] = os;
        L->num_old--;
    }
    copy(L->y[L->num_old], y, n);
    copy(L->s[L->num_old], s, n);
    L->ro[L->num_old] = 1.0 / ys;
    L->num_old++;
    L->h_diag = ys / dot(y, y, n);
}

/* d = −H·g by the two-loop recursion over the history. */
static void direction(lt_lbfgs *L)
{
    size_t n = L->n;
    double *q = L->d;
    for (size_t i = 0; i < n; i++) {
        q[i] = -L->g[i];
    }
    for (int k = L->num_old - 1; k >= 0; k--) {
        L->al[k] = dot(L->s[k], q, n) * L->ro[k];
        for (size_t i = 0; i < n; i++) {
            q[i] += -L->al[k] * L->y[k][i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        q[i] *= L->h_diag;
    }
    for (int k = 0; k < L->num_old; k++) {
        double be = dot(L->y[k], q, n) * L->ro[k];
        for (size_t i = 0; i < n; i++) {
            q[i] += (L->al[k] - be) * L->s[k][i];
        }
    }
}

/* The start of an iteration: the direction d (steepest descent the very first time,
 * the two-loop recursion afterwards), prev_g, and the initial step length t
 * (min(1, 1/‖g‖₁)·lr the very first time, lr afterwards). */
static void start_iteration(lt_lbfgs *L)
{
    size_t n = L->n;
    if (L->n_iter == 1) {
        for (size_t i = 0; i < n; i++) {
            L->d[i] = -L->g[i];
        }
        L->num_old = 0;
        L->h_diag = 1.0;
    } else {
        remember(L);
        direction(L);
    }
    copy(L->prev_g, L->g, n);
    if (L->n_iter == 1) {
        double g1 = 0.0;
        for (size_t i = 0; i < n; i++) {
            g1 += fabs(L->g[i]);
        }
        L->t = py_min(1.0, 1.0 / g1) * L->lr;
    } else {
        L->t = L->lr;
    }
}

lt_status lt_lbfgs_step(lt_lbfgs *L, double *x, lt_lbfgs_stop *stop, long long *iters,
                        lt_error *err)
{
    size_t n = L->n;
    double loss;
    *iters = 0;
    lt_status st = L->eval(L->ctx, x, &loss, L->g, err);
    if (st != LT_OK) {
        return st;
    }
    long long current_evals = 1;
    L->func_evals++;
    if (abs_max(L->g, n) <= L->tolerance_grad) {
        *stop = LT_LBFGS_GRAD;
        return LT_OK;
    }
    *stop = LT_LBFGS_MAX_ITER;
    long long n_iter = 0;
    while (n_iter < L->max_iter) {
        n_iter++;
        L->n_iter++;
        *iters = n_iter;
        start_iteration(L);
        double prev_loss = loss;
        double gtd = dot(L->g, L->d, n);
        if (gtd > -L->tolerance_change) {
            *stop = LT_LBFGS_DIRECTION;
            break;
        }
        search s = {loss, L->g, L->t, 0};
        if ((st = strong_wolfe(L, x, L->d, gtd, &s, err)) != LT_OK) {
            return st;
        }
        loss = s.f;
        L->t = s.t;
        for (size_t i = 0; i < n; i++) {
            x[i] += L->t * L->d[i];
        }
        bool opt_cond = abs_max(L->g, n) <= L->tolerance_grad;
        current_evals += s.evals;
        L->func_evals += s.evals;
        if (L->on_iter) {
            lt_lbfgs_iter it = {L->n_iter, loss, L->t, s.evals};
            L->on_iter(L->ctx, &it);
        }
        if (n_iter == L->max_iter) {
            *stop = LT_LBFGS_MAX_ITER;
            break;
        }
        if (current_evals >= L->max_eval) {
            *stop = LT_LBFGS_MAX_EVAL;
            break;
        }
        if (opt_cond) {
            *stop = LT_LBFGS_GRAD;
            break;
        }
        double step_max = 0.0;
        for (size_t i = 0; i < n; i++) {
            step_max = py_max(step_max, fabs(L->d[i] * L->t));
        }
        if (step_max <= L->tolerance_change || fabs(loss - prev_loss) < L->tolerance_change) {
            *stop = LT_LBFGS_CHANGE;
            break;
        }
    }
    return LT_OK;
}

void lt_lbfgs_free(lt_lbfgs *L)
{
    if (!L) {
        return;
    }
    for (int k = 0; k < L->history && L->y && L->s; k++) {
        free(L->y[k]);
        free(L->s[k]);
    }
    free(L->y);
    free(L->s);
    free(L->ro);
    free(L->al);
    free(L->d);
    free(L->g);
    free(L->prev_g);
    free(L->xt);
    free(L->g_new);
    free(L->g_prev);
    free(L->bracket_g[0]);
    free(L->bracket_g[1]);
    memset(L, 0, sizeof *L);
}
