namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>One entry of a safetensors tensor table.</summary>
/// <param name="Name">The tensor's name (its key in the header).</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The dimensions, outermost first; empty for a scalar.</param>
/// <param name="DataStart">Start of the tensor's bytes, relative to the start of the byte buffer.</param>
/// <param name="DataEnd">End (exclusive) of the tensor's bytes, relative to the start of the byte buffer.</param>
public sealed record TensorInfo(string Name, TensorDType DType, IReadOnlyList<long> Shape, long DataStart, long DataEnd)
{
    /// <summary>The number of elements (1 for a scalar, 0 when a dimension is 0).</summary>
    public long ElementCount { get; } = Product(Shape, 0);

    /// <summary>The number of bytes the tensor occupies: <c>DataEnd - DataStart</c>.</summary>
    public long ByteLength => DataEnd - DataStart;

    /// <summary>The tensor seen as a matrix: the first dimension (1 for a scalar).</summary>
    public long Rows { get; } = Shape.Count == 0 ? 1 : Shape[0];

    /// <summary>The tensor seen as a matrix: the product of every dimension after the first (a conv kernel flattens as PyTorch does).</summary>
    public long Columns { get; } = Product(Shape, 1);

    /// <summary>The shape as the format writes it, e.g. <c>[16, 4096]</c>.</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    private static long Product(IReadOnlyList<long> shape, int from)
    {
        long product = 1;
        for (int i = from; i < shape.Count; i++)
        {
            product *= shape[i];
        }

        return product;
    }
}
