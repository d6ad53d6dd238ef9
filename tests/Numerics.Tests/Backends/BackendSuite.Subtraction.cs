using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

public abstract partial class BackendSuite
{
    /// <summary>Six parts: dense blocks about an offset mean (different sizes) and LoRA updates, as a fleet's models are.</summary>
    private static void AppendPart(ICovarianceSketch sketch, int part, int d)
    {
        if (part % 2 == 0)
        {
            int rows = 7 + (3 * part);
            sketch.AppendRows(TestData.Planted(seed: 300 + part, rows, d, rank: 5, noise: 0.2, offset: 1.5 + part), rows);
        }
        else
        {
            const int r = 3, m = 20;
            var lora = new LoraFactors(TestData.Gaussian(310 + part, m * r), TestData.Gaussian(320 + part, r * d), m, r, d, Alpha: 6);
            sketch.AppendLora(lora, SketchAxis.Rows);
        }
    }

    [Theory]
    [InlineData(MeanMode.None)]
    [InlineData(MeanMode.Track)]
    [InlineData(MeanMode.Centre)]
    public void SubtractingPartsLeavesTheExactGramOfASketchThatNeverSawThem(MeanMode mode)
    {
        const int d = 24;
        int[] removed = [1, 4];
        using var all = new ExactGramSketch(Backend, d, mode);
        using var kept = new ExactGramSketch(Backend, d, mode);
        for (int part = 0; part < 6; part++)
        {
            AppendPart(all, part, d);
            if (!removed.Contains(part))
            {
                AppendPart(kept, part, d);
            }
        }

        foreach (int part in removed)
        {
            using var alone = new ExactGramSketch(Backend, d, mode);
            AppendPart(alone, part, d);
            all.Subtract(alone);
        }

        Assert.Equal((kept.RowCount, kept.UnitCount), (all.RowCount, all.UnitCount));
        var expected = new double[d * d];
        var actual = new double[d * d];
        kept.CopyGram(expected);
        all.CopyGram(actual);

        // Centre mode removes the float32 between-group row as well as the part's own scatter.
        double tolerance = mode == MeanMode.Centre ? 1e-6 : 1e-12;
        Assert.True(RelativeError(actual, expected) < tolerance, $"Gram relative difference {RelativeError(actual, expected):E2}");
        Assert.Equal(kept.TotalEnergy, all.TotalEnergy, kept.TotalEnergy * tolerance);
        if (mode != MeanMode.None)
        {
            var mean = new double[d];
            var keptMean = new double[d];
            all.CopyMean(mean);
            kept.CopyMean(keptMean);
            Assert.True(RelativeError(mean, keptMean) < 1e-12, $"mean relative difference {RelativeError(mean, keptMean):E2}");
        }
    }

    [Fact]
    public void SubtractingEveryPartLeavesAnEmptySketchThatAppendsAsNew()
    {
        const int d = 16;
        using var sketch = new ExactGramSketch(Backend, d, MeanMode.Centre);
        using var alone = new ExactGramSketch(Backend, d, MeanMode.Centre);
        AppendPart(sketch, 0, d);
        AppendPart(alone, 0, d);
        sketch.Subtract(alone);

        var gram = new double[d * d];
        sketch.CopyGram(gram);
        Assert.All(gram, g => Assert.Equal(0.0, g));
        Assert.Equal((0L, 0L, 0.0), (sketch.RowCount, sketch.UnitCount, sketch.TotalEnergy));

        AppendPart(sketch, 0, d);
        var again = new double[d * d];
        var reference = new double[d * d];
        sketch.CopyGram(again);
        alone.CopyGram(reference);
        Assert.Equal(reference, again);
    }

    [Fact]
    public void SubtractionIsRefusedByFrequentDirectionsAndForPartsLargerThanTheSketch()
    {
        const int d = 16;
        using var fd = new FrequentDirectionsSketch(Backend, d, ell: 8, MeanMode.Track);
        using var fdPart = new FrequentDirectionsSketch(Backend, d, ell: 8, MeanMode.Track);
        AppendPart(fd, 0, d);
        AppendPart(fdPart, 0, d);
        Assert.False(fd.CanSubtract);
        Assert.Contains("FrequentDirections sketch cannot subtract", Assert.Throws<InvalidOperationException>(() => fd.Subtract(fdPart)).Message);

        using var small = new ExactGramSketch(Backend, d, MeanMode.Track);
        using var large = new ExactGramSketch(Backend, d, MeanMode.Track);
        AppendPart(small, 0, d);
        AppendPart(large, 0, d);
        AppendPart(large, 2, d);
        Assert.True(small.CanSubtract);
        var error = Assert.Throws<ArgumentException>(() => small.Subtract(large));
        Assert.Contains("Cannot subtract 20 rows of 2 units from a sketch of 7 rows of 1 units", error.Message);

        using var centred = new ExactGramSketch(Backend, d, MeanMode.Centre);
        Assert.Contains("mean mode Centre", Assert.Throws<ArgumentException>(() => small.Subtract(centred)).Message);
    }
}
