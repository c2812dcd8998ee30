/* kmeans_zca.c — ZCA whitening of the patches (kmeans_demo.m: C = cov(patches);
 * [V, D] = eig(C); P = V * diag(sqrt(1 ./ (diag(D) + 0.1))) * V'; patches =
 * (patches - mean) * P). The covariance is accumulated in double by dsyrk over blocks
 * of centred rows; its eigenpairs come from the cyclic Jacobi method (Golub & Van Loan,
 * Matrix Computations, 4th ed., section 8.5), which needs no LAPACK and is exact enough
 * and quick for d of a few hundred. */
#include "lintrain/kmeans.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 1024
#define MAX_SWEEPS 60

/* The rotation of rows and columns p, q of the symmetric A (d, d) that zeroes A[p][q],
 * applied to A and to the eigenvector columns of V. */
static void jacobi_rotate(double *A, double *V, size_t d, size_t p, size_t q)
{
    double apq = A[p * d + q];
    double theta = (A[q * d + q] - A[p * d + p]) / (2.0 * apq);
    double t = fabs(theta) > 1e150 ? 0.5 / theta
                                   : (theta >= 0 ? 1.0 : -1.0) /
                                         (fabs(theta) + sqrt(theta * theta + 1.0));
    double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
    for (size_t k = 0; k < d; k++) { /* A J */
        double akp = A[k * d + p], akq = A[k * d + q];
        A[k * d + p] = c * akp - s * akq;
        A[k * d + q] = s * akp + c * akq;
    }
    for (size_t k = 0; k < d; k++) { /* J^T (A J) */
        double apk = A[p * d + k], aqk = A[q * d + k];
        A[p * d + k] = c * apk - s * aqk;
        A[q * d + k] = s * apk + c * aqk;
    }
    A[p * d + q] = A[q * d + p] = 0.0;
    for (size_t k = 0; k < d; k++) {
        double vkp = V[k * d + p], vkq = V[k * d + q];
        V[k * d + p] = c * vkp - s * vkq;
        V[k * d + q] = s * vkp + c * vkq;
    }
}

/* Eigenvectors of the symmetric A (d, d, destroyed: its diagonal ends as the
 * eigenvalues) into the columns of V. */
static void jacobi_eigen(double *A, double *V, size_t d)
{
    for (size_t i = 0; i < d * d; i++) {
        V[i] = 0.0;
    }
    double diag = 0.0;
    for (size_t i = 0; i < d; i++) {
        V[i * d + i] = 1.0;
        diag += A[i * d + i] * A[i * d + i];
    }
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
        double off = 0.0;
        for (size_t p = 0; p < d; p++) {
            for (size_t q = p + 1; q < d; q++) {
                off += A[p * d + q] * A[p * d + q];
            }
        }
        if (off <= 1e-30 * diag || off == 0.0) {
            return;
        }
        for (size_t p = 0; p < d; p++) {
            for (size_t q = p + 1; q < d; q++) {
                if (A[p * d + q] != 0.0) {
                    jacobi_rotate(A, V, d, p, q);
                }
            }
        }
    }
}

/* The covariance of X (n, d) about mean (d), dividing by n - 1, into C (d, d). */
static lt_status covariance(const float *X, size_t n, size_t d, const double *mean, double *C,
                            double *block, lt_error *err)
{
    memset(C, 0, d * d * sizeof *C);
    for (size_t r0 = 0; r0 < n; r0 += BLOCK) {
        lt_status st = lt_kmeans_poll("whitening", err);
        if (st != LT_OK) {
            return st;
        }
        size_t rows = n - r0 < BLOCK ? n - r0 : BLOCK;
        for (size_t r = 0; r < rows; r++) {
            for (size_t j = 0; j < d; j++) {
                block[r * d + j] = X[(r0 + r) * d + j] - mean[j];
            }
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)rows, 1.0, block,
                    (int)d, 1.0, C, (int)d);
    }
    for (size_t i = 0; i < d; i++) {
        for (size_t j = i; j < d; j++) {
            C[i * d + j] /= (double)(n - 1);
            C[j * d + i] = C[i * d + j];
        }
    }
    return LT_OK;
}

/* P = V diag(1 / sqrt(lambda + eps)) V^T, lambda the diagonal of A. */
static lt_status zca_matrix(const double *A, const double *V, size_t d, double eps, float *P,
                            lt_error *err)
{
    for (size_t k = 0; k < d; k++) {
        if (!(A[k * d + k] + eps > 0.0)) {
            return lt_fail(err, LT_ERR, "ZCA whitening: eigenvalue %g + eps %g is not positive",
                           A[k * d + k], eps);
        }
    }
    for (size_t i = 0; i < d; i++) {
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++) {
                s += V[i * d + k] * V[j * d + k] / sqrt(A[k * d + k] + eps);
            }
            P[i * d + j] = (float)s;
        }
    }
    return LT_OK;
}

lt_status lt_kmeans_zca_fit(const float *X, size_t n, size_t d, double eps, float *mean,
                            float *P, lt_error *err)
{
    if (n < 2) {
        return lt_fail(err, LT_ERR, "ZCA whitening needs 2 patches or more, got %zu", n);
    }
    lt_status st = LT_ERR;
    double *m = lt_calloc(d, sizeof *m, "ZCA mean", err);
    double *C = lt_calloc2(d, d, sizeof *C, "ZCA covariance", err);
    double *V = lt_calloc2(d, d, sizeof *V, "ZCA eigenvectors", err);
    double *block = lt_calloc2(BLOCK, d, sizeof *block, "ZCA block", err);
    if (!m || !C || !V || !block) {
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            m[j] += X[i * d + j];
        }
    }
    for (size_t j = 0; j < d; j++) {
        m[j] /= (double)n;
        mean[j] = (float)m[j];
    }
    if ((st = covariance(X, n, d, m, C, block, err)) == LT_OK) {
        jacobi_eigen(C, V, d);
        st = zca_matrix(C, V, d, eps, P, err);
    }
cleanup:
    free(m);
    free(C);
    free(V);
    free(block);
    return st;
}

lt_status lt_kmeans_zca_apply(float *X, size_t n, size_t d, const float *mean, const float *P,
                              lt_error *err)
{
    float *block = lt_calloc2(BLOCK, d, sizeof *block, "ZCA block", err);
    if (!block) {
        return LT_ERR;
    }
    lt_status st = LT_OK;
    for (size_t r0 = 0; r0 < n && (st = lt_kmeans_poll("whitening", err)) == LT_OK;
         r0 += BLOCK) {
        size_t rows = n - r0 < BLOCK ? n - r0 : BLOCK;
        float *Xb = X + r0 * d;
        for (size_t i = 0; i < rows * d; i++) {
            block[i] = Xb[i] - mean[i % d];
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)d, (int)d, 1.0f,
                    block, (int)d, P, (int)d, 0.0f, Xb, (int)d);
    }
    free(block);
    return st;
}
