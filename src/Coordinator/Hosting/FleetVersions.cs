using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Hosting;

/// <summary>On-demand basis versions for a whole fleet.</summary>
public static class FleetVersions
{
    /// <summary>
    /// Asks every layer coordinator of <paramref name="fleet"/> (every layer × mode, in parallel) for a version
    /// covering every model absorbed so far; returns the versions of the layers that have one.
    /// </summary>
    public static async Task<IReadOnlyList<BasisVersionInfo>> ComputeNowAsync(IGrainFactory grains, string fleet)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var description = await grains.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet)).GetDescriptionAsync().ConfigureAwait(false);
        var versions = await Task.WhenAll(description.Layers.SelectMany(layer => description.Modes.Select(mode =>
            grains.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer.Layer, mode)).ComputeNowAsync()))).ConfigureAwait(false);
        return versions.OfType<BasisVersionInfo>().ToArray();
    }
}
