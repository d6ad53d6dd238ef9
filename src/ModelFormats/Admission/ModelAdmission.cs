using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace OrleansUws.ModelFormats.Admission;

/// <summary>
/// The all-or-nothing check a model passes before any sketch sees it: its architecture against the fleet's, then every
/// layer read in full (header, dtype, shapes and finiteness are checked by the reader) and its Frobenius norm (for
/// adapters, its bound from the factors) computed, refused when the layer's Gram would overflow float32. A model that passes can be absorbed by every layer;
/// one that fails is refused with the first defect, naming the file and the layer.
/// </summary>
public static class ModelAdmission
{
    /// <summary>
    /// Largest accepted ‖W‖_F of one layer: the layer's Gram WᵀW (entries up to ‖W‖_F²) must stay finite in float32
    /// (3.4e38) with room for a fleet of a million such models, so ‖W‖_F² ≤ 3.4e32.
    /// </summary>
    public const double MaxLayerNorm = 1.8e16;

    /// <summary>Rows read at once from a dense layer (bounds the scratch memory of the check).</summary>
    private const int DenseRowBlock = 64;

    /// <summary>Checks every layer of <paramref name="reader"/>; returns the per-layer norms.</summary>
    /// <param name="reader">The open model.</param>
    /// <param name="fleet">The fleet's architecture, or null when none is declared yet (only the model itself is checked).</param>
    /// <returns>Layer id → ‖W‖_F (for adapters its bound |s|·‖B‖_F·‖A‖_F ≥ ‖s·B·A‖_F), in layer id order.</returns>
    /// <exception cref="ModelFormatException">The first defect found: architecture, corrupt tensor, non-finite value, overflow.</exception>
    public static IReadOnlyDictionary<string, double> Check(IModelReader reader, ModelArchitecture? fleet)
    {
        ArgumentNullException.ThrowIfNull(reader);
        fleet?.EnsureCompatible(reader.Architecture, reader.Path);
        if (reader.Layers.Count == 0)
        {
            throw new ModelFormatException(reader.Path, null, "the model has no layers");
        }

        var norms = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var layer in reader.Layers)
        {
            if (layer.LayerId.Contains('/', StringComparison.Ordinal))
            {
                throw new ModelFormatException(reader.Path, layer.LayerId, "layer ids must not contain '/'");
            }

            var norm = reader.Kind == ModelKind.LoraAdapter ? LoraNorm(reader, layer) : DenseNorm(reader, layer);
            if (!(norm <= MaxLayerNorm))
            {
                throw new ModelFormatException(
                    reader.Path, layer.LayerId,
                    $"layer norm ‖W‖_F = {norm:G3} exceeds {MaxLayerNorm:G2}: its Gram would overflow float32");
            }

            norms[layer.LayerId] = norm;
        }

        return norms;
    }

    /// <summary>
    /// SHA-256 (hex) of the bytes that define the model: the file itself, or for a folder its
    /// <c>adapter_config.json</c> and every <c>*.safetensors</c> / <c>*.json</c> file directly in it, by name. Two
    /// submissions under one id with different hashes are different models.
    /// </summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static string ContentHash(string location)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.Exists(location)
            ? Directory.EnumerateFiles(location)
                .Where(f => f.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToArray()
            : [location];
        using var buffer = new ScratchBuffer<byte>(1 << 20); // pooled: every submission hashes its files
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\0"));
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            int read;
            while ((read = stream.Read(buffer.Span)) > 0)
            {
                hash.AppendData(buffer.Span[..read]);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// |s|·‖B‖_F·‖A‖_F, the submultiplicative bound on ‖s·B·A‖_F: two SIMD sums of squares instead of the r×r Grams, cheap
    /// enough to run on every layer of every model. Both the overflow check and the outlier comparison use it (the same
    /// figure for every model of the fleet). The factors are read into pooled buffers: admission reads every layer of
    /// every model, and fresh factors of wide layers would churn the large-object heap.
    /// </summary>
    private static double LoraNorm(IModelReader reader, LayerInfo layer)
    {
        using var a = new ScratchBuffer<float>(layer.Rank * layer.InFeatures);
        using var b = new ScratchBuffer<float>(layer.OutFeatures * layer.Rank);
        var scaling = reader.ReadLoraFactors(layer.LayerId, a.Span, b.Span);
        return Math.Abs(scaling) * Math.Sqrt(TensorPrimitives.SumOfSquares<float>(a.Span)) * Math.Sqrt(TensorPrimitives.SumOfSquares<float>(b.Span));
    }

    private static double DenseNorm(IModelReader reader, LayerInfo layer)
    {
        int m = layer.OutFeatures, n = layer.InFeatures;
        using var block = new ScratchBuffer<float>(Math.Min(DenseRowBlock, m) * n);
        double sum = 0;
        for (var start = 0; start < m; start += DenseRowBlock)
        {
            var count = Math.Min(DenseRowBlock, m - start);
            var rows = block.Span[..(count * n)];
            reader.ReadRows(layer.LayerId, start, count, rows);
            sum += TensorPrimitives.SumOfSquares(rows);
        }

        return Math.Sqrt(sum);
    }
}
