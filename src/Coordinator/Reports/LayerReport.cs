namespace OrleansUws.Coordinator.Reports;

/// <summary>What the coordinator knows about one layer's basis: its convergence history and, when known, the distance to a planted truth.</summary>
/// <param name="Layer">Layer id, e.g. <c>model.layers.0.self_attn.q_proj</c>.</param>
/// <param name="Mode">Basis mode: rows, columns or flattened.</param>
/// <param name="Centred">Whether the fleet mean was subtracted.</param>
/// <param name="History">Every basis version in order; never empty.</param>
/// <param name="SinThetaToTruth">sin θ_max between the latest basis and the planted ground truth; null when there is none.</param>
public sealed record LayerReport(
    string Layer,
    string Mode,
    bool Centred,
    IReadOnlyList<ConvergencePoint> History,
    double? SinThetaToTruth)
{
    /// <summary>The latest version.</summary>
    public ConvergencePoint Latest => History[^1];
}
