using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.State;
using ModelFormatException = OrleansUws.ModelFormats.ModelFormatException;
using FormatsArchitecture = OrleansUws.ModelFormats.ModelArchitecture;
using FormatsShape = OrleansUws.ModelFormats.LayerShape;

namespace OrleansUws.Grains.Admission;

/// <summary>The registry's admission verdicts in words: pure functions, testable without a cluster.</summary>
public static class AdmissionRules
{
    /// <summary>
    /// Why a model does not have the fleet's architecture (the first differing layer with both shapes, from
    /// <see cref="FormatsArchitecture.EnsureCompatible"/>), or null when it does.
    /// </summary>
    public static string? Mismatch(IReadOnlyDictionary<string, LayerShape> fleet, IReadOnlyDictionary<string, LayerShape> model, string location)
    {
        try
        {
            ToFormats(fleet).EnsureCompatible(ToFormats(model), location);
            return null;
        }
        catch (ModelFormatException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Why a different file cannot take the place of an absorbed model under its id.</summary>
    public static string Replaced(ModelRecord absorbed, AdmissionResult submitted) =>
        $"{absorbed.ModelId}: a different model (content {Short(submitted.ContentHash)}) was submitted under the id of an absorbed one "
        + $"(content {Short(absorbed.ContentHash)}, from {absorbed.Location}); delete the absorbed model first to replace it";

    /// <summary>Why <paramref name="layers"/> cannot be the architecture of a flattened-mode fleet, or null.</summary>
    public static string? FlattenedFit(FleetSettings settings, IReadOnlyDictionary<string, LayerShape> layers)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Modes.Contains(SketchMode.Flattened))
        {
            return null;
        }

        var failures = new List<string>();
        FleetSettingsRules.ValidateFlattened(layers, settings.FlattenedSliceCount, settings.Centered, failures);
        return failures.Count == 0 ? null : string.Join(" ", failures);
    }

    private static FormatsArchitecture ToFormats(IReadOnlyDictionary<string, LayerShape> layers) =>
        new(layers.ToDictionary(p => p.Key, p => new FormatsShape(p.Value.Rows, p.Value.Columns)));

    private static string Short(string? hash) => hash is null ? "unknown" : hash[..Math.Min(12, hash.Length)];
}
