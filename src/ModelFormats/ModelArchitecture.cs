namespace OrleansUws.ModelFormats;

/// <summary>
/// Fleet identity: the layer ids of a model and each layer's canonical shape m × n. Models of one fleet must have
/// the same architecture (LoRA ranks may differ between models; they are not part of it).
/// </summary>
public sealed class ModelArchitecture
{
    /// <summary>Creates an architecture from layer shapes.</summary>
    /// <param name="layers">Layer id → shape.</param>
    public ModelArchitecture(IReadOnlyDictionary<string, LayerShape> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = new SortedDictionary<string, LayerShape>(layers.ToDictionary(), StringComparer.Ordinal);
    }

    /// <summary>Layer id → shape, sorted by id.</summary>
    public IReadOnlyDictionary<string, LayerShape> Layers { get; }

    /// <summary>
    /// Checks that a model has exactly this architecture; throws naming the first (by id) layer that differs and both shapes.
    /// </summary>
    /// <param name="model">The model's architecture.</param>
    /// <param name="modelPath">The model's path, for the message.</param>
    /// <exception cref="ModelFormatException">
    /// The model has no layer of the fleet's, a layer's shape differs, or a layer is missing from or extra to the model.
    /// </exception>
    public void EnsureCompatible(ModelArchitecture model, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Layers.Count > 0 && model.Layers.Count > 0 && !model.Layers.Keys.Any(Layers.ContainsKey))
        {
            // Not one layer to compare: another base model, or a dense checkpoint among adapters (their ids differ).
            throw new ModelFormatException(modelPath, null,
                $"no layer in common with the fleet: the model's {model.Layers.Count} layer(s) start with '{model.Layers.Keys.First()}', " +
                $"the fleet's {Layers.Count} with '{Layers.Keys.First()}' (another architecture or base model)");
        }

        foreach ((string layerId, LayerShape expected) in Layers)
        {
            if (!model.Layers.TryGetValue(layerId, out LayerShape actual))
            {
                throw new ModelFormatException(modelPath, layerId, $"layer is missing from the model; the fleet has it as {expected}");
            }

            if (actual != expected)
            {
                throw new ModelFormatException(modelPath, layerId, $"layer shape {actual} differs from the fleet's {expected}");
            }
        }

        foreach ((string layerId, LayerShape actual) in model.Layers)
        {
            if (!Layers.ContainsKey(layerId))
            {
                throw new ModelFormatException(modelPath, layerId, $"layer ({actual}) is not part of the fleet's architecture");
            }
        }
    }
}
