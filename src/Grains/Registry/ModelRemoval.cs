using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// Removes a deleted model from every layer. In rows and columns modes only the one slice of each layer that holds it
/// changes: an exact-Gram or Nyström slice subtracts the model's rows (O(d²) or O(d·s), whatever the fleet's size); a Frequent Directions
/// slice, which cannot subtract, or one whose model file no longer holds what was absorbed (its content hash, checked
/// once per deletion), is emptied and re-reads its remaining models. A flattened layer (Frequent Directions over vec(W), every model in every column slice) appends its
/// remaining models again, in the order the registry recorded them. Either way the layer then equals one that never saw the model.
/// </summary>
public static class ModelRemoval
{
    /// <summary>
    /// Removes <paramref name="model"/> (whose recorded content hash is <paramref name="contentHash"/>) from every layer
    /// of <paramref name="layers"/>, in parallel; <paramref name="remaining"/> are the absorbed models that stay. Returns,
    /// per layer, whether it subtracted the model and what was done. <paramref name="remaining"/> is in the order the
    /// registry first recorded the models, the order a rebuilt flattened layer appends them.
    /// </summary>
    public static async Task<IReadOnlyList<LayerRemoval>> RemoveAsync(
        IGrainFactory grains, IReadOnlyList<LayerConfiguration> layers, ModelReference model, string? contentHash, IReadOnlyList<ModelRecord> remaining)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(remaining);

        // Subtracting rows is exact only if they are the rows absorbed: the file is hashed once here, not per slice.
        string? changed = null;
        if (contentHash is not null && layers.Any(Subtracts))
        {
            var hash = await grains.GetGrain<IModelAdmissionGrain>(0).ContentHashAsync(model.Location);
            changed = hash is null ? $"{model.Location} cannot be read" : hash != contentHash ? $"{model.Location} no longer holds the content absorbed" : null;
        }

        return await Task.WhenAll(layers.Select(async layer =>
        {
            if (layer.Mode == SketchMode.Flattened)
            {
                var held = await grains.GetGrain<ILayerCoordinatorGrain>(layer.CoordinatorKey)
                    .RebuildFlattenedAsync(remaining.Select(m => new ModelReference(m.ModelId, m.Location)).ToArray());
                return new LayerRemoval(layer, Subtracted: false, $"rebuilt from its {held} remaining models (Frequent Directions cannot subtract)");
            }

            int slice = UwsKeys.SliceOf(model.ModelId, layer.SliceCount);
            var grain = grains.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(layer.Fleet, layer.Layer, layer.Mode, slice));
            var removal = changed is not null && Subtracts(layer) ? new SliceRemoval(false, changed) : await grain.RemoveAsync(model, layer);
            if (removal.Removed)
            {
                return new LayerRemoval(layer, Subtracted: true, removal.Detail);
            }

            var kept = remaining.Where(m => UwsKeys.SliceOf(m.ModelId, layer.SliceCount) == slice).ToArray();
            await grain.ResetAsync();
            foreach (var other in kept)
            {
                await grain.AbsorbAsync(new ModelReference(other.ModelId, other.Location), layer, cut: 0);
            }

            return new LayerRemoval(layer, Subtracted: false, $"slice {slice} rebuilt from its {kept.Length} remaining models ({removal.Detail})");
        }));
    }

    /// <summary>Whether the slices of <paramref name="layer"/> keep a sketch that subtracts a model (exact Gram or Nyström).</summary>
    private static bool Subtracts(LayerConfiguration layer) =>
        layer.Mode != SketchMode.Flattened && LayerSliceGrain.SketchOptionsFor(layer).Kind.CanSubtract();
}

/// <summary>What <see cref="ModelRemoval.RemoveAsync"/> did to one layer.</summary>
/// <param name="Layer">The layer.</param>
/// <param name="Subtracted">True when its exact-Gram or Nyström sketch subtracted the model; false when its slice was rebuilt.</param>
/// <param name="Detail">What was done.</param>
public sealed record LayerRemoval(LayerConfiguration Layer, bool Subtracted, string Detail)
{
    /// <summary>"layer (mode)".</summary>
    public string Name => $"{Layer.Layer} ({UwsKeys.ModeName(Layer.Mode)})";
}
