using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

public sealed class DenseCheckpointTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static float[] Values(int count) => Enumerable.Range(0, count).Select(i => i * 0.5f).ToArray();

    [Fact]
    public void WeightsWithTwoOrMoreDimensionsAreLayersAndOthersAreSkipped()
    {
        string path = _temp.File("model.safetensors");
        SafetensorsWriter.WriteAll(path,
        [
            (new TensorSpec("model.layers.0.self_attn.q_proj.weight", TensorDType.BF16, [4, 6]), Values(24)),
            (new TensorSpec("model.layers.0.self_attn.q_proj.bias", TensorDType.F32, [4]), Values(4)),
            (new TensorSpec("model.norm.weight", TensorDType.F32, [6]), Values(6)),
            (new TensorSpec("patch_embed.weight", TensorDType.F32, [3, 2, 2, 2]), Values(24)),
        ]);
        using IModelReader model = ModelReader.Open(_temp.Path);
        Assert.Equal(ModelKind.DenseCheckpoint, model.Kind);
        Assert.Equal([new LayerInfo("layers.0.self_attn.q_proj", 4, 6, 0, false), new LayerInfo("patch_embed", 3, 8, 0, false)], model.Layers);
        var rows = new float[6];
        model.ReadRows("layers.0.self_attn.q_proj", 2, 1, rows);
        Assert.Equal(Values(24).AsSpan(12, 6).ToArray(), rows);
        Assert.Throws<InvalidOperationException>(() => model.ReadLoraFactors("patch_embed", new float[1], new float[1]));
    }

    [Fact]
    public void Conv1DWeightsAreStoredTransposedAndReadCanonically()
    {
        // GPT-2 c_attn stores (in = 3) × (out = 5); canonical W is 5 × 3 with W[i, j] = stored[j, i].
        float[] stored = Values(15);
        string path = _temp.File("gpt2.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("transformer.h.0.attn.c_attn.weight", TensorDType.F32, [3, 5]), stored)]);
        using IModelReader model = ModelReader.Open(path);
        LayerInfo layer = Assert.Single(model.Layers);
        Assert.Equal(new LayerInfo("transformer.h.0.attn.c_attn", 5, 3, 0, true), layer);

        var rows = new float[2 * 3];
        model.ReadRows(layer.LayerId, 1, 2, rows);
        Assert.Equal([stored[1], stored[6], stored[11], stored[2], stored[7], stored[12]], rows);

        var columns = new float[5 * 1];
        model.ReadColumns(layer.LayerId, 2, 1, columns);
        Assert.Equal(stored.AsSpan(10, 5).ToArray(), columns);
    }

    [Fact]
    public void OrientationOptionOverridesTheDefault()
    {
        string path = _temp.File("m.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("h.0.c_attn.weight", TensorDType.F32, [3, 5]), Values(15))]);
        using IModelReader model = ModelReader.Open(path, new ModelReaderOptions { TransposedModules = [] });
        Assert.Equal(new LayerShape(3, 5), model.Layers[0].Shape);
    }

    [Fact]
    public void ShardedCheckpointsOpenAsOneModel()
    {
        SafetensorsWriter.WriteAll(_temp.File("a.safetensors"), [(new TensorSpec("model.layers.0.q.weight", TensorDType.F32, [2, 3]), Values(6))]);
        SafetensorsWriter.WriteAll(_temp.File("b.safetensors"), [(new TensorSpec("model.layers.1.q.weight", TensorDType.F32, [2, 3]), Values(6))]);
        File.WriteAllText(_temp.File(ShardedCheckpoint.IndexFileName),
            """{"weight_map": {"model.layers.0.q.weight": "a.safetensors", "model.layers.1.q.weight": "b.safetensors"}}""");
        using IModelReader model = ModelReader.Open(_temp.Path);
        Assert.Equal(["layers.0.q", "layers.1.q"], model.Layers.Select(l => l.LayerId));
        var columns = new float[2];
        model.ReadColumns("layers.1.q", 2, 1, columns);
        Assert.Equal([1f, 2.5f], columns);
    }

    [Fact]
    public void TwoKeysMappingToOneLayerIdAreRejected()
    {
        string path = _temp.File("dup.safetensors");
        SafetensorsWriter.WriteAll(path,
            [(new TensorSpec("model.x.weight", TensorDType.F32, [1, 1]), [1]), (new TensorSpec("x.weight", TensorDType.F32, [1, 1]), [1])]);
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(path));
        Assert.Equal("x", error.TensorName);
        Assert.Equal("two tensors map to this layer id", error.Reason);
    }

    [Fact]
    public void PathsHoldingNoModelAreRejected()
    {
        Assert.Contains("neither", Assert.Throws<ModelFormatException>(() => ModelReader.Open(_temp.Path)).Reason);
        Assert.Equal("no such file or folder", Assert.Throws<ModelFormatException>(() => ModelReader.Open(_temp.File("nope.safetensors"))).Reason);
    }
}
