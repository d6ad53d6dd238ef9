using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// The fleet-level flush: checkpoints the slices a set of models belongs to, in every rows and columns layer, and says
/// which of the models every one of them holds durably (<see cref="IFleetGrain.FlushAsync"/>).
/// </summary>
public static class SliceCheckpoints
{
    /// <summary>
    /// Calls <see cref="ILayerSliceGrain.CheckpointModelsAsync"/> once per affected slice, and for a flattened layer
    /// <see cref="ILayerCoordinatorGrain.CheckpointFlattenedAsync"/> (every model is in all of its column slices), all at
    /// once; returns the ids of <paramref name="modelIds"/> that nothing reported missing and whose grains all answered, ordered.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FlushAsync(IGrainFactory grains, IReadOnlyList<LayerConfiguration> layers, IReadOnlyList<string> modelIds)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(modelIds);
        var ids = modelIds.Distinct(StringComparer.Ordinal).ToArray();
        var calls = layers.SelectMany(layer => layer.Mode == SketchMode.Flattened
            ? [CheckpointAsync(ids, () => grains.GetGrain<ILayerCoordinatorGrain>(layer.CoordinatorKey).CheckpointFlattenedAsync(ids))]
            : ids.GroupBy(id => UwsKeys.SliceOf(id, layer.SliceCount)).Select(group =>
            {
                var slice = grains.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(layer.Fleet, layer.Layer, layer.Mode, group.Key));
                var members = group.ToArray();
                return CheckpointAsync(members, () => slice.CheckpointModelsAsync(members));
            }));
        var notDurable = (await Task.WhenAll(calls)).SelectMany(missing => missing).ToHashSet(StringComparer.Ordinal);
        return ids.Where(id => !notDurable.Contains(id)).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The ids <paramref name="checkpoint"/> reports missing; all of <paramref name="ids"/> when it fails.</summary>
    private static async Task<IReadOnlyList<string>> CheckpointAsync(string[] ids, Func<Task<IReadOnlyList<string>>> checkpoint)
    {
        try
        {
            return await checkpoint();
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            // The grain's silo or storage failed: none of its models is known to be durable; the caller asks again later.
            return ids;
        }
    }
}
