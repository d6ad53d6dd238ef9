using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// What both sketch kinds share: input validation (all before any change), mean modes (batch centring with the
/// exact correction row), counts, exact energy, the LoRA factor trick, merging of the bookkeeping, the
/// mean-corrected operator and the serialised header. Derived types hold the sketched matrix itself.
/// </summary>
public abstract class CovarianceSketch : ICovarianceSketch
{
    private readonly double[]? _sum;
    private bool _disposed;

    private protected CovarianceSketch(IBlasBackend backend, int dimension, MeanMode meanMode)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Guard.Positive(nameof(dimension), dimension);
        if (!Enum.IsDefined(meanMode))
        {
            throw new ArgumentOutOfRangeException(nameof(meanMode), meanMode, "Unknown mean mode.");
        }

        Backend = backend;
        Dimension = dimension;
        MeanMode = meanMode;
        _sum = meanMode == MeanMode.None ? null : new double[dimension];
    }

    /// <inheritdoc />
    public abstract SketchKind Kind { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public MeanMode MeanMode { get; }

    /// <inheritdoc />
    public long RowCount { get; private set; }

    /// <inheritdoc />
    public long UnitCount { get; private set; }

    /// <inheritdoc />
    public double TotalEnergy { get; private set; }

    /// <inheritdoc />
    public abstract double Certificate { get; }

    /// <summary>The backend the sketch computes with.</summary>
    protected IBlasBackend Backend { get; }

    /// <inheritdoc />
    public double Energy(bool centred)
    {
        double meanEnergy = MeanEnergy();
        return (MeanMode, centred) switch
        {
            (MeanMode.None, true) => throw new InvalidOperationException("Centred energy needs a sketch that tracks the mean (MeanMode.None keeps none)."),
            (MeanMode.Centre, false) => TotalEnergy + meanEnergy,
            (MeanMode.Track, true) => Math.Max(0, TotalEnergy - meanEnergy),
            _ => TotalEnergy,
        };
    }

    /// <inheritdoc />
    public void CopyMean(Span<double> destination)
    {
        if (_sum is null)
        {
            throw new InvalidOperationException("This sketch keeps no mean (MeanMode.None).");
        }

        Guard.Length(nameof(destination), destination.Length, Dimension, $"the mean of dimension {Dimension}");
        for (int j = 0; j < Dimension; j++)
        {
            destination[j] = RowCount == 0 ? 0 : _sum[j] / RowCount;
        }
    }

    /// <inheritdoc />
    public void AppendRows(ReadOnlySpan<float> rows, int rowCount, int units = 1)
    {
        ThrowIfDisposed();
        CheckBatch(rowCount, units);
        Guard.Length(nameof(rows), rows.Length, (long)rowCount * Dimension, $"{rowCount} rows of dimension {Dimension}");
        CheckFinite(rows, Dimension, "rows");
        using var batchMean = new PooledArray<double>(Dimension, clear: true);
        if (_sum is not null)
        {
            RowKernels.ColumnMeans(rows, rowCount, Dimension, batchMean.Span);
        }

        if (MeanMode == MeanMode.Centre)
        {
            using var centred = new PooledArray<float>(rows.Length);
            Span<float> centredSpan = centred.Span;
            ReadOnlySpan<double> mean = batchMean.Span;
            for (int i = 0; i < rowCount; i++)
            {
                var source = rows.Slice(i * Dimension, Dimension);
                var target = centredSpan.Slice(i * Dimension, Dimension);
                for (int j = 0; j < Dimension; j++)
                {
                    target[j] = (float)(source[j] - mean[j]);
                }
            }

            CheckFinite(centred.Span, Dimension, "rows − batch mean (overflow)");
            using var correction = CorrectionRow(rowCount, batchMean.Span);
            Absorb(centred.Span, rowCount);
            CommitBatch(rowCount, units, batchMean.Span, correction.Span);
        }
        else
        {
            Absorb(rows, rowCount);
            CommitBatch(rowCount, units, batchMean.Span, default);
        }
    }

    /// <inheritdoc />
    public void AppendLowRank(ReadOnlySpan<float> left, int rowCount, int rank, ReadOnlySpan<float> right, float scale, int units = 1)
        => AppendLowRank(left, rowCount, rank, right, scale, units, factorsChecked: false);

    /// <summary>
    /// <see cref="AppendLowRank(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, float, int)"/> for a caller that has
    /// already checked both factors for NaN/Inf (<see cref="ParallelSketchAbsorber"/> checks a whole batch before any
    /// lane changes): skips that second read of them. Shapes, scale and overflow are still checked here.
    /// </summary>
    internal void AppendLowRank(ReadOnlySpan<float> left, int rowCount, int rank, ReadOnlySpan<float> right, float scale, int units, bool factorsChecked)
        => AppendLowRank(left, rowCount, rank, right, scale, units, factorsChecked, formed: null);

    /// <summary>
    /// <see cref="AppendLowRank(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, float, int, bool)"/> that hands the
    /// formed rows to <paramref name="formed"/> once the batch passed every check and before they are kept — unless this
    /// sketch centres batches (<see cref="MeanMode.Centre"/>: its rows then carry the centred covariance, not Σ x xᵀ), in
    /// which case <paramref name="formed"/> is not called.
    /// </summary>
    internal void AppendLowRank(ReadOnlySpan<float> left, int rowCount, int rank, ReadOnlySpan<float> right, float scale, int units, bool factorsChecked, FormedRowsHandler? formed)
    {
        ThrowIfDisposed();
        CheckBatch(rowCount, units);
        Guard.Positive(nameof(rank), rank);
        Guard.Length(nameof(left), left.Length, (long)rowCount * rank, $"a left factor of {rowCount}×{rank}");
        Guard.Length(nameof(right), right.Length, (long)rank * Dimension, $"a right factor of {rank}×{Dimension}");
        if (!float.IsFinite(scale))
        {
            throw new ArgumentException($"Scale is {scale}; it must be finite.", nameof(scale));
        }

        if (!factorsChecked)
        {
            CheckFinite(left, rank, "left");
            CheckFinite(right, Dimension, "right");
        }

        // G = scale²·(left − centre)ᵀ(left − centre) = FᵀF with F (kept×r) from a pivoted Cholesky: the rows F·right
        // carry the same Σ x xᵀ as the rowCount rows of scale·left·right. Centre mode needs the column means of left
        // first; otherwise the Gram's pass over left also sums its columns.
        using var leftMean = new PooledArray<double>(rank, clear: true);
        using var gram = new PooledArray<double>(rank * rank);
        if (MeanMode == MeanMode.Centre)
        {
            RowKernels.ColumnMeans(left, rowCount, rank, leftMean.Span);
            SmallGram.Compute(left, rowCount, rank, leftMean.Span, (double)scale * scale, gram.Span);
        }
        else
        {
            SmallGram.Compute(left, rowCount, rank, default, (double)scale * scale, gram.Span, leftMean.Span);
            for (int p = 0; p < rank; p++)
            {
                leftMean.Span[p] /= rowCount;
            }
        }

        using var factor = new PooledArray<float>(rank * rank);
        int kept = PivotedCholesky.Factor(gram.Span, rank, factor.Span);

        // Formed in place in the sketch's buffer when it has room there in host memory (no copy), else in scratch.
        // Rows past the buffered ones are not sketch state, so a product refused there, or a batch refused by the mean
        // checks below, changes nothing.
        var reserved = kept > 0 ? ReserveRows(kept) : Span<float>.Empty;
        using var scratch = new PooledArray<float>(kept > 0 && reserved.IsEmpty ? kept * Dimension : 0);
        var rows = reserved.IsEmpty ? scratch.Span : reserved;
        double energy = 0;
        if (kept > 0)
        {
            // The energy comes with the product and doubles as the overflow check: a non-finite entry makes it non-finite.
            energy = RowKernels.CombineWithEnergy(factor.Span[..(kept * rank)], kept, rank, right, Dimension, rows);
            if (!double.IsFinite(energy))
            {
                // Either an entry overflowed (named here) or only a float32 square did (entries above ~1.8e19):
                // then the float64 sum is the energy.
                CheckFinite(rows, Dimension, "scale·left·right (overflow)");
                energy = RowKernels.SumOfSquares(rows);
            }
        }

        // The batch mean is scale·l̄ᵀ·right (Centre mode centres the batch with it: scale·(left − 1·l̄ᵀ)·right). After the
        // product, which streams right from memory with enough work per byte to hide it, this pass finds right in cache:
        // the other way round it was the one reading the factor cold (3 % of an adapter's time in the lanes).
        using var batchMean = new PooledArray<double>(Dimension, clear: true);
        for (int p = 0; p < rank; p++)
        {
            RowKernels.AddScaled(right.Slice(p * Dimension, Dimension), scale * leftMean.Span[p], batchMean.Span);
        }

        CheckInFloatRange(batchMean.Span, "scale·left·right");
        if (formed is not null && MeanMode != MeanMode.Centre)
        {
            formed(rows[..(kept * Dimension)], kept, energy);
        }

        using var correction = CorrectionRow(rowCount, batchMean.Span);
        if (kept > 0)
        {
            if (reserved.IsEmpty)
            {
                Absorb(rows, kept, energy);
            }
            else
            {
                CommitReservedRows(kept);
                TotalEnergy += energy;
            }
        }

        CommitBatch(rowCount, units, batchMean.Span, correction.Span);
    }

    /// <inheritdoc />
    public void Merge(ICovarianceSketch other)
    {
        var source = Compatible(other, "merge");
        using var otherMean = new PooledArray<double>(Dimension);
        if (MeanMode == MeanMode.Centre && source.RowCount > 0)
        {
            source.CopyMean(otherMean.Span);
        }

        using var correction = source.RowCount > 0 ? CorrectionRow(source.RowCount, otherMean.Span) : new PooledArray<float>(0);
        AbsorbSketch(source);
        TotalEnergy += source.TotalEnergy;
        if (correction.Length > 0)
        {
            Absorb(correction.Span, 1);
        }

        if (_sum is not null)
        {
            for (int j = 0; j < Dimension; j++)
            {
                _sum[j] += source._sum![j];
            }
        }

        RowCount += source.RowCount;
        UnitCount += source.UnitCount;
    }

    /// <inheritdoc />
    public bool CanSubtract => Kind.CanSubtract();

    /// <inheritdoc />
    public void Subtract(ICovarianceSketch other)
    {
        var source = Compatible(other, "subtract");
        if (!CanSubtract)
        {
            throw new InvalidOperationException($"A {Kind} sketch cannot subtract rows; rebuild it from the rows that remain.");
        }

        if (source.RowCount > RowCount || source.UnitCount > UnitCount)
        {
            throw new ArgumentException(
                $"Cannot subtract {source.RowCount} rows of {source.UnitCount} units from a sketch of {RowCount} rows of {UnitCount} units.", nameof(other));
        }

        long remaining = RowCount - source.RowCount;
        using var correction = RemovalCorrectionRow(source);
        SubtractSketch(source);
        if (correction.Length > 0)
        {
            SubtractRows(correction.Span, 1);
        }

        RowCount = remaining;
        UnitCount -= source.UnitCount;
        if (remaining == 0)
        {
            // Nothing left: exact zeros rather than the rounding residue of G − G.
            ClearSketch();
            _sum?.AsSpan().Clear();
            TotalEnergy = 0;
            return;
        }

        TotalEnergy = Math.Max(0, TotalEnergy - source.TotalEnergy - (correction.Length > 0 ? RowKernels.SumOfSquares(correction.Span) : 0));
        if (_sum is not null)
        {
            for (int j = 0; j < Dimension; j++)
            {
                _sum[j] -= source._sum![j];
            }
        }
    }

    /// <inheritdoc />
    public ISymmetricOperator CreateOperator(bool centred)
    {
        ThrowIfDisposed();
        int sign = (MeanMode, centred) switch
        {
            (MeanMode.None, true) => throw new InvalidOperationException("A centred operator needs a sketch that tracks the mean (MeanMode.None keeps none)."),
            (MeanMode.Track, true) => -1,
            (MeanMode.Centre, false) => 1,
            _ => 0,
        };
        var inner = CreateSketchedOperator();
        if (sign == 0 || RowCount == 0)
        {
            return inner;
        }

        var mean = new double[Dimension];
        CopyMean(mean);
        return new RankOneCorrectedOperator(inner, mean, sign * (double)RowCount);
    }

    /// <inheritdoc />
    public byte[] Serialize()
    {
        ThrowIfDisposed();
        return SketchSerializer.Write(Header, PayloadLength + (_sum is null ? 0 : Dimension * sizeof(double)), span =>
        {
            int written = WritePayload(span);
            if (_sum is not null)
            {
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(_sum.AsSpan()).CopyTo(span[written..]);
            }
        });
    }

    /// <inheritdoc />
    public ICovarianceSketch Copy()
    {
        ThrowIfDisposed();
        var copy = CopyCore();
        copy.RowCount = RowCount;
        copy.UnitCount = UnitCount;
        copy.TotalEnergy = TotalEnergy;
        _sum?.CopyTo(copy._sum!, 0);
        return copy;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            DisposeCore();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The header <see cref="Serialize"/> writes.</summary>
    internal SketchHeader Header => new(Kind, MeanMode, Dimension, HeaderEll, HeaderRows, HeaderShrinks, RowCount, UnitCount, HeaderCertificate, TotalEnergy);

    /// <summary>A copy of the column sums (empty with <see cref="MeanMode.None"/>).</summary>
    internal double[] CopySum() => _sum is null ? [] : (double[])_sum.Clone();

    /// <summary>ℓ written to the header (0 when not applicable).</summary>
    private protected abstract int HeaderEll { get; }

    /// <summary>Buffered rows written to the header (0 when not applicable).</summary>
    private protected abstract int HeaderRows { get; }

    /// <summary>Shrink count written to the header.</summary>
    private protected abstract int HeaderShrinks { get; }

    /// <summary>The certificate written to the header (by default <see cref="Certificate"/>).</summary>
    private protected virtual double HeaderCertificate => Certificate;

    /// <summary>Bytes of the kind-specific payload.</summary>
    private protected abstract int PayloadLength { get; }

    /// <summary>Adds <paramref name="count"/> already-validated (and, in Centre mode, centred) rows to the sketched matrix.</summary>
    private protected abstract void AbsorbRows(ReadOnlySpan<float> rows, int count);

    /// <summary>
    /// Host memory for the next <paramref name="count"/> rows to be written in place and then taken with
    /// <see cref="CommitReservedRows"/>, or empty when the sketch cannot offer it (then rows go through <see cref="AbsorbRows"/>).
    /// </summary>
    private protected virtual Span<float> ReserveRows(int count) => Span<float>.Empty;

    /// <summary>Takes the <paramref name="count"/> rows written into the span <see cref="ReserveRows"/> returned.</summary>
    private protected virtual void CommitReservedRows(int count) => throw new InvalidOperationException($"{GetType().Name} reserves no rows.");

    /// <summary>Adds the sketched matrix of <paramref name="other"/> (checked compatible).</summary>
    private protected abstract void AbsorbSketch(CovarianceSketch other);

    /// <summary>Removes the sketched matrix of <paramref name="other"/> (checked compatible; only kinds that <see cref="CanSubtract"/>).</summary>
    private protected virtual void SubtractSketch(CovarianceSketch other) => throw new InvalidOperationException($"{GetType().Name} cannot subtract.");

    /// <summary>Removes <paramref name="count"/> rows from the sketched matrix (only kinds that <see cref="CanSubtract"/>).</summary>
    private protected virtual void SubtractRows(ReadOnlySpan<float> rows, int count) => throw new InvalidOperationException($"{GetType().Name} cannot subtract.");

    /// <summary>Empties the sketched matrix (only kinds that <see cref="CanSubtract"/>).</summary>
    private protected virtual void ClearSketch() => throw new InvalidOperationException($"{GetType().Name} cannot subtract.");

    /// <summary>Throws when <paramref name="other"/> cannot be merged for kind-specific reasons (ℓ).</summary>
    private protected virtual void CheckMergeable(CovarianceSketch other)
    {
    }

    /// <summary>The operator of the sketched matrix itself (no mean correction).</summary>
    private protected abstract ISymmetricOperator CreateSketchedOperator();

    /// <summary>Writes the kind-specific payload; returns the bytes written.</summary>
    private protected abstract int WritePayload(Span<byte> destination);

    /// <summary>Releases the sketched matrix.</summary>
    private protected abstract void DisposeCore();

    /// <summary>A new sketch of the same kind and settings holding this one's rows (the base copies its own bookkeeping).</summary>
    private protected abstract CovarianceSketch CopyCore();

    /// <summary>Restores the bookkeeping of a deserialised sketch.</summary>
    private protected void RestoreState(in SketchHeader header, ReadOnlySpan<double> sum)
    {
        RowCount = header.RowCount;
        UnitCount = header.UnitCount;
        TotalEnergy = header.Energy;
        sum.CopyTo(_sum);
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static void CheckBatch(int rowCount, int units)
    {
        if (rowCount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rowCount), rowCount, "Empty input: at least one row is needed.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(units);
    }

    private static void CheckFinite(ReadOnlySpan<float> values, int width, string name)
    {
        int bad = Guard.FirstNonFinite(values);
        if (bad >= 0)
        {
            throw new ArgumentException($"'{name}' row {bad / width}, column {bad % width} is {values[bad]}; only finite values can be sketched.", name);
        }
    }

    /// <summary>The checks <see cref="Merge"/> and <see cref="Subtract"/> share: same kind, dimension, mean mode and ℓ.</summary>
    private CovarianceSketch Compatible(ICovarianceSketch other, string verb)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
        {
            throw new ArgumentException($"A sketch cannot {verb} itself.", nameof(other));
        }

        if (other is not CovarianceSketch source || other.Kind != Kind)
        {
            throw new ArgumentException($"Cannot {verb} a {other.Kind} sketch ({other.GetType().Name}) and a {Kind} sketch.", nameof(other));
        }

        source.ThrowIfDisposed();
        if (other.Dimension != Dimension || other.MeanMode != MeanMode)
        {
            throw new ArgumentException(
                $"Cannot {verb} a sketch of dimension {other.Dimension}, mean mode {other.MeanMode} and one of dimension {Dimension}, mean mode {MeanMode}.",
                nameof(other));
        }

        CheckMergeable(source);
        return source;
    }

    /// <summary>
    /// Centre mode: the between-group row of the rows that remain (n₁, μ₁) and <paramref name="part"/> (n₂, μ₂), whose
    /// outer product the scatter of all n rows holds besides the two groups' own. Empty when none is due.
    /// </summary>
    private PooledArray<float> RemovalCorrectionRow(CovarianceSketch part)
    {
        long n1 = RowCount - part.RowCount, n2 = part.RowCount;
        if (MeanMode != MeanMode.Centre || n1 == 0 || n2 == 0)
        {
            return new PooledArray<float>(0);
        }

        using var remaining = new PooledArray<double>(Dimension);
        using var partMean = new PooledArray<double>(Dimension);
        for (int j = 0; j < Dimension; j++)
        {
            remaining.Span[j] = _sum![j] - part._sum![j];
            partMean.Span[j] = part._sum[j] / n2;
        }

        return BetweenGroupRow(remaining.Span, n1, partMean.Span, n2);
    }

    private double MeanEnergy()
    {
        if (_sum is null || RowCount == 0)
        {
            return 0;
        }

        double s2 = 0;
        foreach (double s in _sum)
        {
            s2 += s * s;
        }

        return s2 / RowCount;
    }

    private void Absorb(ReadOnlySpan<float> rows, int count) => Absorb(rows, count, RowKernels.SumOfSquares(rows[..(count * Dimension)]));

    private void Absorb(ReadOnlySpan<float> rows, int count, double energy)
    {
        AbsorbRows(rows, count);
        TotalEnergy += energy;
    }

    /// <summary>
    /// The Centre-mode correction row √(n₁n₂/(n₁+n₂))·(μ₁ − μ₂) for adding <paramref name="count"/> rows of mean
    /// <paramref name="mean"/>: the between-group scatter of two exactly centred groups. Empty when none is due (other
    /// modes, or an empty sketch). Checked finite, so a batch whose correction overflows float32 is refused before
    /// anything changes.
    /// </summary>
    private PooledArray<float> CorrectionRow(long count, ReadOnlySpan<double> mean) =>
        MeanMode != MeanMode.Centre || RowCount == 0 ? new PooledArray<float>(0) : BetweenGroupRow(_sum, RowCount, mean, count);

    /// <summary>
    /// √(n₁n₂/(n₁+n₂))·(μ₁ − μ₂) for a group of <paramref name="n1"/> rows summing to <paramref name="sum1"/> and one of
    /// <paramref name="n2"/> rows of mean <paramref name="mean2"/>, checked finite (a correction that overflows float32 is
    /// refused before anything changes).
    /// </summary>
    private PooledArray<float> BetweenGroupRow(ReadOnlySpan<double> sum1, long n1, ReadOnlySpan<double> mean2, long n2)
    {
        double weight = Math.Sqrt((double)n1 * n2 / (n1 + n2));
        var row = new PooledArray<float>(Dimension);
        for (int j = 0; j < Dimension; j++)
        {
            row.Span[j] = (float)(weight * ((sum1[j] / n1) - mean2[j]));
        }

        try
        {
            CheckFinite(row.Span, Dimension, "mean correction (overflow)");
        }
        catch
        {
            row.Dispose();
            throw;
        }

        return row;
    }

    private static void CheckInFloatRange(ReadOnlySpan<double> mean, string name)
    {
        for (int j = 0; j < mean.Length; j++)
        {
            if (!(Math.Abs(mean[j]) <= float.MaxValue))
            {
                throw new ArgumentException($"'{name}' has a batch mean of {mean[j]} in column {j}, beyond float32 (overflow).", name);
            }
        }
    }

    private void CommitBatch(int rowCount, int units, ReadOnlySpan<double> batchMean, ReadOnlySpan<float> correction)
    {
        if (!correction.IsEmpty)
        {
            Absorb(correction, 1);
        }

        if (_sum is not null)
        {
            for (int j = 0; j < Dimension; j++)
            {
                _sum[j] += batchMean[j] * rowCount;
            }
        }

        RowCount += rowCount;
        UnitCount += units;
    }
}
