namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>A tensor to be written: name, element type, shape.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">The element type on disk (F32, F16, BF16 or F64).</param>
/// <param name="Shape">The dimensions, outermost first.</param>
public readonly record struct TensorSpec(string Name, TensorDType DType, IReadOnlyList<long> Shape)
{
    /// <summary>The number of elements.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long dimension in Shape)
            {
                count *= dimension;
            }

            return count;
        }
    }
}
