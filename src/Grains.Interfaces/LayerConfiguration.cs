namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// Everything a slice or coordinator grain needs to know about its layer; fixed by the fleet grain when the
/// architecture is set, then sent with every absorb so that a slice needs no other grain to start.
/// </summary>
/// <param name="Fleet">Fleet name.</param>
/// <param name="Layer">Layer id (e.g. <c>model.layers.0.self_attn.q_proj</c>).</param>
/// <param name="Mode">Sketch mode.</param>
/// <param name="Shape">m×n of the layer.</param>
/// <param name="SliceCount">
/// Rows and columns modes: slice grains the models are partitioned over. Flattened mode: column-slice grains the
/// columns of vec(W) are split over (see <see cref="LayerShape.RowBlock"/>).
/// </param>
/// <param name="Centered">Whether the basis is computed about the fleet mean.</param>
/// <param name="Sketch">Sketch settings.</param>
/// <param name="Basis">Basis policy.</param>
[GenerateSerializer, Immutable]
public sealed record LayerConfiguration(
    [property: Id(0)] string Fleet,
    [property: Id(1)] string Layer,
    [property: Id(2)] SketchMode Mode,
    [property: Id(3)] LayerShape Shape,
    [property: Id(4)] int SliceCount,
    [property: Id(5)] bool Centered,
    [property: Id(6)] SketchSettings Sketch,
    [property: Id(7)] BasisPolicy Basis)
{
    /// <summary>Dimension d of the basis vectors (n in rows mode, m in columns mode, m·n in flattened mode).</summary>
    public int Dimension => Shape.DimensionFor(Mode);

    /// <summary>Key of this layer's coordinator grain.</summary>
    public string CoordinatorKey => UwsKeys.Coordinator(Fleet, Layer, Mode);
}
