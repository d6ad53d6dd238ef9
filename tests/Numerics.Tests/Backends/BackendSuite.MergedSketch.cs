using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

/// <summary>A layer's merge kept from its parts' summaries (what a coordinator keeps between basis versions).</summary>
public abstract partial class BackendSuite
{
    private const int MergeDimension = 80, MergeEll = 10;

    [Theory]
    [InlineData(MeanMode.Track, false)]
    [InlineData(MeanMode.Centre, true)]
    public void MergedFromSummariesEqualsMergedFromFullSketches(MeanMode meanMode, bool centred)
    {
        var factory = new CovarianceSketchFactory(Backend);
        var solver = new SubspaceBasisSolver(Backend);
        var parts = new[] { (Seed: 41, Rows: 37), (Seed: 42, Rows: 29), (Seed: 43, Rows: 44) }
            .Select(p => Sketch(factory, meanMode, TestData.Planted(p.Seed, p.Rows, MergeDimension, rank: 5, noise: 1e-3, offset: 1.5), p.Rows))
            .ToArray();
        Assert.All(parts, p => Assert.True(((FrequentDirectionsSketch)p).ShrinkCount >= 1, "every part has shrunk"));
        var options = new BasisOptions { EnergyThreshold = 0.95, MaxRank = 6, Centred = centred };

        var merged = new MergedSketch(factory, solver, parts.Length);
        for (int i = 0; i < parts.Length; i++)
        {
            merged.Set(i, SketchSummary.Read(parts[i].Serialize()));
        }

        var fromSummaries = merged.ComputeBasis(options);
        using var full = factory.Deserialize(parts[0].Serialize());
        full.Merge(parts[1]);
        full.Merge(parts[2]);
        var fromFull = solver.Compute(full, options);

        Assert.Equal(fromFull.Rank, fromSummaries.Rank);
        double sinTheta = SubspaceMetrics.SinThetaMax(fromSummaries.Vectors, fromSummaries.Rank, fromFull.Vectors, fromFull.Rank, MergeDimension);
        Assert.True(sinTheta <= 1e-5, $"sin θ between the merged-from-summaries and merged-from-full bases is {sinTheta:E2}");
        Assert.Equal(fromFull.ExplainedEnergy, fromSummaries.ExplainedEnergy, 1e-3);
        Assert.Equal(full.RowCount, fromSummaries.RowCount);
        Assert.Equal(full.UnitCount, fromSummaries.UnitCount);
        Assert.Equal(0, fromSummaries.Iterations);
        var expectedMean = new double[MergeDimension];
        full.CopyMean(expectedMean);
        var mean = merged.Mean()!;
        for (int j = 0; j < MergeDimension; j++)
        {
            Assert.Equal(expectedMean[j], mean[j], 1e-5);
        }

        // Replacing one part by its newer summary changes that part only: equal to merging the full sketches again.
        var more = TestData.Planted(44, 9, MergeDimension, rank: 5, noise: 1e-3, offset: 1.5);
        parts[1].AppendRows(more, 9);
        merged.Set(1, SketchSummary.Read(parts[1].Serialize()));
        var updated = merged.ComputeBasis(options, fromSummaries);
        using var fullAgain = factory.Deserialize(parts[0].Serialize());
        fullAgain.Merge(parts[1]);
        fullAgain.Merge(parts[2]);
        var reference = solver.Compute(fullAgain, options);
        Assert.True(SubspaceMetrics.SinThetaMax(updated.Vectors, updated.Rank, reference.Vectors, reference.Rank, MergeDimension) <= 1e-5);
        Assert.Equal(fullAgain.RowCount, updated.RowCount);
        Assert.NotNull(updated.SinThetaToPrevious);
        foreach (var part in parts)
        {
            part.Dispose();
        }
    }

    [Fact]
    public void MergedSketchRefusesPartsOfAnotherShapeAndFallsBackForExactGrams()
    {
        var factory = new CovarianceSketchFactory(Backend);
        var solver = new SubspaceBasisSolver(Backend);
        var rows = TestData.Planted(45, 12, MergeDimension, rank: 3, noise: 0.01);
        using var fd = Sketch(factory, MeanMode.Track, rows, 12);
        using var wider = factory.Create(new SketchOptions(SketchKind.FrequentDirections, MergeDimension + 1, MergeEll, MeanMode.Track));
        wider.AppendRows(new float[MergeDimension + 1], 1);
        var merged = new MergedSketch(factory, solver, 2);
        merged.Set(0, SketchSummary.Read(fd.Serialize()));
        var error = Assert.Throws<ArgumentException>(() => merged.Set(1, SketchSummary.Read(wider.Serialize())));
        Assert.Contains("d = 81", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new MergedSketch(factory, solver, 1).ComputeBasis(new BasisOptions()));

        // Exact Grams merge by rebuilding: the same basis, bit for bit, as merging the sketches by hand.
        using var a = factory.Create(new SketchOptions(SketchKind.ExactGram, MergeDimension, 0, MeanMode.Track));
        using var b = factory.Create(new SketchOptions(SketchKind.ExactGram, MergeDimension, 0, MeanMode.Track));
        a.AppendRows(rows.AsSpan(0, 6 * MergeDimension), 6);
        b.AppendRows(rows.AsSpan(6 * MergeDimension), 6);
        var grams = new MergedSketch(factory, solver, 2);
        grams.Set(0, SketchSummary.Read(a.Serialize()));
        grams.Set(1, SketchSummary.Read(b.Serialize()));
        var options = new BasisOptions { Rank = 3 };
        var basis = grams.ComputeBasis(options);
        using var byHand = factory.Deserialize(a.Serialize());
        byHand.Merge(b);
        Assert.Equal(solver.Compute(byHand, options).Vectors, basis.Vectors);
    }

    private static ICovarianceSketch Sketch(CovarianceSketchFactory factory, MeanMode meanMode, float[] rows, int count)
    {
        var sketch = factory.Create(new SketchOptions(SketchKind.FrequentDirections, MergeDimension, MergeEll, meanMode));
        for (int i = 0; i < count; i += 3)
        {
            int batch = Math.Min(3, count - i);
            sketch.AppendRows(rows.AsSpan(i * MergeDimension, batch * MergeDimension), batch);
        }

        return sketch;
    }
}
