using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;

namespace OrleansUws.Numerics.Bench.Gpu;

/// <summary>
/// A minimal Frequent Directions loop over any backend's <see cref="ISketchWorkspace"/> (2ℓ rows): insert rows until
/// the buffer is full, then shrink — Gram on the workspace, float64 eigen-solve through the backend, rotation
/// M = diag(√((λᵢ−δ)/λᵢ))·Vᵀ on the workspace with δ the ℓ-th largest eigenvalue. Used to time the device-resident
/// path against the CPU backends with identical work.
/// </summary>
internal sealed class FrequentDirectionsLoop : IDisposable
{
    private readonly IBlasBackend _backend;
    private readonly double[] _gram;
    private readonly double[] _values;
    private readonly float[] _rotation;

    public FrequentDirectionsLoop(IBlasBackend backend, int dimension, int ell)
    {
        _backend = backend;
        Ell = ell;
        Dimension = dimension;
        Workspace = backend.CreateSketchWorkspace(2 * ell, dimension);
        _gram = new double[4 * ell * ell];
        _values = new double[2 * ell];
        _rotation = new float[2 * ell * ell];
    }

    public ISketchWorkspace Workspace { get; }

    public int Ell { get; }

    public int Dimension { get; }

    public int Buffered { get; private set; }

    public int Shrinks { get; private set; }

    /// <summary>Float32 multiply-adds ×2 of one full shrink: the Gram (SYRK, (2ℓ)²·d) and the rotation (2·ℓ·2ℓ·d).</summary>
    public double FlopsPerShrink => (4.0 * Ell * Ell * Dimension) + (4.0 * Ell * Ell * Dimension);

    /// <summary>Inserts <paramref name="count"/> rows; <paramref name="set"/>(rowOffset, sourceRow, take) copies rows into the workspace.</summary>
    public void Insert(int count, Action<int, int, int> set)
    {
        for (var done = 0; done < count;)
        {
            if (Buffered == Workspace.Rows)
            {
                Shrink();
            }

            var take = Math.Min(count - done, Workspace.Rows - Buffered);
            set(Buffered, done, take);
            Buffered += take;
            done += take;
        }
    }

    /// <summary>Inserts float32 rows (row-major, <see cref="Dimension"/> wide).</summary>
    public void Insert(float[] rows, int count) =>
        Insert(count, (offset, source, take) => Workspace.SetRows(offset, rows.AsSpan(source * Dimension, take * Dimension), take));

    /// <summary>One shrink of the buffered rows down to at most ℓ − 1.</summary>
    public void Shrink()
    {
        var n = Buffered;
        if (n == 0)
        {
            return;
        }

        Workspace.Gram(n, _gram);
        _backend.SymmetricEigen(n, _gram.AsSpan(0, n * n), _values.AsSpan(0, n));
        var delta = n >= Ell ? Math.Max(_values[n - Ell], 0) : 0;
        var outRows = 0;
        while (outRows < Math.Min(Ell - 1, n) && _values[n - 1 - outRows] - delta > 0)
        {
            outRows++;
        }

        for (var i = 0; i < outRows; i++)
        {
            var column = n - 1 - i;
            var factor = Math.Sqrt((_values[column] - delta) / _values[column]);
            for (var j = 0; j < n; j++)
            {
                _rotation[(i * n) + j] = (float)(factor * _gram[(j * n) + column]);
            }
        }

        Workspace.RotateRows(n, _rotation.AsSpan(0, outRows * n), outRows);
        Buffered = outRows;
        Shrinks++;
    }

    /// <summary>Waits for queued device work (a no-op for host workspaces, which are synchronous).</summary>
    public void Synchronize()
    {
        if (Workspace is CudaSketchWorkspace cuda)
        {
            cuda.Synchronize();
        }
    }

    public void Dispose() => Workspace.Dispose();
}
