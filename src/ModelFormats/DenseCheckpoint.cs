using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.ModelFormats;

/// <summary>
/// A dense checkpoint (single file or sharded) seen as layers: every float tensor with at least 2 dimensions whose
/// name ends in <c>.weight</c> is a layer, W = the tensor as an m × (product of the other dimensions) matrix.
/// Weights of modules listed in <see cref="ModelReaderOptions.TransposedModules"/> are stored in × out and are
/// transposed on read, so every read returns canonical W (out × in).
/// </summary>
public sealed class DenseCheckpoint : IModelReader
{
    private readonly ITensorSource _source;
    private readonly LayerTable<TensorInfo> _layers;

    private DenseCheckpoint(string path, ITensorSource source, LayerTable<TensorInfo> layers)
    {
        Path = path;
        _source = source;
        _layers = layers;
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public ModelKind Kind => ModelKind.DenseCheckpoint;

    /// <inheritdoc/>
    public IReadOnlyList<LayerInfo> Layers => _layers.Layers;

    /// <inheritdoc/>
    public ModelArchitecture Architecture => _layers.Architecture;

    /// <summary>The underlying tensors.</summary>
    public ITensorSource Source => _source;

    /// <summary>Opens a checkpoint (see <see cref="TensorSource.Open"/> for the accepted paths).</summary>
    /// <param name="path">The file, index, or folder.</param>
    /// <param name="options">Orientation options; defaults when <see langword="null"/>.</param>
    /// <returns>The checkpoint.</returns>
    /// <exception cref="ModelFormatException">The checkpoint is defective.</exception>
    public static DenseCheckpoint Open(string path, ModelReaderOptions? options = null)
    {
        options ??= new ModelReaderOptions();
        ITensorSource source = TensorSource.Open(path);
        try
        {
            var layers = new List<(LayerInfo, TensorInfo)>();
            foreach (TensorInfo tensor in source.Tensors)
            {
                if (tensor.Shape.Count < 2 || !tensor.DType.IsReadableAsSingle() || !tensor.Name.EndsWith(".weight", StringComparison.Ordinal))
                {
                    continue;
                }

                string layerId = PeftKeys.DenseLayerId(tensor.Name);
                bool transposed = options.TransposedModules.Contains(layerId[(layerId.LastIndexOf('.') + 1)..]);
                if (transposed && tensor.Shape.Count != 2)
                {
                    throw new ModelFormatException(source.Path, tensor.Name, $"a transposed (Conv1D) weight must have 2 dimensions, not {tensor.ShapeText}");
                }

                (long m, long n) = transposed ? (tensor.Columns, tensor.Rows) : (tensor.Rows, tensor.Columns);
                if (m > int.MaxValue || n > int.MaxValue)
                {
                    throw new ModelFormatException(source.Path, tensor.Name, $"weight {tensor.ShapeText} is too large for a layer");
                }

                layers.Add((new LayerInfo(layerId, (int)m, (int)n, 0, transposed), tensor));
            }

            return new DenseCheckpoint(path, source, new LayerTable<TensorInfo>(source.Path, layers));
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public LayerInfo GetLayer(string layerId) => _layers.Get(layerId).Info;

    /// <inheritdoc/>
    public double ReadLoraFactors(string layerId, Span<float> a, Span<float> b) =>
        throw new InvalidOperationException($"'{Path}' is a dense checkpoint; layer '{layerId}' has no LoRA factors.");

    /// <inheritdoc/>
    public void ReadRows(string layerId, int rowStart, int rowCount, Span<float> destination) =>
        ReadBlock(layerId, rowStart, rowCount, destination, rows: true);

    /// <inheritdoc/>
    public void ReadColumns(string layerId, int columnStart, int columnCount, Span<float> destination) =>
        ReadBlock(layerId, columnStart, columnCount, destination, rows: false);

    /// <summary>Closes the checkpoint.</summary>
    public void Dispose() => _source.Dispose();

    // A block of rows (or columns) of W is the same block of the stored tensor, or — stored transposed — a block of its
    // columns (rows), read and transposed through a pooled buffer.
    private void ReadBlock(string layerId, int start, int count, Span<float> destination, bool rows)
    {
        (LayerInfo layer, TensorInfo tensor) = _layers.Get(layerId);
        if (!layer.Transposed)
        {
            if (rows)
            {
                _source.ReadRows(tensor.Name, start, count, destination);
            }
            else
            {
                _source.ReadColumns(tensor.Name, start, count, destination);
            }

            return;
        }

        (int limit, int other, string what) = rows ? (layer.OutFeatures, layer.InFeatures, "rows") : (layer.InFeatures, layer.OutFeatures, "columns");
        if (!Guard.InBlock(start, count, limit))
        {
            throw Guard.BlockOutside(nameof(start), start, count, limit, $"{what} of layer '{layerId}'");
        }

        if (destination.Length != (long)count * other)
        {
            throw Guard.LengthMismatch(destination.Length, (long)count * other, $"{count} {what} of layer '{layerId}' ({layer.Shape})");
        }

        using var stored = new ScratchBuffer<float>(count * other);
        if (rows)
        {
            _source.ReadColumns(tensor.Name, start, count, stored.Span); // in × count
            Transpose(stored.Span, other, count, destination);
        }
        else
        {
            _source.ReadRows(tensor.Name, start, count, stored.Span);    // count × out
            Transpose(stored.Span, count, other, destination);
        }
    }

    // destination (cols × rows) = sourceᵀ, source rows × cols.
    private static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                destination[j * rows + i] = source[i * cols + j];
            }
        }
    }
}
