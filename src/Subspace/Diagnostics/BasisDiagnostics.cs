namespace OrleansUws.Subspace.Diagnostics;

/// <summary>
/// What a basis's own figures say about whether its layer has shared structure: the Marchenko–Pastur null for the
/// same shape and entry variance, and the share of the energy carried by the mean.
/// </summary>
/// <param name="Rows">N: the independent rows the null is computed for (N·r for a LoRA fleet, else the rows absorbed).</param>
/// <param name="Dimension">d.</param>
/// <param name="Rank">k.</param>
/// <param name="TotalEnergy">Total energy of what was absorbed (Σσᵢ² over all i; centred when the basis is), from k's share.</param>
/// <param name="ExplainedEnergy">Σ_{i≤k} σᵢ² / total.</param>
/// <param name="NullExplainedEnergy">The share iid Gaussian rows of the same shape would put in their top k (Marchenko–Pastur).</param>
/// <param name="SingularValueEdge">σ·(√N + √d): the largest singular value pure noise of entry variance σ² reaches, asymptotically.</param>
/// <param name="DirectionsAboveEdge">How many of the k singular values exceed the edge by the margin: directions distinguishable from noise.</param>
/// <param name="WithinNoise">True when the top-k energy is within noise of the null (see <see cref="SubspaceDiagnostics.NullMargin"/>).</param>
/// <param name="MeanEnergyShare">N‖μ‖² / uncentred total: the share of the energy that is the mean; null when no mean was recorded.</param>
public sealed record BasisDiagnostics(
    long Rows,
    long Dimension,
    int Rank,
    double TotalEnergy,
    double ExplainedEnergy,
    double NullExplainedEnergy,
    double SingularValueEdge,
    int DirectionsAboveEdge,
    bool WithinNoise,
    double? MeanEnergyShare);
