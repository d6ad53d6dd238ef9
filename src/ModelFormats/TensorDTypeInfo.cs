namespace OrleansUws.ModelFormats;

/// <summary>Sizes and safetensors names of <see cref="TensorDType"/> values.</summary>
public static class TensorDTypeInfo
{
    private static readonly string[] Names =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "I64", "U64", "F64"];

    /// <summary>Bytes per element.</summary>
    public static int SizeInBytes(this TensorDType dtype) => dtype switch
    {
        TensorDType.Bool or TensorDType.U8 or TensorDType.I8 or TensorDType.F8E5M2 or TensorDType.F8E4M3 => 1,
        TensorDType.I16 or TensorDType.U16 or TensorDType.F16 or TensorDType.BF16 => 2,
        TensorDType.I32 or TensorDType.U32 or TensorDType.F32 => 4,
        TensorDType.I64 or TensorDType.U64 or TensorDType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>Whether tensors of this type can be read (widened or narrowed) into float32: F32, F16, BF16, F64.</summary>
    public static bool IsReadableAsSingle(this TensorDType dtype) =>
        dtype is TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 or TensorDType.F64;

    /// <summary>The name used in a safetensors header, e.g. <c>"BF16"</c>.</summary>
    public static string ToSafetensorsName(this TensorDType dtype) =>
        (uint)dtype < (uint)Names.Length
            ? Names[(int)dtype]
            : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype.");

    /// <summary>Parses a safetensors dtype name (case-sensitive, as the format defines them).</summary>
    public static bool TryParseSafetensorsName(string name, out TensorDType dtype)
    {
        int index = Array.IndexOf(Names, name);
        dtype = index < 0 ? default : (TensorDType)index;
        return index >= 0;
    }
}
