namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>Opens whichever kind of tensor container a path names.</summary>
public static class TensorSource
{
    /// <summary>The conventional single-file checkpoint name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>
    /// Opens a <c>.safetensors</c> file, a <c>*.index.json</c>, or a folder holding
    /// <see cref="ShardedCheckpoint.IndexFileName"/> (preferred) or <see cref="SingleFileName"/>.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <returns>The open source.</returns>
    /// <exception cref="ModelFormatException">The path holds no checkpoint, or the checkpoint is defective.</exception>
    public static ITensorSource Open(string path)
    {
        if (Directory.Exists(path))
        {
            if (File.Exists(Path.Combine(path, ShardedCheckpoint.IndexFileName)))
            {
                return ShardedCheckpoint.Open(path);
            }

            string single = Path.Combine(path, SingleFileName);
            return File.Exists(single)
                ? SafetensorsFile.Open(single)
                : throw new ModelFormatException(path, null, $"folder holds neither {ShardedCheckpoint.IndexFileName} nor {SingleFileName}");
        }

        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, null, "no such file or folder");
        }

        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ShardedCheckpoint.Open(path) : SafetensorsFile.Open(path);
    }
}
