using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Registry;

/// <summary>Routes an admitted model to the grain that absorbs it in one layer and mode, and classifies the outcome.</summary>
public static class SliceRouting
{
    /// <summary>
    /// Absorbs the model into its slice of one layer (flattened layers: through their coordinator, which owns the order
    /// of the rows). A failure is a model fault when the slice refused the data (<see cref="InvalidDataException"/>) or
    /// the request (<see cref="ArgumentException"/>); anything else (timeouts, lost silos) is the cluster's fault.
    /// </summary>
    public static async Task<(LayerConfiguration Layer, AbsorbResult? Result, string? Error, bool ModelFault)> AbsorbAsync(
        IGrainFactory grains, ModelReference model, LayerConfiguration layer)
    {
        try
        {
            var result = layer.Mode == SketchMode.Flattened
                ? await grains.GetGrain<ILayerCoordinatorGrain>(layer.CoordinatorKey).AbsorbFlattenedAsync(model, layer)
                : await grains.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(layer.Fleet, layer.Layer, layer.Mode, UwsKeys.SliceOf(model.ModelId, layer.SliceCount))).AbsorbAsync(model, layer);
            return (layer, result, null, false);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
        {
            return (layer, null, ex.Message, true);
        }
        catch (Exception ex)
        {
            return (layer, null, $"{ex.GetType().Name}: {ex.Message}", false);
        }
    }
}
