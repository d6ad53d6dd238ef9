using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.ModelFormats;

/// <summary>Opens models and finds them in fleet folders.</summary>
public static class ModelReader
{
    /// <summary>The ground-truth file a generated fleet carries beside its models.</summary>
    public const string GroundTruthFileName = "ground-truth.safetensors";

    /// <summary>
    /// Opens a model: an adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>), a
    /// <c>.safetensors</c> file, a folder with <c>model.safetensors</c>, or a sharded checkpoint (folder or index json).
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="options">Orientation options for dense checkpoints.</param>
    /// <returns>The model; dispose it to close its files.</returns>
    /// <exception cref="ModelFormatException">The path holds no model, or the model is defective.</exception>
    public static IModelReader Open(string path, ModelReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Directory.Exists(path) && File.Exists(Path.Combine(path, LoraAdapterConfig.FileName))
            ? LoraAdapter.Open(path)
            : DenseCheckpoint.Open(path, options);
    }

    /// <summary>
    /// The models inside a fleet folder, sorted by name: sub-folders holding an adapter or checkpoint, and top-level
    /// <c>.safetensors</c> files other than <see cref="GroundTruthFileName"/>.
    /// </summary>
    /// <param name="fleetFolder">The folder.</param>
    /// <returns>Model paths.</returns>
    public static IReadOnlyList<string> EnumerateModels(string fleetFolder)
    {
        var models = new List<string>();
        foreach (string folder in Directory.EnumerateDirectories(fleetFolder))
        {
            if (File.Exists(Path.Combine(folder, LoraAdapterConfig.FileName))
                || File.Exists(Path.Combine(folder, TensorSource.SingleFileName))
                || File.Exists(Path.Combine(folder, ShardedCheckpoint.IndexFileName)))
            {
                models.Add(folder);
            }
        }

        foreach (string file in Directory.EnumerateFiles(fleetFolder, "*.safetensors"))
        {
            if (!string.Equals(Path.GetFileName(file), GroundTruthFileName, StringComparison.Ordinal))
            {
                models.Add(file);
            }
        }

        models.Sort(StringComparer.Ordinal);
        return models;
    }
}
