using System.Globalization;

namespace OrleansUws.Subspace.Internal;

/// <summary>Typed access to a safetensors <c>__metadata__</c> map; every failure names the file and the field.</summary>
internal sealed class MetadataReader(string path, IReadOnlyDictionary<string, string> metadata)
{
    public string? Optional(string key) => metadata.TryGetValue(key, out var value) ? value : null;

    public string Required(string key) =>
        Optional(key) is { Length: > 0 } value ? value : throw new SubspaceFormatException(path, key, "metadata field is missing");

    public bool Bool(string key) => Required(key) switch
    {
        "true" => true,
        "false" => false,
        var other => throw new SubspaceFormatException(path, key, $"is '{other}'; expected true or false"),
    };

    public int Int(string key) =>
        int.TryParse(Required(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new SubspaceFormatException(path, key, $"is '{Required(key)}'; expected a non-negative integer");

    public long Long(string key) =>
        long.TryParse(Required(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new SubspaceFormatException(path, key, $"is '{Required(key)}'; expected a non-negative integer");

    public double Double(string key) =>
        double.TryParse(Required(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new SubspaceFormatException(path, key, $"is '{Required(key)}'; expected a number");

    public int? OptionalInt(string key) => Optional(key) is null ? null : Int(key);

    public double? OptionalDouble(string key) => Optional(key) is null ? null : Double(key);
}
