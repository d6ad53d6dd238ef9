using Orleans.Placement;

namespace OrleansUws.Grains.Placement;

/// <summary>Places the grain class with <see cref="GpuSpreadPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GpuSpreadPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public GpuSpreadPlacementAttribute()
        : base(GpuSpreadPlacement.Instance)
    {
    }
}
