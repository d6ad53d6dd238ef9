namespace OrleansUws.Grains.Placement;

/// <summary>
/// Placement of slice grains: eligible silos are those advertising a GPU (<see cref="GpuSiloMetadata"/>), or all
/// compatible silos when none does; among them a slice goes to a silo chosen deterministically from its key so
/// that the slices of one layer land on every eligible silo. See <see cref="GpuSpreadPlacementDirector"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class GpuSpreadPlacement : PlacementStrategy
{
    /// <summary>The single instance used by <see cref="GpuSpreadPlacementAttribute"/>.</summary>
    public static readonly GpuSpreadPlacement Instance = new();
}
