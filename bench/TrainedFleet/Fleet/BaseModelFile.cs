using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.TrainedFleet.Training;

namespace OrleansUws.TrainedFleet.Fleet;

/// <summary>
/// The base MLP as a safetensors checkpoint: <c>&lt;module&gt;.weight</c> (m×n) and <c>&lt;module&gt;.bias</c> (m), F32,
/// layers in order, with the layer widths in <c>__metadata__</c> so the file alone rebuilds the model.
/// </summary>
public static class BaseModelFile
{
    /// <summary>The file name inside the base folder (the name <c>TensorSource.Open</c> looks for).</summary>
    public const string FileName = "model.safetensors";

    private const string LayersKey = "layers";

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, Mlp model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = new List<(TensorSpec, float[])>();
        foreach (DenseLayer layer in model.Layers)
        {
            tensors.Add((new TensorSpec(layer.Name + ".weight", TensorDType.F32, [layer.OutFeatures, layer.InFeatures]), layer.Weight));
            tensors.Add((new TensorSpec(layer.Name + ".bias", TensorDType.F32, [layer.OutFeatures]), layer.Bias));
        }

        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [LayersKey] = string.Join(',', model.Layers.Select(l => l.Name)),
        };
        SafetensorsWriter.WriteAll(path, tensors, meta);
    }

    /// <summary>Reads a model written by <see cref="Write"/>.</summary>
    /// <exception cref="ModelFormatException">The file lacks the layer list, a layer's weight or bias, or the shapes do not chain.</exception>
    public static Mlp Read(string path)
    {
        using SafetensorsFile file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(LayersKey, out string? names) || names.Length == 0)
        {
            throw new ModelFormatException(path, null, $"__metadata__ has no '{LayersKey}' entry naming the layers in order");
        }

        var layers = new List<DenseLayer>();
        foreach (string name in names.Split(','))
        {
            if (!file.TryGetTensor(name + ".weight", out TensorInfo? weight) || weight.Shape.Count != 2)
            {
                throw new ModelFormatException(path, name + ".weight", "missing, or not a matrix");
            }

            if (!file.TryGetTensor(name + ".bias", out TensorInfo? bias) || bias.Shape.Count != 1 || bias.Shape[0] != weight.Shape[0])
            {
                throw new ModelFormatException(path, name + ".bias", $"missing, or not a vector of {weight.Shape[0]} values");
            }

            var layer = new DenseLayer(name, (int)weight.Shape[0], (int)weight.Shape[1]);
            file.ReadTensor(weight.Name, layer.Weight);
            file.ReadTensor(bias.Name, layer.Bias);
            layers.Add(layer);
        }

        try
        {
            return new Mlp(layers);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, null, e.Message, e);
        }
    }
}
