using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// Rebuilds layers from a set of models: every slice is emptied and re-reads the models assigned to it. This is how a
/// deleted model leaves a Frequent Directions sketch (which cannot subtract), and exact-Gram sketches are rebuilt the same
/// way, so a rebuilt layer equals one that never saw the deleted model.
/// </summary>
public static class LayerRebuild
{
    /// <summary>Rebuilds <paramref name="layers"/> (rows or columns mode) from <paramref name="models"/>, slices in parallel.</summary>
    public static Task RebuildAsync(IGrainFactory grains, IReadOnlyList<LayerConfiguration> layers, IReadOnlyList<ModelRecord> models)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(models);
        return Task.WhenAll(layers.SelectMany(layer => Enumerable.Range(0, layer.SliceCount).Select(async slice =>
        {
            var grain = grains.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(layer.Fleet, layer.Layer, layer.Mode, slice));
            await grain.ResetAsync();
            foreach (var model in models.Where(m => UwsKeys.SliceOf(m.ModelId, layer.SliceCount) == slice))
            {
                await grain.AbsorbAsync(new ModelReference(model.ModelId, model.Location), layer);
            }
        })));
    }
}
