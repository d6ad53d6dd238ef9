using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.State;

/// <summary>Persistent state of a <see cref="FleetGrain"/>: configuration, architecture and the outlier baseline (the per-model records are in <see cref="Registry.ModelRecordLog"/>).</summary>
[GenerateSerializer]
public sealed class FleetState
{
    /// <summary>True once the configuration is fixed (declared, or taken from the defaults by the first model).</summary>
    [Id(0)] public bool Configured { get; set; }

    /// <summary>Modes maintained per layer.</summary>
    [Id(1)] public List<SketchMode> Modes { get; set; } = [];

    /// <summary>Whether bases are centred.</summary>
    [Id(2)] public bool Centered { get; set; }

    /// <summary>Slice grains per layer and mode.</summary>
    [Id(3)] public int SliceCount { get; set; }

    /// <summary>Sketch settings.</summary>
    [Id(4)] public SketchSettings? Sketch { get; set; }

    /// <summary>Basis policy.</summary>
    [Id(5)] public BasisPolicy? Basis { get; set; }

    /// <summary>Architecture: layer id → shape; empty until declared or set by the first model.</summary>
    [Id(6)] public Dictionary<string, LayerShape> Layers { get; set; } = [];

    // Id 7 held every model's record in this state (written whole per model); records now live in ModelRecordLog.

    /// <summary>True once every layer coordinator has been given its configuration.</summary>
    [Id(8)] public bool CoordinatorsConfigured { get; set; }

    /// <summary>Column-slice grains per layer in flattened mode.</summary>
    [Id(9)] public int FlattenedSliceCount { get; set; }

    /// <summary>Models that must agree on an undeclared architecture.</summary>
    [Id(10)] public int ArchitectureQuorum { get; set; }

    /// <summary>Outlier quarantine factor (0 = off).</summary>
    [Id(11)] public double OutlierFactor { get; set; }

    /// <summary>The outlier baseline's norm samples per layer (saved now and then; a sample, not a record).</summary>
    [Id(12)] public Dictionary<string, List<double>> NormSamples { get; set; } = [];

    /// <summary>Models the outlier baseline has seen.</summary>
    [Id(13)] public long NormModels { get; set; }
}
