namespace OrleansUws.Grains.Interfaces;

/// <summary>A column slice's share of its layer's buffer, for the coordinated shrink and the basis.</summary>
/// <param name="BufferedRows">ℓ': rows in the buffer (equal on every slice).</param>
/// <param name="Gram">B_sB_sᵀ, ℓ'×ℓ' row-major float64.</param>
/// <param name="Energy">Exact Σ‖x_s‖² over the slice's columns.</param>
/// <param name="Certificate">Σδ of the applied shrinks (equal on every slice).</param>
/// <param name="RowCount">Models appended (equal on every slice).</param>
[GenerateSerializer, Immutable]
public sealed record ColumnSliceGram(
    [property: Id(0)] int BufferedRows,
    [property: Id(1)] double[] Gram,
    [property: Id(2)] double Energy,
    [property: Id(3)] double Certificate,
    [property: Id(4)] long RowCount);
