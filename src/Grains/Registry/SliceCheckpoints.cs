using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// The fleet-level flush: checkpoints the slices a set of models belongs to, in every rows and columns layer, and says
/// which of the models every one of them holds durably (<see cref="IFleetGrain.FlushAsync"/>).
/// </summary>
public static class SliceCheckpoints
{
    /// <summary>
    /// Calls <see cref="ILayerSliceGrain.CheckpointModelsAsync"/> once per affected slice (all at once) and returns the ids
    /// of <paramref name="modelIds"/> that no slice reported missing and whose slices all answered, ordered. Flattened
    /// layers are skipped (their column slices checkpoint on their own cadence).
    /// </summary>
    public static async Task<IReadOnlyList<string>> FlushAsync(IGrainFactory grains, IReadOnlyList<LayerConfiguration> layers, IReadOnlyList<string> modelIds)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(modelIds);
        var ids = modelIds.Distinct(StringComparer.Ordinal).ToArray();
        var calls = layers
            .Where(layer => layer.Mode != SketchMode.Flattened)
            .SelectMany(layer => ids.GroupBy(id => UwsKeys.SliceOf(id, layer.SliceCount)).Select(group => CheckpointAsync(grains, layer, group.Key, group.ToArray())));
        var notDurable = (await Task.WhenAll(calls)).SelectMany(missing => missing).ToHashSet(StringComparer.Ordinal);
        return ids.Where(id => !notDurable.Contains(id)).Order(StringComparer.Ordinal).ToArray();
    }

    private static async Task<IReadOnlyList<string>> CheckpointAsync(IGrainFactory grains, LayerConfiguration layer, int slice, string[] ids)
    {
        try
        {
            return await grains.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(layer.Fleet, layer.Layer, layer.Mode, slice)).CheckpointModelsAsync(ids);
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            // The slice's silo or storage failed: none of its models is known to be durable; the caller asks again later.
            return ids;
        }
    }
}
