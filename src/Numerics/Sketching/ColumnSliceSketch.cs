using System.Runtime.InteropServices;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// One column slice of a Frequent Directions sketch whose rows are too wide for one holder (flattened mode: a row is
/// vec(W) of length m·n). S slices hold the same 2ℓ-row buffer over disjoint column ranges, with rows in the same
/// order, and shrink together: each reports <see cref="Gram"/> (B_sB_sᵀ), the sum is planned once with
/// <see cref="FrequentDirectionsShrink.Plan"/>, and every slice applies the same plan (<see cref="ApplyShrink"/>).
/// Driven that way the slices, side by side, equal a single-node <see cref="FrequentDirectionsSketch"/> of the full
/// rows: same buffer, certificate, counts; the energies and (<see cref="MeanMode.Track"/>) running sums are the
/// column parts of the full ones. The buffer never shrinks by itself: when <see cref="IsFull"/> the owner of the
/// order must run the coordinated shrink before the next <see cref="AppendRow"/>. Not thread-safe.
/// </summary>
public sealed class ColumnSliceSketch : IDisposable
{
    private readonly IBlasBackend _backend;
    private readonly ISketchWorkspace _workspace;
    private readonly double[]? _sum;
    private bool _disposed;

    /// <summary>Creates an empty slice of <paramref name="width"/> columns with parameter ℓ = <paramref name="ell"/> (≥ 2).</summary>
    /// <exception cref="ArgumentException"><see cref="MeanMode.Centre"/>: batch centring of single rows is not column-separable here.</exception>
    public ColumnSliceSketch(IBlasBackend backend, int width, int ell, MeanMode meanMode)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Guard.Positive(nameof(width), width);
        if (ell < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(ell), ell, "ℓ must be at least 2 (the sketch keeps ℓ directions after a shrink).");
        }

        if (meanMode is not (MeanMode.None or MeanMode.Track))
        {
            throw new ArgumentException($"A column slice supports mean mode None or Track, not {meanMode}.", nameof(meanMode));
        }

        _backend = backend;
        Width = width;
        Ell = ell;
        MeanMode = meanMode;
        _sum = meanMode == MeanMode.Track ? new double[width] : null;
        _workspace = backend.CreateSketchWorkspace(2 * ell, width);
    }

    /// <summary>Columns held by this slice.</summary>
    public int Width { get; }

    /// <summary>ℓ: the buffer holds 2ℓ rows and keeps ℓ after a shrink.</summary>
    public int Ell { get; }

    /// <summary>Whether the running sum of the rows (this slice's columns of the mean) is kept.</summary>
    public MeanMode MeanMode { get; }

    /// <summary>Rows currently in the buffer (equal on every slice of a layer).</summary>
    public int BufferedRows { get; private set; }

    /// <summary>True when the buffer holds 2ℓ rows: the coordinated shrink must run before the next append.</summary>
    public bool IsFull => BufferedRows == 2 * Ell;

    /// <summary>Shrinks applied.</summary>
    public int ShrinkCount { get; private set; }

    /// <summary>Rows (models) appended.</summary>
    public long RowCount { get; private set; }

    /// <summary>Σδ of the applied plans: the Frequent Directions certificate of the whole (unsliced) sketch.</summary>
    public double Certificate { get; private set; }

    /// <summary>Exact Σ‖x_s‖² over this slice's columns; the slices' energies add up to the full rows' energy.</summary>
    public double TotalEnergy { get; private set; }

    /// <summary>
    /// Appends one row (this slice's <see cref="Width"/> columns of it). Rejects a wrong length, a non-finite value or a
    /// full buffer before any change.
    /// </summary>
    public void AppendRow(ReadOnlySpan<float> row)
    {
        ThrowIfDisposed();
        Guard.Length(nameof(row), row.Length, Width, $"a row part of width {Width}");
        int bad = Guard.FirstNonFinite(row);
        if (bad >= 0)
        {
            throw new ArgumentException($"'row' column {bad} is {row[bad]}; only finite values can be sketched.", nameof(row));
        }

        if (IsFull)
        {
            throw new InvalidOperationException($"The column slice buffer is full ({BufferedRows} rows): apply the coordinated shrink first.");
        }

        _workspace.SetRows(BufferedRows, row, 1);
        BufferedRows++;
        RowCount++;
        TotalEnergy += RowKernels.SumOfSquares(row);
        if (_sum is not null)
        {
            RowKernels.AddScaled(row, 1.0, _sum);
        }
    }

    /// <summary>destination (BufferedRows×BufferedRows, row-major float64) = B_s·B_sᵀ, this slice's share of the buffer's Gram.</summary>
    public void Gram(Span<double> destination)
    {
        ThrowIfDisposed();
        Guard.Length(nameof(destination), destination.Length, (long)BufferedRows * BufferedRows, $"a {BufferedRows}×{BufferedRows} Gram");
        if (BufferedRows > 0)
        {
            _workspace.Gram(BufferedRows, destination);
        }
    }

    /// <summary>
    /// Applies the shrink planned from the summed Gram of all slices: B_s ← M·B_s; the certificate grows by δ. The plan
    /// must cover exactly the buffered rows (a plan from another step is rejected with the slice unchanged).
    /// </summary>
    public void ApplyShrink(ShrinkPlan plan)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.ActiveRows != BufferedRows || plan.OutRows > plan.ActiveRows || plan.Rotation.Length != plan.OutRows * plan.ActiveRows
            || !double.IsFinite(plan.Delta) || plan.Delta < 0)
        {
            throw new ArgumentException(
                $"The shrink plan covers {plan.ActiveRows} rows into {plan.OutRows} (δ = {plan.Delta}, {plan.Rotation.Length} coefficients) but the slice holds {BufferedRows} rows.",
                nameof(plan));
        }

        FrequentDirectionsShrink.Apply(_workspace, plan);
        BufferedRows = plan.OutRows;
        Certificate += plan.Delta;
        ShrinkCount++;
    }

    /// <summary>Copies the BufferedRows×Width rows of B_s (row-major) to <paramref name="destination"/>.</summary>
    public void CopyRows(Span<float> destination)
    {
        ThrowIfDisposed();
        Guard.AtLeast(nameof(destination), destination.Length, (long)BufferedRows * Width, $"{BufferedRows} rows of {Width}");
        if (BufferedRows > 0)
        {
            _workspace.GetRows(0, BufferedRows, destination);
        }
    }

    /// <summary>Copies this slice's columns of the running mean (zeros before the first row).</summary>
    /// <exception cref="InvalidOperationException">The slice keeps no mean (<see cref="MeanMode.None"/>).</exception>
    public void CopyMean(Span<double> destination)
    {
        ThrowIfDisposed();
        if (_sum is null)
        {
            throw new InvalidOperationException("This column slice keeps no mean (MeanMode.None).");
        }

        Guard.Length(nameof(destination), destination.Length, Width, $"the mean part of width {Width}");
        for (int j = 0; j < Width; j++)
        {
            destination[j] = RowCount == 0 ? 0 : _sum[j] / RowCount;
        }
    }

    /// <summary>
    /// destination (k×Width) = coefficients (k×BufferedRows, row-major) · B_s: this slice's columns of the vectors
    /// whose coefficients in the buffer's rows are given (with <see cref="ColumnSlicedBasis.Plan"/>'s coefficients,
    /// the slice's part of the basis V = Bᵀ·U·Σ⁻¹).
    /// </summary>
    public void Project(ReadOnlySpan<float> coefficients, int k, Span<float> destination)
    {
        ThrowIfDisposed();
        Guard.Positive(nameof(k), k);
        Guard.Length(nameof(coefficients), coefficients.Length, (long)k * BufferedRows, $"{k}×{BufferedRows} coefficients");
        Guard.Length(nameof(destination), destination.Length, (long)k * Width, $"{k}×{Width} vectors");
        if (BufferedRows == 0)
        {
            throw new InvalidOperationException("The column slice is empty: there is nothing to project.");
        }

        using var rows = new PooledArray<float>(BufferedRows * Width);
        _workspace.GetRows(0, BufferedRows, rows.Span);
        _backend.Gemm(Transpose.No, Transpose.No, k, Width, BufferedRows, 1f, coefficients, BufferedRows, rows.Span, Width, 0f, destination, Width);
    }

    /// <summary>The versioned, checksummed binary form (the <see cref="SketchSerializer"/> layout with kind <see cref="SketchKind.ColumnSlice"/>).</summary>
    public byte[] Serialize()
    {
        ThrowIfDisposed();
        var header = new SketchHeader(SketchKind.ColumnSlice, MeanMode, Width, Ell, BufferedRows, ShrinkCount, RowCount, RowCount, Certificate, TotalEnergy);
        int rowBytes = BufferedRows * Width * sizeof(float);
        int sumBytes = _sum is null ? 0 : Width * sizeof(double);
        return SketchSerializer.Write(header, rowBytes + sumBytes, span =>
        {
            if (BufferedRows > 0)
            {
                _workspace.GetRows(0, BufferedRows, MemoryMarshal.Cast<byte, float>(span[..rowBytes]));
            }

            if (_sum is not null)
            {
                MemoryMarshal.AsBytes(_sum.AsSpan()).CopyTo(span[rowBytes..]);
            }
        });
    }

    /// <summary>Reads a slice written by <see cref="Serialize"/>, creating its buffer on <paramref name="backend"/>.</summary>
    /// <exception cref="SketchFormatException">The blob is truncated, corrupt, of another kind or inconsistent.</exception>
    public static ColumnSliceSketch Deserialize(ReadOnlySpan<byte> blob, IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var header = SketchSerializer.ReadColumnSlice(blob, out var body, out var sum);
        var rows = SketchSerializer.FiniteRows(body, header.Dimension);
        var slice = new ColumnSliceSketch(backend, header.Dimension, header.Ell, header.MeanMode);
        if (header.BufferedRows > 0)
        {
            slice._workspace.SetRows(0, rows, header.BufferedRows);
        }

        slice.BufferedRows = header.BufferedRows;
        slice.ShrinkCount = header.ShrinkCount;
        slice.RowCount = header.RowCount;
        slice.Certificate = header.Certificate;
        slice.TotalEnergy = header.Energy;
        sum.CopyTo(slice._sum.AsSpan());
        return slice;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _workspace.Dispose();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
