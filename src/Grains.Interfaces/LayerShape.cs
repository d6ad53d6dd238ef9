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
    public int DimensionFor(SketchMode mode) => mode == SketchMode.Rows ? Columns : Rows;

    /// <inheritdoc />
    public override string ToString() => $"{Rows}×{Columns}";
}
