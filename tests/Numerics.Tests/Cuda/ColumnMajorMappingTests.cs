using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using Xunit;

namespace OrleansUws.Numerics.Tests.Cuda;

/// <summary>
/// Executes the column-major calls produced by <see cref="ColumnMajorGemm"/> and <see cref="ColumnMajorSyrk"/> with a
/// naive column-major BLAS written from the cuBLAS definitions, on row-major buffers, and compares with a naive
/// row-major product: this checks the transpose identities the CUDA backend relies on, without a GPU.
/// </summary>
public sealed class ColumnMajorMappingTests
{
    [Theory]
    [InlineData(Transpose.No, Transpose.No)]
    [InlineData(Transpose.No, Transpose.Yes)]
    [InlineData(Transpose.Yes, Transpose.No)]
    [InlineData(Transpose.Yes, Transpose.Yes)]
    public void MappedGemmEqualsRowMajorProduct(Transpose transA, Transpose transB)
    {
        const int m = 5, n = 4, k = 3;
        var (aRows, aCols) = transA == Transpose.No ? (m, k) : (k, m);
        var (bRows, bCols) = transB == Transpose.No ? (k, n) : (n, k);
        int lda = aCols + 2, ldb = bCols + 1, ldc = n + 3;
        var a = Filled(aRows * lda, seed: 1);
        var b = Filled(bRows * ldb, seed: 2);
        var c = Filled(m * ldc, seed: 3);
        var expected = (double[])c.Clone();
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    var aip = transA == Transpose.No ? a[(i * lda) + p] : a[(p * lda) + i];
                    var bpj = transB == Transpose.No ? b[(p * ldb) + j] : b[(j * ldb) + p];
                    sum += aip * bpj;
                }

                expected[(i * ldc) + j] = (2 * sum) + (0.5 * c[(i * ldc) + j]);
            }
        }

        var call = ColumnMajorGemm.FromRowMajor(transA, transB, m, n, k, lda, ldb, ldc);
        Assert.True(call.SwapsOperands);
        ColumnMajorGemmReference(call, 2, b, a, 0.5, c);

        Assert.Equal(expected, c);
    }

    [Theory]
    [InlineData(Transpose.No)]
    [InlineData(Transpose.Yes)]
    public void MappedSyrkLowerTriangleMirroredEqualsRowMajorProduct(Transpose trans)
    {
        const int n = 4, k = 3;
        var (aRows, aCols) = trans == Transpose.No ? (n, k) : (k, n);
        int lda = aCols + 1, ldc = n + 2;
        var a = Filled(aRows * lda, seed: 4);
        var c = Filled(n * ldc, seed: 5);
        var expected = (double[])c.Clone();
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    sum += trans == Transpose.No
                        ? a[(i * lda) + p] * a[(j * lda) + p]
                        : a[(p * lda) + i] * a[(p * lda) + j];
                }

                // The backend mirrors the computed triangle, so beta·C contributes C's row-major upper triangle to both.
                expected[(i * ldc) + j] = sum + (3 * c[(Math.Min(i, j) * ldc) + Math.Max(i, j)]);
            }
        }

        var call = ColumnMajorSyrk.FromRowMajor(trans, n, k, lda, ldc);
        Assert.NotEqual(trans, call.Trans);
        ColumnMajorSyrkLowerReference(call, 1, a, 3, c);
        MatrixLayout.MirrorUpperToLower<double>(c, n, ldc);

        Assert.Equal(expected, c);
    }

    [Fact]
    public void TransposeRoundTripsAndSquareTransposeSwapsElements()
    {
        double[] a = [1, 2, 3, 4, 5, 6];
        var t = new double[6];
        var back = new double[6];

        MatrixLayout.Transpose<double>(a, 2, 3, t);
        MatrixLayout.Transpose<double>(t, 3, 2, back);
        double[] square = [1, 2, 3, 4];
        MatrixLayout.TransposeSquare<double>(square, 2);

        Assert.Equal([1, 4, 2, 5, 3, 6], t);
        Assert.Equal(a, back);
        Assert.Equal([1, 3, 2, 4], square);
    }

    [Fact]
    public void TransposeRejectsShortDestination()
    {
        var error = Assert.Throws<ArgumentException>(() => MatrixLayout.Transpose<double>(new double[6], 2, 3, new double[5]));

        Assert.Contains("2×3", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Integers in [-4, 4], so every product and sum is exact in double.</summary>
    private static double[] Filled(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (double)random.Next(-4, 5))];
    }

    /// <summary>cuBLAS gemm semantics: C (M×N, col-major) = alpha·op(A)·op(B) + beta·C.</summary>
    private static void ColumnMajorGemmReference(ColumnMajorGemm call, double alpha, double[] a, double[] b, double beta, double[] c)
    {
        for (var col = 0; col < call.N; col++)
        {
            for (var row = 0; row < call.M; row++)
            {
                double sum = 0;
                for (var p = 0; p < call.K; p++)
                {
                    var opA = call.TransA == Transpose.No ? a[row + (p * call.Lda)] : a[p + (row * call.Lda)];
                    var opB = call.TransB == Transpose.No ? b[p + (col * call.Ldb)] : b[col + (p * call.Ldb)];
                    sum += opA * opB;
                }

                c[row + (col * call.Ldc)] = (alpha * sum) + (beta * c[row + (col * call.Ldc)]);
            }
        }
    }

    /// <summary>cuBLAS syrk semantics, lower triangle: C = alpha·op(A)·op(A)ᵀ + beta·C, op(A) N×K.</summary>
    private static void ColumnMajorSyrkLowerReference(ColumnMajorSyrk call, double alpha, double[] a, double beta, double[] c)
    {
        for (var col = 0; col < call.N; col++)
        {
            for (var row = col; row < call.N; row++)
            {
                double sum = 0;
                for (var p = 0; p < call.K; p++)
                {
                    sum += call.Trans == Transpose.No
                        ? a[row + (p * call.Lda)] * a[col + (p * call.Lda)]
                        : a[p + (row * call.Lda)] * a[p + (col * call.Lda)];
                }

                c[row + (col * call.Ldc)] = (alpha * sum) + (beta * c[row + (col * call.Ldc)]);
            }
        }
    }
}
