namespace OrleansUws.ModelFormats;

/// <summary>The canonical shape of a layer's weight W: out features m × in features n.</summary>
/// <param name="OutFeatures">m, the number of rows of W.</param>
/// <param name="InFeatures">n, the number of columns of W.</param>
public readonly record struct LayerShape(int OutFeatures, int InFeatures)
{
    /// <summary>Formats as <c>m×n</c>, e.g. <c>1024×4096</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{OutFeatures}×{InFeatures}";
}
