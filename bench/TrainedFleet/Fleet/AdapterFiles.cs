using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.TrainedFleet.Training;

namespace OrleansUws.TrainedFleet.Fleet;

/// <summary>
/// Writes trained LoRA factors as a PEFT adapter folder through the project's <see cref="LoraAdapterWriter"/>
/// (keys <c>base_model.model.&lt;module&gt;.lora_A.weight</c> r×n and <c>…lora_B.weight</c> m×r, r and α in
/// <c>adapter_config.json</c>) and reads them back through the project's PEFT reader.
/// </summary>
public static class AdapterFiles
{
    /// <summary>Writes <paramref name="lora"/> for <paramref name="model"/> into <paramref name="folder"/> (F32).</summary>
    /// <param name="folder">The adapter folder.</param>
    /// <param name="model">The base model (module paths and shapes).</param>
    /// <param name="lora">The trained factors.</param>
    /// <param name="baseModel">What <c>base_model_name_or_path</c> names.</param>
    /// <param name="metadata">The weights file's <c>__metadata__</c> (the task).</param>
    public static void Write(string folder, Mlp model, LoraWeights lora, string baseModel, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lora);
        var layers = model.Layers.Select(l => new FleetLayerSpec(l.Name, l.OutFeatures, l.InFeatures)).ToArray();
        var config = new LoraAdapterConfig(lora.Rank, lora.Alpha, UseRsLora: false, [.. layers.Select(l => l.ModulePath)], FanInFanOut: false)
        {
            BaseModel = baseModel,
        };
        using var writer = new LoraAdapterWriter(folder, config, layers, TensorDType.F32, metadata);
        for (int l = 0; l < layers.Length; l++)
        {
            writer.WriteLayer(lora.A[l], lora.B[l]);
        }

        writer.Complete();
    }

    /// <summary>Reads the factors of an adapter of <paramref name="model"/> back through <see cref="ModelReader"/>.</summary>
    /// <exception cref="ModelFormatException">The folder is not a valid adapter, or its layers or ranks differ from the model's or from each other.</exception>
    public static LoraWeights Read(string folder, Mlp model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using IModelReader reader = ModelReader.Open(folder);
        LoraAdapterConfig config = LoraAdapterConfig.Load(Path.Combine(folder, LoraAdapterConfig.FileName));
        var layers = new List<(float[] A, float[] B, int OutFeatures, int InFeatures)>();
        foreach (DenseLayer layer in model.Layers)
        {
            LayerInfo info = reader.GetLayer(PeftKeys.DenseLayerId(layer.Name));
            if (info.OutFeatures != layer.OutFeatures || info.InFeatures != layer.InFeatures || info.Rank != config.Rank)
            {
                throw new ModelFormatException(folder, layer.Name,
                    $"adapter layer is {info.OutFeatures}×{info.InFeatures} at rank {info.Rank}; the base layer is {layer.OutFeatures}×{layer.InFeatures} and the config's r is {config.Rank}");
            }

            var a = new float[config.Rank * layer.InFeatures];
            var b = new float[layer.OutFeatures * config.Rank];
            double scaling = reader.ReadLoraFactors(info.LayerId, a, b);
            if (Math.Abs(scaling - (config.Alpha / config.Rank)) > 1e-12)
            {
                throw new ModelFormatException(folder, layer.Name, $"scaling {scaling} is not α/r = {config.Alpha}/{config.Rank}");
            }

            layers.Add((a, b, layer.OutFeatures, layer.InFeatures));
        }

        return LoraWeights.FromFactors(config.Rank, config.Alpha, layers);
    }
}
