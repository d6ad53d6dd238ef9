namespace OrleansUws.Grains.Interfaces;

/// <summary>Shape m×n of a layer's weight (or LoRA update ΔW = B·A) as used by the sketches.</summary>
/// <param name="Rows">m: output features.</param>
/// <param name="Columns">n: input features.</param>
[GenerateSerializer, Immutable]
public sealed record LayerShape(
    [property: Id(0)] int Rows,
    [property: Id(1)] int Columns)
{
    /// <summary>Dimension d of the space a basis of this layer lives in for <paramref name="mode"/>.</summary>
    /// <exception cref="OverflowException">Flattened mode with m·n beyond the largest int.</exception>
    public int DimensionFor(SketchMode mode) => mode switch
    {
        SketchMode.Rows => Columns,
        SketchMode.Flattened => checked(Rows * Columns),
        _ => Rows,
    };

    /// <summary>
    /// The rows [start, end) of W that column slice <paramref name="slice"/> of <paramref name="sliceCount"/> owns in
    /// flattened mode (columns [start·n, end·n) of vec(W)): contiguous, balanced, whole rows.
    /// </summary>
    public (int Start, int End) RowBlock(int slice, int sliceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceCount);
        ArgumentOutOfRangeException.ThrowIfNegative(slice);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slice, sliceCount);
        return ((int)((long)slice * Rows / sliceCount), (int)((long)(slice + 1) * Rows / sliceCount));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Rows}×{Columns}";
}
