using System.Globalization;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Options;

/// <summary>
/// A fleet's effective settings: its <see cref="FleetConfiguration"/> with the silo defaults filled in. The one type that
/// holds them inside the silo: the registry persists it as is and derives the layers' configurations from it.
/// </summary>
/// <param name="Modes">Modes, distinct, in the order given.</param>
/// <param name="Centered">Centring.</param>
/// <param name="Layers">Declared architecture (empty when the first model sets it).</param>
/// <param name="SliceCount">Slices per layer and mode.</param>
/// <param name="Sketch">Sketch settings.</param>
/// <param name="Basis">Basis policy.</param>
/// <param name="FlattenedSliceCount">Column slices per layer in flattened mode.</param>
/// <param name="ArchitectureQuorum">Models that must agree on an undeclared architecture.</param>
/// <param name="OutlierFactor">Outlier quarantine factor (0 = off).</param>
[GenerateSerializer, Immutable]
public sealed record FleetSettings(
    [property: Id(0)] IReadOnlyList<SketchMode> Modes,
    [property: Id(1)] bool Centered,
    [property: Id(2)] IReadOnlyDictionary<string, LayerShape> Layers,
    [property: Id(3)] int SliceCount,
    [property: Id(4)] SketchSettings Sketch,
    [property: Id(5)] BasisPolicy Basis,
    [property: Id(6)] int FlattenedSliceCount,
    [property: Id(7)] int ArchitectureQuorum,
    [property: Id(8)] double OutlierFactor)
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

        return new FleetSettings(modes.ToArray(), configuration.Centered, new Dictionary<string, LayerShape>(layers), sliceCount, sketch, basis, flattenedSliceCount, quorum, outlierFactor);
    }

    /// <summary>These settings with <paramref name="layers"/> as the architecture (the one agreed after they were fixed).</summary>
    public FleetSettings WithArchitecture(IReadOnlyDictionary<string, LayerShape> layers) =>
        ReferenceEquals(layers, Layers) ? this : this with { Layers = layers };

    /// <summary>
    /// The configuration of every layer and mode of fleet <paramref name="fleet"/>: layers in ordinal order, each in the
    /// modes in the order given (flattened layers with <see cref="FlattenedSliceCount"/> column slices).
    /// </summary>
    public IReadOnlyList<LayerConfiguration> LayerConfigurations(string fleet) =>
        Layers.OrderBy(p => p.Key, StringComparer.Ordinal)
            .SelectMany(p => Modes.Select(mode => new LayerConfiguration(
                fleet, p.Key, mode, p.Value, mode == SketchMode.Flattened ? FlattenedSliceCount : SliceCount, Centered, Sketch, Basis)))
            .ToArray();

    /// <summary>
    /// The first field in which <paramref name="other"/> (settings requested now) differs from these (the settings in
    /// force), as "Field: this vs other"; null when none does. The architecture is compared as a set of entries, and a
    /// request that declares no layers keeps the one in force (a run names its layers separately).
    /// </summary>
    public string? Difference(FleetSettings other)
    {
        if (!Modes.SequenceEqual(other.Modes))
        {
            return $"Modes: {string.Join(",", Modes)} vs {string.Join(",", other.Modes)}";
        }

        // Field by field, so that the message names the one setting that differs (e.g. the τ of a second run).
        (string Field, object This, object Other)[] fields =
        [
            (nameof(Centered), Centered, other.Centered),
            (nameof(SliceCount), SliceCount, other.SliceCount),
            (nameof(FlattenedSliceCount), FlattenedSliceCount, other.FlattenedSliceCount),
            (nameof(ArchitectureQuorum), ArchitectureQuorum, other.ArchitectureQuorum),
            (nameof(OutlierFactor), OutlierFactor, other.OutlierFactor),
            ("Sketch.SketchRows", Sketch.SketchRows, other.Sketch.SketchRows),
            ("Sketch.ExactGramMaxDimension", Sketch.ExactGramMaxDimension, other.Sketch.ExactGramMaxDimension),
            ("Sketch.LargeLayers", Sketch.LargeLayers, other.Sketch.LargeLayers),
            ("Basis.Rank", Basis.Rank, other.Basis.Rank),
            ("Basis.EnergyThreshold", Basis.EnergyThreshold, other.Basis.EnergyThreshold),
            ("Basis.MaxRank", Basis.MaxRank, other.Basis.MaxRank),
            ("Basis.EveryModels", Basis.EveryModels, other.Basis.EveryModels),
            ("Basis.Interval", Basis.Interval, other.Basis.Interval),
            ("Basis.Oversampling", Basis.Oversampling, other.Basis.Oversampling),
            ("Basis.MaxIterations", Basis.MaxIterations, other.Basis.MaxIterations),
            ("Basis.Seed", Basis.Seed, other.Basis.Seed),
        ];
        foreach (var (field, mine, theirs) in fields)
        {
            if (!Equals(mine, theirs))
            {
                return string.Create(CultureInfo.InvariantCulture, $"{field}: {mine} vs {theirs}");
            }
        }

        // A field added to either record later is still compared, if only as the whole record.
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
