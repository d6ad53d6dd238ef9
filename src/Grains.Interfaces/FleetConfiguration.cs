namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// What a client declares about a fleet before (or instead of) letting the first model define it. Null
/// members take the silo's defaults (<c>Uws:Cluster</c> configuration section).
/// </summary>
/// <param name="Modes">Modes maintained for every layer; null or empty = rows only.</param>
/// <param name="Centered">Whether the fleet mean is subtracted before the basis is computed.</param>
/// <param name="Layers">Declared architecture (layer id → shape); null = set by the first models that agree (<paramref name="ArchitectureQuorum"/>).</param>
/// <param name="SliceCount">Slice grains per layer and mode; null = silo default.</param>
/// <param name="Sketch">Sketch settings; null = silo default.</param>
/// <param name="Basis">Basis policy; null = silo default.</param>
/// <param name="FlattenedSliceCount">
/// Flattened mode: column-slice grains per layer (each owns whole rows of W, so at most m); null = silo default.
/// </param>
/// <param name="ArchitectureQuorum">
/// When <paramref name="Layers"/> is not declared: how many models must agree on an architecture before it becomes the
/// fleet's (the first models wait for it); null = silo default.
/// </param>
/// <param name="OutlierFactor">
/// A model whose norm in some layer exceeds this many times the fleet's median for that layer is quarantined (0 = off);
/// null = silo default.
/// </param>
[GenerateSerializer, Immutable]
public sealed record FleetConfiguration(
    [property: Id(0)] IReadOnlyList<SketchMode>? Modes = null,
    [property: Id(1)] bool Centered = false,
    [property: Id(2)] IReadOnlyDictionary<string, LayerShape>? Layers = null,
    [property: Id(3)] int? SliceCount = null,
    [property: Id(4)] SketchSettings? Sketch = null,
    [property: Id(5)] BasisPolicy? Basis = null,
    [property: Id(6)] int? FlattenedSliceCount = null,
    [property: Id(7)] int? ArchitectureQuorum = null,
    [property: Id(8)] double? OutlierFactor = null);
