namespace OrleansUws.Grains.Interfaces;

/// <summary>One coordinated Frequent Directions shrink: B_s ← M·B_s on every column slice.</summary>
/// <param name="Rotation">M, OutRows×ActiveRows row-major float32.</param>
/// <param name="ActiveRows">Rows the plan covers (the slices' buffered rows).</param>
/// <param name="OutRows">Rows left.</param>
/// <param name="Delta">δ added to the certificate.</param>
[GenerateSerializer, Immutable]
public sealed record ColumnShrink(
    [property: Id(0)] float[] Rotation,
    [property: Id(1)] int ActiveRows,
    [property: Id(2)] int OutRows,
    [property: Id(3)] double Delta);
