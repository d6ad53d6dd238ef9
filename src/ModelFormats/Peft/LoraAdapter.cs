using System.Numerics.Tensors;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.ModelFormats.Peft;

/// <summary>
/// A PEFT LoRA adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>) seen as layers.
/// Opening validates the pairing of every <c>lora_A</c> with its <c>lora_B</c>, their shapes, and the rank
/// against the config (<c>rank_pattern</c> included). Non-LoRA tensors (e.g. <c>modules_to_save</c>) are ignored.
/// </summary>
public sealed class LoraAdapter : IModelReader
{
    /// <summary>The conventional weights file name.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";

    private readonly SafetensorsFile _file;
    private readonly LayerTable<Factors> _layers;

    private LoraAdapter(string path, LoraAdapterConfig config, SafetensorsFile file, LayerTable<Factors> layers)
    {
        Path = path;
        Config = config;
        _file = file;
        _layers = layers;
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public ModelKind Kind => ModelKind.LoraAdapter;

    /// <summary>The adapter's configuration.</summary>
    public LoraAdapterConfig Config { get; }

    /// <inheritdoc/>
    public IReadOnlyList<LayerInfo> Layers => _layers.Layers;

    /// <inheritdoc/>
    public ModelArchitecture Architecture => _layers.Architecture;

    /// <summary>Opens and validates an adapter folder.</summary>
    /// <param name="folder">The folder.</param>
    /// <returns>The adapter.</returns>
    /// <exception cref="ModelFormatException">The config or weights are missing or defective, or a factor is unpaired or inconsistent.</exception>
    public static LoraAdapter Open(string folder)
    {
        LoraAdapterConfig config = LoraAdapterConfig.Load(System.IO.Path.Combine(folder, LoraAdapterConfig.FileName));
        string weights = System.IO.Path.Combine(folder, WeightsFileName);
        if (!File.Exists(weights))
        {
            throw new ModelFormatException(folder, null,
                File.Exists(System.IO.Path.Combine(folder, "adapter_model.bin"))
                    ? "only adapter_model.bin (pickle) is present; convert it to safetensors"
                    : $"{WeightsFileName} does not exist");
        }

        SafetensorsFile file = SafetensorsFile.Open(weights);
        try
        {
            return new LoraAdapter(folder, config, file, new LayerTable<Factors>(weights, Pair(file, config)));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public LayerInfo GetLayer(string layerId) => _layers.Get(layerId).Info;

    /// <inheritdoc/>
    public double ReadLoraFactors(string layerId, Span<float> a, Span<float> b)
    {
        (_, Factors factors) = _layers.Get(layerId);
        _file.ReadTensor(factors.A.Name, a);
        _file.ReadTensor(factors.B.Name, b);
        return factors.Scaling;
    }

    /// <inheritdoc/>
    public void ReadRows(string layerId, int rowStart, int rowCount, Span<float> destination)
    {
        (LayerInfo layer, Factors factors) = _layers.Get(layerId);
        if (!Guard.InBlock(rowStart, rowCount, layer.OutFeatures))
        {
            throw Guard.BlockOutside(nameof(rowStart), rowStart, rowCount, layer.OutFeatures, $"rows of layer '{layerId}'");
        }

        if (destination.Length != (long)rowCount * layer.InFeatures)
        {
            throw Guard.LengthMismatch(destination.Length, (long)rowCount * layer.InFeatures, $"{rowCount} rows of layer '{layerId}' ({layer.Shape})");
        }

        using var a = new ScratchBuffer<float>(layer.Rank * layer.InFeatures);
        using var b = new ScratchBuffer<float>(rowCount * layer.Rank);
        _file.ReadTensor(factors.A.Name, a.Span);
        _file.ReadRows(factors.B.Name, rowStart, rowCount, b.Span);
        Multiply(b.Span, a.Span, rowCount, layer.Rank, layer.InFeatures, (float)factors.Scaling, destination);
    }

    /// <inheritdoc/>
    public void ReadColumns(string layerId, int columnStart, int columnCount, Span<float> destination)
    {
        (LayerInfo layer, Factors factors) = _layers.Get(layerId);
        if (!Guard.InBlock(columnStart, columnCount, layer.InFeatures))
        {
            throw Guard.BlockOutside(nameof(columnStart), columnStart, columnCount, layer.InFeatures, $"columns of layer '{layerId}'");
        }

        if (destination.Length != (long)layer.OutFeatures * columnCount)
        {
            throw Guard.LengthMismatch(destination.Length, (long)layer.OutFeatures * columnCount, $"{columnCount} columns of layer '{layerId}' ({layer.Shape})");
        }

        using var a = new ScratchBuffer<float>(layer.Rank * columnCount);
        using var b = new ScratchBuffer<float>(layer.OutFeatures * layer.Rank);
        _file.ReadColumns(factors.A.Name, columnStart, columnCount, a.Span);
        _file.ReadTensor(factors.B.Name, b.Span);
        Multiply(b.Span, a.Span, layer.OutFeatures, layer.Rank, columnCount, (float)factors.Scaling, destination);
    }

    /// <summary>Closes the weights file.</summary>
    public void Dispose() => _file.Dispose();

    // destination (rows × cols) = scale · left (rows × inner) · right (inner × cols)
    private static void Multiply(ReadOnlySpan<float> left, ReadOnlySpan<float> right, int rows, int inner, int cols, float scale, Span<float> destination)
    {
        destination.Clear();
        for (int i = 0; i < rows; i++)
        {
            Span<float> row = destination.Slice(i * cols, cols);
            for (int j = 0; j < inner; j++)
            {
                TensorPrimitives.MultiplyAdd(right.Slice(j * cols, cols), scale * left[i * inner + j], row, row);
            }
        }
    }

    private static IEnumerable<(LayerInfo, Factors)> Pair(SafetensorsFile file, LoraAdapterConfig config)
    {
        var halves = new Dictionary<string, (string Module, TensorInfo? A, TensorInfo? B)>(StringComparer.Ordinal);
        foreach (TensorInfo tensor in file.Tensors)
        {
            // A config that does not say so may still hold DoRA magnitudes or AdaLoRA singular values: not s·B·A either.
            if (tensor.Name.Contains(".lora_magnitude_vector", StringComparison.Ordinal))
            {
                throw new ModelFormatException(file.Path, tensor.Name, "a DoRA magnitude vector: " + LoraAdapterConfig.DoraUpdate);
            }

            if (tensor.Name.Contains(".lora_E", StringComparison.Ordinal))
            {
                throw new ModelFormatException(file.Path, tensor.Name, "an AdaLoRA singular-value vector (lora_E): its update is B·diag(E)·A, not s·B·A; only plain LoRA adapters are read");
            }

            if (!PeftKeys.TryParseLoraKey(tensor.Name, out string module, out string layerId, out LoraFactor factor))
            {
                continue;
            }

            if (tensor.Shape.Count != 2)
            {
                throw new ModelFormatException(file.Path, tensor.Name, $"LoRA factor has shape {tensor.ShapeText}; it must have 2 dimensions");
            }

            halves.TryGetValue(layerId, out var entry);
            TensorInfo? existing = factor == LoraFactor.A ? entry.A : entry.B;
            if (existing is not null)
            {
                throw new ModelFormatException(file.Path, tensor.Name, $"layer '{layerId}' already has lora_{factor} '{existing.Name}'");
            }

            halves[layerId] = factor == LoraFactor.A ? (module, tensor, entry.B) : (module, entry.A, tensor);
        }

        foreach ((string layerId, (string module, TensorInfo? a, TensorInfo? b)) in halves)
        {
            if (a is null || b is null)
            {
                TensorInfo present = (a ?? b)!;
                throw new ModelFormatException(file.Path, present.Name,
                    $"layer '{layerId}' has lora_{(a is null ? "B" : "A")} but no lora_{(a is null ? "A" : "B")} partner");
            }

            if (a.Shape[0] != b.Shape[1])
            {
                throw new ModelFormatException(file.Path, a.Name,
                    $"inconsistent shapes: lora_A {a.ShapeText} (r × in) and lora_B {b.ShapeText} (out × r) disagree on the rank");
            }

            int rank = config.RankOf(module);
            if (a.Shape[0] != rank)
            {
                throw new ModelFormatException(file.Path, a.Name,
                    $"rank {a.Shape[0]} of layer '{layerId}' disagrees with r={rank} in {LoraAdapterConfig.FileName}");
            }

            if (config.TargetModules.Count > 0 && !config.TargetModules.Any(t => module == t || module.EndsWith("." + t, StringComparison.Ordinal)))
            {
                throw new ModelFormatException(file.Path, a.Name,
                    $"layer '{layerId}' is not among target_modules [{string.Join(", ", config.TargetModules)}]");
            }

            if (b.Shape[0] > int.MaxValue || a.Shape[1] > int.MaxValue)
            {
                throw new ModelFormatException(file.Path, a.Name, $"layer '{layerId}' is too large ({b.Shape[0]}×{a.Shape[1]})");
            }

            var info = new LayerInfo(layerId, (int)b.Shape[0], (int)a.Shape[1], rank, config.FanInFanOut);
            yield return (info, new Factors(a, b, config.ScalingOf(module)));
        }
    }

    private sealed record Factors(TensorInfo A, TensorInfo B, double Scaling);
}
