/*
 * One Frequent Directions shrink at the benchmark's shape (ℓ = 64, 2ℓ = 128, d = 4096), timed step by step in C
 * against Debian's OpenBLAS on ONE thread — what each lane of ParallelSketchAbsorber runs — together with the LAPACK
 * eigen-solvers that could replace ssyevd. No .NET in the way: these are the floors the C# sketch can reach.
 *
 *   gcc -O2 bench/Numerics.Bench/native/shrink-shapes.c -o /tmp/shrink-shapes /usr/lib/x86_64-linux-gnu/libopenblas.so.0 && /tmp/shrink-shapes
 *
 * Prints the best of many repetitions per step (a shared machine: the minimum is the least disturbed figure).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112, Upper = 121 };
void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
void cblas_ssyrk(int, int, int, int, int, float, const float *, int, float, float *, int);
void openblas_set_num_threads(int);
void ssyevd_(char *, char *, int *, float *, int *, float *, float *, int *, int *, int *, int *);
void ssyev_(char *, char *, int *, float *, int *, float *, float *, int *, int *);
void dsyevd_(char *, char *, int *, double *, int *, double *, double *, int *, int *, int *, int *);
void ssyevr_(char *, char *, char *, int *, float *, int *, float *, float *, int *, int *, float *, int *, float *, float *, int *, int *,
             float *, int *, int *, int *, int *);
void ssyevx_(char *, char *, char *, int *, float *, int *, float *, float *, int *, int *, float *, int *, float *, float *, int *, float *,
             int *, int *, int *, int *);
void ssytrd_(char *, int *, float *, int *, float *, float *, float *, float *, int *, int *);

enum { D = 4096, N = 128, Reps = 200 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static float *random_matrix(long count)
{
    float *p = malloc(count * sizeof(float));
    for (long i = 0; i < count; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    return p;
}

/* C (m×n) = A (m×k) · B, with B given as n×k (transB) or k×n; returns the best time in seconds. */
static double gemm(int m, int n, int k, int transB, int reps)
{
    float *a = random_matrix((long)m * k), *b = random_matrix((long)n * k), *c = random_matrix((long)m * n);
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        double t = now();
        cblas_sgemm(RowMajor, NoTrans, transB ? Trans : NoTrans, m, n, k, 1, a, k, b, transB ? k : n, 0, c, n);
        t = now() - t;
        if (t < best) best = t;
    }
    free(a); free(b); free(c);
    return best;
}

static void report_gemm(const char *what, int m, int n, int k, int transB)
{
    double t = gemm(m, n, k, transB, Reps);
    printf("%-44s %7.3f ms  %6.1f GFLOP/s\n", what, t * 1e3, 2.0 * m * n * k / t / 1e9);
}

int main(void)
{
    openblas_set_num_threads(1);
    double t = gemm(2048, 2048, 2048, 0, 5);
    printf("%-44s %7.1f GFLOP/s (one thread)\n", "sgemm 2048^3", 2.0 * 2048 * 2048 * 2048 / t / 1e9);
    report_gemm("Gram columns, 128x64x4096 (keeps l rows)", 128, 64, D, 1);
    report_gemm("Gram columns, 128x65x4096 (keeps l-1 rows)", 128, 65, D, 1);
    report_gemm("rotation, 64x4096x128 (keeps l rows)", 64, D, 128, 0);
    report_gemm("rotation, 63x4096x128 (keeps l-1 rows)", 63, D, 128, 0);
    report_gemm("split Gram: old x new, 64x64x4096", 64, 64, D, 1);
    {
        float *a = random_matrix(64L * D), *c = random_matrix(64 * 64);
        double best = 1e9;
        for (int r = 0; r < Reps; r++) {
            double s = now();
            cblas_ssyrk(RowMajor, Upper, NoTrans, 64, D, 1, a, D, 0, c, 64);
            s = now() - s;
            if (s < best) best = s;
        }
        printf("%-44s %7.3f ms  %6.1f GFLOP/s (n^2 d count)\n", "split Gram: new x new, ssyrk 64x4096", best * 1e3, 64.0 * 64 * D / best / 1e9);
        free(a); free(c);
    }

    /* An FD-like Gram: 64 orthogonal-ish rows of decaying norm and 64 new rows. */
    int n = N, info, lwork, liwork, m, il = 65, iu = N, isuppz[2 * N], ifail[N], iwork_x[5 * N];
    float *y = random_matrix((long)N * D), vl = 0, vu = 0, abstol = 0, query, *g0 = malloc(N * N * 4), *g = malloc(N * N * 4), *z = malloc(N * N * 4),
          w[N], diag[N], off[N], tau[N];
    for (int i = 0; i < 64; i++) for (int j = 0; j < D; j++) y[(long)i * D + j] *= 10.0f / (1 + i);
    cblas_sgemm(RowMajor, NoTrans, Trans, N, N, D, 1, y, D, y, D, 0, g0, N);
    char V = 'V', U = 'U', I = 'I', A = 'A';
    int iquery;

    lwork = -1; liwork = -1;
    ssyevd_(&V, &U, &n, g, &n, w, &query, &lwork, &iquery, &liwork, &info);
    lwork = (int)query; liwork = iquery;
    float *work = malloc((size_t)lwork * 4); int *iwork = malloc((size_t)liwork * 4);
    double best = 1e9;
    for (int r = 0; r < Reps; r++) { memcpy(g, g0, N * N * 4); double s = now(); ssyevd_(&V, &U, &n, g, &n, w, work, &lwork, iwork, &liwork, &info); s = now() - s; if (s < best) best = s; }
    printf("%-44s %7.3f ms\n", "ssyevd 128 (all pairs, divide and conquer)", best * 1e3);
    {
        int lw = -1; float q; ssyev_(&V, &U, &n, g, &n, w, &q, &lw, &info); lw = (int)q; float *wk = malloc((size_t)lw * 4);
        best = 1e9;
        for (int r = 0; r < Reps; r++) { memcpy(g, g0, N * N * 4); double s = now(); ssyev_(&V, &U, &n, g, &n, w, wk, &lw, &info); s = now() - s; if (s < best) best = s; }
        printf("%-44s %7.3f ms\n", "ssyev 128 (all pairs, implicit QL/QR)", best * 1e3);
        free(wk);
        double *gd = malloc(N * N * 8), *wd = malloc(N * 8), dq; int ld = -1, lid = -1, iq;
        dsyevd_(&V, &U, &n, gd, &n, wd, &dq, &ld, &iq, &lid, &info); ld = (int)dq; lid = iq;
        double *wkd = malloc((size_t)ld * 8); int *iwd = malloc((size_t)lid * 4);
        best = 1e9;
        for (int r = 0; r < Reps; r++) { for (int i = 0; i < N * N; i++) gd[i] = g0[i]; double s = now(); dsyevd_(&V, &U, &n, gd, &n, wd, wkd, &ld, iwd, &lid, &info); s = now() - s; if (s < best) best = s; }
        printf("%-44s %7.3f ms\n", "dsyevd 128 (float64, divide and conquer)", best * 1e3);
        free(gd); free(wd); free(wkd); free(iwd);
    }

    lwork = -1; liwork = -1;
    ssyevr_(&V, &I, &U, &n, g, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, isuppz, &query, &lwork, &iquery, &liwork, &info);
    float *work_r = malloc((size_t)query * 4); int *iwork_r = malloc((size_t)iquery * 4); lwork = (int)query; liwork = iquery;
    best = 1e9;
    for (int r = 0; r < Reps; r++) { memcpy(g, g0, N * N * 4); double s = now(); ssyevr_(&V, &I, &U, &n, g, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, isuppz, work_r, &lwork, iwork_r, &liwork, &info); s = now() - s; if (s < best) best = s; }
    printf("%-44s %7.3f ms\n", "ssyevr 128, top 64 pairs (MRRR)", best * 1e3);
    best = 1e9;
    for (int r = 0; r < Reps; r++) { memcpy(g, g0, N * N * 4); double s = now(); ssyevr_(&V, &A, &U, &n, g, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, isuppz, work_r, &lwork, iwork_r, &liwork, &info); s = now() - s; if (s < best) best = s; }
    printf("%-44s %7.3f ms\n", "ssyevr 128, all pairs", best * 1e3);

    lwork = -1;
    ssyevx_(&V, &I, &U, &n, g, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, &query, &lwork, iwork_x, ifail, &info);
    float *work_x = malloc((size_t)query * 4); lwork = (int)query;
    best = 1e9;
    for (int r = 0; r < Reps; r++) { memcpy(g, g0, N * N * 4); double s = now(); ssyevx_(&V, &I, &U, &n, g, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, work_x, &lwork, iwork_x, ifail, &info); s = now() - s; if (s < best) best = s; }
    printf("%-44s %7.3f ms\n", "ssyevx 128, top 64 pairs (bisection)", best * 1e3);

    lwork = -1;
    ssytrd_(&U, &n, g, &n, diag, off, tau, &query, &lwork, &info);
    float *work_t = malloc((size_t)query * 4); lwork = (int)query;
    best = 1e9;
    for (int r = 0; r < Reps; r++) { memcpy(g, g0, N * N * 4); double s = now(); ssytrd_(&U, &n, g, &n, diag, off, tau, work_t, &lwork, &info); s = now() - s; if (s < best) best = s; }
    printf("%-44s %7.3f ms\n", "ssytrd 128 (tridiagonal reduction only)", best * 1e3);
    return 0;
}
