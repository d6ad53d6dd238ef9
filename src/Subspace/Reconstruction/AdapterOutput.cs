using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Reconstruction;

/// <summary>
/// Writes reconstructed or merged updates as a PEFT LoRA adapter (a rank-k reconstruction is itself a LoRA) or as a
/// dense delta checkpoint, through the project's PEFT and safetensors writers.
/// </summary>
public static class AdapterOutput
{
    /// <summary>The <c>format</c> metadata of a dense delta checkpoint.</summary>
    public const string DenseDeltaFormat = "orleans-uws-delta";

    /// <summary>
    /// Writes <paramref name="layers"/> as a PEFT adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>,
    /// float32). Each layer is written at its own rank — dense layers factorised to their numerical rank, capped at
    /// <paramref name="maxRank"/> — the scale folded into B, and <c>lora_alpha</c> equal to the rank (PEFT's α/r = 1;
    /// <c>rank_pattern</c>/<c>alpha_pattern</c> for layers whose rank differs from <c>r</c>), so PEFT's ΔW is B·A exactly.
    /// </summary>
    /// <returns>Layer id → relative truncation error of the factorisation (0 for layers written exactly).</returns>
    public static IReadOnlyDictionary<string, double> WritePeft(string folder, IReadOnlyList<NamedUpdate> layers, IBlasBackend backend,
        int? maxRank = null, IReadOnlyDictionary<string, string>? metadata = null, string? baseModel = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(backend);
        if (layers.Count == 0)
        {
            throw new ArgumentException("An adapter needs at least one layer.", nameof(layers));
        }

        var factored = new List<(NamedUpdate Layer, LayerUpdate Factors)>();
        var truncation = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var (factors, error) = LowRank.Factorize(layer.Update, backend, maxRank);
            factored.Add((layer, factors));
            truncation[layer.LayerId] = error;
        }

        int rank = factored.GroupBy(f => f.Factors.Rank).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).First().Key;
        var rankPattern = new Dictionary<string, int>(StringComparer.Ordinal);
        var alphaPattern = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (layer, factors) in factored.Where(f => f.Factors.Rank != rank))
        {
            rankPattern[layer.ModulePath] = factors.Rank;
            alphaPattern[layer.ModulePath] = factors.Rank;
        }

        var targets = factored.Select(f => f.Layer.ModulePath.Split('.')[^1]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var config = new LoraAdapterConfig(rank, rank, false, targets, false)
        {
            RankPattern = rankPattern,
            AlphaPattern = alphaPattern,
            BaseModel = baseModel,
        };
        var specs = factored.Select(f => new FleetLayerSpec(f.Layer.ModulePath, f.Factors.OutFeatures, f.Factors.InFeatures)).ToArray();
        using var writer = new LoraAdapterWriter(folder, config, specs, TensorDType.F32, metadata);
        foreach (var (_, factors) in factored)
        {
            var b = factors.B!;
            if (factors.Scale != 1f)
            {
                b = (float[])b.Clone();
                System.Numerics.Tensors.TensorPrimitives.Multiply(b, factors.Scale, b);
            }

            writer.WriteLayer(factors.A, b);
        }

        writer.Complete();
        return truncation;
    }

    /// <summary>
    /// Writes <paramref name="layers"/> as a dense delta checkpoint: one float32 tensor <c>&lt;module&gt;.weight</c> (m×n)
    /// per layer, readable by the project's dense reader (layer ids as the adapter's).
    /// </summary>
    /// <returns>The file's size in bytes.</returns>
    public static long WriteDense(string path, IReadOnlyList<NamedUpdate> layers, IBlasBackend backend, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(backend);
        var all = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = DenseDeltaFormat };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        var tensors = layers
            .Select(l => (new TensorSpec(l.ModulePath + ".weight", TensorDType.F32, [l.Update.OutFeatures, l.Update.InFeatures]), UpdateAlgebra.ToDense(l.Update, backend)))
            .ToArray();
        Internal.SubspaceFiles.CreateFolderOf(path);

        SafetensorsWriter.WriteAll(path, tensors, all);
        return new FileInfo(path).Length;
    }
}
