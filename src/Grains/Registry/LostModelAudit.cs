using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// Finds models the registry lists as absorbed that a slice no longer holds (lost when its silo failed before the slice
/// checkpointed them). Flattened layers are skipped: their coordinator writes its id set with every model, its column
/// slices refuse rows out of step with it, and the registry rebuilds such a layer (docs/cluster.md).
/// </summary>
public static class LostModelAudit
{
    /// <summary>
    /// Asks each of <paramref name="slices"/> which models it holds; returns, per model of <paramref name="absorbed"/>
    /// assigned to one of them but missing from it, the layers (with mode) that lost it, ordered by model id.
    /// </summary>
    public static async Task<IReadOnlyList<(string ModelId, IReadOnlyList<string> Layers)>> FindAsync(
        IGrainFactory grains, IReadOnlyList<(LayerConfiguration Layer, int Slice)> slices, IReadOnlyList<string> absorbed)
    {
        ArgumentNullException.ThrowIfNull(grains);
        slices = slices.Where(s => s.Layer.Mode != SketchMode.Flattened).ToArray();
        if (absorbed.Count == 0 || slices.Count == 0)
        {
            return [];
        }

        var held = await Task.WhenAll(slices.Select(s =>
            grains.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(s.Layer.Fleet, s.Layer.Layer, s.Layer.Mode, s.Slice)).GetModelIdsAsync()));
        var lostBy = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < slices.Count; i++)
        {
            var (layer, slice) = slices[i];
            var ids = held[i].ToHashSet(StringComparer.Ordinal);
            foreach (var id in absorbed.Where(id => UwsKeys.SliceOf(id, layer.SliceCount) == slice && !ids.Contains(id)))
            {
                (lostBy.TryGetValue(id, out var layers) ? layers : lostBy[id] = []).Add($"'{layer.Layer}' ({UwsKeys.ModeName(layer.Mode)})");
            }
        }

        return lostBy.Select(p => (p.Key, (IReadOnlyList<string>)p.Value)).ToArray();
    }
}
