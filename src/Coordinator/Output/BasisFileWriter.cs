using System.Globalization;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// Writes one layer's basis as a safetensors file: <c>basis</c> (k×d float32, orthonormal rows),
/// <c>singular_values</c> (k) and, for a tracked mean, <c>mean</c> (d); <c>__metadata__</c> records fleet,
/// layer, mode, centred, k, T, version and the version's figures so the file explains itself.
/// </summary>
public static class BasisFileWriter
{
    /// <summary>Tensor name of the basis vectors.</summary>
    public const string BasisTensor = "basis";

    /// <summary>Tensor name of the singular values.</summary>
    public const string SingularValuesTensor = "singular_values";

    /// <summary>Tensor name of the fleet mean row.</summary>
    public const string MeanTensor = "mean";

    /// <summary>File name of a layer's basis in an output folder: <c>{layer}.{mode}.safetensors</c>.</summary>
    public static string FileName(string layer, SketchMode mode) => $"{layer}.{UwsKeys.ModeName(mode)}.safetensors";

    /// <summary>The metadata written with <paramref name="info"/>.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(BasisVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "orleans-uws-basis",
            ["fleet"] = info.Fleet,
            ["layer"] = info.Layer,
            ["mode"] = UwsKeys.ModeName(info.Mode),
            ["centred"] = info.Centered ? "true" : "false",
            ["k"] = Invariant(info.Rank),
            ["rank_capped"] = info.RankCapped ? "true" : "false",
            ["T"] = Invariant(info.ModelCount),
            ["rows"] = Invariant(info.RowCount),
            ["version"] = Invariant(info.Version),
            ["explained_energy"] = info.ExplainedEnergy.ToString("R", CultureInfo.InvariantCulture),
            ["certificate"] = info.Certificate.ToString("R", CultureInfo.InvariantCulture),
            ["created_at"] = info.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        };
        if (info.SinThetaToPrevious is { } sin)
        {
            metadata["sin_theta_previous"] = sin.ToString("R", CultureInfo.InvariantCulture);
        }

        return metadata;
    }

    /// <summary>Writes <paramref name="basis"/> to the file <paramref name="path"/> (replacing it).</summary>
    /// <exception cref="ArgumentException">The basis's arrays do not match its rank and dimension; the message gives the lengths.</exception>
    public static void Write(string path, LayerBasis basis)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(basis);
        var k = basis.Info.Rank;
        var d = basis.Dimension;
        if (basis.Vectors.Length != (long)k * d || basis.SingularValues.Length != k || (basis.Mean is { } m && m.Length != d))
        {
            throw new ArgumentException(
                $"Basis of layer '{basis.Info.Layer}' is inconsistent: k={k}, d={d}, vectors {basis.Vectors.Length}, " +
                $"singular values {basis.SingularValues.Length}, mean {basis.Mean?.Length.ToString(CultureInfo.InvariantCulture) ?? "none"}",
                nameof(basis));
        }

        var tensors = new List<(TensorSpec Spec, float[] Values)>
        {
            (new TensorSpec(BasisTensor, TensorDType.F32, [k, d]), basis.Vectors),
            (new TensorSpec(SingularValuesTensor, TensorDType.F32, [k]), basis.SingularValues.Select(s => (float)s).ToArray()),
        };
        if (basis.Mean is { } mean)
        {
            tensors.Add((new TensorSpec(MeanTensor, TensorDType.F32, [d]), mean));
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        SafetensorsWriter.WriteAll(path, tensors, Metadata(basis.Info));
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
