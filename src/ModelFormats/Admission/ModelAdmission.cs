using System.Security.Cryptography;

namespace OrleansUws.ModelFormats.Admission;

/// <summary>
/// The all-or-nothing check a model passes before any sketch sees it: its architecture against the fleet's, then every
/// layer read in full (header, dtype, shapes and finiteness are checked by the reader) and its Frobenius norm computed
/// in float64, refused when the layer's Gram would overflow float32. A model that passes can be absorbed by every layer;
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
    /// <returns>Layer id → ‖W‖_F (of ΔW = s·B·A for adapters), in layer id order.</returns>
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
        var buffer = new byte[1 << 20];
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\0"));
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                hash.AppendData(buffer.AsSpan(0, read));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>‖s·B·A‖_F = |s|·√(Σᵢⱼ (BᵀB)ᵢⱼ (AAᵀ)ᵢⱼ), from the two r×r Grams in float64.</summary>
    private static double LoraNorm(IModelReader reader, LayerInfo layer)
    {
        int m = layer.OutFeatures, n = layer.InFeatures, r = layer.Rank;
        var a = new float[r * n];
        var b = new float[m * r];
        var scaling = reader.ReadLoraFactors(layer.LayerId, a, b);
        var aGram = new double[r * r];
        var bGram = new double[r * r];
        for (var i = 0; i < r; i++)
        {
            var ai = a.AsSpan(i * n, n);
            for (var j = 0; j <= i; j++)
            {
                aGram[(i * r) + j] = aGram[(j * r) + i] = Dot(ai, a.AsSpan(j * n, n));
            }
        }

        for (var row = 0; row < m; row++)
        {
            var br = b.AsSpan(row * r, r);
            for (var i = 0; i < r; i++)
            {
                for (var j = 0; j < r; j++)
                {
                    bGram[(i * r) + j] += (double)br[i] * br[j];
                }
            }
        }

        double sum = 0;
        for (var i = 0; i < aGram.Length; i++)
        {
            sum += aGram[i] * bGram[i];
        }

        return Math.Abs(scaling) * Math.Sqrt(Math.Max(sum, 0));
    }

    private static double DenseNorm(IModelReader reader, LayerInfo layer)
    {
        int m = layer.OutFeatures, n = layer.InFeatures;
        var block = new float[Math.Min(DenseRowBlock, m) * n];
        double sum = 0;
        for (var start = 0; start < m; start += DenseRowBlock)
        {
            var count = Math.Min(DenseRowBlock, m - start);
            var rows = block.AsSpan(0, count * n);
            reader.ReadRows(layer.LayerId, start, count, rows);
            sum += Dot(rows, rows);
        }

        return Math.Sqrt(sum);
    }

    private static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sum += (double)x[i] * y[i];
        }

        return sum;
    }
}
