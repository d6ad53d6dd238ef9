using OrleansUws.ModelFormats;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// Finds models under the paths given to <c>uws ingest</c>: a PEFT adapter folder, a checkpoint folder or
/// <c>.safetensors</c> file is one model; any other folder is a fleet folder whose entries are models (sub-folders that
/// are model folders, and <c>.safetensors</c> files). Every other entry of a fleet folder is reported as skipped, with
/// why, except the files a generated fleet keeps beside its models (<c>fleet.json</c>, the ground truth).
/// </summary>
public static class ModelDiscovery
{
    /// <summary>Name of a PEFT adapter's configuration file.</summary>
    public const string AdapterConfigFileName = "adapter_config.json";

    /// <summary>Files a generated fleet keeps beside its models (not models, not worth a skip line).</summary>
    private static readonly HashSet<string> FleetFiles = new(StringComparer.Ordinal) { "fleet.json", ModelReader.GroundTruthFileName };

    /// <summary>Models under <paramref name="paths"/>, ordered by id, each id once (the first path wins).</summary>
    /// <exception cref="FileNotFoundException">A path does not exist; the message names it.</exception>
    public static IReadOnlyList<ModelSource> Discover(IEnumerable<string> paths) => Scan(paths).Models;

    /// <summary>
    /// Models under <paramref name="paths"/> (as <see cref="Discover"/>) and every entry skipped with the reason,
    /// ordered by path. With <paramref name="distinctIds"/> false every model location is kept once, even when two share
    /// an id (a merge reads files and names nothing after them; a fleet or a coefficient folder keys by id).
    /// </summary>
    /// <exception cref="FileNotFoundException">A path does not exist; the message names it.</exception>
    public static DiscoveryResult Scan(IEnumerable<string> paths, bool distinctIds = true)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var found = new Dictionary<string, ModelSource>(StringComparer.Ordinal);
        var skipped = new List<SkippedPath>();
        foreach (var path in paths)
        {
            foreach (var model in DiscoverOne(path, skipped))
            {
                var key = distinctIds ? model.ModelId : model.Location;
                if (!found.TryAdd(key, model) && found[key].Location != model.Location)
                {
                    skipped.Add(new SkippedPath(model.Location, $"same model id '{model.ModelId}' as {found[key].Location}"));
                }
            }
        }

        return new DiscoveryResult(
            found.Values.OrderBy(m => m.ModelId, StringComparer.Ordinal).ThenBy(m => m.Location, StringComparer.Ordinal).ToArray(),
            skipped.OrderBy(s => s.Path, StringComparer.Ordinal).ToArray());
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

    private static IEnumerable<ModelSource> DiscoverOne(string path, List<SkippedPath> skipped)
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

        var models = new List<ModelSource>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(full))
        {
            var name = Path.GetFileName(entry);
            var isFolder = Directory.Exists(entry);
            if (isFolder && IsModelFolder(entry))
            {
                models.Add(new ModelSource(ModelIdOf(entry), entry));
            }
            else if (isFolder)
            {
                skipped.Add(new SkippedPath(entry, name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
                    ? "a folder named like a .safetensors file, without adapter_config.json or model.safetensors"
                    : $"folder without {AdapterConfigFileName}, model.safetensors or model.safetensors.index.json"));
            }
            else if (name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && !FleetFiles.Contains(name))
            {
                models.Add(new ModelSource(ModelIdOf(entry), entry));
            }
            else if (!FleetFiles.Contains(name))
            {
                skipped.Add(new SkippedPath(entry, "file is not a .safetensors model"));
            }
        }

        return models;
    }
}

/// <summary>What <see cref="ModelDiscovery.Scan"/> found.</summary>
/// <param name="Models">Models, ordered by id.</param>
/// <param name="Skipped">Entries that are not models, with why, ordered by path.</param>
public sealed record DiscoveryResult(IReadOnlyList<ModelSource> Models, IReadOnlyList<SkippedPath> Skipped);

/// <summary>A path under a fleet folder that is not a model.</summary>
/// <param name="Path">The path.</param>
/// <param name="Reason">Why it was skipped.</param>
public sealed record SkippedPath(string Path, string Reason);
