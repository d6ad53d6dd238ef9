using OrleansUws.Grains.Interfaces;
using OrleansUws.Subspace.Diagnostics;

namespace OrleansUws.Coordinator.Reports;

/// <summary>What the coordinator reports about one layer's basis: its convergence history and, when known, the distance to a planted truth.</summary>
/// <param name="Layer">Layer id, e.g. <c>layers.0.self_attn.q_proj</c>.</param>
/// <param name="Mode">Sketch mode of the basis.</param>
/// <param name="History">Every basis version, oldest first; never empty.</param>
/// <param name="SinThetaToTruth">sin θ_max between the latest basis and the planted ground truth; null when there is none.</param>
public sealed record LayerReport(
    string Layer,
    SketchMode Mode,
    IReadOnlyList<BasisVersionInfo> History,
    double? SinThetaToTruth)
{
    /// <summary>The latest basis's diagnostics (Marchenko–Pastur null, mean share); null when not computed.</summary>
    public BasisDiagnostics? Diagnostics { get; init; }

    /// <summary>The latest version.</summary>
    public BasisVersionInfo Latest => History[^1];

    /// <summary>The mode's name as in keys and files ("rows", "columns" or "flattened").</summary>
    public string ModeName => UwsKeys.ModeName(Mode);
}
