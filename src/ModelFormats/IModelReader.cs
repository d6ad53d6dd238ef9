namespace OrleansUws.ModelFormats;

/// <summary>
/// One model (LoRA adapter or dense checkpoint) seen as a set of layers in canonical orientation W (m × n, out × in).
/// Reads are thread-safe; all matrices are row-major float32.
/// </summary>
public interface IModelReader : IDisposable
{
    /// <summary>The path the model was opened from.</summary>
    string Path { get; }

    /// <summary>Adapter or dense checkpoint.</summary>
    ModelKind Kind { get; }

    /// <summary>The layers, sorted by layer id (ordinal).</summary>
    IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>The model's architecture (layer id → m × n), for fleet identity checks.</summary>
    ModelArchitecture Architecture { get; }

    /// <summary>Looks a layer up; a <see cref="ModelFormatException"/> names it when absent.</summary>
    /// <param name="layerId">The layer id.</param>
    /// <returns>The layer.</returns>
    LayerInfo GetLayer(string layerId);

    /// <summary>
    /// Adapters only: reads A (r × n) and B (m × r) as stored (they are canonical whatever <c>fan_in_fan_out</c> says)
    /// and returns the scaling s, so that ΔW = s·B·A.
    /// </summary>
    /// <param name="layerId">The layer id.</param>
    /// <param name="a">Exactly r × n floats.</param>
    /// <param name="b">Exactly m × r floats.</param>
    /// <returns>The scaling s.</returns>
    /// <exception cref="InvalidOperationException">The model is a dense checkpoint.</exception>
    double ReadLoraFactors(string layerId, Span<float> a, Span<float> b);

    /// <summary>
    /// Reads rows <c>[rowStart, rowStart + rowCount)</c> of W (dense) or of ΔW = s·B·A (adapter, computed from the
    /// factors without forming the rest of ΔW).
    /// </summary>
    /// <param name="layerId">The layer id.</param>
    /// <param name="rowStart">First row.</param>
    /// <param name="rowCount">Number of rows.</param>
    /// <param name="destination">Exactly rowCount × n floats.</param>
    void ReadRows(string layerId, int rowStart, int rowCount, Span<float> destination);

    /// <summary>Reads columns <c>[columnStart, columnStart + columnCount)</c> of W or ΔW, row-major m × columnCount.</summary>
    /// <param name="layerId">The layer id.</param>
    /// <param name="columnStart">First column.</param>
    /// <param name="columnCount">Number of columns.</param>
    /// <param name="destination">Exactly m × columnCount floats.</param>
    void ReadColumns(string layerId, int columnStart, int columnCount, Span<float> destination);
}
