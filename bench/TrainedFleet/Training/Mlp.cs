namespace OrleansUws.TrainedFleet.Training;

/// <summary>
/// A multilayer perceptron: linear layers with ReLU between them and logits out (softmax cross-entropy is
/// applied by the trainer). Layer i maps <c>Sizes[i]</c> inputs to <c>Sizes[i + 1]</c> outputs.
/// </summary>
public sealed class Mlp
{
    /// <summary>Wraps existing layers; each layer's input width must be the previous layer's output width.</summary>
    public Mlp(IReadOnlyList<DenseLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
        {
            throw new ArgumentException("An MLP needs at least one layer.", nameof(layers));
        }

        for (int i = 1; i < layers.Count; i++)
        {
            if (layers[i].InFeatures != layers[i - 1].OutFeatures)
            {
                throw new ArgumentException(
                    $"Layer '{layers[i].Name}' takes {layers[i].InFeatures} inputs; '{layers[i - 1].Name}' gives {layers[i - 1].OutFeatures}.", nameof(layers));
            }
        }

        Layers = layers;
    }

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<DenseLayer> Layers { get; }

    /// <summary>Input width.</summary>
    public int InputSize => Layers[0].InFeatures;

    /// <summary>Output width (classes).</summary>
    public int OutputSize => Layers[^1].OutFeatures;

    /// <summary>The widest layer output (workspace sizing).</summary>
    public int MaxWidth => Math.Max(InputSize, Layers.Max(l => l.OutFeatures));

    /// <summary>
    /// A new MLP with He-uniform weights (U(±√(6/n))) and zero biases, drawn from <paramref name="seed"/>.
    /// </summary>
    /// <param name="names">One module path per layer.</param>
    /// <param name="sizes">Widths, input first: <c>names.Count + 1</c> values.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    public static Mlp Create(IReadOnlyList<string> names, IReadOnlyList<int> sizes, int seed)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count != names.Count + 1)
        {
            throw new ArgumentException($"{names.Count} layers need {names.Count + 1} sizes; got {sizes.Count}.", nameof(sizes));
        }

        var random = new Random(seed);
        var layers = new DenseLayer[names.Count];
        for (int i = 0; i < layers.Length; i++)
        {
            var layer = new DenseLayer(names[i], sizes[i + 1], sizes[i]);
            double bound = Math.Sqrt(6.0 / sizes[i]);
            for (int j = 0; j < layer.Weight.Length; j++)
            {
                layer.Weight[j] = (float)(((2 * random.NextDouble()) - 1) * bound);
            }

            layers[i] = layer;
        }

        return new Mlp(layers);
    }

    /// <summary>A copy with each layer's W replaced by W + ΔW (a null entry leaves that layer as it is).</summary>
    /// <param name="deltas">One m×n update per layer, or null.</param>
    public Mlp Plus(IReadOnlyList<float[]?> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        if (deltas.Count != Layers.Count)
        {
            throw new ArgumentException($"The MLP has {Layers.Count} layers; got {deltas.Count} updates.", nameof(deltas));
        }

        return new Mlp([.. Layers.Select((l, i) => deltas[i] is { } d ? l.Plus(d) : l)]);
    }
}
