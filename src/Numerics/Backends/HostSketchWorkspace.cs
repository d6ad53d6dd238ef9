using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Backends;

/// <summary>
/// A host-memory <see cref="ISketchWorkspace"/> shared by the CPU backends: a float32 row-major buffer. Its Gram
/// and rotation run on this library's x86 shrink kernels where the CPU has their instructions (Gram: AVX2 + FMA;
/// rotation: AVX-512, in place) — they run the skinny shapes of a shrink faster than a general GEMM — and otherwise,
/// or when created with <c>hostKernels: false</c>, through the owning backend's SYRK/GEMM.
/// </summary>
public sealed class HostSketchWorkspace : ISketchWorkspace
{
    private readonly IBlasBackend _backend;
    private readonly bool _gramKernel;
    private readonly bool _rotationKernel;
    private float[] _buffer;
    private float[]? _spare;
    private bool _disposed;

    /// <summary>
    /// Creates a zeroed rows×cols buffer (reused from <see cref="WorkspaceBufferPool"/>, returned there on
    /// <see cref="Dispose"/>). With <paramref name="hostKernels"/> (the default) the Gram and the rotation use
    /// the x86 shrink kernels where supported; without, they always run on <paramref name="backend"/> (the benchmark
    /// compares the two).
    /// </summary>
    public HostSketchWorkspace(IBlasBackend backend, int rows, int cols, bool hostKernels = true)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Guard.Positive(nameof(rows), rows);
        Guard.Positive(nameof(cols), cols);
        if ((long)rows * cols > Array.MaxLength)
        {
            throw new ArgumentException($"A {rows}×{cols} sketch workspace exceeds the largest .NET array.", nameof(cols));
        }

        _backend = backend;
        Rows = rows;
        Cols = cols;
        _buffer = WorkspaceBufferPool.Rent(rows * cols);
        _gramKernel = hostKernels && ShrinkKernels.GramSupported;
        _rotationKernel = hostKernels && ShrinkKernels.RotationSupported;
    }

    /// <summary>Which implementation runs the Gram and the rotation (printed by the benchmark).</summary>
    public string Kernels => (_gramKernel, _rotationKernel) switch
    {
        (true, true) => "host kernels (Gram AVX2+FMA, rotation AVX-512)",
        (true, false) => $"Gram host kernel (AVX2+FMA), rotation {_backend.Name} GEMM",
        _ => $"{_backend.Name} SYRK/GEMM",
    };

    /// <inheritdoc />
    public int Rows { get; }

    /// <inheritdoc />
    public int Cols { get; }

    /// <inheritdoc />
    public void SetRows(int rowOffset, ReadOnlySpan<float> rows, int count)
    {
        CheckRange(rowOffset, count);
        Guard.AtLeast(nameof(rows), rows.Length, (long)count * Cols, $"{count} rows of {Cols}");
        rows[..(count * Cols)].CopyTo(Live.AsSpan(rowOffset * Cols));
    }

    /// <inheritdoc />
    public Span<float> HostRows(int rowOffset, int count)
    {
        CheckRange(rowOffset, count);
        return Live.AsSpan(rowOffset * Cols, count * Cols);
    }

    /// <inheritdoc />
    public void ClearRows(int rowOffset, int count)
    {
        CheckRange(rowOffset, count);
        Live.AsSpan(rowOffset * Cols, count * Cols).Clear();
    }

    /// <inheritdoc />
    public void GetRows(int rowOffset, int count, Span<float> destination)
    {
        CheckRange(rowOffset, count);
        Guard.AtLeast(nameof(destination), destination.Length, (long)count * Cols, $"{count} rows of {Cols}");
        Live.AsSpan(rowOffset * Cols, count * Cols).CopyTo(destination);
    }

    /// <inheritdoc />
    public void Gram(int activeRows, Span<double> gram)
    {
        CheckRange(0, activeRows);
        Guard.AtLeast(nameof(gram), gram.Length, (long)activeRows * activeRows, $"a {activeRows}×{activeRows} Gram");
        if (_gramKernel)
        {
            ShrinkKernels.GramColumns(Live, Cols, activeRows, 0, gram);
            return;
        }

        using var scratch = new PooledArray<float>(activeRows * activeRows);
        _backend.Syrk(Transpose.No, activeRows, Cols, 1f, Live, Cols, 0f, scratch.Span, activeRows);
        for (int i = 0; i < activeRows * activeRows; i++)
        {
            gram[i] = scratch.Span[i];
        }
    }

    /// <inheritdoc />
    public void GramColumns(int activeRows, int fromRow, Span<double> destination)
    {
        CheckRange(0, activeRows);
        if (fromRow < 0 || fromRow > activeRows)
        {
            throw new ArgumentOutOfRangeException(nameof(fromRow), fromRow, $"The first Gram column must lie in [0, {activeRows}].");
        }

        int width = activeRows - fromRow;
        Guard.AtLeast(nameof(destination), destination.Length, (long)activeRows * width, $"a {activeRows}×{width} block of the Gram");
        if (width == 0)
        {
            return;
        }

        if (_gramKernel)
        {
            ShrinkKernels.GramColumns(Live, Cols, activeRows, fromRow, destination);
            return;
        }

        using var scratch = new PooledArray<float>(activeRows * width);
        _backend.Gemm(Transpose.No, Transpose.Yes, activeRows, width, Cols, 1f, Live, Cols, Live.AsSpan(fromRow * Cols), Cols, 0f, scratch.Span, width);
        for (int i = 0; i < activeRows * width; i++)
        {
            destination[i] = scratch.Span[i];
        }
    }

    /// <inheritdoc />
    public void RotateRows(int activeRows, ReadOnlySpan<float> m, int outRows)
    {
        CheckRange(0, activeRows);
        CheckRange(0, outRows);
        Guard.AtLeast(nameof(m), m.Length, (long)outRows * activeRows, $"a {outRows}×{activeRows} rotation");
        if (m.Overlaps(Live))
        {
            throw new ArgumentException("The rotation 'm' lies inside this workspace's own buffer (a span from HostRows?); pass a separate array.", nameof(m));
        }

        if (_rotationKernel)
        {
            ShrinkKernels.RotateInPlace(Live, Cols, activeRows, m, outRows);
            Live.AsSpan(outRows * Cols).Clear();
            return;
        }

        _spare ??= WorkspaceBufferPool.Rent(Rows * Cols);
        _backend.Gemm(Transpose.No, Transpose.No, outRows, Cols, activeRows, 1f, m, activeRows, Live, Cols, 0f, _spare, Cols);
        _spare.AsSpan(outRows * Cols).Clear();
        (_buffer, _spare) = (_spare, _buffer);
    }

    /// <summary>Ends the workspace and hands its buffers back to <see cref="WorkspaceBufferPool"/> (once).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        WorkspaceBufferPool.Return(_buffer);
        WorkspaceBufferPool.Return(_spare);
        _buffer = [];
        _spare = null;
    }

    private float[] Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _buffer;
        }
    }

    private void CheckRange(int rowOffset, int count)
    {
        if (rowOffset < 0 || count < 0 || rowOffset + count > Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows [{rowOffset}, {rowOffset + count}) fall outside the workspace's {Rows} rows.");
        }
    }
}
