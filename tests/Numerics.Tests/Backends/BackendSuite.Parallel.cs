using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

public abstract partial class BackendSuite
{
    private const int LaneOut = 48, LaneIn = 40, LaneRank = 4;

    [Fact]
    public void ParallelLanesEqualTheirSerialDefinitionAndKeepTheGuarantee()
    {
        const int models = 23, lanes = 3, ell = 10, k = 3;   // k = the planted rank of the A factors
        var fleet = Enumerable.Range(0, models).Select(LaneModel).ToArray();
        var options = new SketchOptions(SketchKind.FrequentDirections, LaneIn, ell, MeanMode.Track);
        var factory = new CovarianceSketchFactory(Backend);

        // In uneven batches, so lane assignment must carry over between calls.
        using var absorber = new ParallelSketchAbsorber(factory, options, lanes);
        foreach (int size in new[] { 1, 5, 2, 8, 7 })
        {
            absorber.AppendLora(fleet.Skip((int)absorber.Models).Take(size).ToArray(), SketchAxis.Rows);
        }

        Assert.Equal(models, absorber.Models);
        using var parallel = absorber.Complete();

        // The definition: lane i absorbs models i, i + 3, … in order; lanes 1 and 2 merge into lane 0 in that order.
        var serial = Enumerable.Range(0, lanes).Select(_ => factory.Create(options)).ToArray();
        for (int t = 0; t < models; t++)
        {
            serial[t % lanes].AppendLora(fleet[t], SketchAxis.Rows);
        }

        serial[0].Merge(serial[1]);
        serial[0].Merge(serial[2]);
        Assert.Equal(serial[0].Serialize(), parallel.Serialize());
        foreach (var sketch in serial)
        {
            sketch.Dispose();
        }

        Assert.Equal(models * LaneOut, parallel.RowCount);
        Assert.Equal(models, parallel.UnitCount);

        // And it is a Frequent Directions sketch of all the models: the guarantee, and the basis of the exact Gram.
        var rows = fleet.SelectMany(Materialise).ToArray();
        var ata = Reference.Gram(rows, models * LaneOut, LaneIn);
        var fd = (FrequentDirectionsSketch)parallel;
        AssertFrequentDirectionsGuarantee(ata, Reference.SketchGram(fd), fd.Certificate, LaneIn, ell);
        var basis = new SubspaceBasisSolver(Backend).Compute(parallel, new BasisOptions { Rank = k });
        double sin = SubspaceMetrics.SinThetaMax(basis.Vectors, k, Reference.TopEigenvectors(ata, LaneIn, k), k, LaneIn);
        Assert.True(sin <= 1e-3, $"sin θ_max = {sin}");
    }

    [Fact]
    public void ParallelBatchWithABadModelIsRejectedWholeNamingTheModel()
    {
        var options = new SketchOptions(SketchKind.FrequentDirections, LaneIn, 8, MeanMode.Track);
        using var absorber = new ParallelSketchAbsorber(new CovarianceSketchFactory(Backend), options, 2);
        absorber.AppendLora([LaneModel(0), LaneModel(1), LaneModel(2)], SketchAxis.Rows);

        var bad = LaneModel(4);
        System.Runtime.InteropServices.MemoryMarshal.AsMemory(bad.A).Span[(2 * LaneIn) + 7] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => absorber.AppendLora([LaneModel(3), bad, LaneModel(5)], SketchAxis.Rows));
        Assert.Contains("Model 1 of the batch (model 4 overall)", error.Message);
        Assert.Contains("'lora_A' row 2, column 7 is NaN", error.Message);

        var wrong = new LoraFactors(new float[LaneOut * LaneRank], new float[LaneRank * 30], LaneOut, LaneRank, 30, 8);
        Assert.Contains("has dimension 30, but the sketch has dimension 40", Assert.Throws<ArgumentException>(() => absorber.AppendLora([wrong], SketchAxis.Rows)).Message);

        // Nothing of the rejected batches went in: the same three models alone give the same sketch.
        Assert.Equal(3, absorber.Models);
        using var control = new ParallelSketchAbsorber(new CovarianceSketchFactory(Backend), options, 2);
        control.AppendLora([LaneModel(0), LaneModel(1), LaneModel(2)], SketchAxis.Rows);
        using var merged = absorber.Complete();
        using var expected = control.Complete();
        Assert.Equal(expected.Serialize(), merged.Serialize());
    }

    private static LoraFactors LaneModel(int t)
        => new(TestData.Gaussian(700 + t, LaneOut * LaneRank), TestData.Planted(800 + t, LaneRank, LaneIn, rank: 3, noise: 0.05), LaneOut, LaneRank, LaneIn, Alpha: 8);

    private static float[] Materialise(LoraFactors lora)
    {
        var delta = Reference.Multiply(false, false, lora.OutFeatures, lora.InFeatures, lora.Rank, Widen(lora.B.Span), lora.Rank, Widen(lora.A.Span), lora.InFeatures);
        return delta.Select(v => (float)(lora.Scale * v)).ToArray();
    }
}
