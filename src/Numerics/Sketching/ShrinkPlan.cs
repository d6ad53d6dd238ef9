namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// One Frequent Directions shrink, computed once from the (summed) Gram of the buffer and applied to every
/// column slice: B ← M·B with M = diag(√((λᵢ − δ)/λᵢ))·Uᵀ restricted to the rows with λᵢ &gt; δ.
/// </summary>
/// <param name="Rotation">M, OutRows×ActiveRows row-major, float32.</param>
/// <param name="ActiveRows">Rows of the buffer the Gram was taken over.</param>
/// <param name="OutRows">Rows left after the shrink (≤ ℓ).</param>
/// <param name="Delta">δ = the (ℓ+1)-th largest eigenvalue of the Gram: the shrinkage this step adds to the certificate.</param>
public sealed record ShrinkPlan(float[] Rotation, int ActiveRows, int OutRows, double Delta)
{
    /// <summary>
    /// λᵢ − δ for the OutRows rows left: after <see cref="FrequentDirectionsShrink.Apply"/> those rows are mutually
    /// orthogonal with these squared norms (up to float32 rounding), so the next shrink's Gram needs only the columns
    /// of the rows appended since (<see cref="Backends.ISketchWorkspace.GramColumns"/>). Empty when not computed.
    /// </summary>
    public double[] RetainedEnergies { get; init; } = [];
}
