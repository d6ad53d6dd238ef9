using System.Diagnostics.CodeAnalysis;

namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>
/// A set of named tensors readable into float32: one safetensors file or a sharded checkpoint.
/// Reads are thread-safe; disposing while a read is in progress is not.
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>The file (or index file) the tensors come from.</summary>
    string Path { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, in the order of their bytes.</summary>
    IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>Looks a tensor up by name.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="info">The entry when found.</param>
    /// <returns>Whether the tensor exists.</returns>
    bool TryGetTensor(string name, [NotNullWhen(true)] out TensorInfo? info);

    /// <summary>Looks a tensor up by name; a <see cref="ModelFormatException"/> names it when absent.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>The entry.</returns>
    TensorInfo GetTensor(string name);

    /// <summary>Reads a whole tensor, widened to float32, checking every value is finite.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="destination">Exactly <see cref="TensorInfo.ElementCount"/> floats.</param>
    void ReadTensor(string name, Span<float> destination);

    /// <summary>Reads rows <c>[rowStart, rowStart + rowCount)</c> of the tensor seen as a <see cref="TensorInfo.Rows"/> × <see cref="TensorInfo.Columns"/> matrix.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="rowStart">First row.</param>
    /// <param name="rowCount">Number of rows.</param>
    /// <param name="destination">Exactly <c>rowCount × Columns</c> floats, row-major.</param>
    void ReadRows(string name, long rowStart, int rowCount, Span<float> destination);

    /// <summary>Reads columns <c>[columnStart, columnStart + columnCount)</c> of the tensor seen as a matrix.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="columnStart">First column.</param>
    /// <param name="columnCount">Number of columns.</param>
    /// <param name="destination">Exactly <c>Rows × columnCount</c> floats, row-major.</param>
    void ReadColumns(string name, long columnStart, int columnCount, Span<float> destination);
}
