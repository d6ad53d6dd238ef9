using OrleansUws.Grains.Interfaces;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// Writes a cluster's <see cref="LayerBasis"/> as a basis file. The format itself (tensors <c>basis</c>,
/// <c>singular_values</c>, <c>mean</c>, and the <c>__metadata__</c> with the version's figures and its diagnostics)
/// lives in <see cref="BasisFile"/>; this class maps the cluster's wire types onto it.
/// </summary>
public static class BasisFileWriter
{
    /// <summary>Tensor name of the basis vectors.</summary>
    public const string BasisTensor = BasisFile.BasisTensor;

    /// <summary>Tensor name of the singular values.</summary>
    public const string SingularValuesTensor = BasisFile.SingularValuesTensor;

    /// <summary>Tensor name of the fleet mean row.</summary>
    public const string MeanTensor = BasisFile.MeanTensor;

    /// <summary>File name of a layer's basis in an output folder: <c>{layer}.{mode}.safetensors</c>.</summary>
    public static string FileName(string layer, SketchMode mode) => BasisFile.FileName(layer, ToBasisMode(mode));

    /// <summary>The basis mode of a sketch mode (same names: rows, columns, flattened).</summary>
    public static BasisMode ToBasisMode(SketchMode mode) => mode switch
    {
        SketchMode.Rows => BasisMode.Rows,
        SketchMode.Columns => BasisMode.Columns,
        SketchMode.Flattened => BasisMode.Flattened,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown sketch mode."),
    };

    /// <summary>
    /// The basis-file header of <paramref name="info"/>, with its streaming diagnostics (held-out capture, distances to
    /// the previous version). The null's independent rows are <paramref name="independentRows"/> when given, else the
    /// cluster's count (r per LoRA adapter), recorded only where it differs from the rows.
    /// </summary>
    public static BasisFileHeader Header(BasisVersionInfo info, LayerShape? shape = null, long? independentRows = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new BasisFileHeader(info.Fleet, info.Layer, ToBasisMode(info.Mode), info.Centered, info.Rank, info.Version, info.ModelCount, info.RowCount)
        {
            RankCapped = info.RankCapped,
            ExplainedEnergy = info.ExplainedEnergy,
            Certificate = info.Certificate,
            SinThetaToPrevious = info.SinThetaToPrevious,
            CreatedAt = info.CreatedAt,
            OutFeatures = shape?.Rows,
            InFeatures = shape?.Columns,
            IndependentRows = independentRows ?? (info.IndependentRows is { } counted && counted != info.RowCount ? counted : null),
            HeldOutCapture = info.HeldOut?.MeanShare,
            HeldOutModels = info.HeldOut?.Models,
            EnergyDistanceToPrevious = info.EnergyDistanceToPrevious,
            SinThetaUpToGap = info.SinThetaUpToGap,
            GapDirections = info.GapDirections,
        };
    }

    /// <summary>The basis file of <paramref name="basis"/>.</summary>
    public static LayerBasisFile ToBasisFile(LayerBasis basis, LayerShape? shape = null, long? independentRows = null)
    {
        ArgumentNullException.ThrowIfNull(basis);
        return new LayerBasisFile(Header(basis.Info, shape, independentRows), basis.Dimension, basis.Vectors, basis.SingularValues, basis.Mean);
    }

    /// <summary>The metadata written with <paramref name="info"/> (without diagnostics, which need the singular values).</summary>
    public static IReadOnlyDictionary<string, string> Metadata(BasisVersionInfo info) => BasisFile.Metadata(Header(info));

    /// <summary>Writes <paramref name="basis"/> to the file <paramref name="path"/> (replacing it), with its diagnostics.</summary>
    /// <exception cref="ArgumentException">The basis's arrays do not match its rank and dimension; the message gives the lengths.</exception>
    public static void Write(string path, LayerBasis basis, LayerShape? shape = null, long? independentRows = null) =>
        BasisFile.Write(path, ToBasisFile(basis, shape, independentRows));
}
