using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Bench.Gpu;

/// <summary>
/// Frequent Directions driven directly on a <see cref="ISketchWorkspace"/> (2ℓ rows) so that rows can come from
/// device memory or as bf16: insert rows until the buffer is full, then shrink with the library's
/// <see cref="FrequentDirectionsShrink"/> (Gram on the workspace, float32 eigen-solve through the backend,
/// rotation on the workspace) — the same steps <see cref="FrequentDirectionsSketch"/> takes.
/// </summary>
internal sealed class FrequentDirectionsLoop : IDisposable
{
    private readonly IBlasBackend _backend;
    private readonly double[] _gram;

    public FrequentDirectionsLoop(IBlasBackend backend, int dimension, int ell)
    {
        _backend = backend;
        Ell = ell;
        Dimension = dimension;
        Workspace = backend.CreateSketchWorkspace(2 * ell, dimension);
        _gram = new double[4 * ell * ell];
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

    /// <summary>One shrink of the buffered rows down to at most ℓ.</summary>
    public void Shrink()
    {
        var n = Buffered;
        if (n == 0)
        {
            return;
        }

        Workspace.Gram(n, _gram);
        var plan = FrequentDirectionsShrink.Plan(_backend, _gram.AsSpan(0, n * n), n, Ell);
        FrequentDirectionsShrink.Apply(Workspace, plan);
        Buffered = plan.OutRows;
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
