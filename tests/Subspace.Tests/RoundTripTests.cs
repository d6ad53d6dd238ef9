using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Compression;
using OrleansUws.Subspace.Reconstruction;
using OrleansUws.Subspace.Updates;
using Xunit;

namespace OrleansUws.Subspace.Tests;

/// <summary>compress → reconstruct → compress, through files, and the reconstruction read back by the project's readers.</summary>
public sealed class RoundTripTests
{
    public static TheoryData<CoefficientForm, bool> Forms => new()
    {
        { CoefficientForm.Rows, false },
        { CoefficientForm.Rows, true },
        { CoefficientForm.Columns, false },
        { CoefficientForm.Columns, true },
        { CoefficientForm.TwoSided, false },
        { CoefficientForm.Flattened, false },
        { CoefficientForm.Flattened, true },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void CompressReconstructCompressGivesTheSameCoefficients(CoefficientForm form, bool centred)
    {
        using var fleet = TestFleet.TinyLora(models: 8);
        var basesFolder = fleet.WriteBases(fleet.Fit(3, centred, modes: [BasisMode.Rows, BasisMode.Columns, BasisMode.Flattened]));
        var bases = BasisSet.Load(basesFolder);
        var backend = TestFleet.Backend;
        var compressor = new SubspaceCompressor(backend);
        var run = compressor.Compress(fleet.Models.Take(3).ToArray(), bases, new CompressOptions(form), fleet.Combine("c1"));

        foreach (var model in run.Models)
        {
            var path = model.CoefficientPath!;
            var read = CoefficientFile.Read(path);
            var layers = new SubspaceReconstructor(backend).Reconstruct(read, bases, path);
            var adapter = fleet.Combine("peft", model.Model);
            AdapterOutput.WritePeft(adapter, layers, backend);
            using var reconstructed = ModelReader.Open(adapter);
            var again = compressor.CompressModel(reconstructed, model.Model, bases, new CompressOptions(form));

            Assert.Equal(read.Layers.Select(l => l.Layer), again.Layers.Select(l => l.Layer));
            foreach (var (first, second) in read.Layers.Zip(again.Layers))
            {
                Assert.Equal(first.Shape, second.Shape);
                double scale = first.Values.Max(v => Math.Abs(v));
                for (int i = 0; i < first.Values.Length; i++)
                {
                    Assert.True(Math.Abs(first.Values[i] - second.Values[i]) <= 1e-4 * scale,
                        $"{first.Layer}[{i}]: {first.Values[i]} then {second.Values[i]} (scale {scale})");
                }
            }
        }
    }

    [Fact]
    public void ReconstructedPeftAdapterReadsBackWithTheExpectedDeltaW()
    {
        using var fleet = TestFleet.TinyLora(models: 6);
        var backend = TestFleet.Backend;
        using var model = ModelReader.Open(fleet.Models[0]);
        var layers = Reconstruct(fleet, model, CoefficientForm.Columns, BasisMode.Columns);
        var folder = fleet.Combine("adapter");
        AdapterOutput.WritePeft(folder, layers, backend);

        using var adapter = LoraAdapter.Open(folder);
        Assert.Equal(model.Layers.Select(l => l.LayerId), adapter.Layers.Select(l => l.LayerId));
        foreach (var layer in layers)
        {
            var info = adapter.GetLayer(layer.LayerId);
            Assert.Equal(4, info.Rank); // k = 3 plus the mean column of a centred basis
            Assert.Equal(1.0, adapter.Config.ScalingOf("model." + layer.LayerId));
            var read = new float[info.OutFeatures * info.InFeatures];
            adapter.ReadRows(layer.LayerId, 0, info.OutFeatures, read);
            var expected = UpdateAlgebra.ToDense(layer.Update, backend);
            double scale = expected.Max(v => Math.Abs(v));
            Assert.All(Enumerable.Range(0, read.Length), i => Assert.True(Math.Abs(read[i] - expected[i]) <= 1e-5 * scale, $"{layer.LayerId}[{i}]"));
        }
    }

    [Fact]
    public void LayersOfDifferentRanksAreWrittenWithRankAndAlphaPatterns()
    {
        using var fleet = TestFleet.TinyLora(models: 2);
        var backend = TestFleet.Backend;
        var q = LayerUpdate.Factored(2, 1, 3, [1f, 2f], [1f, 0f, -1f], scale: 3f);
        var v = LayerUpdate.Dense(2, 3, [1f, 0f, 0f, 0f, 1f, 0f]); // rank 2
        var folder = fleet.Combine("mixed");
        AdapterOutput.WritePeft(folder, [new NamedUpdate("l.q", "model.l.q", q), new NamedUpdate("l.v", "model.l.v", v)], backend);

        using var adapter = LoraAdapter.Open(folder);
        Assert.Equal(1, adapter.GetLayer("l.q").Rank);
        Assert.Equal(2, adapter.GetLayer("l.v").Rank);
        foreach (var (id, update) in new[] { ("l.q", q), ("l.v", v) })
        {
            Assert.Equal(1.0, adapter.Config.ScalingOf("model." + id));
            var read = new float[6];
            adapter.ReadRows(id, 0, 2, read);
            var expected = UpdateAlgebra.ToDense(update, backend);
            Assert.All(Enumerable.Range(0, 6), i => Assert.True(Math.Abs(read[i] - expected[i]) < 1e-6, $"{id}[{i}]: {read[i]} vs {expected[i]}"));
        }
    }

    // The model's layers reconstructed from its coefficients against centred k = 3 bases of the whole fleet.
    private static IReadOnlyList<NamedUpdate> Reconstruct(TestFleet fleet, IModelReader model, CoefficientForm form, BasisMode mode)
    {
        var bases = fleet.Fit(3, centred: true, modes: [mode]);
        var coefficients = new SubspaceCompressor(TestFleet.Backend).CompressModel(model, "m", bases, new CompressOptions(form));
        return new SubspaceReconstructor(TestFleet.Backend).Reconstruct(coefficients, bases, "memory");
    }

    [Fact]
    public void AFormWhoseBasesAreAbsentIsRefusedNamingTheModesHeld()
    {
        using var fleet = TestFleet.TinyLora(models: 3);
        using var dense = TestFleet.TinyDense(models: 1);
        var bases = fleet.Fit(2, centred: false, modes: [BasisMode.Rows]);
        var compressor = new SubspaceCompressor(TestFleet.Backend);
        using var model = ModelReader.Open(fleet.Models[0]);
        using var other = ModelReader.Open(dense.Models[0]);

        var columns = Assert.Throws<KeyNotFoundException>(() => compressor.CompressModel(model, "m", bases, new CompressOptions(CoefficientForm.Columns)));
        var foreign = Assert.Throws<KeyNotFoundException>(() => compressor.CompressModel(other, "d", bases, new CompressOptions(CoefficientForm.Rows)));

        Assert.EndsWith("no layer has the columns bases the columns form needs in memory (it holds rows bases).", columns.Message, StringComparison.Ordinal);
        Assert.EndsWith("no layer has the rows bases the rows form needs in memory (it holds rows bases, none of this model's layers).", foreign.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReconstructionCarriesTheModulePathsOfTheSourceModel()
    {
        using var fleet = TestFleet.TinyLora(models: 3);
        var bases = fleet.Fit(2, centred: false, modes: [BasisMode.Rows]);
        using var model = ModelReader.Open(fleet.Models[1]);
        var coefficients = new SubspaceCompressor(TestFleet.Backend).CompressModel(model, "m1", bases, new CompressOptions(CoefficientForm.Rows));

        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"], coefficients.Layers.Select(l => l.ModulePath));
    }

    [Fact]
    public void DenseDeltaCheckpointReadsBackThroughTheDenseReader()
    {
        using var fleet = TestFleet.TinyDense(models: 4);
        var backend = TestFleet.Backend;
        using var model = ModelReader.Open(fleet.Models[2]);
        var layers = Reconstruct(fleet, model, CoefficientForm.Flattened, BasisMode.Flattened);
        var path = fleet.Combine("delta.safetensors");
        AdapterOutput.WriteDense(path, layers, backend);

        using var dense = ModelReader.Open(path);
        foreach (var layer in layers)
        {
            var read = LayerUpdates.Read(dense, layer.LayerId);
            Assert.Equal(UpdateAlgebra.ToDense(layer.Update, backend), read.DenseValues);
        }
    }
}
