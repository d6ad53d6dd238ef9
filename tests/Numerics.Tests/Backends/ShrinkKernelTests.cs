using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

/// <summary>
/// The host workspace's x86 shrink kernels (Gram columns, in-place rotation) against float64 products of the same
/// float32 rows, on shapes that reach every edge path: row counts not divisible by 4, column counts past one k block
/// (2048) with a tail not divisible by 16, rotation widths with a tail past whole 64-column chunks, and leftover
/// output rows. The same checks run with the kernels switched off (the backend's SYRK/GEMM) so both paths agree.
/// </summary>
public sealed class ShrinkKernelTests
{
    private static readonly ManagedBlasBackend Managed = new();

    public static TheoryData<int, int, int> GramShapes => new()
    {
        { 13, 4096 + 37, 0 },
        { 13, 4096 + 37, 5 },
        { 16, 2048, 8 },
        { 128, 515, 64 },
        { 7, 9, 3 },
        { 3, 100, 3 },
    };

    public static TheoryData<int, int, int> RotationShapes => new()
    {
        { 13, (3 * 64) + 29, 7 },
        { 128, 4096, 64 },
        { 10, 70, 4 },
        { 9, 40, 9 },
        { 5, 64, 1 },
    };

    [Theory]
    [MemberData(nameof(GramShapes))]
    public void GramColumnsEqualTheFloat64Product(int rows, int cols, int fromRow)
    {
        var b = TestData.Gaussian(rows + cols + fromRow, rows * cols);
        var expected = Reference.Multiply(false, true, rows, rows, cols, Widen(b), cols, Widen(b), cols);
        int width = rows - fromRow;
        foreach (bool hostKernels in new[] { true, false })
        {
            using var ws = new HostSketchWorkspace(Managed, rows, cols, hostKernels);
            ws.SetRows(0, b, rows);
            var columns = new double[rows * width];
            ws.GramColumns(rows, fromRow, columns);
            var gram = new double[rows * rows];
            ws.Gram(rows, gram);

            double scale = expected.Max(Math.Abs);
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < rows; j++)
                {
                    // float32 products summed over `cols` terms: a few ulps of the largest entry.
                    Assert.Equal(expected[(i * rows) + j], gram[(i * rows) + j], scale * 2e-6);
                    if (j >= fromRow)
                    {
                        Assert.Equal(expected[(i * rows) + j], columns[(i * width) + j - fromRow], scale * 2e-6);
                    }
                }
            }

            // The square part is exactly symmetric (mirrored, not recomputed).
            for (int i = fromRow; i < rows; i++)
            {
                for (int j = fromRow; j < rows; j++)
                {
                    Assert.Equal(columns[(i * width) + j - fromRow], columns[(j * width) + i - fromRow]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(RotationShapes))]
    public void RotationEqualsTheFloat64ProductAndZeroesTheRest(int rows, int cols, int outRows)
    {
        var b = TestData.Gaussian(rows * cols, rows * cols);
        var m = TestData.Gaussian(outRows + 1, outRows * rows);
        var expected = Reference.Multiply(false, false, outRows, cols, rows, Widen(m), rows, Widen(b), cols);
        double scale = expected.Max(Math.Abs);
        foreach (bool hostKernels in new[] { true, false })
        {
            using var ws = new HostSketchWorkspace(Managed, rows, cols, hostKernels);
            ws.SetRows(0, b, rows);
            ws.RotateRows(rows, m, outRows);
            var got = new float[rows * cols];
            ws.GetRows(0, rows, got);
            for (int i = 0; i < outRows * cols; i++)
            {
                Assert.Equal(expected[i], got[i], scale * 1e-6);
            }

            Assert.All(got.Skip(outRows * cols), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void RotationInPlaceCanBeRepeated()
    {
        // Two shrinks in a row on the same buffer: the second reads what the first wrote in place.
        const int rows = 12, cols = 200;
        var b = TestData.Gaussian(3, rows * cols);
        var m1 = TestData.Gaussian(4, 8 * rows);
        var m2 = TestData.Gaussian(5, 5 * 8);
        var once = Reference.Multiply(false, false, 8, cols, rows, Widen(m1), rows, Widen(b), cols);
        var twice = Reference.Multiply(false, false, 5, cols, 8, Widen(m2), 8, once, cols);
        using var ws = new HostSketchWorkspace(Managed, rows, cols);
        ws.SetRows(0, b, rows);
        ws.RotateRows(rows, m1, 8);
        ws.RotateRows(8, m2, 5);
        var got = new float[5 * cols];
        ws.GetRows(0, 5, got);
        double scale = twice.Max(Math.Abs);
        for (int i = 0; i < got.Length; i++)
        {
            Assert.Equal(twice[i], got[i], scale * 1e-5);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SharedRowsAreNeverWrittenUnderAShare(bool hostKernels)
    {
        const int rows = 12, cols = 200;
        var b = TestData.Gaussian(7, rows * cols);
        var m = TestData.Gaussian(8, 6 * 10);
        var lender = new HostSketchWorkspace(Managed, rows, cols, hostKernels);
        lender.SetRows(0, b, 6);
        using var share = lender.Share(6);

        // The lender appends beyond the shared rows and rotates into a buffer of its own: the result is that of a
        // workspace never shared, and the share still reads the rows it was given.
        lender.SetRows(6, b.AsSpan(6 * cols), 4);
        using var control = new HostSketchWorkspace(Managed, rows, cols, hostKernels);
        control.SetRows(0, b, 10);
        lender.RotateRows(10, m, 6);
        control.RotateRows(10, m, 6);
        Assert.Equal(Read(control, rows), Read(lender, rows));
        Assert.Equal(b.AsSpan(0, 6 * cols).ToArray(), Read(share, 6));

        // A share that writes copies first: the lender does not see it, and the rows past the share's view are zero.
        var late = TestData.Gaussian(9, 2 * cols);
        using var second = lender.Share(6);
        second.SetRows(6, late, 2);
        Assert.Equal(Read(control, rows), Read(lender, rows));
        Assert.Equal([.. Read(control, 6), .. late, .. new float[4 * cols]], Read(second, rows));

        // A share left alone writes in place; what the lender appended past its view is cleared first.
        var third = lender.Share(6);
        lender.SetRows(6, b.AsSpan(0, 3 * cols), 3);
        lender.Dispose();
        third.SetRows(6, late.AsSpan(0, cols), 1);
        Assert.Equal([.. Read(control, 6), .. late.AsSpan(0, cols), .. new float[5 * cols]], Read(third, rows));
        third.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lender.Share(1));
    }

    [Fact]
    public void HostRowsAreTheBufferAndCannotBeTheRotation()
    {
        const int rows = 6, cols = 20;
        using var ws = new HostSketchWorkspace(Managed, rows, cols);
        var written = TestData.Gaussian(6, 2 * cols);
        written.CopyTo(ws.HostRows(3, 2));
        var read = new float[2 * cols];
        ws.GetRows(3, 2, read);
        Assert.Equal(written, read);
        Assert.Throws<ArgumentOutOfRangeException>(() => ws.HostRows(5, 2));

        var error = Assert.Throws<ArgumentException>(() => ws.RotateRows(rows, ws.HostRows(0, 1), 1));
        Assert.Equal("m", error.ParamName);
        Assert.Contains("own buffer", error.Message);
    }

    [Fact]
    public void KernelsReportWhatRuns()
    {
        using var off = new HostSketchWorkspace(Managed, 4, 8, hostKernels: false);
        Assert.Equal("managed SYRK/GEMM", off.Kernels);
        using var on = new HostSketchWorkspace(Managed, 4, 8);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Assert.Equal("host kernels (Gram AVX2+FMA, rotation AVX-512)", on.Kernels);
        }
    }

    private static double[] Widen(ReadOnlySpan<float> x) => x.ToArray().Select(v => (double)v).ToArray();

    private static float[] Read(ISketchWorkspace workspace, int rows)
    {
        var read = new float[rows * workspace.Cols];
        workspace.GetRows(0, rows, read);
        return read;
    }
}
