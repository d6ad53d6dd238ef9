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
/// <param name="Certificate">Frequent Directions error certificate (upper bound on ‖AᵀA − BᵀB‖₂; 0 for an exact Gram).</param>
/// <param name="SinThetaToPrevious">sin θ_max to the previous version.</param>
/// <param name="Centered">Whether the basis is about the fleet mean.</param>
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
    bool? Centered)
{
    /// <summary>The summary of a layer's status.</summary>
    public static LayerSummary From(LayerEntry layer, SketchMode mode, LayerStatus status)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(status);
        var current = status.Current;
        return new LayerSummary(
            layer.Layer, UwsKeys.ModeName(mode), layer.Shape, status.AbsorbedModels, status.ModelsSinceLastVersion,
            current?.Version, current?.ModelCount, current?.Rank, current?.RankCapped, current?.ExplainedEnergy,
            current?.Certificate, current?.SinThetaToPrevious, current?.Centered);
    }
}
