using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.ModelFormats.Peft;

/// <summary>
/// Writes a PEFT adapter folder (<c>adapter_model.safetensors</c> with <c>base_model.model.&lt;module&gt;.lora_A/B.weight</c>
/// keys, then <c>adapter_config.json</c>) layer by layer, streaming: generated fleets and merged adapters.
/// The config is written last, so a folder with a config always has complete weights.
/// </summary>
public sealed class LoraAdapterWriter : IDisposable
{
    private readonly string _folder;
    private readonly LoraAdapterConfig _config;
    private readonly IReadOnlyList<FleetLayerSpec> _layers;
    private readonly SafetensorsWriter _weights;
    private int _next;

    /// <summary>Creates the folder and starts the weights file.</summary>
    /// <param name="folder">The adapter folder (created if needed).</param>
    /// <param name="config">The config; a layer's rank is <see cref="LoraAdapterConfig.RankOf"/> its module path (r unless <c>rank_pattern</c> names it).</param>
    /// <param name="layers">Module paths and shapes (m × n), in the order they will be written.</param>
    /// <param name="dtype">Element type on disk.</param>
    /// <param name="metadata">The weights file's <c>__metadata__</c>.</param>
    public LoraAdapterWriter(string folder, LoraAdapterConfig config, IReadOnlyList<FleetLayerSpec> layers, TensorDType dtype,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layers);
        _folder = folder;
        _config = config;
        _layers = layers;
        Directory.CreateDirectory(folder);
        var specs = new List<TensorSpec>(layers.Count * 2);
        foreach (FleetLayerSpec layer in layers)
        {
            int rank = config.RankOf(layer.ModulePath);
            specs.Add(new TensorSpec(PeftKeys.LoraKey(layer.ModulePath, LoraFactor.A), dtype, [rank, layer.InFeatures]));
            specs.Add(new TensorSpec(PeftKeys.LoraKey(layer.ModulePath, LoraFactor.B), dtype, [layer.OutFeatures, rank]));
        }

        _weights = new SafetensorsWriter(Path.Combine(folder, LoraAdapter.WeightsFileName), specs, metadata);
    }

    /// <summary>Writes the next layer's factors.</summary>
    /// <param name="a">A, r × n, row-major.</param>
    /// <param name="b">B, m × r, row-major.</param>
    /// <exception cref="ArgumentException">A factor's length does not match the layer.</exception>
    /// <exception cref="InvalidOperationException">Every layer has been written.</exception>
    public void WriteLayer(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (_next == _layers.Count)
        {
            throw new InvalidOperationException($"All {_layers.Count} layers of '{_folder}' are written.");
        }

        FleetLayerSpec layer = _layers[_next];
        int rank = _config.RankOf(layer.ModulePath);
        if (a.Length != rank * layer.InFeatures || b.Length != layer.OutFeatures * rank)
        {
            throw new ArgumentException(
                $"Layer '{layer.ModulePath}' needs A {rank}×{layer.InFeatures} and B {layer.OutFeatures}×{rank}; got {a.Length} and {b.Length} values.");
        }

        _weights.Write(a);
        _weights.Write(b);
        _next++;
    }

    /// <summary>Completes the weights file and writes <c>adapter_config.json</c>.</summary>
    public void Complete()
    {
        _weights.Complete();
        _config.Save(Path.Combine(_folder, LoraAdapterConfig.FileName));
    }

    /// <summary>Closes the weights file (deleting it if incomplete).</summary>
    public void Dispose() => _weights.Dispose();
}
