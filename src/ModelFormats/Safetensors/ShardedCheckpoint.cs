using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>
/// A checkpoint split over several safetensors files, described by <c>model.safetensors.index.json</c>
/// (<c>{"metadata": {...}, "weight_map": {"tensor": "shard file"}}</c>). Every shard is opened (its header read)
/// and validated; the index and the shards must agree exactly on which tensor lives where.
/// </summary>
public sealed class ShardedCheckpoint : ITensorSource
{
    /// <summary>The conventional index file name.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private const long MaxIndexBytes = 100_000_000;

    private readonly SafetensorsFile[] _shards;
    private readonly Dictionary<string, SafetensorsFile> _owner;
    private readonly Dictionary<string, TensorInfo> _byName;

    private ShardedCheckpoint(string path, SafetensorsFile[] shards, Dictionary<string, SafetensorsFile> owner, Dictionary<string, string> metadata)
    {
        Path = path;
        _shards = shards;
        _owner = owner;
        Metadata = metadata;
        Tensors = shards.SelectMany(s => s.Tensors).ToArray();
        _byName = Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        ShardPaths = shards.Select(s => s.Path).ToArray();
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>The index's <c>metadata</c> entries with string or number values, as text.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <inheritdoc/>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The shard files, in the order first named by the index.</summary>
    public IReadOnlyList<string> ShardPaths { get; }

    /// <summary>Opens a sharded checkpoint.</summary>
    /// <param name="indexPathOrFolder">The index json, or a folder holding <see cref="IndexFileName"/>.</param>
    /// <returns>The open checkpoint.</returns>
    /// <exception cref="ModelFormatException">The index is invalid, names a missing shard, or disagrees with the shards.</exception>
    public static ShardedCheckpoint Open(string indexPathOrFolder)
    {
        string indexPath = Directory.Exists(indexPathOrFolder) ? System.IO.Path.Combine(indexPathOrFolder, IndexFileName) : indexPathOrFolder;
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        (Dictionary<string, string> weightMap, Dictionary<string, string> metadata) = ReadIndex(indexPath);

        var shards = new List<SafetensorsFile>();
        try
        {
            var byFile = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach ((string tensor, string file) in weightMap)
            {
                if (!byFile.TryGetValue(file, out SafetensorsFile? shard))
                {
                    if (file.Contains('/') || file.Contains('\\') || file is "." or "..")
                    {
                        throw new ModelFormatException(indexPath, tensor, $"shard '{file}' is not a file name in the index's folder");
                    }

                    string shardPath = System.IO.Path.Combine(folder, file);
                    if (!File.Exists(shardPath))
                    {
                        throw new ModelFormatException(indexPath, tensor, $"shard '{file}' does not exist");
                    }

                    shard = SafetensorsFile.Open(shardPath);
                    shards.Add(shard);
                    byFile.Add(file, shard);
                }

                if (!shard.TryGetTensor(tensor, out _))
                {
                    throw new ModelFormatException(indexPath, tensor, $"the index places it in '{file}', which does not hold it");
                }

                owner.Add(tensor, shard);
            }

            foreach (SafetensorsFile shard in shards)
            {
                foreach (TensorInfo tensor in shard.Tensors)
                {
                    if (!owner.TryGetValue(tensor.Name, out SafetensorsFile? placed) || placed != shard)
                    {
                        throw new ModelFormatException(shard.Path, tensor.Name, "the shard holds a tensor the index does not place there");
                    }
                }
            }

            return new ShardedCheckpoint(indexPath, [.. shards], owner, metadata);
        }
        catch
        {
            foreach (SafetensorsFile shard in shards)
            {
                shard.Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc/>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out TensorInfo? info) => _byName.TryGetValue(name, out info);

    /// <inheritdoc/>
    public TensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out TensorInfo? info) ? info : throw new ModelFormatException(Path, name, "no such tensor");

    /// <inheritdoc/>
    public void ReadTensor(string name, Span<float> destination) => Shard(name).ReadTensor(name, destination);

    /// <inheritdoc/>
    public void ReadRows(string name, long rowStart, int rowCount, Span<float> destination) =>
        Shard(name).ReadRows(name, rowStart, rowCount, destination);

    /// <inheritdoc/>
    public void ReadColumns(string name, long columnStart, int columnCount, Span<float> destination) =>
        Shard(name).ReadColumns(name, columnStart, columnCount, destination);

    /// <summary>Closes every shard.</summary>
    public void Dispose()
    {
        foreach (SafetensorsFile shard in _shards)
        {
            shard.Dispose();
        }
    }

    private SafetensorsFile Shard(string name) =>
        _owner.TryGetValue(name, out SafetensorsFile? shard) ? shard : throw new ModelFormatException(Path, name, "no such tensor");

    private static (Dictionary<string, string> WeightMap, Dictionary<string, string> Metadata) ReadIndex(string indexPath)
    {
        if (!File.Exists(indexPath))
        {
            throw new ModelFormatException(indexPath, null, "index file does not exist");
        }

        if (new FileInfo(indexPath).Length > MaxIndexBytes)
        {
            throw new ModelFormatException(indexPath, null, $"index is larger than {MaxIndexBytes} bytes");
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out JsonElement map)
                || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(indexPath, null, "index lacks a 'weight_map' object");
            }

            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw new ModelFormatException(indexPath, entry.Name, "'weight_map' value is not a file name");
                }

                if (!weightMap.TryAdd(entry.Name, entry.Value.GetString()!))
                {
                    throw new ModelFormatException(indexPath, entry.Name, "duplicate name in 'weight_map'");
                }
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (document.RootElement.TryGetProperty("metadata", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty entry in meta.EnumerateObject())
                {
                    if (entry.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                    {
                        metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
                    }
                }
            }

            return (weightMap, metadata);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(indexPath, null, $"invalid JSON index: {e.Message}", e);
        }
    }
}
