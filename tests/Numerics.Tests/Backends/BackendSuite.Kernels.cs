using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

public abstract partial class BackendSuite
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void GemmFloatMatchesDefinitionForEveryTransposeWithPaddedLeadingDimensions(bool transA, bool transB)
    {
        const int m = 37, n = 45, k = 29, pad = 3;
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        var a = TestData.Gaussian(1, aRows * (aCols + pad));
        var b = TestData.Gaussian(2, bRows * (bCols + pad));
        var c = TestData.Gaussian(3, m * (n + pad));
        var c0 = Widen(c);
        Backend.Gemm(transA ? Transpose.Yes : Transpose.No, transB ? Transpose.Yes : Transpose.No, m, n, k, 0.5f,
            a, aCols + pad, b, bCols + pad, 2f, c, n + pad);
        var product = Reference.Multiply(transA, transB, m, n, k, Widen(a), aCols + pad, Widen(b), bCols + pad);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n + pad; j++)
            {
                double expected = j < n ? (0.5 * product[(i * n) + j]) + (2 * c0[(i * (n + pad)) + j]) : c0[(i * (n + pad)) + j];
                Assert.Equal(expected, c[(i * (n + pad)) + j], 1e-3);
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void GemmDoubleMatchesDefinition(bool transA, bool transB)
    {
        const int m = 33, n = 20, k = 41;
        var a = Widen(TestData.Gaussian(4, m * k));
        var b = Widen(TestData.Gaussian(5, k * n));
        var c = new double[m * n];
        Array.Fill(c, double.NaN);   // beta = 0 must ignore what C held
        Backend.Gemm(transA ? Transpose.Yes : Transpose.No, transB ? Transpose.Yes : Transpose.No, m, n, k, 1.0,
            a, transA ? m : k, b, transB ? k : n, 0.0, c, n);
        var expected = Reference.Multiply(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n);
        Assert.True(RelativeError(c, expected) < 1e-13, $"relative error {RelativeError(c, expected)}");
    }

    [Fact]
    public void GemmRejectsMismatchedOperandNamingIt()
    {
        var a = new float[10 * 5 - 1];
        var b = new float[5 * 4];
        var c = new float[10 * 4];
        var ex = Assert.Throws<ArgumentException>(() => Backend.Gemm(Transpose.No, Transpose.No, 10, 4, 5, 1f, a, 5, b, 4, 0f, c, 4));
        Assert.Equal("a", ex.ParamName);
        Assert.Contains("10×5", ex.Message);
        var ld = Assert.Throws<ArgumentException>(() => Backend.Gemm(Transpose.No, Transpose.No, 10, 4, 5, 1f, new float[50], 5, b, 3, 0f, c, 4));
        Assert.Equal("b", ld.ParamName);
    }

    [Fact]
    public void GemmAndSyrkRejectDestinationAliasingAnInput()
    {
        var buffer = new float[64];
        var ex = Assert.Throws<ArgumentException>(() => Backend.Gemm(Transpose.No, Transpose.No, 4, 4, 4, 1f, buffer.AsSpan(0, 16), 4, buffer.AsSpan(16, 16), 4, 0f, buffer.AsSpan(8, 16), 4));
        Assert.Contains("overlaps input 'a'", ex.Message);
        var doubles = new double[32];
        var syrk = Assert.Throws<ArgumentException>(() => Backend.Syrk(Transpose.No, 4, 4, 1.0, doubles.AsSpan(0, 16), 4, 0.0, doubles.AsSpan(8, 16), 4));
        Assert.Equal("c", syrk.ParamName);
        Assert.Contains("overlaps input 'a'", syrk.Message);
    }

    [Fact]
    public void GemmRejectsShortDestination()
    {
        var ex = Assert.Throws<ArgumentException>(() => Backend.Gemm(Transpose.No, Transpose.No, 10, 4, 5, 1.0,
            new double[50], 5, new double[20], 4, 0.0, new double[39], 4));
        Assert.Equal("c", ex.ParamName);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SyrkFillsBothTrianglesWithTheGram(bool transposed)
    {
        const int n = 31, k = 57;
        var a = TestData.Gaussian(6, n * k);
        var cf = new float[n * n];
        var cd = new double[n * n];
        Backend.Syrk(transposed ? Transpose.Yes : Transpose.No, n, k, 1f, a, transposed ? n : k, 0f, cf, n);
        Backend.Syrk(transposed ? Transpose.Yes : Transpose.No, n, k, 2.0, Widen(a), transposed ? n : k, 0.0, cd, n);
        var expected = Reference.Multiply(transposed, !transposed, n, n, k, Widen(a), transposed ? n : k, Widen(a), transposed ? n : k);
        Assert.True(RelativeError(Widen(cf), expected) < 1e-6);
        Assert.True(RelativeError(cd, expected.Select(v => 2 * v).ToArray()) < 1e-13);
        Assert.Equal(cf[(3 * n) + 17], cf[(17 * n) + 3]);
    }

    [Fact]
    public void SyrkRejectsMismatchedInputAndShortDestination()
    {
        var bad = Assert.Throws<ArgumentException>(() => Backend.Syrk(Transpose.Yes, 8, 5, 1f, new float[39], 8, 0f, new float[64], 8));
        Assert.Equal("a", bad.ParamName);
        var shortC = Assert.Throws<ArgumentException>(() => Backend.Syrk(Transpose.No, 8, 5, 1.0, new double[40], 5, 0.0, new double[63], 8));
        Assert.Equal("c", shortC.ParamName);
    }

    [Fact]
    public void SymmetricEigenDecomposesInAscendingOrderWithOrthonormalVectors()
    {
        const int n = 40;
        var x = TestData.Gaussian(8, n * n);
        var s = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                s[(i * n) + j] = x[(i * n) + j] + x[(j * n) + i];
            }
        }

        var v = (double[])s.Clone();
        var w = new double[n];
        Backend.SymmetricEigen(n, v, w);
        for (int j = 1; j < n; j++)
        {
            Assert.True(w[j - 1] <= w[j]);
        }

        var av = Reference.Multiply(false, false, n, n, n, s, n, v, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(av[(i * n) + j], v[(i * n) + j] * w[j], 1e-9);
            }
        }

        var vtv = Reference.Multiply(true, false, n, n, n, v, n, v, n);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(1.0, vtv[(i * n) + i], 1e-12);
        }

        var f = s.Select(e => (float)e).ToArray();
        var wf = new float[n];
        Backend.SymmetricEigen(n, f, wf);
        Assert.Equal(w[0], wf[0], 1e-3);
        Assert.Equal(w[^1], wf[^1], 1e-3);
    }

    [Fact]
    public void SymmetricEigenRejectsShortInputsAndNaN()
    {
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Backend.SymmetricEigen(4, new double[15], new double[4])).ParamName);
        Assert.Equal("eigenvalues", Assert.Throws<ArgumentException>(() => Backend.SymmetricEigen(4, new double[16], new double[3])).ParamName);
        var nan = new float[] { 1, float.NaN, float.NaN, 1 };
        var ex = Assert.Throws<ArgumentException>(() => Backend.SymmetricEigen(2, nan, new float[2]));
        Assert.Contains("(0, 1)", ex.Message);
    }

    [Fact]
    public void OrthonormalizeColumnsReturnsOrthonormalBasisOfTheSameSpan()
    {
        const int m = 60, n = 12;
        var a = Widen(TestData.Gaussian(9, m * n));
        var q = (double[])a.Clone();
        Backend.OrthonormalizeColumns(m, n, q);
        var qtq = Reference.Multiply(true, false, n, n, m, q, n, q, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(i == j ? 1.0 : 0.0, qtq[(i * n) + j], 1e-12);
            }
        }

        // Q·(Qᵀ·A) = A: every column of A lies in span(Q).
        var qta = Reference.Multiply(true, false, n, n, m, q, n, a, n);
        var back = Reference.Multiply(false, false, m, n, n, q, n, qta, n);
        Assert.True(RelativeError(back, a) < 1e-12);

        var f = a.Select(v => (float)v).ToArray();
        Backend.OrthonormalizeColumns(m, n, f);
        var ftf = Reference.Multiply(true, false, n, n, m, Widen(f), n, Widen(f), n);
        Assert.Equal(1.0, ftf[0], 1e-5);
        Assert.Equal(0.0, ftf[1], 1e-5);
    }

    [Fact]
    public void OrthonormalizeColumnsRejectsWideAndShortInput()
    {
        var wide = Assert.Throws<ArgumentException>(() => Backend.OrthonormalizeColumns(3, 4, new float[12]));
        Assert.Contains("m = 3", wide.Message);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Backend.OrthonormalizeColumns(6, 4, new double[23])).ParamName);
    }

    [Fact]
    public void WorkspaceGramAndRotationMatchDefinition()
    {
        const int rows = 12, cols = 70;
        using var ws = Backend.CreateSketchWorkspace(rows, cols);
        var b = TestData.Gaussian(10, 10 * cols);
        ws.SetRows(0, b, 10);
        var gram = new double[100];
        ws.Gram(10, gram);
        var expected = Reference.Multiply(false, true, 10, 10, cols, Widen(b), cols, Widen(b), cols);
        Assert.True(RelativeError(gram, expected) < 1e-6);

        var m = TestData.Gaussian(11, 4 * 10);
        ws.RotateRows(10, m, 4);
        var got = new float[rows * cols];
        ws.GetRows(0, rows, got);
        var rotated = Reference.Multiply(false, false, 4, cols, 10, Widen(m), 10, Widen(b), cols);
        Assert.True(RelativeError(Widen(got.AsSpan(0, 4 * cols)), rotated) < 1e-6);
        Assert.All(got.Skip(4 * cols), v => Assert.Equal(0f, v));

        ws.ClearRows(0, 2);
        ws.GetRows(0, 1, got);
        Assert.All(got.Take(cols), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void WorkspaceRejectsRowsOutsideTheBufferAndShortSpans()
    {
        using var ws = Backend.CreateSketchWorkspace(4, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => ws.SetRows(3, new float[16], 2));
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => ws.SetRows(0, new float[15], 2)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => ws.GetRows(0, 2, new float[15])).ParamName);
        Assert.Equal("gram", Assert.Throws<ArgumentException>(() => ws.Gram(4, new double[15])).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentException>(() => ws.RotateRows(4, new float[7], 2)).ParamName);
    }

    [Fact]
    public void WorkspaceGramColumnsEqualTheGramsColumnsOnBothImplementations()
    {
        const int rows = 12, cols = 70, active = 10, from = 4;
        using var ws = Backend.CreateSketchWorkspace(rows, cols);
        ws.SetRows(0, TestData.Gaussian(12, active * cols), active);
        var gram = new double[active * active];
        ws.Gram(active, gram);

        // The backend's own implementation and the interface's default (whole Gram, columns copied) — the latter is
        // what a workspace without a specialised version (the CUDA one) runs.
        var implementations = new ISketchWorkspace[] { ws, new DefaultGramColumns(ws) };
        foreach (var workspace in implementations)
        {
            var columns = new double[active * (active - from)];
            workspace.GramColumns(active, from, columns);
            for (int i = 0; i < active; i++)
            {
                for (int j = from; j < active; j++)
                {
                    Assert.Equal(gram[(i * active) + j], columns[(i * (active - from)) + j - from], (Math.Abs(gram[(i * active) + j]) * 1e-5) + 1e-5);
                }
            }

            Assert.Equal("fromRow", Assert.Throws<ArgumentOutOfRangeException>(() => workspace.GramColumns(active, active + 1, columns)).ParamName);
            Assert.Equal("destination", Assert.Throws<ArgumentException>(() => workspace.GramColumns(active, from, new double[columns.Length - 1])).ParamName);
        }
    }

    /// <summary>Forwards everything but <see cref="ISketchWorkspace.GramColumns"/>, so the interface's default runs.</summary>
    private sealed class DefaultGramColumns(ISketchWorkspace inner) : ISketchWorkspace
    {
        public int Rows => inner.Rows;

        public int Cols => inner.Cols;

        public void SetRows(int rowOffset, ReadOnlySpan<float> rows, int count) => inner.SetRows(rowOffset, rows, count);

        public void ClearRows(int rowOffset, int count) => inner.ClearRows(rowOffset, count);

        public void GetRows(int rowOffset, int count, Span<float> destination) => inner.GetRows(rowOffset, count, destination);

        public void Gram(int activeRows, Span<double> gram) => inner.Gram(activeRows, gram);

        public void RotateRows(int activeRows, ReadOnlySpan<float> m, int outRows) => inner.RotateRows(activeRows, m, outRows);

        public void Dispose()
        {
        }
    }
}
