namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// The basis of a column-sliced sketch as planned by <see cref="ColumnSlicedBasis.Plan"/>: each slice turns it into its
/// columns of the k vectors with <see cref="ColumnSliceSketch.Project"/>.
/// </summary>
/// <param name="Rank">k.</param>
/// <param name="Rows">ℓ': the buffered rows the Gram was taken over.</param>
/// <param name="Coefficients">Λ^(−½)Uᵀ restricted to the top k: k×Rows row-major float32.</param>
/// <param name="SingularValues">σ_i = √λ_i, descending.</param>
/// <param name="ExplainedEnergy">Σ_{i≤k} λ_i / the exact energy of the stream (a lower bound for Frequent Directions).</param>
/// <param name="CapReached">Energy rule only: τ was not reached at the cap.</param>
public sealed record ColumnSliceBasisPlan(int Rank, int Rows, float[] Coefficients, double[] SingularValues, double ExplainedEnergy, bool CapReached);
