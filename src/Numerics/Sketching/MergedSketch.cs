using System.Numerics.Tensors;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Internal;
using OrleansUws.Numerics.Metrics;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// The merge of several sketches of one layer (one per slice), kept up to date part by part: a part is replaced by its
/// latest <see cref="SketchSummary"/>, the others are kept as they are.
/// <para>
/// Frequent Directions parts are never rebuilt into a sketch: with Z the stacked buffered rows of every part (plus, when
/// centring, one correction row √n_s(μ_s − μ) per part) the merged covariance is ZᵀZ, so its top-k eigenvectors are
/// V = Λ^(−½)UᵀZ from the small Gram ZZᵀ = UΛUᵀ — exact, one Gram of the rows and one partial eigen-solve of the top k, no shrink and no
/// subspace iteration. That is the basis of an FD merge of the parts in exact arithmetic (a merge shrink moves
/// eigenvalues, not eigenvectors); the singular values are the unshrunk ones and the certificate is the parts' sum.
/// </para>
/// <para>
/// Nyström parts add their range sketches into one and solve from the rows of its reconstruction (Ĉ = ZᵀZ, rank ≤ s) the
/// same way. Exact-Gram parts, a mean correction the rows cannot express (uncentred basis of a centring sketch, centred basis of
/// a tracking one), or a fixed k beyond the directions held fall back to rebuilding the merged sketch from the parts'
/// blobs and the warm-started <see cref="SubspaceBasisSolver"/>.
/// </para>
/// </summary>
public sealed class MergedSketch
{
    private readonly CovarianceSketchFactory _factory;
    private readonly SubspaceBasisSolver _solver;
    private readonly SketchSummary?[] _parts;

    /// <summary>Creates an empty merge of <paramref name="parts"/> parts.</summary>
    public MergedSketch(CovarianceSketchFactory factory, SubspaceBasisSolver solver, int parts)
    {
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        _solver = solver ?? throw new ArgumentNullException(nameof(solver));
        Guard.Positive(nameof(parts), parts);
        _parts = new SketchSummary?[parts];
    }

    /// <summary>Number of parts.</summary>
    public int Parts => _parts.Length;

    /// <summary>Rows absorbed by all parts.</summary>
    public long RowCount => _parts.Sum(p => p?.RowCount ?? 0);

    /// <summary>Units (models) absorbed by all parts.</summary>
    public long UnitCount => _parts.Sum(p => p?.UnitCount ?? 0);

    /// <summary>The summary part <paramref name="part"/> holds (null before its first).</summary>
    public SketchSummary? this[int part] => _parts[part];

    /// <summary>Replaces part <paramref name="part"/> by <paramref name="summary"/> (the merge owns it from now on and disposes the one it replaces).</summary>
    /// <exception cref="ArgumentException">The summary's kind, dimension, mean mode or ℓ differs from the other parts'.</exception>
    public void Set(int part, SketchSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, _parts.Length);
        foreach (var other in _parts)
        {
            if (other is not null && (other.Kind != summary.Kind || other.Dimension != summary.Dimension || other.MeanMode != summary.MeanMode || other.Ell != summary.Ell))
            {
                throw new ArgumentException(
                    $"Part {part} is a {summary.Kind} sketch (d = {summary.Dimension}, ℓ = {summary.Ell}, {summary.MeanMode}); the others are {other.Kind} (d = {other.Dimension}, ℓ = {other.Ell}, {other.MeanMode}).",
                    nameof(summary));
            }
        }

        if (!ReferenceEquals(_parts[part], summary))
        {
            _parts[part]?.Dispose();
        }

        _parts[part] = summary;
    }

    /// <summary>Drops part <paramref name="part"/> (disposing its summary): the merge holds nothing of it until the next <see cref="Set"/>.</summary>
    public void Remove(int part)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, _parts.Length);
        _parts[part]?.Dispose();
        _parts[part] = null;
    }

    /// <summary>The merged mean (length d), or null when the parts keep none.</summary>
    public float[]? Mean()
    {
        var held = Held();
        if (held.Length == 0 || held[0].MeanMode == MeanMode.None)
        {
            return null;
        }

        var mean = new float[held[0].Dimension];
        long rows = held.Sum(p => p.RowCount);
        for (int j = 0; j < mean.Length; j++)
        {
            double sum = 0;
            foreach (var part in held)
            {
                sum += part.Sum[j];
            }

            mean[j] = rows == 0 ? 0 : (float)(sum / rows);
        }

        return mean;
    }

    /// <summary>
    /// The basis of the merged covariance (see the class remarks); <paramref name="previous"/> is the warm start of the
    /// fallback path, the reference of sin θ and the target of <see cref="BasisOptions.AlignToPrevious"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No part holds rows.</exception>
    /// <exception cref="ArgumentException">k ≥ ℓ for Frequent Directions parts (k ≥ s for Nyström parts), or other bad options.</exception>
    public SubspaceBasis ComputeBasis(BasisOptions options, SubspaceBasis? previous = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var held = Held();
        if (held.Length == 0)
        {
            throw new InvalidOperationException("Cannot compute a basis of an empty merge (no part has absorbed rows).");
        }

        var first = held[0];
        int kMax = options.RankCap(first.Dimension);
        SketchKinds.CheckRank(first.Kind, first.Ell, kMax, nameof(options));

        bool rowsExpressMean = (first.MeanMode, options.Centred) is (MeanMode.Centre, true) or (MeanMode.Track or MeanMode.None, false);
        if (first.Kind == SketchKind.FrequentDirections && rowsExpressMean && TrySolveFromRows(held, options, previous) is { } basis)
        {
            return basis;
        }

        return SolveRebuilt(held, options, previous, rowsExpressMean);
    }

    private SketchSummary[] Held() => _parts.Where(p => p is not null && p.RowCount > 0).Select(p => p!).ToArray();

    /// <summary>
    /// Rebuilds the merged sketch from the parts' blobs and solves it: a Nyström merge (the parts' Y added) from the rows of
    /// its reconstruction when they express the mean asked for, anything else with the warm-started iterative solver.
    /// </summary>
    private SubspaceBasis SolveRebuilt(SketchSummary[] held, BasisOptions options, SubspaceBasis? previous, bool rowsExpressMean)
    {
        var merged = _factory.Deserialize(held[0].Serialized);
        try
        {
            foreach (var part in held.Skip(1))
            {
                using var sketch = _factory.Deserialize(part.Serialized);
                merged.Merge(sketch);
            }

            if (rowsExpressMean && merged is NystromSketch nystrom)
            {
                var rows = nystrom.ReconstructionRows(out int rank);
                if (SolveFromRows(rows, rank, nystrom.Dimension, nystrom.Energy(options.Centred), nystrom.Certificate, nystrom.RowCount, nystrom.UnitCount, options, previous) is { } basis)
                {
                    return basis;
                }
            }

            return _solver.Compute(merged, options, previous);
        }
        finally
        {
            merged.Dispose();
        }
    }

    private SubspaceBasis? TrySolveFromRows(SketchSummary[] held, BasisOptions options, SubspaceBasis? previous)
    {
        // One part (nothing to stack, no means to reconcile): its rows are read where they lie.
        if (held is [var only] && only.BufferedRows > 0 && only.RowsInPlace is { IsEmpty: false } rowsInPlace)
        {
            return SolveFromRows(
                rowsInPlace, only.BufferedRows, only.Dimension, only.TotalEnergy, only.Certificate, only.RowCount, only.UnitCount, options, previous, only.OrthogonalEnergies, only);
        }

        using var stacked = StackRows(held, options.Centred, out int rows, out double correctionEnergy);
        double energy = held.Sum(p => p.TotalEnergy) + correctionEnergy;
        return SolveFromRows(stacked.Span, rows, held[0].Dimension, energy, held.Sum(p => p.Certificate), held.Sum(p => p.RowCount), held.Sum(p => p.UnitCount), options, previous);
    }

    /// <summary>
    /// The basis of ZᵀZ for <paramref name="rows"/> rows Z (rows×d) from their small Gram ZZᵀ (see the class remarks), or
    /// null when there are none or a fixed k asks more directions than they hold. Z is read three times, each by a host
    /// kernel for short, wide blocks: its Gram, the vectors Λ^(−½)UᵀZ and, given a previous basis P, Z·Pᵀ (the energy P
    /// captures); the alignment and sin θ work on the k×d vectors. The Gram columns of one part's rows read in place are shared
    /// with its sketch's next shrink: taken from it when it came first, else handed to it (<see cref="SharedGramColumns"/>).
    /// </summary>
    private SubspaceBasis? SolveFromRows(
        ReadOnlySpan<float> stacked, int rows, int d, double energy, double certificate, long rowCount, long unitCount, BasisOptions options, SubspaceBasis? previous,
        ReadOnlySpan<double> orthogonal = default, SketchSummary? inPlace = null)
    {
        var backend = _factory.Backend;
        if (rows == 0)
        {
            return null;
        }

        var z = stacked[..(rows * d)];
        using var gram = new PooledArray<double>(rows * rows);
        if (orthogonal.Length > 0 && orthogonal.Length <= rows && ShrinkKernels.GramSupported)
        {
            // Rows of one Frequent Directions sketch: the block of those orthogonal since its last shrink is diagonal.
            using var columns = new PooledArray<double>(rows * (rows - orthogonal.Length));
            if (inPlace?.TakeGramColumns(orthogonal.Length, rows, columns.Span) != true)
            {
                ShrinkKernels.GramColumns(z, d, rows, orthogonal.Length, columns.Span);
                inPlace?.OfferGramColumns(orthogonal.Length, rows, columns.Span);
            }

            OrthogonalPrefixGram.Assemble(orthogonal, columns.Span, rows, gram.Span);
        }
        else
        {
            RowBlockProducts.Gram(backend, z, rows, d, gram.Span);
        }

        double trace = 0;
        for (int i = 0; i < rows; i++)
        {
            trace += gram.Span[(i * rows) + i];
        }

        ColumnSliceBasisPlan plan;
        using (var single = new PooledArray<float>(rows * rows))
        {
            TensorPrimitives.ConvertTruncating<double, float>(gram.Span, single.Span);
            try
            {
                plan = ColumnSlicedBasis.PlanTop(backend, single.Span, rows, energy, options.Rank ?? 0, options.EnergyThreshold, options.RankCap(d));
            }
            catch (InvalidOperationException)
            {
                // A fixed k beyond the directions held: the iterative solver completes the basis with random directions.
                return null;
            }
        }

        // A version allocates only the vectors it publishes.
        int k = plan.Rank;
        var vectors = new float[k * d];
        RowBlockProducts.Combine(backend, plan.Coefficients, k, rows, z, d, vectors);
        EigenvectorSigns.LargestEntryPositive<float>(vectors, k, d);
        var rotation = Procrustes.AlignIfAsked(vectors.AsSpan(), k, d, options, previous);
        bool comparable = previous is { Rank: > 0 } && previous.Dimension == d;
        return new SubspaceBasis(k, d, vectors, plan.SingularValues, plan.ExplainedEnergy, certificate,
            comparable ? SubspaceMetrics.SinThetaMax(vectors, k, previous!.Vectors, previous.Rank, d) : null,
            Iterations: 0, Converged: true, plan.CapReached, options.Centred, rotation.Length > 0, rowCount, unitCount)
        {
            Alignment = rotation,
            OperatorTrace = trace,
            // tr(P·ZᵀZ·Pᵀ) = ‖Z·Pᵀ‖²_F: the energy of the stacked rows that the previous basis P captures.
            PreviousCaptured = comparable && options.MeasurePreviousCapture ? CapturedEnergy.OfCovarianceRows(z, rows, trace, previous!.Vectors, previous.Rank, d).Captured : null,
        };
    }

    /// <summary>
    /// Z: every part's buffered rows, then (centring parts, more than one part) the rows √n_s(μ_s − μ) that carry the
    /// scatter between the parts' means, which each part's own centring left out.
    /// </summary>
    private static PooledArray<float> StackRows(SketchSummary[] held, bool centred, out int rows, out double correctionEnergy)
    {
        int d = held[0].Dimension;
        bool correct = centred && held.Length > 1;
        rows = held.Sum(p => p.BufferedRows) + (correct ? held.Length : 0);
        correctionEnergy = 0;
        var stacked = new PooledArray<float>(rows * d);
        int offset = 0;
        foreach (var part in held)
        {
            part.CopyRows(stacked.Span[offset..]);
            offset += part.BufferedRows * d;
        }

        if (correct)
        {
            long total = held.Sum(p => p.RowCount);
            using var mean = new PooledArray<double>(d, clear: true);
            using var partMean = new PooledArray<double>(d);
            foreach (var part in held)
            {
                for (int j = 0; j < d; j++)
                {
                    mean.Span[j] += part.Sum[j] / total;
                }
            }

            foreach (var part in held)
            {
                part.CopyMean(partMean.Span);
                double weight = Math.Sqrt(part.RowCount);
                var row = stacked.Span.Slice(offset, d);
                for (int j = 0; j < d; j++)
                {
                    row[j] = (float)(weight * (partMean.Span[j] - mean.Span[j]));
                    correctionEnergy += (double)row[j] * row[j];
                }

                offset += d;
            }
        }

        return stacked;
    }
}
