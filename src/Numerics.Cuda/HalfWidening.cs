namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// Host widening of 16-bit floats to float32, the reference for (and fallback of) the device kernels in
/// <see cref="WideningPtx"/>: bf16 bits b become float32 bits b &lt;&lt; 16; IEEE half converts exactly. Both are exact and
/// keep NaN and ±∞.
/// </summary>
public static class HalfWidening
{
    /// <summary>destination[i] = the float32 whose bits are source[i] &lt;&lt; 16 (bf16 bit patterns); destination must hold source.Length elements.</summary>
    public static void WidenBFloat16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"destination has {destination.Length} elements; source has {source.Length}.", nameof(destination));
        }

        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = BitConverter.Int32BitsToSingle(source[i] << 16);
        }
    }

    /// <summary>destination[i] = (float)source[i]; destination must hold source.Length elements.</summary>
    public static void Widen(ReadOnlySpan<Half> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"destination has {destination.Length} elements; source has {source.Length}.", nameof(destination));
        }

        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = (float)source[i];
        }
    }
}
