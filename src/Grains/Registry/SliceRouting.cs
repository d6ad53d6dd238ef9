using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// Routes an admitted model to the grain that absorbs it in each layer and mode: its slice (by model id), or for a
/// flattened layer its coordinator, which owns the order of the rows. Failures are classified by <see cref="FanOutFaults"/>.
/// </summary>
public static class SliceRouting
{
    /// <summary>
    /// Absorbs the model into its slice of every layer of <paramref name="layers"/> at once; returns why it stays queued
    /// (<see cref="FanOutFaults.Describe"/>), or null when every layer absorbed it, and whether every layer's absorption is
    /// already in storage (<see cref="AbsorbResult.Durable"/>). <paramref name="cut"/>: the version cut the model was
    /// submitted for (<see cref="ILayerSliceGrain.AbsorbAsync"/>; 0: none).
    /// </summary>
    public static async Task<(string? Reason, bool Durable)> AbsorbEverywhereAsync(
        IGrainFactory grains, ModelReference model, IReadOnlyList<LayerConfiguration> layers, int cut)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var outcomes = await Task.WhenAll(layers.Select(layer => AbsorbAsync(grains, model, layer, cut)));
        var reason = FanOutFaults.Describe(outcomes.Select(o => (o.Layer, o.Error, o.ModelFault)).ToArray());
        return (reason, reason is null && outcomes.All(o => o.Result!.Durable));
    }

    /// <summary>Absorbs the model into its slice of one layer; a failure is classified by <see cref="FanOutFaults.Classify"/>.</summary>
    public static async Task<(LayerConfiguration Layer, AbsorbResult? Result, string? Error, bool ModelFault)> AbsorbAsync(
        IGrainFactory grains, ModelReference model, LayerConfiguration layer, int cut)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        try
        {
            var result = layer.Mode == SketchMode.Flattened
                ? await grains.GetGrain<ILayerCoordinatorGrain>(layer.CoordinatorKey).AbsorbFlattenedAsync(model, layer)
                : await grains.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(layer.Fleet, layer.Layer, layer.Mode, UwsKeys.SliceOf(model.ModelId, layer.SliceCount))).AbsorbAsync(model, layer, cut);
            return (layer, result, null, false);
        }
        catch (Exception ex)
        {
            var (error, modelFault) = FanOutFaults.Classify(ex);
            return (layer, null, error, modelFault);
        }
    }

    /// <summary>Configures the coordinator of every layer of <paramref name="layers"/> (idempotent per coordinator).</summary>
    public static Task ConfigureCoordinatorsAsync(IGrainFactory grains, IReadOnlyList<LayerConfiguration> layers)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(layers);
        return Task.WhenAll(layers.Select(l => grains.GetGrain<ILayerCoordinatorGrain>(l.CoordinatorKey).ConfigureAsync(l)));
    }
}
