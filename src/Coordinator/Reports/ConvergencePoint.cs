namespace OrleansUws.Coordinator.Reports;

/// <summary>One basis version of one layer, as the coordinator reports it.</summary>
/// <param name="Version">Version number, 1 for the first basis of the layer.</param>
/// <param name="ModelCount">T: the number of models absorbed when the version was computed.</param>
/// <param name="K">Rank of the basis.</param>
/// <param name="ExplainedEnergy">Share of the sketched energy the k directions capture, in [0, 1].</param>
/// <param name="Certificate">Frequent Directions error certificate (total shrinkage) of the sketch behind the version.</param>
/// <param name="SinThetaToPrevious">sin θ_max between this basis and the previous version; null for the first.</param>
public sealed record ConvergencePoint(
    int Version,
    long ModelCount,
    int K,
    double ExplainedEnergy,
    double Certificate,
    double? SinThetaToPrevious);
