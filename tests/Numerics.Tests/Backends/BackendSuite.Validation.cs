using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

public abstract partial class BackendSuite
{
    [Theory]
    [InlineData(SketchKind.FrequentDirections)]
    [InlineData(SketchKind.ExactGram)]
    public void RejectedAppendsNameTheProblemAndLeaveTheSketchUnchanged(SketchKind kind)
    {
        const int d = 12;
        using var sketch = new CovarianceSketchFactory(Backend).Create(new SketchOptions(kind, d, 4, MeanMode.Centre));
        sketch.AppendRows(TestData.Gaussian(50, 9 * d), 9);
        var before = sketch.Serialize();

        var rows = TestData.Gaussian(51, 3 * d);
        rows[(2 * d) + 5] = float.NaN;
        var nan = Assert.Throws<ArgumentException>(() => sketch.AppendRows(rows, 3));
        Assert.Contains("row 2, column 5", nan.Message);
        rows[(2 * d) + 5] = float.PositiveInfinity;
        Assert.Contains("row 2, column 5 is Infinity", Assert.Throws<ArgumentException>(() => sketch.AppendRows(rows, 3)).Message);

        var shape = Assert.Throws<ArgumentException>(() => sketch.AppendRows(new float[(3 * d) - 1], 3));
        Assert.Equal("rows", shape.ParamName);
        Assert.Contains("3 rows of dimension 12", shape.Message);
        Assert.Contains("Empty input", Assert.Throws<ArgumentOutOfRangeException>(() => sketch.AppendRows([], 0)).Message);

        var badLeft = TestData.Gaussian(52, 5 * 2);
        badLeft[3] = float.NaN;
        Assert.Equal("left", Assert.Throws<ArgumentException>(() => sketch.AppendLowRank(badLeft, 5, 2, TestData.Gaussian(53, 2 * d), 1f)).ParamName);
        Assert.Equal("right", Assert.Throws<ArgumentException>(() => sketch.AppendLowRank(new float[10], 5, 2, new float[(2 * d) + 1], 1f)).ParamName);
        var lora = new LoraFactors(new float[20 * 2], new float[2 * 13], 20, 2, 13, 4);
        Assert.Contains("dimension 13", Assert.Throws<ArgumentException>(() => sketch.AppendLora(lora, SketchAxis.Rows)).Message);

        // Finite factors whose product overflows float32 are refused before anything is absorbed: through the batch
        // mean (all rows of left alike) or through the rows themselves (left's rows alternate in sign: mean 0).
        var huge = Enumerable.Repeat(3e30f, 2 * d).ToArray();
        var mean = Assert.Throws<ArgumentException>(() => sketch.AppendLowRank(Enumerable.Repeat(3e30f, 4 * 2).ToArray(), 4, 2, huge, 1f));
        Assert.Contains("'scale·left·right' has a batch mean of", mean.Message);
        Assert.Contains("in column 0, beyond float32 (overflow)", mean.Message);
        var alternating = Enumerable.Range(0, 4 * 2).Select(i => i / 2 % 2 == 0 ? 3e30f : -3e30f).ToArray();
        var rowsOverflow = Assert.Throws<ArgumentException>(() => sketch.AppendLowRank(alternating, 4, 2, huge, 1f));
        Assert.Contains("'scale·left·right (overflow)' row 0, column 0 is", rowsOverflow.Message);

        // A batch whose mean is in range but whose Centre-mode correction row is not.
        var far = Enumerable.Repeat(3e38f, 2 * d).ToArray();
        Assert.Contains("mean correction (overflow)", Assert.Throws<ArgumentException>(() => sketch.AppendRows(far, 2)).Message);

        Assert.Equal(before, sketch.Serialize());
        Assert.Equal(9, sketch.RowCount);
        Assert.Equal(1, sketch.UnitCount);
    }

    [Fact]
    public void MergeRejectsIncompatibleSketchesWithoutChangingEither()
    {
        using var a = new FrequentDirectionsSketch(Backend, 10, 4, MeanMode.Track);
        using var otherEll = new FrequentDirectionsSketch(Backend, 10, 5, MeanMode.Track);
        using var otherDim = new FrequentDirectionsSketch(Backend, 11, 4, MeanMode.Track);
        using var otherMode = new FrequentDirectionsSketch(Backend, 10, 4, MeanMode.None);
        using var exact = new ExactGramSketch(Backend, 10, MeanMode.Track);
        a.AppendRows(TestData.Gaussian(54, 30), 3);
        otherEll.AppendRows(TestData.Gaussian(55, 30), 3);
        var before = a.Serialize();
        Assert.Contains("ℓ = 5", Assert.Throws<ArgumentException>(() => a.Merge(otherEll)).Message);
        Assert.Contains("dimension 11", Assert.Throws<ArgumentException>(() => a.Merge(otherDim)).Message);
        Assert.Contains("mean mode None", Assert.Throws<ArgumentException>(() => a.Merge(otherMode)).Message);
        Assert.Contains("ExactGram", Assert.Throws<ArgumentException>(() => a.Merge(exact)).Message);
        Assert.Throws<ArgumentException>(() => a.Merge(a));
        Assert.Equal(before, a.Serialize());
        Assert.Equal(3, otherEll.RowCount);
    }

    [Fact]
    public void AnEnergyCapAboveASmallLayersDimensionIsCappedThereAFixedRankIsNot()
    {
        // A 12-dimensional layer (the v_proj of the tiny preset in columns mode has 24) under the default cap of 32.
        const int n = 40, d = 12, planted = 3;
        var rows = TestData.Planted(seed: 61, n, d, planted, noise: 0.001);
        var factory = new CovarianceSketchFactory(Backend);
        using var sketch = factory.Create(new SketchOptions(SketchKind.ExactGram, d, 0, MeanMode.Track));
        sketch.AppendRows(rows, n);
        var solver = new SubspaceBasisSolver(Backend);
        var exact = Reference.TopEigenvectors(Reference.Gram(rows, n, d), d, planted);

        var capped = solver.Compute(sketch, new BasisOptions { EnergyThreshold = 0.99, MaxRank = 32 });
        var all = solver.Compute(sketch, new BasisOptions { EnergyThreshold = 1.0, MaxRank = 32 });
        var merge = new MergedSketch(factory, solver, 1);
        merge.Set(0, SketchSummary.Of(sketch.Copy())); // the merge owns (and disposes) what it is given
        var merged = merge.ComputeBasis(new BasisOptions { EnergyThreshold = 0.99, MaxRank = 32 });

        Assert.Equal(planted, capped.Rank);
        Assert.True(SubspaceMetrics.SinThetaMax(capped.Vectors, planted, exact, planted, d) < 1e-4);
        Assert.InRange(all.Rank, planted, d);
        Assert.Equal(planted, merged.Rank);
        Assert.True(SubspaceMetrics.SinThetaMax(merged.Vectors, planted, exact, planted, d) < 1e-4);
        Assert.Contains("k = 13 (Rank) must be in [1, 12]", Assert.Throws<ArgumentException>(() => solver.Compute(sketch, new BasisOptions { Rank = 13 })).Message);
    }

    [Fact]
    public void BasisRejectsRankNotBelowEllEmptySketchAndCentringWithoutMean()
    {
        var solver = new SubspaceBasisSolver(Backend);
        using var sketch = new FrequentDirectionsSketch(Backend, 20, 8, MeanMode.None);
        Assert.Contains("empty", Assert.Throws<InvalidOperationException>(() => solver.Compute(sketch, new BasisOptions { Rank = 2 })).Message);
        sketch.AppendRows(TestData.Gaussian(56, 20 * 20), 20);
        Assert.Contains("ℓ = 8 ≤ k = 8", Assert.Throws<ArgumentException>(() => solver.Compute(sketch, new BasisOptions { Rank = 8 })).Message);
        Assert.Contains("ℓ = 8 ≤ k = 10", Assert.Throws<ArgumentException>(() => solver.Compute(sketch, new BasisOptions { MaxRank = 10 })).Message);
        Assert.Throws<InvalidOperationException>(() => solver.Compute(sketch, new BasisOptions { Rank = 2, Centred = true }));
        Assert.Throws<InvalidOperationException>(() => sketch.CopyMean(new double[20]));
        var bad = Assert.Throws<ArgumentException>(() => solver.Compute(sketch.CreateOperator(false), 1, new BasisOptions { Rank = 2, Oversampling = -1, Tolerance = 0 }));
        Assert.Contains("Oversampling = -1", bad.Message);
        Assert.Contains("Tolerance = 0", bad.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrequentDirectionsSketch(Backend, 20, 1, MeanMode.None));
    }
}
