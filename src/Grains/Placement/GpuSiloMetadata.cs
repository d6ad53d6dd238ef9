using System.Globalization;

namespace OrleansUws.Grains.Placement;

/// <summary>
/// The silo-metadata entries (Orleans <c>UseSiloMetadata</c>) with which a silo advertises its GPU, and their parsing.
/// </summary>
public static class GpuSiloMetadata
{
    /// <summary>Key whose value is "true" when the silo has a usable GPU.</summary>
    public const string HasGpuKey = "uws.gpu";

    /// <summary>Key whose value is the GPU memory in bytes (invariant integer).</summary>
    public const string MemoryKey = "uws.gpu.memory";

    /// <summary>The metadata entries a silo publishes.</summary>
    public static Dictionary<string, string> Create(bool hasGpu, long memoryBytes) => new(StringComparer.Ordinal)
    {
        [HasGpuKey] = hasGpu ? "true" : "false",
        [MemoryKey] = memoryBytes.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Whether the metadata says the silo has a GPU (false when absent or unreadable).</summary>
    public static bool HasGpu(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(HasGpuKey, out var value) && bool.TryParse(value, out var hasGpu) && hasGpu;

    /// <summary>The advertised GPU memory in bytes (0 when absent or unreadable).</summary>
    public static long Memory(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(MemoryKey, out var value) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) ? bytes : 0;
}
