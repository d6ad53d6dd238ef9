using System.Text;

namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// The grain keys of the cluster and the stable model → slice assignment. Fleet names must not contain '/';
/// layer ids (e.g. <c>model.layers.0.self_attn.q_proj</c>) must not either.
/// </summary>
public static class UwsKeys
{
    /// <summary>Key of the fleet registry grain: <c>{fleet}</c>.</summary>
    public static string Fleet(string fleet) => CheckPart(fleet, nameof(fleet));

    /// <summary>Key of a layer coordinator grain: <c>{fleet}/{layer}/{mode}</c>.</summary>
    public static string Coordinator(string fleet, string layer, SketchMode mode) =>
        $"{CheckPart(fleet, nameof(fleet))}/{CheckPart(layer, nameof(layer))}/{ModeName(mode)}";

    /// <summary>Key of a layer slice grain: <c>{fleet}/{layer}/{mode}/{slice}</c>.</summary>
    public static string Slice(string fleet, string layer, SketchMode mode, int slice)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slice);
        return $"{Coordinator(fleet, layer, mode)}/{slice}";
    }

    /// <summary>The mode's name as it appears in keys, options and files: "rows", "columns" or "flattened".</summary>
    public static string ModeName(SketchMode mode) => mode switch
    {
        SketchMode.Rows => "rows",
        SketchMode.Columns => "columns",
        SketchMode.Flattened => "flattened",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown sketch mode."),
    };

    /// <summary>Parses "rows", "columns" or "flattened" (case-insensitive).</summary>
    /// <exception cref="FormatException">The text names no mode; the message quotes it.</exception>
    public static SketchMode ParseMode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "rows" => SketchMode.Rows,
        "columns" => SketchMode.Columns,
        "flattened" => SketchMode.Flattened,
        _ => throw new FormatException($"Unknown sketch mode '{text}': expected 'rows', 'columns' or 'flattened'."),
    };

    /// <summary>Splits a slice key into its parts.</summary>
    /// <exception cref="FormatException">The key does not have the form <c>{fleet}/{layer}/{mode}/{slice}</c>.</exception>
    public static (string Fleet, string Layer, SketchMode Mode, int Slice) ParseSlice(string key)
    {
        var parts = key.Split('/');
        if (parts.Length != 4 || !int.TryParse(parts[3], out var slice) || slice < 0)
        {
            throw new FormatException($"Slice grain key '{key}' is not of the form '{{fleet}}/{{layer}}/{{mode}}/{{slice}}'.");
        }

        return (parts[0], parts[1], ParseMode(parts[2]), slice);
    }

    /// <summary>Splits a coordinator key into its parts.</summary>
    /// <exception cref="FormatException">The key does not have the form <c>{fleet}/{layer}/{mode}</c>.</exception>
    public static (string Fleet, string Layer, SketchMode Mode) ParseCoordinator(string key)
    {
        var parts = key.Split('/');
        if (parts.Length != 3)
        {
            throw new FormatException($"Layer coordinator key '{key}' is not of the form '{{fleet}}/{{layer}}/{{mode}}'.");
        }

        return (parts[0], parts[1], ParseMode(parts[2]));
    }

    /// <summary>
    /// The slice (0 ≤ slice &lt; <paramref name="sliceCount"/>) that absorbs <paramref name="modelId"/>: FNV-1a
    /// (32-bit) of the id's UTF-8 bytes modulo the slice count, identical on every process and run.
    /// </summary>
    public static int SliceOf(string modelId, int sliceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceCount);
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(modelId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)sliceCount);
    }

    private static string CheckPart(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        if (value.Contains('/'))
        {
            throw new ArgumentException($"The {name} '{value}' must not contain '/'.", name);
        }

        return value;
    }
}
