using System.Buffers.Binary;
using System.Runtime.InteropServices;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// Frequent Directions (Liberty 2013; Ghashami–Liberty–Phillips–Woodruff 2016) with a 2ℓ-row float32 buffer
/// held in an <see cref="ISketchWorkspace"/> of the backend. Rows fill the buffer; when it is full a shrink
/// runs: Gram B·Bᵀ (workspace) → float32 eigen-solve (host) → rotation (workspace), leaving ≤ ℓ rows and
/// adding δ = λ_{ℓ+1} to <see cref="Certificate"/>. Guarantee: BᵀB ≼ AᵀA and ‖AᵀA − BᵀB‖₂ ≤ Certificate ≤
/// ‖A − A_k‖_F²/(ℓ + 1 − k) for every k ≤ ℓ. Merge stacks the other buffer's rows and shrinks as needed.
/// </summary>
public sealed class FrequentDirectionsSketch : CovarianceSketch
{
    private readonly ISketchWorkspace _workspace;
    private double _certificate;

    // Squared norms of buffer rows [0, n) while those rows are exactly what the last shrink left (orthogonal);
    // empty when unknown (a restored sketch). Rows appended after them do not change them.
    private double[] _retained = [];

    // Gram columns of this sketch's rows that a version's solve (through a copy sharing them) and its next shrink both
    // need, handed by whichever computes them first; created by the first copy that shares the rows, shared with every such copy.
    private SharedGramColumns? _sharedGram;

    // For a copy sharing another sketch's rows: its rows and shrinks when copied (−1 for a sketch that is no copy). Its
    // rows are the original's only while it still has exactly those: a late model a version cut absorbs diverges them.
    private int _copiedRows = -1;
    private int _copiedShrinks = -1;

    /// <summary>Creates an empty sketch of rows of length <paramref name="dimension"/> with parameter ℓ = <paramref name="ell"/> (≥ 2).</summary>
    public FrequentDirectionsSketch(IBlasBackend backend, int dimension, int ell, MeanMode meanMode)
        : base(backend, dimension, meanMode)
    {
        if (ell < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(ell), ell, "ℓ must be at least 2 (the sketch keeps ℓ directions after a shrink).");
        }

        Ell = ell;
        _workspace = backend.CreateSketchWorkspace(2 * ell, dimension);
    }

    private FrequentDirectionsSketch(FrequentDirectionsSketch source, ISketchWorkspace workspace)
        : base(source.Backend, source.Dimension, source.MeanMode)
    {
        Ell = source.Ell;
        _workspace = workspace;
    }

    /// <inheritdoc />
    public override SketchKind Kind => SketchKind.FrequentDirections;

    /// <summary>ℓ: the buffer holds 2ℓ rows and keeps ℓ after a shrink.</summary>
    public int Ell { get; }

    /// <summary>Rows currently in the buffer.</summary>
    public int BufferedRows { get; private set; }

    /// <summary>Shrinks performed (including those of merged sketches).</summary>
    public int ShrinkCount { get; private set; }

    /// <summary>Wall time this instance has spent in its own shrinks (not persisted; for telemetry).</summary>
    public TimeSpan ShrinkTime { get; private set; }

    /// <inheritdoc />
    public override double Certificate => _certificate;

    /// <inheritdoc />
    private protected override int HeaderEll => Ell;

    /// <inheritdoc />
    private protected override int HeaderRows => BufferedRows;

    /// <inheritdoc />
    private protected override int HeaderShrinks => ShrinkCount;

    /// <inheritdoc />
    private protected override int PayloadLength => OrthogonalPrefixLength + (BufferedRows * Dimension * sizeof(float));

    private int OrthogonalPrefixLength => SketchSerializer.OrthogonalPrefixLength + (_retained.Length * sizeof(double));

    /// <summary>Copies the <see cref="BufferedRows"/>×d rows of B (row-major) to <paramref name="destination"/>.</summary>
    public void CopyRows(Span<float> destination)
    {
        ThrowIfDisposed();
        Guard.AtLeast(nameof(destination), destination.Length, (long)BufferedRows * Dimension, $"{BufferedRows} rows of {Dimension}");
        if (BufferedRows > 0)
        {
            _workspace.GetRows(0, BufferedRows, destination);
        }
    }

    /// <summary>
    /// The <see cref="BufferedRows"/>×d rows read in place where the buffer is host memory (valid until the sketch next
    /// changes); empty where it is not (a device workspace: <see cref="CopyRows"/>) or holds no rows.
    /// </summary>
    internal ReadOnlySpan<float> HostRowsInPlace()
    {
        ThrowIfDisposed();
        return BufferedRows > 0 ? _workspace.ReadHostRows(0, BufferedRows) : ReadOnlySpan<float>.Empty;
    }

    /// <summary>Shrinks the buffer now (e.g. before publishing), even if it is not full.</summary>
    public void Compact()
    {
        ThrowIfDisposed();
        if (BufferedRows >= Ell)
        {
            Shrink();
        }
    }

    /// <summary>
    /// Hands the Gram columns a solve computed from <see cref="HostRowsInPlace"/> — columns [known, rows) of its rows
    /// [0, rows), known being <see cref="OrthogonalEnergies"/>' length, computed by <see cref="ShrinkKernels.GramColumns"/> —
    /// to the sketch whose rows this copy shares, for its next shrink (<see cref="SharedGramColumns"/>). Ignored unless
    /// they describe this copy's rows as they are and those are still the original's (the copy has absorbed nothing and
    /// not shrunk since it was made). The original's shrink takes them, or a later copy's solve of exactly these rows.
    /// </summary>
    internal void OfferGramColumns(int known, int rows, ReadOnlySpan<double> columns)
    {
        if (SharesGramOf(known, rows) is { } shared)
        {
            shared.Offer(ShrinkCount, known, rows, columns);
        }
    }

    /// <summary>
    /// Copies to <paramref name="columns"/> the Gram columns [known, rows) of this copy's rows [0, rows) when the sketch
    /// whose rows it shares has already computed them in a shrink (<see cref="SharedGramColumns.OfferFromShrink"/>); false
    /// when it has not, or when the rows are no longer the original's (as for <see cref="OfferGramColumns"/>).
    /// </summary>
    internal bool TakeGramColumns(int known, int rows, Span<double> columns)
    {
        if (SharesGramOf(known, rows) is not { } shared || !shared.TakeFor(ShrinkCount, known, rows, columns))
        {
            return false;
        }

        SharedGramSolves++;
        return true;
    }

    /// <summary>The shared Gram columns when <paramref name="known"/> and <paramref name="rows"/> describe this sketch's rows as they are and those are still the original's; else null.</summary>
    private SharedGramColumns? SharesGramOf(int known, int rows)
    {
        bool originalRows = _copiedRows < 0 || (BufferedRows == _copiedRows && ShrinkCount == _copiedShrinks);
        return originalRows && known == _retained.Length && rows == BufferedRows && known < rows ? _sharedGram : null;
    }

    /// <summary>Squared norms of the first rows, mutually orthogonal since the last shrink (empty before one).</summary>
    internal ReadOnlySpan<double> OrthogonalEnergies => _retained;

    internal static FrequentDirectionsSketch Restore(IBlasBackend backend, in SketchHeader header, ReadOnlySpan<byte> body, double[] sum)
    {
        // Version 2 starts with the orthogonal rows' count and squared norms (validated by the serializer).
        double[] retained = [];
        if (header.Version >= 2)
        {
            int count = BinaryPrimitives.ReadInt32LittleEndian(body);
            retained = MemoryMarshal.Cast<byte, double>(body.Slice(SketchSerializer.OrthogonalPrefixLength, count * sizeof(double))).ToArray();
            body = body[(SketchSerializer.OrthogonalPrefixLength + (count * sizeof(double)))..];
        }

        var rows = SketchSerializer.FiniteRows(body, header.Dimension);
        var sketch = new FrequentDirectionsSketch(backend, header.Dimension, header.Ell, header.MeanMode);
        if (header.BufferedRows > 0)
        {
            sketch._workspace.SetRows(0, rows, header.BufferedRows);
        }

        sketch.BufferedRows = header.BufferedRows;
        sketch.ShrinkCount = header.ShrinkCount;
        sketch._certificate = header.Certificate;
        sketch._retained = retained;
        sketch.RestoreState(header, sum);
        return sketch;
    }

    /// <inheritdoc />
    private protected override void AbsorbRows(ReadOnlySpan<float> rows, int count)
    {
        int capacity = 2 * Ell;
        int offset = 0;
        while (offset < count)
        {
            int take = Math.Min(capacity - BufferedRows, count - offset);
            _workspace.SetRows(BufferedRows, rows.Slice(offset * Dimension, take * Dimension), take);
            BufferedRows += take;
            offset += take;
            if (BufferedRows == capacity)
            {
                Shrink();
            }
        }
    }

    /// <inheritdoc />
    private protected override Span<float> ReserveRows(int count)
        => BufferedRows + count <= 2 * Ell ? _workspace.HostRows(BufferedRows, count) : Span<float>.Empty;

    /// <inheritdoc />
    private protected override void CommitReservedRows(int count)
    {
        BufferedRows += count;
        if (BufferedRows == 2 * Ell)
        {
            Shrink();
        }
    }

    /// <inheritdoc />
    private protected override void CheckMergeable(CovarianceSketch other)
    {
        var fd = (FrequentDirectionsSketch)other;
        if (fd.Ell != Ell)
        {
            throw new ArgumentException($"Cannot merge a sketch with ℓ = {fd.Ell} into one with ℓ = {Ell}.", nameof(other));
        }
    }

    /// <inheritdoc />
    private protected override void AbsorbSketch(CovarianceSketch other)
    {
        var fd = (FrequentDirectionsSketch)other;
        using var rows = new PooledArray<float>(fd.BufferedRows * Dimension);
        fd.CopyRows(rows.Span);
        AbsorbRows(rows.Span, fd.BufferedRows);
        _certificate += fd._certificate;
        ShrinkCount += fd.ShrinkCount;
    }

    /// <inheritdoc />
    private protected override ISymmetricOperator CreateSketchedOperator()
    {
        using var rows = new PooledArray<float>(BufferedRows * Dimension);
        CopyRows(rows.Span);
        return new RowGramOperator(Backend, rows.Span, BufferedRows, Dimension);
    }

    /// <inheritdoc />
    private protected override int WritePayload(Span<byte> destination)
    {
        int prefix = OrthogonalPrefixLength;
        BinaryPrimitives.WriteInt32LittleEndian(destination, _retained.Length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], 0);
        MemoryMarshal.AsBytes(_retained.AsSpan()).CopyTo(destination[SketchSerializer.OrthogonalPrefixLength..]);
        if (BufferedRows > 0)
        {
            _workspace.GetRows(0, BufferedRows, MemoryMarshal.Cast<byte, float>(destination[prefix..PayloadLength]));
        }

        return PayloadLength;
    }

    /// <inheritdoc />
    private protected override void DisposeCore() => _workspace.Dispose();

    /// <inheritdoc />
    private protected override CovarianceSketch CopyCore()
    {
        // A host workspace shares its rows copy-on-write (a version cut copies a slice's sketch and mostly only reads it).
        var shared = BufferedRows > 0 ? _workspace.Share(BufferedRows) : null;
        var copy = shared is null ? new FrequentDirectionsSketch(Backend, Dimension, Ell, MeanMode) : new FrequentDirectionsSketch(this, shared);
        if (shared is not null && TakesSharedGram && _copiedRows < 0)
        {
            copy._sharedGram = _sharedGram ??= new SharedGramColumns();
            copy._copiedRows = BufferedRows;
            copy._copiedShrinks = ShrinkCount;
            _sharedGram.Expect(ShrinkCount, _retained.Length, BufferedRows);
        }

        if (BufferedRows > 0 && shared is null)
        {
            // Straight into the copy's buffer when it is host memory; through scratch for a device workspace.
            var target = copy._workspace.HostRows(0, BufferedRows);
            if (!target.IsEmpty)
            {
                _workspace.GetRows(0, BufferedRows, target);
            }
            else
            {
                using var rows = new PooledArray<float>(BufferedRows * Dimension);
                _workspace.GetRows(0, BufferedRows, rows.Span);
                copy._workspace.SetRows(0, rows.Span, BufferedRows);
            }
        }

        copy.BufferedRows = BufferedRows;
        copy.ShrinkCount = ShrinkCount;
        copy._certificate = _certificate;
        copy._retained = [.. _retained];
        return copy;
    }

    private void Shrink()
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int active = BufferedRows;
        using var gram = new PooledArray<double>(active * active);
        int known = _retained.Length;
        if (known > 0 && known < active)
        {
            StructuredGram(active, known, gram.Span);
        }
        else
        {
            _workspace.Gram(active, gram.Span);
        }

        // The plan is applied at once, so its rotation lives in scratch (a shrink allocates only the kept energies).
        using var rotation = new PooledArray<float>(Math.Min(Ell, active) * active);
        var (outRows, delta, retained) = FrequentDirectionsShrink.Solve(Backend, gram.Span, active, Ell, rotation.Span);
        _workspace.RotateRows(active, rotation.Span[..(outRows * active)], outRows);
        BufferedRows = outRows;
        _retained = retained;
        _certificate += delta;
        ShrinkCount++;
        ShrinkTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    /// <summary>
    /// The Gram of a buffer whose first <paramref name="known"/> rows are the orthogonal rows of the last shrink:
    /// their block is diag(λᵢ − δ), so only the columns of the newer rows are computed (half the GEMM work at 2ℓ).
    /// </summary>
    private void StructuredGram(int active, int known, Span<double> gram)
    {
        using var columns = new PooledArray<double>(active * (active - known));
        if (_copiedRows < 0 && _sharedGram?.Take(ShrinkCount, known, active) is { } solved)
        {
            ColumnsAfter(solved, active, columns.Span);
            SharedGramShrinks++;
        }
        else
        {
            _workspace.GramColumns(active, known, columns.Span);
            if (_copiedRows < 0)
            {
                _sharedGram?.OfferFromShrink(ShrinkCount, known, active, columns.Span);
            }
        }

        OrthogonalPrefixGram.Assemble(_retained.AsSpan(0, known), columns.Span, active, gram);
    }

    /// <summary>Shrinks whose Gram took the columns a version's solve had computed (<see cref="SharedGramColumns"/>).</summary>
    internal int SharedGramShrinks { get; private set; }

    /// <summary>Solves of this copy's rows in place that took the columns the original's shrink had computed (<see cref="SharedGramColumns"/>).</summary>
    internal int SharedGramSolves { get; private set; }

    // Host rows whose Gram the host kernel computes tile-independently: what a solve reading them in place computes.
    internal bool TakesSharedGram => _workspace is HostSketchWorkspace { UsesGramKernel: true } && ShrinkKernels.GramTileIndependent(Dimension);

    /// <summary>
    /// Columns [known, active) of the Gram of rows [0, active) from a solve's columns of rows [0, R): those entries as
    /// they are, the columns of rows [R, active) computed now, and the rows [R, active) of the older columns by symmetry.
    /// </summary>
    private void ColumnsAfter(SharedGramColumns.Entry solved, int active, Span<double> columns)
    {
        int known = solved.Known, rows = solved.Rows, width = active - known, older = rows - known, newer = active - rows;
        using var fresh = new PooledArray<double>(active * newer);
        _workspace.GramColumns(active, rows, fresh.Span);
        for (int i = 0; i < active; i++)
        {
            var row = columns.Slice(i * width, width);
            if (i < rows)
            {
                solved.Columns.AsSpan(i * older, older).CopyTo(row);
            }
            else
            {
                for (int j = known; j < rows; j++)
                {
                    row[j - known] = fresh.Span[(j * newer) + (i - rows)];
                }
            }

            fresh.Span.Slice(i * newer, newer).CopyTo(row[older..]);
        }
    }
}
