namespace OrleansUws.Grains.Interfaces;

/// <summary>A fleet as its registry grain describes it.</summary>
/// <param name="Fleet">Fleet name.</param>
/// <param name="Modes">Modes maintained per layer.</param>
/// <param name="Centered">Whether bases are computed about the fleet mean.</param>
/// <param name="Layers">Architecture: layer id → shape, in a stable (ordinal) order; empty until set.</param>
/// <param name="SliceCount">Slice grains per layer and mode.</param>
/// <param name="Sketch">Sketch settings in force.</param>
/// <param name="Basis">Basis policy in force.</param>
/// <param name="Counts">Models per status.</param>
/// <param name="FlattenedSliceCount">Column-slice grains per layer in flattened mode.</param>
/// <param name="ArchitectureQuorum">Models that must agree on an undeclared architecture.</param>
/// <param name="OutlierFactor">Outlier quarantine factor (0 = off).</param>
[GenerateSerializer, Immutable]
public sealed record FleetDescription(
    [property: Id(0)] string Fleet,
    [property: Id(1)] IReadOnlyList<SketchMode> Modes,
    [property: Id(2)] bool Centered,
    [property: Id(3)] IReadOnlyList<LayerEntry> Layers,
    [property: Id(4)] int SliceCount,
    [property: Id(5)] SketchSettings Sketch,
    [property: Id(6)] BasisPolicy Basis,
    [property: Id(7)] ModelCounts Counts,
    [property: Id(8)] int FlattenedSliceCount = 0,
    [property: Id(9)] int ArchitectureQuorum = 0,
    [property: Id(10)] double OutlierFactor = 0);
