using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Flattened;

/// <summary>
/// The coordinator's side of a flattened layer: drives its S column slices through the all-or-nothing append
/// (stage everywhere, then commit everywhere or discard everywhere), the coordinated shrink (one plan from the summed
/// Grams) and the distributed basis (one plan from the summed Grams, parts computed and kept by the slices). Used by
/// <see cref="LayerCoordinatorGrain"/>, which is not reentrant and therefore the single owner of the rows' order.
/// </summary>
internal sealed class FlattenedLayer(IGrainFactory grains, IBlasBackend backend, LayerConfiguration layer)
{
    /// <summary>The layer's column slices, in column order.</summary>
    public IReadOnlyList<IColumnSliceGrain> Slices { get; } = Enumerable.Range(0, layer.SliceCount)
        .Select(s => grains.GetGrain<IColumnSliceGrain>(UwsKeys.Slice(layer.Fleet, layer.Layer, SketchMode.Flattened, s)))
        .ToArray();

    /// <summary>
    /// Appends the model as row <paramref name="sequence"/> of every slice, or of none: a slice that refuses its block
    /// (bad file, shape, non-finite value) makes every slice drop the staged row and the first refusal is rethrown.
    /// Returns whether the buffers are now full (the caller records the model, then runs <see cref="ShrinkAsync"/>).
    /// </summary>
    public async Task<bool> AppendAsync(ModelReference model, long sequence)
    {
        var staged = Slices.Select(s => s.StageAsync(model, layer, sequence)).ToArray();
        int[] before;
        try
        {
            before = await Task.WhenAll(staged);
        }
        catch
        {
            await Task.WhenAll(Slices.Select(s => s.DiscardAsync(sequence)));
            var refusals = staged.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToArray();
            throw refusals.OfType<InvalidDataException>().FirstOrDefault() ?? refusals[0];
        }

        if (before.Contains(2 * layer.Sketch.SketchRows))
        {
            // The shrink after an earlier model failed (cluster fault): finish it before appending.
            await ShrinkAsync();
        }

        var buffered = await Task.WhenAll(Slices.Select(s => s.CommitAsync(sequence)));
        if (buffered.Distinct().Count() != 1)
        {
            throw new InvalidOperationException($"The column slices of '{layer.CoordinatorKey}' buffer different row counts ({string.Join(", ", buffered)}).");
        }

        return buffered[0] == 2 * layer.Sketch.SketchRows;
    }

    /// <summary>The summed Gram, energy and certificate of the slices (null while the layer is empty).</summary>
    public async Task<(int Rows, double[] Gram, double Energy, double Certificate)?> SumGramsAsync()
    {
        var grams = await Task.WhenAll(Slices.Select(s => s.GetGramAsync()));
        int rows = grams[0].BufferedRows;
        if (grams.Any(g => g.BufferedRows != rows || g.RowCount != grams[0].RowCount))
        {
            throw new InvalidOperationException(
                $"The column slices of '{layer.CoordinatorKey}' are out of step (buffered rows {string.Join(", ", grams.Select(g => g.BufferedRows))}; rows {string.Join(", ", grams.Select(g => g.RowCount))}).");
        }

        if (rows == 0)
        {
            return null;
        }

        var sum = new double[rows * rows];
        foreach (var g in grams)
        {
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += g.Gram[i];
            }
        }

        return (rows, sum, grams.Sum(g => g.Energy), grams[0].Certificate);
    }

    /// <summary>
    /// Computes basis version <paramref name="version"/>: one plan from the summed Grams, each slice computes and keeps its
    /// part. Returns the plan, the certificate, the signs (largest-magnitude entry of each vector positive) and sin θ to
    /// <paramref name="previousVersion"/> (null when it is 0).
    /// </summary>
    public async Task<(ColumnSliceBasisPlan Plan, double Certificate, float[] Signs, double? SinTheta)> ComputeBasisAsync(int version, int previousVersion)
    {
        var sums = await SumGramsAsync() ?? throw new InvalidOperationException($"Layer '{layer.CoordinatorKey}' has models but no rows in its column slices.");
        var policy = layer.Basis;
        var plan = ColumnSlicedBasis.Plan(backend, sums.Gram, sums.Rows, sums.Energy, policy.Rank, policy.EnergyThreshold, policy.MaxRank);
        var request = new ColumnBasisRequest(version, previousVersion, plan.Rank, plan.Rows, plan.Coefficients);
        var summaries = await Task.WhenAll(Slices.Select(s => s.ComputeBasisPartAsync(request)));

        int k = plan.Rank;
        var signs = new float[k];
        for (int i = 0; i < k; i++)
        {
            var peak = summaries.Select(s => (Value: s.PeakValues[i], Column: s.PeakColumns[i]))
                .OrderByDescending(p => Math.Abs(p.Value)).ThenBy(p => p.Column).First();
            signs[i] = peak.Value < 0 ? -1 : 1;
        }

        double? sinTheta = null;
        int kPrevious = summaries[0].PreviousRank;
        if (previousVersion > 0 && kPrevious > 0 && summaries.All(s => s.PreviousRank == kPrevious))
        {
            sinTheta = ColumnSlicedBasis.SinThetaMax(backend, Sum(summaries, s => s.Self), k, Sum(summaries, s => s.Cross), kPrevious, Sum(summaries, s => s.Previous));
        }

        return (plan, sums.Certificate, signs, sinTheta);
    }

    /// <summary>Assembles version <paramref name="version"/> (k × m·n, signs applied) and the mean vec(W̄) from the slices' parts.</summary>
    public async Task<(float[] Vectors, float[] Mean)> AssembleAsync(int version, IReadOnlyList<float> signs)
    {
        var parts = await Task.WhenAll(Slices.Select(s => s.GetBasisPartAsync(version)));
        int k = signs.Count, dimension = layer.Dimension;
        var vectors = new float[(long)k * dimension];
        var mean = new float[dimension];
        int offset = 0;
        foreach (var part in parts)
        {
            for (int i = 0; i < k; i++)
            {
                var source = part.Vectors.AsSpan(i * part.Width, part.Width);
                var target = vectors.AsSpan((i * dimension) + offset, part.Width);
                for (int j = 0; j < part.Width; j++)
                {
                    target[j] = signs[i] * source[j];
                }
            }

            part.Mean.CopyTo(mean.AsSpan(offset));
            offset += part.Width;
        }

        return (vectors, mean);
    }

    /// <summary>The coordinated shrink: one plan from the summed Grams, applied by every slice.</summary>
    public async Task ShrinkAsync()
    {
        var sums = await SumGramsAsync();
        var plan = FrequentDirectionsShrink.Plan(backend, sums!.Value.Gram, sums.Value.Rows, layer.Sketch.SketchRows);
        var shrink = new ColumnShrink(plan.Rotation, plan.ActiveRows, plan.OutRows, plan.Delta);
        await Task.WhenAll(Slices.Select(s => s.ShrinkAsync(shrink)));
    }

    private static double[] Sum(ColumnBasisSummary[] summaries, Func<ColumnBasisSummary, double[]> select)
    {
        var sum = new double[select(summaries[0]).Length];
        foreach (var s in summaries)
        {
            var values = select(s);
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += values[i];
            }
        }

        return sum;
    }
}
