using OrleansUws.Subspace.Coefficients;

namespace OrleansUws.Subspace.Compression;

/// <summary>One layer of one model.</summary>
/// <param name="Layer">The layer id.</param>
/// <param name="RelativeError">‖ΔW − ΔŴ‖_F / ‖ΔW‖_F of the reconstruction from the coefficients.</param>
/// <param name="MeanBaselineError">The same for ΔŴ = μ, the layer's fleet mean (null when no mean is known).</param>
/// <param name="InputBytes">What the layer costs as stored (LoRA: A and B at their dtype).</param>
/// <param name="CoefficientBytes">The layer's coefficients (float32).</param>
public sealed record LayerCompressionReport(string Layer, double RelativeError, double? MeanBaselineError, long InputBytes, long CoefficientBytes)
{
    /// <summary>Input bytes / coefficient bytes (below 1: the coefficients are larger than the input).</summary>
    public double Ratio => CoefficientBytes > 0 ? (double)InputBytes / CoefficientBytes : double.PositiveInfinity;
}

/// <summary>One model: its layers, and totals over the analysed layers and over the whole file (bases not counted).</summary>
/// <param name="Model">The model's name.</param>
/// <param name="CoefficientPath">The coefficient file written, when one was.</param>
/// <param name="Layers">Per layer.</param>
/// <param name="AnalysedInputBytes">Σ layers' input bytes.</param>
/// <param name="AnalysedCoefficientBytes">Σ layers' coefficient bytes.</param>
/// <param name="WholeInputBytes">The model's weight files on disk.</param>
/// <param name="WholeCoefficientBytes">The coefficient file on disk (header included), plus the input bytes of the layers not analysed, which must still be stored as they are.</param>
public sealed record ModelCompressionReport(
    string Model,
    string? CoefficientPath,
    IReadOnlyList<LayerCompressionReport> Layers,
    long AnalysedInputBytes,
    long AnalysedCoefficientBytes,
    long WholeInputBytes,
    long WholeCoefficientBytes)
{
    /// <summary>Analysed input / analysed coefficients.</summary>
    public double AnalysedRatio => AnalysedCoefficientBytes > 0 ? (double)AnalysedInputBytes / AnalysedCoefficientBytes : double.PositiveInfinity;

    /// <summary>Whole input / whole stored (coefficient file + layers not analysed).</summary>
    public double WholeRatio => WholeCoefficientBytes > 0 ? (double)WholeInputBytes / WholeCoefficientBytes : double.PositiveInfinity;

    /// <summary>Whether the coefficients of the analysed layers take more bytes than those layers as stored.</summary>
    public bool StoresMoreThanInput => AnalysedCoefficientBytes > AnalysedInputBytes;
}

/// <summary>
/// The fleet: N models stored as the bases once plus N coefficient files, against the N models as stored.
/// Basis bytes count what reconstruction needs: k·d float32 per basis used, plus d for a centred basis's mean.
/// </summary>
/// <param name="Models">N.</param>
/// <param name="BasisBytes">The bases, once.</param>
/// <param name="InputBytes">Σ models' analysed input bytes.</param>
/// <param name="CoefficientBytes">Σ models' analysed coefficient bytes.</param>
/// <param name="WholeInputBytes">Σ models' weight files.</param>
/// <param name="WholeCoefficientBytes">Σ models' whole stored bytes (coefficient files + layers not analysed).</param>
public sealed record FleetCompressionReport(int Models, long BasisBytes, long InputBytes, long CoefficientBytes, long WholeInputBytes, long WholeCoefficientBytes)
{
    /// <summary>Analysed input / (bases + coefficients).</summary>
    public double Ratio => (double)InputBytes / Math.Max(1, BasisBytes + CoefficientBytes);

    /// <summary>Whole input / (bases + whole stored).</summary>
    public double WholeRatio => (double)WholeInputBytes / Math.Max(1, BasisBytes + WholeCoefficientBytes);

    /// <summary>Whether bases plus coefficients take more bytes than the analysed layers as stored.</summary>
    public bool StoresMoreThanInput => BasisBytes + CoefficientBytes > InputBytes;
}

/// <summary>What a compression run produced.</summary>
/// <param name="Coefficients">Per model, its coefficients.</param>
/// <param name="Models">Per model, its report.</param>
/// <param name="Fleet">The fleet totals.</param>
public sealed record CompressionRun(IReadOnlyList<ModelCoefficients> Coefficients, IReadOnlyList<ModelCompressionReport> Models, FleetCompressionReport Fleet);
