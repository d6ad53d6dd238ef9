using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using Xunit;

namespace OrleansUws.Numerics.Tests.Cuda;

/// <summary>
/// CUDA-specific device behaviour the backend-agnostic suite does not reach: the device-resident workspace's
/// pipelined uploads in several chunks, bf16/f16 rows widened on the device, and devInfo/argument failures leaving
/// state unchanged. Skipped, with the provider's reason, where no GPU is usable.
/// </summary>
public sealed class CudaDeviceTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    private CudaBlasBackend Backend
    {
        get
        {
            Assert.SkipWhen(fixture.Backend is null, fixture.Reason);
            return fixture.Backend!;
        }
    }

    [Fact]
    public void GemmWithPaddedLeadingDimensionsLeavesPaddingUntouched()
    {
        var backend = Backend;
        const int m = 3, n = 2, k = 4, ldc = 5;
        var a = Sequence(m * k, 1);
        var b = Sequence(k * n, -3);
        var c = Enumerable.Repeat(-7f, m * ldc).ToArray();

        backend.Gemm(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, c, ldc);

        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < ldc; j++)
            {
                float expected = -7f;
                if (j < n)
                {
                    expected = 0;
                    for (var p = 0; p < k; p++)
                    {
                        expected += a[(i * k) + p] * b[(p * n) + j];
                    }
                }

                Assert.Equal(expected, c[(i * ldc) + j]);
            }
        }
    }

    [Fact]
    public void WorkspaceUploadsInChunksAndRotatesOnDevice()
    {
        var backend = Backend;
        const int rows = 8, cols = 600_000; // 2.4 MB rows: one row per 4 MiB chunk, each upload slot reused four times
        using var workspace = (CudaSketchWorkspace)backend.CreateSketchWorkspace(rows, cols);
        var random = new Random(11);
        var data = Enumerable.Range(0, rows * cols).Select(_ => (float)random.Next(-3, 4)).ToArray();

        workspace.SetRows(0, data, rows);
        var back = new float[rows * cols];
        workspace.GetRows(0, rows, back);
        Assert.Equal(data, back);

        var gram = new double[rows * rows];
        workspace.Gram(rows, gram);
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < rows; j++)
            {
                double expected = 0;
                for (var p = 0; p < cols; p++)
                {
                    expected += data[(i * cols) + p] * data[(j * cols) + p];
                }

                Assert.Equal(expected, gram[(i * rows) + j]);
            }
        }

        // Keep rows 1 and 3 swapped into rows 0 and 1; rows 2.. become zero.
        float[] rotation = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        workspace.RotateRows(rows, rotation, 2);
        workspace.GetRows(0, rows, back);
        Assert.Equal(data.AsSpan(cols, cols).ToArray(), back.AsSpan(0, cols).ToArray());
        Assert.Equal(data.AsSpan(3 * cols, cols).ToArray(), back.AsSpan(cols, cols).ToArray());
        Assert.All(back.Skip(2 * cols), value => Assert.Equal(0f, value));
    }

    [Fact]
    public void BFloat16AndHalfRowsAreWidenedExactly()
    {
        var backend = Backend;
        const int rows = 4, cols = 3000;
        using var workspace = (CudaSketchWorkspace)backend.CreateSketchWorkspace(rows, cols);
        var bits = Enumerable.Range(0, 2 * cols).Select(i => (ushort)(0x3F80 + (i % 97))).ToArray();
        var halves = Enumerable.Range(0, 2 * cols).Select(i => (Half)((i % 61) - 30)).ToArray();
        var expected = new float[rows * cols];
        HalfWidening.WidenBFloat16(bits, expected.AsSpan(0, 2 * cols));
        HalfWidening.Widen(halves, expected.AsSpan(2 * cols, 2 * cols));

        workspace.SetRowsBFloat16(0, bits, 2);
        workspace.SetRows(2, halves, 2);
        var back = new float[rows * cols];
        workspace.GetRows(0, rows, back);

        Assert.Equal(expected, back);
        Assert.True(workspace.WidensOnDevice, backend.KernelsUnavailableReason);
    }

    [Fact]
    public void RejectedWorkspaceCallLeavesContentsUnchanged()
    {
        var backend = Backend;
        using var workspace = backend.CreateSketchWorkspace(4, 16);
        var data = Sequence(4 * 16, 2);
        workspace.SetRows(0, data, 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => workspace.SetRows(3, data, 2));
        Assert.Throws<ArgumentException>(() => workspace.RotateRows(4, new float[7], 2));
        var back = new float[4 * 16];
        workspace.GetRows(0, 4, back);

        Assert.Equal(data, back);
    }

    [Fact]
    public void EigenvectorsComeBackAsRowMajorColumns()
    {
        var backend = Backend;
        double[] a = [2, 1, 0, 1, 2, 0, 0, 0, 5];
        var values = new double[3];

        backend.SymmetricEigen(3, a, values);

        Assert.Equal(1, values[0], 12);
        Assert.Equal(3, values[1], 12);
        Assert.Equal(5, values[2], 12);
        var s = Math.Sqrt(0.5);
        Assert.Equal(s, Math.Abs(a[0 * 3]), 12);
        Assert.Equal(-1, Math.Sign(a[0 * 3]) * Math.Sign(a[1 * 3]));
        Assert.Equal(1, Math.Abs(a[(2 * 3) + 2]), 12);
    }

    [Fact]
    public void SmallEigenProblemsRoutedToTheHostAgreeWithCusolver()
    {
        var onDevice = Backend;
        var provider = new CudaBackendProvider(new CudaBackendOptions { HostEigenMaxOrder = 8 }, candidates: null, logger: null);
        Assert.True(provider.TryCreate(out var created, out var reason), reason);
        using var routed = (CudaBlasBackend)created!;
        double[] a = [4, 1, 2, 1, 3, 0, 2, 0, 5];
        var viaHost = (double[])a.Clone();
        var hostValues = new double[3];
        var deviceValues = new double[3];

        routed.SymmetricEigen(3, viaHost, hostValues);
        onDevice.SymmetricEigen(3, a, deviceValues);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(deviceValues[i], hostValues[i], 10);
            for (var row = 0; row < 3; row++)
            {
                Assert.Equal(Math.Abs(a[(row * 3) + i]), Math.Abs(viaHost[(row * 3) + i]), 10);
            }
        }
    }

    private static float[] Sequence(int length, int start) =>
        [.. Enumerable.Range(start, length).Select(i => (float)((i % 7) - 3))];
}
