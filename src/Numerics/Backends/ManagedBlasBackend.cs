using System.Numerics;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Backends;

/// <summary>
/// The pure managed reference backend: blocked SIMD GEMM (<see cref="Vector{T}"/>), SYRK through GEMM,
/// Householder tridiagonalisation + implicit QL for the symmetric eigen-problem (float64), Householder QR.
/// Correct everywhere .NET runs; the reference the native backends are tested against.
/// </summary>
public sealed class ManagedBlasBackend : IBlasBackend
{
    /// <summary>The name used in options and <c>UWS_BLAS</c>.</summary>
    public const string BackendName = "managed";

    /// <inheritdoc />
    public string Name => BackendName;

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => GemmCore(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
        => GemmCore(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc />
    public void Syrk(Transpose trans, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, float beta, Span<float> c, int ldc)
        => SyrkCore(trans, n, k, alpha, a, lda, beta, c, ldc);

    /// <inheritdoc />
    public void Syrk(Transpose trans, int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc)
        => SyrkCore(trans, n, k, alpha, a, lda, beta, c, ldc);

    /// <inheritdoc />
    public void SymmetricEigen(int n, Span<double> a, Span<double> eigenvalues)
    {
        BlasArguments.CheckEigen(n, a.Length, eigenvalues.Length);
        BlasArguments.CheckFinite<double>(a, n);
        SymmetricEigenSolver.Solve(n, a[..(n * n)], eigenvalues[..n]);
    }

    /// <inheritdoc />
    public void SymmetricEigen(int n, Span<float> a, Span<float> eigenvalues)
    {
        BlasArguments.CheckEigen(n, a.Length, eigenvalues.Length);
        BlasArguments.CheckFinite<float>(a, n);
        using var v = new PooledArray<double>(n * n);
        using var w = new PooledArray<double>(n);
        for (int i = 0; i < n * n; i++)
        {
            v.Span[i] = a[i];
        }

        SymmetricEigenSolver.Solve(n, v.Span, w.Span);
        for (int i = 0; i < n * n; i++)
        {
            a[i] = (float)v.Span[i];
        }

        for (int i = 0; i < n; i++)
        {
            eigenvalues[i] = (float)w.Span[i];
        }
    }

    /// <inheritdoc />
    public void OrthonormalizeColumns(int m, int n, Span<float> a)
    {
        BlasArguments.CheckQr(m, n, a.Length);
        HouseholderQr.Orthonormalize(m, n, a[..(m * n)]);
    }

    /// <inheritdoc />
    public void OrthonormalizeColumns(int m, int n, Span<double> a)
    {
        BlasArguments.CheckQr(m, n, a.Length);
        HouseholderQr.Orthonormalize(m, n, a[..(m * n)]);
    }

    /// <inheritdoc />
    public ISketchWorkspace CreateSketchWorkspace(int rows, int cols) => new HostSketchWorkspace(this, rows, cols);

    private static void GemmCore<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, INumber<T>
    {
        BlasArguments.CheckGemm(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        BlasArguments.CheckNoOverlap(a, nameof(a), c, nameof(c));
        BlasArguments.CheckNoOverlap(b, nameof(b), c, nameof(c));
        using var packedA = new PooledArray<T>(m * k);
        using var packedB = new PooledArray<T>(k * n);
        ManagedGemm.Pack(transA == Transpose.Yes, m, k, a, lda, packedA.Span);
        ManagedGemm.Pack(transB == Transpose.Yes, k, n, b, ldb, packedB.Span);
        ManagedGemm.Multiply(m, n, k, alpha, packedA.Array, packedB.Array, beta, c, ldc);
    }

    private static void SyrkCore<T>(Transpose trans, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, T beta, Span<T> c, int ldc)
        where T : unmanaged, INumber<T>
    {
        BlasArguments.CheckSyrk(trans, n, k, a.Length, lda, c.Length, ldc);
        BlasArguments.CheckNoOverlap(a, nameof(a), c, nameof(c));
        if (trans == Transpose.No)
        {
            GemmCore(Transpose.No, Transpose.Yes, n, n, k, alpha, a, lda, a, lda, beta, c, ldc);
        }
        else
        {
            GemmCore(Transpose.Yes, Transpose.No, n, n, k, alpha, a, lda, a, lda, beta, c, ldc);
        }
    }
}
