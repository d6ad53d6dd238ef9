using System.Numerics;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Backends;

/// <summary>
/// <see cref="IBlasBackend"/> over OpenBLAS by P/Invoke: CBLAS row-major GEMM/SYRK (the other triangle is
/// mirrored), and LAPACK <c>?syevd</c> / <c>?geqrf</c>+<c>?orgqr</c> through the Fortran symbols with
/// workspace queries, transposing between row- and column-major around the calls. Create it through
/// <see cref="OpenBlasBackendProvider"/>, which probes and verifies the library.
/// </summary>
public sealed unsafe class OpenBlasBackend : IBlasBackend
{
    /// <summary>The name used in options and <c>UWS_BLAS</c>.</summary>
    public const string BackendName = "openblas";

    private readonly OpenBlasNative _native;

    internal OpenBlasBackend(OpenBlasNative native) => _native = native;

    /// <inheritdoc />
    public string Name => BackendName;

    /// <summary>The shared library that was loaded.</summary>
    public string Library => _native.Library;

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        BlasArguments.CheckGemm(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        BlasArguments.CheckNoOverlap(a, nameof(a), c, nameof(c));
        BlasArguments.CheckNoOverlap(b, nameof(b), c, nameof(c));
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* ap = a, bp = b, cp = c)
        {
            _native.Sgemm(OpenBlasNative.RowMajor, Op(transA), Op(transB), m, n, k, alpha, ap, lda, bp, ldb, beta, cp, ldc);
        }
    }

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
    {
        BlasArguments.CheckGemm(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        BlasArguments.CheckNoOverlap(a, nameof(a), c, nameof(c));
        BlasArguments.CheckNoOverlap(b, nameof(b), c, nameof(c));
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (double* ap = a, bp = b, cp = c)
        {
            _native.Dgemm(OpenBlasNative.RowMajor, Op(transA), Op(transB), m, n, k, alpha, ap, lda, bp, ldb, beta, cp, ldc);
        }
    }

    /// <inheritdoc />
    public void Syrk(Transpose trans, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, float beta, Span<float> c, int ldc)
    {
        BlasArguments.CheckSyrk(trans, n, k, a.Length, lda, c.Length, ldc);
        BlasArguments.CheckNoOverlap(a, nameof(a), c, nameof(c));
        if (n == 0)
        {
            return;
        }

        fixed (float* ap = a, cp = c)
        {
            _native.Ssyrk(OpenBlasNative.RowMajor, OpenBlasNative.Upper, Op(trans), n, k, alpha, ap, lda, beta, cp, ldc);
        }

        MatrixLayout.MirrorUpperToLower(c, n, ldc);
    }

    /// <inheritdoc />
    public void Syrk(Transpose trans, int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc)
    {
        BlasArguments.CheckSyrk(trans, n, k, a.Length, lda, c.Length, ldc);
        BlasArguments.CheckNoOverlap(a, nameof(a), c, nameof(c));
        if (n == 0)
        {
            return;
        }

        fixed (double* ap = a, cp = c)
        {
            _native.Dsyrk(OpenBlasNative.RowMajor, OpenBlasNative.Upper, Op(trans), n, k, alpha, ap, lda, beta, cp, ldc);
        }

        MatrixLayout.MirrorUpperToLower(c, n, ldc);
    }

    /// <inheritdoc />
    public void SymmetricEigen(int n, Span<double> a, Span<double> eigenvalues)
    {
        BlasArguments.CheckEigen(n, a.Length, eigenvalues.Length);
        BlasArguments.CheckFinite<double>(a, n);
        Syevd(_native.Dsyevd, n, a, eigenvalues);
    }

    /// <inheritdoc />
    public void SymmetricEigen(int n, Span<float> a, Span<float> eigenvalues)
    {
        BlasArguments.CheckEigen(n, a.Length, eigenvalues.Length);
        BlasArguments.CheckFinite<float>(a, n);
        Syevd(_native.Ssyevd, n, a, eigenvalues);
    }

    /// <summary>
    /// The partial solve: float32 Householder tridiagonalisation (<see cref="Tridiagonalization"/>, the <c>ssytrd</c>
    /// result in one fused pass per column), <c>sstedc</c> (divide and conquer on the tridiagonal), then <c>sormtr</c>
    /// for the <paramref name="vectorCount"/> wanted vectors only — <c>ssyevd</c> runs <c>ssytrd</c>, <c>sstedc</c> and
    /// back-transforms all n.
    /// </summary>
    public void SymmetricEigenTop(int n, Span<float> a, int valueCount, int vectorCount, Span<float> eigenvalues, Span<float> vectors)
    {
        BlasArguments.CheckEigenTop(n, a.Length, valueCount, vectorCount, eigenvalues.Length, vectors.Length);
        BlasArguments.CheckFinite<float>(a, n);
        if (valueCount == 0)
        {
            return;
        }

        using var tridiagonal = new PooledArray<float>(3 * n);
        using var z = new PooledArray<float>(n * n);
        var d = tridiagonal.Span[..n];
        var e = tridiagonal.Span.Slice(n, n);
        var tau = tridiagonal.Span.Slice(2 * n, n);
        byte lower = (byte)'L', left = (byte)'L', none = (byte)'N', identity = (byte)'I';
        int order = n, lda = n, columns = vectorCount, info = 0, query = -1, iworkQuery = 0;
        float dcQuery = 0, ormQuery = 0;
        Tridiagonalization.Reduce(n, a, d, e, tau);
        fixed (float* ap = a, dp = d, ep = e, tp = tau, zp = z.Span, vp = vectors)
        {
            _native.Sstedc(&identity, &order, dp, ep, zp, &lda, &dcQuery, &query, &iworkQuery, &query, &info, 1);
            ThrowOnInfo("sstedc workspace query", info);
            _native.Sormtr(&left, &lower, &none, &order, &columns, ap, &lda, tp, vp, &lda, &ormQuery, &query, &info, 1, 1, 1);
            ThrowOnInfo("sormtr workspace query", info);
            int lwork = Math.Max(1, (int)Math.Max(dcQuery, ormQuery));
            int liwork = Math.Max(1, iworkQuery);
            using var work = new PooledArray<float>(lwork);
            using var iwork = new PooledArray<int>(liwork);
            fixed (float* wp = work.Span)
            fixed (int* ip = iwork.Span)
            {
                _native.Sstedc(&identity, &order, dp, ep, zp, &lda, wp, &lwork, ip, &liwork, &info, 1);
                ThrowOnInfo("sstedc", info);

                // Column j of Z (column-major) is the eigenvector of d[j], ascending; the wanted ones are the last
                // vectorCount, largest first. vectors is column-major n×vectorCount, column i = row i here.
                for (int i = 0; i < vectorCount; i++)
                {
                    z.Span.Slice((n - 1 - i) * n, n).CopyTo(vectors.Slice(i * n, n));
                }

                _native.Sormtr(&left, &lower, &none, &order, &columns, ap, &lda, tp, vp, &lda, wp, &lwork, &info, 1, 1, 1);
                ThrowOnInfo("sormtr", info);
            }
        }

        for (int i = 0; i < valueCount; i++)
        {
            eigenvalues[i] = d[n - 1 - i];
        }

        EigenvectorSigns.Orient(vectors, vectorCount, n);
    }

    /// <inheritdoc />
    public void OrthonormalizeColumns(int m, int n, Span<float> a)
    {
        BlasArguments.CheckQr(m, n, a.Length);
        Qr(_native.Sgeqrf, _native.Sorgqr, m, n, a);
    }

    /// <inheritdoc />
    public void OrthonormalizeColumns(int m, int n, Span<double> a)
    {
        BlasArguments.CheckQr(m, n, a.Length);
        Qr(_native.Dgeqrf, _native.Dorgqr, m, n, a);
    }

    /// <inheritdoc />
    public ISketchWorkspace CreateSketchWorkspace(int rows, int cols) => new HostSketchWorkspace(this, rows, cols);

    private static int Op(Transpose t) => t == Transpose.No ? OpenBlasNative.NoTrans : OpenBlasNative.Trans;

    private static void Syevd<T>(delegate* unmanaged<byte*, byte*, int*, void*, int*, void*, void*, int*, int*, int*, int*, nuint, nuint, void> syevd,
        int n, Span<T> a, Span<T> w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0)
        {
            return;
        }

        // A symmetric row-major matrix reads the same column-major; the eigenvectors come back as column-major columns.
        byte jobz = (byte)'V', uplo = (byte)'U';
        int lda = n, info = 0, lwork = -1, liwork = -1, iworkQuery = 0;
        T workQuery = T.Zero;
        fixed (T* ap = a, wp = w)
        {
            syevd(&jobz, &uplo, &n, ap, &lda, wp, &workQuery, &lwork, &iworkQuery, &liwork, &info, 1, 1);
            ThrowOnInfo("?syevd workspace query", info);
            lwork = Math.Max(1, int.CreateSaturating(workQuery));
            liwork = Math.Max(1, iworkQuery);
            using var work = new PooledArray<T>(lwork);
            using var iwork = new PooledArray<int>(liwork);
            fixed (T* workp = work.Span)
            fixed (int* iworkp = iwork.Span)
            {
                syevd(&jobz, &uplo, &n, ap, &lda, wp, workp, &lwork, iworkp, &liwork, &info, 1, 1);
            }
        }

        ThrowOnInfo("?syevd", info);
        MatrixLayout.TransposeSquare(a[..(n * n)], n);
    }

    private static void Qr<T>(delegate* unmanaged<int*, int*, void*, int*, void*, void*, int*, int*, void> geqrf,
        delegate* unmanaged<int*, int*, int*, void*, int*, void*, void*, int*, int*, void> orgqr,
        int m, int n, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0)
        {
            return;
        }

        using var colMajor = new PooledArray<T>(m * n);
        using var tau = new PooledArray<T>(n);
        Span<T> cm = colMajor.Span;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                cm[(j * m) + i] = a[(i * n) + j];
            }
        }

        int lda = m, info = 0, lwork = -1, k = n;
        T q1 = T.Zero, q2 = T.Zero;
        fixed (T* ap = cm, tp = tau.Span)
        {
            geqrf(&m, &n, ap, &lda, tp, &q1, &lwork, &info);
            ThrowOnInfo("?geqrf workspace query", info);
            orgqr(&m, &n, &k, ap, &lda, tp, &q2, &lwork, &info);
            ThrowOnInfo("?orgqr workspace query", info);
            lwork = Math.Max(1, int.CreateSaturating(T.Max(q1, q2)));
            using var work = new PooledArray<T>(lwork);
            fixed (T* wp = work.Span)
            {
                geqrf(&m, &n, ap, &lda, tp, wp, &lwork, &info);
                ThrowOnInfo("?geqrf", info);
                orgqr(&m, &n, &k, ap, &lda, tp, wp, &lwork, &info);
                ThrowOnInfo("?orgqr", info);
            }
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                a[(i * n) + j] = cm[(j * m) + i];
            }
        }
    }

    private static void ThrowOnInfo(string routine, int info)
    {
        if (info != 0)
        {
            throw new ArithmeticException(info < 0
                ? $"OpenBLAS {routine} rejected argument {-info} (INFO = {info})."
                : $"OpenBLAS {routine} failed to converge (INFO = {info}).");
        }
    }
}
