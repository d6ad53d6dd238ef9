namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// A column slice's small contributions to a new basis version: summed over the slices, the k×k products give sin θ
/// to the previous version and the peaks give the deterministic signs.
/// </summary>
/// <param name="Self">V_sV_sᵀ, k×k float64.</param>
/// <param name="Cross">V_sV'_sᵀ with the previous version's part, k×k' float64; empty without a previous version.</param>
/// <param name="Previous">V'_sV'_sᵀ, k'×k' float64; empty without a previous version.</param>
/// <param name="PreviousRank">k' (0 without a previous version).</param>
/// <param name="PeakValues">Per vector, the slice's entry of largest magnitude.</param>
/// <param name="PeakColumns">Its column in vec(W) (global, not within the slice).</param>
[GenerateSerializer, Immutable]
public sealed record ColumnBasisSummary(
    [property: Id(0)] double[] Self,
    [property: Id(1)] double[] Cross,
    [property: Id(2)] double[] Previous,
    [property: Id(3)] int PreviousRank,
    [property: Id(4)] float[] PeakValues,
    [property: Id(5)] long[] PeakColumns);
