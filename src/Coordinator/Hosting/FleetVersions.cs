using System.Collections.Concurrent;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Hosting;

/// <summary>On-demand basis versions for a whole fleet.</summary>
public static class FleetVersions
{
    /// <summary>Default number of layers computing at once: enough to keep the cores busy without queueing every layer behind every other.</summary>
    public static int DefaultConcurrency => Math.Max(2, Environment.ProcessorCount);

    /// <summary>
    /// Asks every layer coordinator of <paramref name="fleet"/> (every layer × mode, at most
    /// <paramref name="concurrency"/> at once) for a version covering every model absorbed so far; returns the
    /// versions of the layers that have one, in the registry's layer order.
    /// </summary>
    public static async Task<IReadOnlyList<BasisVersionInfo>> ComputeNowAsync(
        IGrainFactory grains, string fleet, int? concurrency = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var description = await grains.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet)).GetDescriptionAsync().ConfigureAwait(false);
        var keys = description.Layers.SelectMany(layer => description.Modes.Select(mode => UwsKeys.Coordinator(fleet, layer.Layer, mode))).ToArray();
        var versions = new ConcurrentDictionary<string, BasisVersionInfo>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            keys,
            new ParallelOptions { MaxDegreeOfParallelism = concurrency ?? DefaultConcurrency, CancellationToken = cancellationToken },
            async (key, _) =>
            {
                if (await grains.GetGrain<ILayerCoordinatorGrain>(key).ComputeNowAsync().ConfigureAwait(false) is { } version)
                {
                    versions[key] = version;
                }
            }).ConfigureAwait(false);
        return keys.Where(versions.ContainsKey).Select(k => versions[k]).ToArray();
    }

    /// <summary>
    /// Asks every layer coordinator of <paramref name="fleet"/> to capture a version of the models absorbed so far, or
    /// of the version <paramref name="cut"/>'s models when &gt; 0 (<see cref="ILayerCoordinatorGrain.CaptureVersionAsync"/>),
    /// and returns once all have: the versions are solved in the background while the caller goes on ingesting;
    /// <see cref="ComputeNowAsync"/> waits for them.
    /// </summary>
    public static async Task CaptureNowAsync(IGrainFactory grains, string fleet, int cut, CancellationToken cancellationToken = default)
    {
        var coordinators = await CoordinatorsAsync(grains, fleet).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        await Task.WhenAll(coordinators.Select(c => c.CaptureVersionAsync(cut))).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until every layer coordinator of <paramref name="fleet"/> has published the versions it captured
    /// (<see cref="ILayerCoordinatorGrain.PublishCapturedAsync"/>): from then on every slice measures new models against them.
    /// </summary>
    public static async Task PublishCapturedAsync(IGrainFactory grains, string fleet, CancellationToken cancellationToken = default)
    {
        var coordinators = await CoordinatorsAsync(grains, fleet).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        await Task.WhenAll(coordinators.Select(c => c.PublishCapturedAsync())).ConfigureAwait(false);
    }

    /// <summary>The coordinator of every layer × mode of <paramref name="fleet"/>, in the registry's layer order.</summary>
    private static async Task<ILayerCoordinatorGrain[]> CoordinatorsAsync(IGrainFactory grains, string fleet)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var description = await grains.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet)).GetDescriptionAsync().ConfigureAwait(false);
        return description.Layers
            .SelectMany(layer => description.Modes.Select(mode => grains.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer.Layer, mode))))
            .ToArray();
    }
}
