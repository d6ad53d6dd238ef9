using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>One layer and mode of a fleet, with its current version's figures (null before the first version).</summary>
/// <param name="Layer">Layer id.</param>
/// <param name="Mode">"rows", "columns" or "flattened".</param>
/// <param name="Shape">m×n.</param>
/// <param name="AbsorbedModels">Models the layer has absorbed.</param>
/// <param name="ModelsSinceLastVersion">Of those, how many arrived after the current version.</param>
/// <param name="Version">Current version number.</param>
/// <param name="ModelCount">T: models merged into the current version.</param>
/// <param name="Rank">k.</param>
/// <param name="RankCapped">Whether k hit the cap before the energy threshold.</param>
/// <param name="ExplainedEnergy">Share of the sketched energy the k vectors capture.</param>
/// <param name="Certificate">Error certificate, an upper bound on ‖AᵀA − BᵀB‖₂ (Frequent Directions: total shrinkage; Nyström: tr C − tr Ĉ; 0 for an exact Gram).</param>
/// <param name="SinThetaToPrevious">sin θ_max to the previous version.</param>
/// <param name="Centered">Whether the basis is about the fleet mean.</param>
/// <param name="Diagnostics">Whether the current basis is real structure and how settled it is; null before the first version.</param>
public sealed record LayerSummary(
    string Layer,
    string Mode,
    LayerShape Shape,
    int AbsorbedModels,
    int ModelsSinceLastVersion,
    int? Version,
    int? ModelCount,
    int? Rank,
    bool? RankCapped,
    double? ExplainedEnergy,
    double? Certificate,
    double? SinThetaToPrevious,
    bool? Centered,
    LayerSummaryDiagnostics? Diagnostics = null)
{
    /// <summary>The summary of a layer's status, with its current version's diagnostics.</summary>
    public static LayerSummary From(LayerEntry layer, SketchMode mode, LayerStatus status)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(status);
        var current = status.Current;
        return new LayerSummary(
            layer.Layer, UwsKeys.ModeName(mode), layer.Shape, status.AbsorbedModels, status.ModelsSinceLastVersion,
            current?.Version, current?.ModelCount, current?.Rank, current?.RankCapped, current?.ExplainedEnergy,
            current?.Certificate, current?.SinThetaToPrevious, current?.Centered,
            current is null ? null : new LayerSummaryDiagnostics(
                current.NullExplainedEnergy, current.WithinNoise, current.DirectionsAboveEdge, current.MeanEnergyShare,
                current.HeldOut?.MeanShare, current.HeldOut?.WeightedShare, current.HeldOut?.Models ?? 0,
                current.EnergyDistanceToPrevious, current.SinThetaToPrevious, current.SinThetaUpToGap, current.GapDirections));
    }
}

/// <summary>A layer's diagnostics in the layer list.</summary>
/// <param name="NullExplainedEnergy">The Marchenko–Pastur null's share of energy in the top k for the same shape and entry variance (rows: T·r for LoRA adapters); null when the figures do not allow it.</param>
/// <param name="WithinNoise">True when the basis's energy is within noise of that null (a warning: the "universal" subspace may be noise).</param>
/// <param name="DirectionsAboveEdge">Singular values clearing the null's noise edge.</param>
/// <param name="MeanEnergyShare">Share of the energy in the mean direction (what centring removes).</param>
/// <param name="HeldOutCapture">Running average of the share of each model's energy that the basis version of its arrival captured before the model was absorbed (measured while streaming; 1 = new models bring nothing new).</param>
/// <param name="HeldOutWeightedCapture">The same, energy-weighted: Σ captured / Σ energy.</param>
/// <param name="HeldOutModels">Models measured.</param>
/// <param name="EnergyDistanceToPrevious">Energy-weighted subspace distance to the previous version, in [0, 1]; meaningful without a spectral gap.</param>
/// <param name="SinThetaToPrevious">sin θ_max to the previous version (≈ 1 whenever σ_k ≈ σ_{k+1}).</param>
/// <param name="SinThetaUpToGap">sin θ_max over the leading directions up to the largest relative gap of σ.</param>
/// <param name="GapDirections">How many directions that compares.</param>
public sealed record LayerSummaryDiagnostics(
    double? NullExplainedEnergy,
    bool? WithinNoise,
    int? DirectionsAboveEdge,
    double? MeanEnergyShare,
    double? HeldOutCapture,
    double? HeldOutWeightedCapture,
    int HeldOutModels,
    double? EnergyDistanceToPrevious,
    double? SinThetaToPrevious,
    double? SinThetaUpToGap,
    int? GapDirections);
