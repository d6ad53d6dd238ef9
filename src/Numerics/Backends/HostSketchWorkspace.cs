using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Backends;

/// <summary>
/// A host-memory <see cref="ISketchWorkspace"/> shared by the CPU backends: a float32 row-major buffer. Its Gram
/// and rotation run on this library's x86 shrink kernels where the CPU has their instructions (Gram: AVX2 + FMA;
/// rotation: AVX-512, in place) — they run the skinny shapes of a shrink faster than a general GEMM — and otherwise,
/// or when created with <c>hostKernels: false</c>, through the owning backend's SYRK/GEMM.
/// <para>
/// <see cref="Share"/> hands out the first rows without copying them: the buffer is shared copy-on-write. Rows a share
/// sees are never written in place while it lives: the workspace that wrote the buffer last goes on appending beyond
/// them, its next rotation writes a buffer of its own (which it needed anyway as the product's target), and any other
/// write to a shared buffer copies first. A workspace is used by one caller at a time; a workspace and its shares may
/// be used from different threads.
/// </para>
/// </summary>
public sealed class HostSketchWorkspace : ISketchWorkspace
{
    private readonly IBlasBackend _backend;
    private readonly bool _gramKernel;
    private readonly bool _rotationKernel;
    private SharedRows _shared;
    private float[]? _spare;

    // A share's view ends at this row: rows beyond it may hold what another holder appended (cleared before this
    // workspace writes the buffer in place); −1 when every row is this workspace's own.
    private int _viewRows = -1;
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
        _shared = new SharedRows(WorkspaceBufferPool.Rent(rows * cols));
        _gramKernel = hostKernels && ShrinkKernels.GramSupported;
        _rotationKernel = hostKernels && ShrinkKernels.RotationSupported;
    }

    private HostSketchWorkspace(HostSketchWorkspace owner, SharedRows shared, int viewRows)
    {
        _backend = owner._backend;
        Rows = owner.Rows;
        Cols = owner.Cols;
        _gramKernel = owner._gramKernel;
        _rotationKernel = owner._rotationKernel;
        _shared = shared;
        _viewRows = viewRows;
    }

    /// <summary>Whether the Gram runs on the host kernel (<see cref="ShrinkKernels.GramColumns"/>), as a solve reading the rows in place does.</summary>
    internal bool UsesGramKernel => _gramKernel;

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
        rows[..(count * Cols)].CopyTo(Writable(rowOffset).AsSpan(rowOffset * Cols));
    }

    /// <inheritdoc />
    public Span<float> HostRows(int rowOffset, int count)
    {
        CheckRange(rowOffset, count);
        return Writable(rowOffset).AsSpan(rowOffset * Cols, count * Cols);
    }

    /// <inheritdoc />
    public ReadOnlySpan<float> ReadHostRows(int rowOffset, int count)
    {
        CheckRange(rowOffset, count);
        return Live.AsSpan(rowOffset * Cols, count * Cols);
    }

    /// <inheritdoc />
    public void ClearRows(int rowOffset, int count)
    {
        CheckRange(rowOffset, count);
        Writable(rowOffset).AsSpan(rowOffset * Cols, count * Cols).Clear();
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

        RowBlockProducts.BackendGram(_backend, Live.AsSpan(0, activeRows * Cols), activeRows, Cols, gram);
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

        if (!TakeAlone())
        {
            // Shared: the product goes to a buffer of this workspace's own; the shares keep the one they see. Its rows
            // past the product are cleared, as a rotation in place leaves them.
            var target = WorkspaceBufferPool.Rent(Rows * Cols, clear: false);
            Rotate(Live, target, activeRows, m, outRows);
            target.AsSpan(outRows * Cols).Clear();
            Leave();
            _shared = new SharedRows(target);
            _viewRows = -1;
            return;
        }

        if (_rotationKernel)
        {
            ShrinkKernels.RotateInPlace(Live, Cols, activeRows, m, outRows);
            Live.AsSpan(outRows * Cols).Clear();
            return;
        }

        _spare ??= WorkspaceBufferPool.Rent(Rows * Cols);
        Rotate(Live, _spare, activeRows, m, outRows);
        _spare.AsSpan(outRows * Cols).Clear();
        (_shared.Buffer, _spare) = (_spare, _shared.Buffer);
    }

    /// <summary>
    /// A workspace holding this one's rows [0, <paramref name="rows"/>) without copying them (see the class remarks): each
    /// side may go on writing, and neither sees the other's writes. Dispose it like any workspace.
    /// </summary>
    public ISketchWorkspace Share(int rows)
    {
        CheckRange(0, rows);
        var shared = _shared;
        lock (shared)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (shared.Holders == 1 && _viewRows < 0)
            {
                shared.Appender = this;
            }

            shared.Holders++;
            shared.SharedRowCount = Math.Max(shared.SharedRowCount, rows);
        }

        return new HostSketchWorkspace(this, shared, rows);
    }

    /// <summary>target[0:outRows] = M·source[0:activeRows]; rows beyond are left as they are.</summary>
    private void Rotate(float[] source, float[] target, int activeRows, ReadOnlySpan<float> m, int outRows)
    {
        if (_rotationKernel)
        {
            ShrinkKernels.Rotate(source, target, Cols, activeRows, m, outRows);
            return;
        }

        _backend.Gemm(Transpose.No, Transpose.No, outRows, Cols, activeRows, 1f, m, activeRows, source, Cols, 0f, target, Cols);
    }

    /// <summary>Ends the workspace and hands its buffers back to <see cref="WorkspaceBufferPool"/> (once).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Leave();
        WorkspaceBufferPool.Return(_spare);
        _spare = null;
    }

    private float[] Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _shared.Buffer;
        }
    }

    /// <summary>
    /// The buffer to write from row <paramref name="fromRow"/> on: the shared one when this workspace holds it alone or
    /// appends beyond every share's rows, else a copy of its own rows first.
    /// </summary>
    private float[] Writable(int fromRow)
    {
        var shared = _shared;
        lock (shared)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (shared.Appender == this && fromRow >= shared.SharedRowCount)
            {
                return shared.Buffer;
            }
        }

        if (TakeAlone())
        {
            return _shared.Buffer;
        }

        var own = WorkspaceBufferPool.Rent(Rows * Cols);
        int rows = _viewRows < 0 ? Rows : _viewRows;
        shared.Buffer.AsSpan(0, rows * Cols).CopyTo(own);
        Leave();
        _shared = new SharedRows(own);
        _viewRows = -1;
        return own;
    }

    /// <summary>
    /// True when this workspace is the buffer's only holder (then it may write anywhere; rows past a share's view that
    /// another holder appended are cleared first).
    /// </summary>
    private bool TakeAlone()
    {
        var shared = _shared;
        lock (shared)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (shared.Holders > 1)
            {
                return false;
            }

            shared.Appender = this;
            shared.SharedRowCount = 0;
        }

        if (_viewRows >= 0)
        {
            shared.Buffer.AsSpan(_viewRows * Cols).Clear();
            _viewRows = -1;
        }

        return true;
    }

    /// <summary>Lets go of the buffer: the last holder returns it to <see cref="WorkspaceBufferPool"/>.</summary>
    private void Leave()
    {
        var shared = _shared;
        bool last;
        lock (shared)
        {
            if (shared.Appender == this)
            {
                shared.Appender = null;
            }

            last = --shared.Holders == 0;
        }

        if (last)
        {
            WorkspaceBufferPool.Return(shared.Buffer);
        }
    }

    private void CheckRange(int rowOffset, int count)
    {
        if (rowOffset < 0 || count < 0 || rowOffset + count > Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows [{rowOffset}, {rowOffset + count}) fall outside the workspace's {Rows} rows.");
        }
    }

    /// <summary>A buffer and the workspaces that hold it (the lock of its bookkeeping).</summary>
    private sealed class SharedRows(float[] buffer)
    {
        /// <summary>The rows (Rows × Cols).</summary>
        public float[] Buffer = buffer;

        /// <summary>Workspaces holding <see cref="Buffer"/>.</summary>
        public int Holders = 1;

        /// <summary>The holder that may append in place from <see cref="SharedRowCount"/> on (null: none).</summary>
        public HostSketchWorkspace? Appender;

        /// <summary>Rows [0, SharedRowCount) are seen by a share: nobody writes them in place while the buffer is shared.</summary>
        public int SharedRowCount;
    }
}
