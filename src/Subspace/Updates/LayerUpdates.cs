using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.Subspace.Updates;

/// <summary>Reads layers of a model as <see cref="LayerUpdate"/>s: LoRA layers as their factors, dense layers as W.</summary>
public static class LayerUpdates
{
    /// <summary>Reads <paramref name="layerId"/> of <paramref name="model"/>.</summary>
    /// <exception cref="ModelFormatException">The layer is absent or its values are defective.</exception>
    public static LayerUpdate Read(IModelReader model, string layerId)
    {
        ArgumentNullException.ThrowIfNull(model);
        var info = model.GetLayer(layerId);
        int m = info.OutFeatures, n = info.InFeatures;
        if (model.Kind == ModelKind.LoraAdapter)
        {
            var a = new float[(long)info.Rank * n];
            var b = new float[(long)m * info.Rank];
            double scaling = model.ReadLoraFactors(layerId, a, b);
            return LayerUpdate.Factored(m, info.Rank, n, b, a, (float)scaling);
        }

        var values = new float[(long)m * n];
        model.ReadRows(layerId, 0, m, values);
        return LayerUpdate.Dense(m, n, values);
    }

    /// <summary>
    /// Layer id → module path as the model's own tensor keys spell it (PEFT: the path after <c>base_model.model.</c>;
    /// dense: the key without <c>.weight</c>), so a reconstruction is written under the keys the base model expects.
    /// Layers whose key cannot be found map to <c>model.&lt;layer id&gt;</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ModulePaths(IModelReader model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in ModelStorage.WeightFiles(model.Path))
        {
            using var st = SafetensorsFile.Open(file);
            foreach (var tensor in st.Tensors)
            {
                if (PeftKeys.TryParseLoraKey(tensor.Name, out var module, out var layerId, out _))
                {
                    result.TryAdd(layerId, module);
                }
                else if (model.Kind == ModelKind.DenseCheckpoint && tensor.Name.EndsWith(".weight", StringComparison.Ordinal))
                {
                    result.TryAdd(PeftKeys.DenseLayerId(tensor.Name), tensor.Name[..^".weight".Length]);
                }
            }
        }

        foreach (var layer in model.Layers)
        {
            result.TryAdd(layer.LayerId, "model." + layer.LayerId);
        }

        return result;
    }
}
