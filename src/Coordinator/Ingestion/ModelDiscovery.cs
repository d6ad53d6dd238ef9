using OrleansUws.ModelFormats;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// Finds models under the paths given to <c>uws ingest</c>: a PEFT adapter folder, a checkpoint folder or
/// <c>.safetensors</c> file is one model; any other folder is a fleet folder whose models are enumerated by
/// the formats library (sub-folders and top-level <c>.safetensors</c> files, ground truth excluded).
/// </summary>
public static class ModelDiscovery
{
    /// <summary>Name of a PEFT adapter's configuration file.</summary>
    public const string AdapterConfigFileName = "adapter_config.json";

    /// <summary>Models under <paramref name="paths"/>, ordered by id, each id once (the first path wins).</summary>
    /// <exception cref="FileNotFoundException">A path does not exist; the message names it.</exception>
    public static IReadOnlyList<ModelSource> Discover(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var found = new Dictionary<string, ModelSource>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            foreach (var model in DiscoverOne(path))
            {
                found.TryAdd(model.ModelId, model);
            }
        }

        return found.Values.OrderBy(m => m.ModelId, StringComparer.Ordinal).ToArray();
    }

    /// <summary>True when <paramref name="directory"/> is itself one model (adapter or checkpoint folder).</summary>
    public static bool IsModelFolder(string directory) =>
        File.Exists(Path.Combine(directory, AdapterConfigFileName))
        || File.Exists(Path.Combine(directory, "model.safetensors"))
        || File.Exists(Path.Combine(directory, "model.safetensors.index.json"));

    /// <summary>The id of the model at <paramref name="location"/>: its file or folder name without <c>.safetensors</c>.</summary>
    public static string ModelIdOf(string location)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(location));
        return name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? name[..^".safetensors".Length] : name;
    }

    private static IEnumerable<ModelSource> DiscoverOne(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            if (!full.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            {
                throw new FileNotFoundException($"'{path}' is not a .safetensors file, an adapter folder or a fleet folder", path);
            }

            return [new ModelSource(ModelIdOf(full), full)];
        }

        if (!Directory.Exists(full))
        {
            throw new FileNotFoundException($"'{path}' does not exist", path);
        }

        if (IsModelFolder(full))
        {
            return [new ModelSource(ModelIdOf(full), full)];
        }

        return ModelReader.EnumerateModels(full).Select(p => new ModelSource(ModelIdOf(p), Path.GetFullPath(p)));
    }
}
