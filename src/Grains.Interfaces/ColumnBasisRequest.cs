namespace OrleansUws.Grains.Interfaces;

/// <summary>What a column slice needs to compute its columns V_s = C·B_s of a basis version.</summary>
/// <param name="Version">The version being computed.</param>
/// <param name="PreviousVersion">The layer's current version (0 for none): the products are taken with its part.</param>
/// <param name="Rank">k.</param>
/// <param name="Rows">ℓ': the buffered rows the coefficients refer to.</param>
/// <param name="Coefficients">C = Λ^(−½)Uᵀ (top k), k×Rows row-major float32.</param>
[GenerateSerializer, Immutable]
public sealed record ColumnBasisRequest(
    [property: Id(0)] int Version,
    [property: Id(1)] int PreviousVersion,
    [property: Id(2)] int Rank,
    [property: Id(3)] int Rows,
    [property: Id(4)] float[] Coefficients);
