using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.Subspace.Merging;
using OrleansUws.Subspace.Reconstruction;
using OrleansUws.Subspace.Updates;
using Xunit;

namespace OrleansUws.Subspace.Tests;

/// <summary>Every merge method against a reference computed by hand.</summary>
public sealed class MergeTests : IDisposable
{
    private const string Module = "model.layers.0.q_proj";
    private const string Layer = "layers.0.q_proj";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "uws-subspace-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void TrimKeepsTheLargestMagnitudesAndBreaksTiesByIndex()
    {
        var result = new float[4];
        MergeKernels.Trim([1f, -1f, 1f, 0.5f], 0.5, result);
        Assert.Equal([1f, -1f, 0f, 0f], result);
    }

    [Fact]
    public void TiesTrimsElectsTheSignByMassAndAveragesTheAgreeingEntries()
    {
        // density 0.5 keeps 2 of 4: τ̂1 = [3, 0, 0, −4], τ̂2 = [−2, 2, 0, 0], τ̂3 = [0, −3, 0, 5].
        // mass [1, −1, 0, 1] → signs [+, −, none, +]; agreeing entries [3], [−3], none, [5].
        float[][] tasks = [[3f, -1f, 0.5f, -4f], [-2f, 2f, 1f, -1f], [1f, -3f, -2f, 5f]];
        var result = new float[4];
        MergeKernels.Ties(tasks, 0.5, 1.0, result);
        Assert.Equal([3f, -3f, 0f, 5f], result);

        // density 1: nothing trimmed; p0 (1 + 3)/2, p1 only the positive 2 agrees with the mass +1; λ = 0.5.
        MergeKernels.Ties([[1f, 2f], [3f, -1f]], 1.0, 0.5, result.AsSpan(0, 2));
        Assert.Equal([1f, 1f], result[..2]);
    }

    [Fact]
    public void DareDropsBySeededMaskAndRescales()
    {
        float[][] tasks = [[1f, 2f, 3f, 4f, 5f, 6f], [-1f, 0.5f, 2f, -2f, 1f, 3f]];
        var result = new float[6];
        MergeKernels.Dare(tasks, 0.5, seed: 11, Layer, lambda: 0.5, result);

        var expected = new float[6];
        for (int i = 0; i < 2; i++)
        {
            for (int q = 0; q < 6; q++)
            {
                expected[q] += MergeKernels.MaskDraw(11, i, Layer, q) >= 0.5 ? (float)(0.5 * tasks[i][q] / 0.5) : 0f;
            }
        }

        Assert.Equal(expected, result);
        Assert.Contains(expected, v => v == 0f); // something was dropped…
        Assert.Contains(expected, v => v != 0f); // …and something kept

        MergeKernels.Dare(tasks, 0.0, seed: 11, Layer, lambda: 1.0, result);
        Assert.Equal([0f, 2.5f, 5f, 2f, 6f, 9f], result); // p = 0: plain task arithmetic
    }

    [Fact]
    public void DareMaskKeepsTheExpectedShareAndDependsOnTheSeed()
    {
        int kept = Enumerable.Range(0, 20000).Count(q => MergeKernels.MaskDraw(3, 0, Layer, q) >= 0.9);
        Assert.InRange(kept, 1800, 2200); // 10 % ± 5 σ
        Assert.NotEqual(
            Enumerable.Range(0, 64).Select(q => MergeKernels.MaskDraw(3, 0, Layer, q) >= 0.5),
            Enumerable.Range(0, 64).Select(q => MergeKernels.MaskDraw(4, 0, Layer, q) >= 0.5));
    }

    [Theory]
    [InlineData(MergeMethod.Mean, 1.0, new float[] { 0.5f, 2f, 0f, 0.5f })]
    [InlineData(MergeMethod.TaskArithmetic, 1.0, new float[] { 1f, 4f, 0f, 1f })]
    [InlineData(MergeMethod.TaskArithmetic, 0.25, new float[] { 0.25f, 1f, 0f, 0.25f })]
    [InlineData(MergeMethod.Ties, 1.0, new float[] { 1f, 2f, 0f, 0f })] // density 0.5: τ̂1 = [1, 2, 0, 0], τ̂2 = [0, 2, 0, 1]… see below
    public void MergedAdapterHoldsTheHandComputedDeltaW(MergeMethod method, double lambda, float[] expected)
    {
        // ΔW1 = 1·[1; 0]·[1, 2] = [[1, 2], [0, 0]]; ΔW2 = 2·[1; 0.5]·[0, 1] = [[0, 2], [0, 1]] (α/r = 2).
        var first = WriteAdapter("a", alpha: 1, b: [1f, 0f], a: [1f, 2f]);
        var second = WriteAdapter("b", alpha: 2, b: [1f, 0.5f], a: [0f, 1f]);
        if (method == MergeMethod.Ties)
        {
            // TIES at density 0.5 keeps 2 of 4: τ̂1 = [1, 2, 0, 0], τ̂2 = [0, 2, 0, 1] (ties broken by index: [0, 2] then 1).
            // All signs positive: p0 1/1, p1 (2 + 2)/2, p3 1/1 → [1, 2, 0, 1].
            expected = [1f, 2f, 0f, 1f];
        }

        using var a = ModelReader.Open(first);
        using var b = ModelReader.Open(second);
        var result = new ModelMerger(TestFleet.Backend).Merge([a, b], new MergeOptions(method) { Lambda = lambda, Density = 0.5 });
        var folder = Path.Combine(_root, "merged");
        AdapterOutput.WritePeft(folder, result.Layers, TestFleet.Backend);

        using var merged = LoraAdapter.Open(folder);
        var values = new float[4];
        merged.ReadRows(Layer, 0, 2, values);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(Math.Abs(values[i] - expected[i]) < 1e-5, $"{method}: [{string.Join(", ", values)}] vs [{string.Join(", ", expected)}]");
        }

        if (method is MergeMethod.Mean or MergeMethod.TaskArithmetic)
        {
            Assert.Equal(2, merged.GetLayer(Layer).Rank); // concatenated factors: exact, never multiplied out
        }
    }

    [Fact]
    public void SubspaceMergeOnACentredBasisOfExactlyTheMergedModelsIsDetectedAsTheMeanMerge()
    {
        using var fleet = TestFleet.TinyLora(models: 10);
        var merged = fleet.Models.Take(6).ToArray();
        var bases = fleet.Fit(3, centred: true, models: merged, modes: [BasisMode.Flattened]);
        var readers = merged.Select(p => ModelReader.Open(p)).ToArray();
        try
        {
            var merger = new ModelMerger(TestFleet.Backend);
            var result = merger.Merge(readers, new MergeOptions(MergeMethod.Subspace) { Bases = bases, Form = CoefficientForm.Flattened });
            var mean = merger.Merge(readers, new MergeOptions(MergeMethod.Mean));

            Assert.True(result.Subspace!.EqualsMean, result.Subspace.Reason);
            Assert.StartsWith("the bases are centred on exactly these models' mean", result.Subspace.Reason);
            Assert.Contains(result.Notes, n => n.StartsWith("subspace merge ≡ mean merge", StringComparison.Ordinal));
            foreach (var (s, m) in result.Layers.Zip(mean.Layers))
            {
                double error = UpdateAlgebra.RelativeError(m.Update, s.Update, TestFleet.Backend);
                Assert.True(error < 1e-3, $"{m.LayerId}: {error}"); // relative to the small mean itself; float32 rounding of the basis mean
            }
        }
        finally
        {
            Array.ForEach(readers, r => r.Dispose());
        }
    }

    [Fact]
    public void SubspaceMergeOfOtherModelsIsTheProjectionOfTheMeanAndSaysSo()
    {
        using var fleet = TestFleet.TinyLora(models: 10);
        var bases = fleet.Fit(3, centred: true, models: fleet.Models.Take(6), modes: [BasisMode.Flattened]);
        var readers = fleet.Models.Skip(6).Select(p => ModelReader.Open(p)).ToArray();
        try
        {
            var result = new ModelMerger(TestFleet.Backend).Merge(readers, new MergeOptions(MergeMethod.Subspace) { Bases = bases, Form = CoefficientForm.Flattened });

            Assert.False(result.Subspace!.EqualsMean);
            Assert.True(result.Subspace.RelativeDistanceToMean > 1e-3, result.Subspace.Reason);
            Assert.StartsWith("the subspace merge is the projection of the mean merge onto the bases", result.Subspace.Reason);
        }
        finally
        {
            Array.ForEach(readers, r => r.Dispose());
        }
    }

    [Fact]
    public void BadOptionsAreAllReportedAtOnce()
    {
        var e = Assert.Throws<ArgumentException>(() => new MergeOptions(MergeMethod.Subspace) { Density = 0, DropRate = 1, K = 0 }.Validate());
        Assert.Equal("Density is 0; it must be in (0, 1]. DropRate is 1; it must be in [0, 1). The subspace merge needs Bases. K is 0; it must be at least 1.", e.Message);
    }

    private string WriteAdapter(string name, double alpha, float[] b, float[] a)
    {
        var folder = Path.Combine(_root, name);
        var config = new LoraAdapterConfig(1, alpha, false, ["q_proj"], false);
        using var writer = new LoraAdapterWriter(folder, config, [new FleetLayerSpec(Module, 2, 2)], TensorDType.F32);
        writer.WriteLayer(a, b);
        writer.Complete();
        return folder;
    }
}
