using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Options;

/// <summary>A fleet's effective settings: its <see cref="FleetConfiguration"/> with the silo defaults filled in.</summary>
/// <param name="Modes">Modes, distinct, in the order given.</param>
/// <param name="Centered">Centring.</param>
/// <param name="Layers">Declared architecture (empty when the first model sets it).</param>
/// <param name="SliceCount">Slices per layer and mode.</param>
/// <param name="Sketch">Sketch settings.</param>
/// <param name="Basis">Basis policy.</param>
/// <param name="FlattenedSliceCount">Column slices per layer in flattened mode.</param>
/// <param name="ArchitectureQuorum">Models that must agree on an undeclared architecture.</param>
/// <param name="OutlierFactor">Outlier quarantine factor (0 = off).</param>
public sealed record FleetSettings(
    IReadOnlyList<SketchMode> Modes,
    bool Centered,
    IReadOnlyDictionary<string, LayerShape> Layers,
    int SliceCount,
    SketchSettings Sketch,
    BasisPolicy Basis,
    int FlattenedSliceCount,
    int ArchitectureQuorum,
    double OutlierFactor)
{
    /// <summary>
    /// Fills the nulls of <paramref name="configuration"/> from <paramref name="defaults"/> and validates the result.
    /// </summary>
    /// <exception cref="ArgumentException">Lists every invalid field, prefixed by <paramref name="owner"/>.</exception>
    public static FleetSettings Resolve(FleetConfiguration configuration, UwsClusterOptions defaults, string owner)
    {
        var failures = new List<string>();
        var modes = configuration.Modes is { Count: > 0 } given ? given : [SketchMode.Rows];
        foreach (var mode in modes.Where(m => !Enum.IsDefined(m)))
        {
            failures.Add($"Modes contains an unknown mode ({(int)mode}).");
        }

        if (modes.Distinct().Count() != modes.Count)
        {
            failures.Add($"Modes lists a mode twice ({string.Join(", ", modes)}).");
        }

        var layers = configuration.Layers ?? new Dictionary<string, LayerShape>();
        foreach (var (layer, shape) in layers)
        {
            if (string.IsNullOrWhiteSpace(layer) || layer.Contains('/'))
            {
                failures.Add($"Layers: layer id '{layer}' must be non-empty and must not contain '/'.");
            }

            if (shape is null || shape.Rows < 1 || shape.Columns < 1)
            {
                failures.Add($"Layers: layer '{layer}' has an invalid shape ({shape?.ToString() ?? "null"}).");
            }
        }

        var sliceCount = configuration.SliceCount ?? defaults.SliceCount;
        var sketch = configuration.Sketch ?? defaults.ToSketchSettings();
        var basis = configuration.Basis ?? defaults.ToBasisPolicy();
        var flattenedSliceCount = configuration.FlattenedSliceCount ?? defaults.FlattenedSliceCount;
        var quorum = configuration.ArchitectureQuorum ?? defaults.ArchitectureQuorum;
        var outlierFactor = configuration.OutlierFactor ?? defaults.OutlierFactor;
        if (quorum < 1)
        {
            failures.Add($"ArchitectureQuorum must be at least 1 (was {quorum}).");
        }

        FleetSettingsRules.ValidateOutlierFactor(outlierFactor, string.Empty, failures);
        FleetSettingsRules.ValidateSliceCount(sliceCount, string.Empty, failures);
        FleetSettingsRules.ValidateSliceCount(flattenedSliceCount, "Flattened", failures);
        if (modes.Contains(SketchMode.Flattened))
        {
            FleetSettingsRules.ValidateFlattened(layers, flattenedSliceCount, configuration.Centered, failures);
        }

        FleetSettingsRules.Validate(sketch, "Sketch.", failures);
        FleetSettingsRules.Validate(basis, sketch, "Basis.", failures);
        if (failures.Count > 0)
        {
            throw new ArgumentException($"Invalid configuration of {owner}: {string.Join(" ", failures)}", nameof(configuration));
        }

        return new FleetSettings(modes.ToArray(), configuration.Centered, layers, sliceCount, sketch, basis, flattenedSliceCount, quorum, outlierFactor);
    }

    /// <summary>The settings a registry's state holds.</summary>
    public static FleetSettings From(FleetState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new FleetSettings(
            state.Modes, state.Centered, state.Layers, state.SliceCount, state.Sketch!, state.Basis!, state.FlattenedSliceCount,
            state.ArchitectureQuorum, state.OutlierFactor);
    }

    /// <summary>Fixes these settings (not the architecture) in a registry's state.</summary>
    public void ApplyTo(FleetState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Configured = true;
        state.Modes = [.. Modes];
        state.Centered = Centered;
        state.SliceCount = SliceCount;
        state.FlattenedSliceCount = FlattenedSliceCount;
        state.Sketch = Sketch;
        state.Basis = Basis;
        state.ArchitectureQuorum = ArchitectureQuorum;
        state.OutlierFactor = OutlierFactor;
    }

    /// <summary>
    /// The configuration of every layer and mode of fleet <paramref name="fleet"/>: layers in ordinal order, each in the
    /// modes in the order given (flattened layers with <see cref="FlattenedSliceCount"/> column slices).
    /// </summary>
    public IReadOnlyList<LayerConfiguration> LayerConfigurations(string fleet) =>
        Layers.OrderBy(p => p.Key, StringComparer.Ordinal)
            .SelectMany(p => Modes.Select(mode => new LayerConfiguration(
                fleet, p.Key, mode, p.Value, mode == SketchMode.Flattened ? FlattenedSliceCount : SliceCount, Centered, Sketch, Basis)))
            .ToArray();

    /// <summary>Whether both settings are equal field by field (architecture compared as a set of entries).</summary>
    public bool SameAs(FleetSettings other) => Difference(other) is null;

    /// <summary>The first field that differs, as "Field: this vs other"; null when none does.</summary>
    public string? Difference(FleetSettings other)
    {
        if (!Modes.SequenceEqual(other.Modes))
        {
            return $"Modes: {string.Join(",", Modes)} vs {string.Join(",", other.Modes)}";
        }

        if (Centered != other.Centered)
        {
            return $"Centered: {Centered} vs {other.Centered}";
        }

        if (SliceCount != other.SliceCount)
        {
            return $"SliceCount: {SliceCount} vs {other.SliceCount}";
        }

        if (FlattenedSliceCount != other.FlattenedSliceCount)
        {
            return $"FlattenedSliceCount: {FlattenedSliceCount} vs {other.FlattenedSliceCount}";
        }

        if (ArchitectureQuorum != other.ArchitectureQuorum)
        {
            return $"ArchitectureQuorum: {ArchitectureQuorum} vs {other.ArchitectureQuorum}";
        }

        if (OutlierFactor != other.OutlierFactor)
        {
            return $"OutlierFactor: {OutlierFactor} vs {other.OutlierFactor}";
        }

        if (Sketch != other.Sketch)
        {
            return $"Sketch: {Sketch} vs {other.Sketch}";
        }

        if (Basis != other.Basis)
        {
            return $"Basis: {Basis} vs {other.Basis}";
        }

        // A configuration that declares no layers keeps the architecture already set.
        if (other.Layers.Count > 0 && (Layers.Count != other.Layers.Count
            || Layers.Any(p => !other.Layers.TryGetValue(p.Key, out var s) || s != p.Value)))
        {
            return "Layers differ";
        }

        return null;
    }
}
