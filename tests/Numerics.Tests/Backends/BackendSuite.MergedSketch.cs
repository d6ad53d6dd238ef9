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
    public void SummariesOfSketchesInPlaceGiveTheBasisOfTheirBlobs(MeanMode meanMode, bool centred)
    {
        // In one process a coordinator takes a slice's cut (a copy sharing the slice's rows) instead of its blob.
        var factory = new CovarianceSketchFactory(Backend);
        var solver = new SubspaceBasisSolver(Backend);
        var parts = new[] { (Seed: 45, Rows: 37), (Seed: 46, Rows: 52) }
            .Select(p => Sketch(factory, meanMode, TestData.Planted(p.Seed, p.Rows, MergeDimension, rank: 5, noise: 1e-3, offset: 1.5), p.Rows))
            .ToArray();
        var options = new BasisOptions { EnergyThreshold = 0.95, MaxRank = 6, Centred = centred };
        var fromBlobs = new MergedSketch(factory, solver, parts.Length);
        var inPlace = new MergedSketch(factory, solver, parts.Length);
        var cuts = parts.Select(p => p.Copy()).ToArray();
        for (int i = 0; i < parts.Length; i++)
        {
            fromBlobs.Set(i, SketchSummary.Read(parts[i].Serialize()));
            inPlace.Set(i, SketchSummary.Of(cuts[i]));
        }

        // The slices go on absorbing (and shrinking) after the cut: the summaries still hold the cut.
        foreach (var part in parts)
        {
            part.AppendRows(TestData.Planted(47, 25, MergeDimension, rank: 5, noise: 1e-3, offset: 1.5), 25);
        }

        var expected = fromBlobs.ComputeBasis(options);
        var actual = inPlace.ComputeBasis(options);
        Assert.Equal(expected.Vectors, actual.Vectors);
        Assert.Equal(expected.SingularValues, actual.SingularValues);
        Assert.Equal(expected.ExplainedEnergy, actual.ExplainedEnergy);
        Assert.Equal(fromBlobs.Mean(), inPlace.Mean());

        // The merge owns what it was given: a replaced summary's sketch is disposed.
        inPlace.Set(1, SketchSummary.Of(parts[1].Copy()));
        Assert.Throws<ObjectDisposedException>(() => cuts[1].Serialize());
        Assert.Equal(parts[1].Serialize(), inPlace[1]!.Serialized);

        // Any other kind is read from its blob.
        using var gram = factory.Create(new SketchOptions(SketchKind.ExactGram, MergeDimension, MergeEll, meanMode));
        gram.AppendRows(TestData.Planted(48, 9, MergeDimension, rank: 5, noise: 1e-3), 9);
        var gramBlob = gram.Serialize();
        Assert.Equal(gramBlob, SketchSummary.Of(gram.Copy()).Serialized);
        foreach (var part in parts)
        {
            part.Dispose();
        }
    }

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

    [Fact]
    public void AligningANewVersionToThePreviousMovesAnUnchangedModelsCoefficientsLess()
    {
        const int k = 4;
        var factory = new CovarianceSketchFactory(Backend);
        var solver = new SubspaceBasisSolver(Backend);

        // Equal planted strengths (decay 1): the top eigenvectors are nearly degenerate, so a new version's vectors
        // turn freely inside the subspace — exactly what alignment is for.
        var first = TestData.Planted(46, 30, MergeDimension, rank: k, noise: 0.05, decay: 1.0);
        var second = TestData.Planted(47, 30, MergeDimension, rank: k, noise: 0.05, decay: 1.0);
        using var a = Sketch(factory, MeanMode.Track, first, 30);
        using var b = Sketch(factory, MeanMode.Track, second, 30);
        var merged = new MergedSketch(factory, solver, 2);
        merged.Set(0, SketchSummary.Read(a.Serialize()));
        var options = new BasisOptions { Rank = k };
        var version1 = merged.ComputeBasis(options);
        Assert.False(version1.Aligned);
        Assert.Empty(version1.Alignment);

        merged.Set(1, SketchSummary.Read(b.Serialize()));
        var unaligned = merged.ComputeBasis(options, version1);
        var aligned = merged.ComputeBasis(options with { AlignToPrevious = true }, version1);
        Assert.False(unaligned.Aligned);
        Assert.True(aligned.Aligned);
        Assert.Equal(k * k, aligned.Alignment.Length);
        Assert.True(SubspaceMetrics.SinThetaMax(aligned.Vectors, k, unaligned.Vectors, k, MergeDimension) <= 1e-5, "alignment keeps the subspace");
        Assert.Equal(unaligned.SingularValues, aligned.SingularValues);

        // The recorded R is orthogonal and maps the unaligned vectors onto the published ones.
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double dot = 0, mapped = 0;
                for (int t = 0; t < k; t++)
                {
                    dot += aligned.Alignment[(i * k) + t] * aligned.Alignment[(j * k) + t];
                }

                Assert.Equal(i == j ? 1 : 0, dot, 1e-9);
                for (int c = 0; c < MergeDimension; c += 17)
                {
                    mapped = 0;
                    for (int t = 0; t < k; t++)
                    {
                        mapped += aligned.Alignment[(i * k) + t] * unaligned.Vectors[(t * MergeDimension) + c];
                    }

                    Assert.Equal(mapped, aligned.Vectors[(i * MergeDimension) + c], 1e-5);
                }
            }
        }

        // An unchanged model (the first part's first 5 rows): its coefficients against version 1 vs version 2.
        var model = first.AsSpan(0, 5 * MergeDimension).ToArray();
        double moved = CoefficientShift(model, version1, unaligned), movedAligned = CoefficientShift(model, version1, aligned);
        Assert.True(movedAligned < moved, $"coefficients moved {movedAligned:E3} aligned vs {moved:E3} unaligned");
        Assert.True(movedAligned < 0.5 * moved, $"alignment should remove most of the rotation: {movedAligned:E3} vs {moved:E3}");
    }

    [Fact]
    public void AMergedVersionMeasuresItsRowsEnergyAndWhatThePreviousVersionCaptures()
    {
        // tr(ZᵀZ) and ‖Z·Pᵀ‖² of the stacked rows Z against the previous basis P (what a held-out figure is made of),
        // recomputed here in float64 from the parts' rows.
        const int k = 3;
        var factory = new CovarianceSketchFactory(Backend);
        var solver = new SubspaceBasisSolver(Backend);
        using var a = Sketch(factory, MeanMode.Track, TestData.Planted(51, 40, MergeDimension, rank: 4, noise: 0.05), 40);
        using var b = Sketch(factory, MeanMode.Track, TestData.Planted(52, 29, MergeDimension, rank: 4, noise: 0.05), 29);
        var merged = new MergedSketch(factory, solver, 2);
        merged.Set(0, SketchSummary.Read(a.Serialize()));
        var options = new BasisOptions { Rank = k, AlignToPrevious = true };
        var previous = merged.ComputeBasis(options);
        Assert.Null(previous.PreviousCaptured);

        merged.Set(1, SketchSummary.Read(b.Serialize()));
        var next = merged.ComputeBasis(options, previous);
        double trace = 0, captured = 0;
        foreach (var part in new[] { merged[0]!, merged[1]! })
        {
            var rows = new float[part.BufferedRows * MergeDimension];
            part.CopyRows(rows);
            for (int r = 0; r < part.BufferedRows; r++)
            {
                var row = rows.AsSpan(r * MergeDimension, MergeDimension);
                for (int j = 0; j < MergeDimension; j++)
                {
                    trace += (double)row[j] * row[j];
                }

                for (int v = 0; v < k; v++)
                {
                    double dot = 0;
                    for (int j = 0; j < MergeDimension; j++)
                    {
                        dot += (double)row[j] * previous.Vectors[(v * MergeDimension) + j];
                    }

                    captured += dot * dot;
                }
            }
        }

        Assert.Equal(trace, next.OperatorTrace, trace * 1e-6);
        Assert.Equal(captured, next.PreviousCaptured!.Value, captured * 1e-6);
        Assert.InRange(captured, 0.5 * trace, trace);
        Assert.True(next.Aligned);

        // Not asked for, the previous capture is not measured; the basis and its trace are the same.
        var unmeasured = merged.ComputeBasis(options with { MeasurePreviousCapture = false }, previous);
        Assert.Null(unmeasured.PreviousCaptured);
        Assert.Equal(next.OperatorTrace, unmeasured.OperatorTrace);
        Assert.Equal(next.Vectors, unmeasured.Vectors);
    }

    /// <summary>‖X·Vᵀ − X·Pᵀ‖_F / ‖X·Pᵀ‖_F: how far a model's coefficients move from basis P to basis V.</summary>
    private static double CoefficientShift(float[] model, SubspaceBasis previous, SubspaceBasis next)
    {
        int rows = model.Length / MergeDimension, k = previous.Rank;
        double diff = 0, norm = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < k; i++)
            {
                double before = 0, after = 0;
                for (int c = 0; c < MergeDimension; c++)
                {
                    before += (double)model[(r * MergeDimension) + c] * previous.Vectors[(i * MergeDimension) + c];
                    after += (double)model[(r * MergeDimension) + c] * next.Vectors[(i * MergeDimension) + c];
                }

                diff += (after - before) * (after - before);
                norm += before * before;
            }
        }

        return Math.Sqrt(diff / norm);
    }

    [Fact]
    public void ALayerOfOnePartIsSolvedFromThatPartsRowsWhereTheyLie()
    {
        // One slice per layer (the embedded silo): the merge reads the part's rows in place — a cut sharing the slice's
        // buffer, or the blob — with nothing stacked, and gives the exact top-k eigenvectors of BᵀB of those rows.
        const int k = 4;
        var factory = new CovarianceSketchFactory(Backend);
        var solver = new SubspaceBasisSolver(Backend);
        using var slice = Sketch(factory, MeanMode.Track, TestData.Planted(53, 44, MergeDimension, rank: 5, noise: 0.02), 44);
        long shrinks = ((FrequentDirectionsSketch)slice).ShrinkCount;
        var fromBlob = new MergedSketch(factory, solver, 1);
        var inPlace = new MergedSketch(factory, solver, 1);
        fromBlob.Set(0, SketchSummary.Read(slice.Serialize()));
        inPlace.Set(0, SketchSummary.Of(slice.Copy()));
        var rows = new float[inPlace[0]!.BufferedRows * MergeDimension];
        inPlace[0]!.CopyRows(rows);

        // The slice goes on absorbing (and shrinking) after the cut: the cut keeps its rows.
        slice.AppendRows(TestData.Planted(54, 30, MergeDimension, rank: 5, noise: 0.02), 30);

        var options = new BasisOptions { Rank = k, AlignToPrevious = true };
        var expected = fromBlob.ComputeBasis(options);
        var actual = inPlace.ComputeBasis(options);
        Assert.Equal(expected.Vectors, actual.Vectors);
        Assert.Equal(expected.SingularValues, actual.SingularValues);
        var exactGram = Reference.Gram(rows, rows.Length / MergeDimension, MergeDimension);
        var exact = Reference.TopEigenvectors(exactGram, MergeDimension, k);
        Assert.True(SubspaceMetrics.SinThetaMax(actual.Vectors, k, exact, k, MergeDimension) <= 1e-4);

        // The cut holds the orthogonal rows of the part's last shrink and rows appended since, so its Gram is assembled
        // from those rows' known squared norms and the newer rows' columns: its σ are still those of the rows' exact Gram.
        Assert.True(shrinks >= 1 && inPlace[0]!.BufferedRows > MergeEll, $"{shrinks} shrinks, {inPlace[0]!.BufferedRows} rows");
        var exactValues = Reference.Eigen(exactGram, MergeDimension).Values;
        for (int i = 0; i < k; i++)
        {
            double sigma = Math.Sqrt(exactValues[MergeDimension - 1 - i]);
            Assert.True(Math.Abs(actual.SingularValues[i] - sigma) <= 1e-5 * sigma, $"σ{i}: {actual.SingularValues[i]} vs {sigma}");
        }

        // A later version of the one part, aligned to the first, from the slice's next cut read in place.
        inPlace.Set(0, SketchSummary.Of(slice.Copy()));
        fromBlob.Set(0, SketchSummary.Read(slice.Serialize()));
        var next = inPlace.ComputeBasis(options, actual);
        Assert.True(next.Aligned);
        Assert.Equal(fromBlob.ComputeBasis(options, expected).Vectors, next.Vectors);
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
