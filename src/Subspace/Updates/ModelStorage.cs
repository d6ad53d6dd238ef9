using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.Subspace.Updates;

/// <summary>What a model really costs to store: per layer at its stored dtype (LoRA: A and B), and its weight files.</summary>
/// <param name="LayerBytes">Layer id → bytes of its tensors as stored (lora_A + lora_B for adapters, the weight for checkpoints).</param>
/// <param name="WholeBytes">Bytes of the model's weight files on disk (headers included; the small adapter_config.json is not counted).</param>
public sealed record ModelStorage(IReadOnlyDictionary<string, long> LayerBytes, long WholeBytes)
{
    /// <summary>Measures the model at <paramref name="modelPath"/> from its safetensors headers.</summary>
    /// <exception cref="ModelFormatException">A weight file is defective.</exception>
    public static ModelStorage Measure(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var layers = new Dictionary<string, long>(StringComparer.Ordinal);
        long whole = 0;
        foreach (var file in WeightFiles(modelPath))
        {
            whole += new FileInfo(file).Length;
            using var st = SafetensorsFile.Open(file);
            foreach (var tensor in st.Tensors)
            {
                string? layer = PeftKeys.TryParseLoraKey(tensor.Name, out _, out var loraLayer, out _) ? loraLayer
                    : tensor.Name.EndsWith(".weight", StringComparison.Ordinal) && tensor.Shape.Count == 2 ? PeftKeys.DenseLayerId(tensor.Name)
                    : null;
                if (layer is not null)
                {
                    layers[layer] = layers.GetValueOrDefault(layer) + tensor.ByteLength;
                }
            }
        }

        return new ModelStorage(layers, whole);
    }

    /// <summary>The safetensors files holding a model's weights: an adapter's weights file, a single file, or every shard.</summary>
    public static IReadOnlyList<string> WeightFiles(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (File.Exists(modelPath))
        {
            return modelPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? WeightFiles(Path.GetDirectoryName(Path.GetFullPath(modelPath))!)
                : [modelPath];
        }

        if (!Directory.Exists(modelPath))
        {
            throw new ModelFormatException(modelPath, null, "no such file or folder");
        }

        var adapter = Path.Combine(modelPath, LoraAdapter.WeightsFileName);
        if (File.Exists(adapter))
        {
            return [adapter];
        }

        var single = Path.Combine(modelPath, TensorSource.SingleFileName);
        return File.Exists(single)
            ? [single]
            : Directory.EnumerateFiles(modelPath, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
    }
}
