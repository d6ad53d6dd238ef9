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

    /// <summary>The wire shape of a layer as the model formats read it (m = out features, n = in features).</summary>
    public static LayerShape From(ModelFormats.LayerShape shape) => new(shape.OutFeatures, shape.InFeatures);

    /// <summary>
    /// A model's architecture on the wire: every layer id with its shape. The one place where the formats' shapes become
    /// the grains' (admission, and the client that agrees an architecture before submitting).
    /// </summary>
    public static IReadOnlyDictionary<string, LayerShape> Of(ModelFormats.ModelArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        return architecture.Layers.ToDictionary(p => p.Key, p => From(p.Value), StringComparer.Ordinal);
    }

    /// <summary>Whether two architectures have the same layers with the same shapes.</summary>
    public static bool Same(IReadOnlyDictionary<string, LayerShape> a, IReadOnlyDictionary<string, LayerShape> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var s) && s == p.Value);
    }
}
