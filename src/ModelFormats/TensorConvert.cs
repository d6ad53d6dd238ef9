using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OrleansUws.ModelFormats;

/// <summary>
/// Element-type conversion kernels between the safetensors floating types and float32. Widening is exact
/// (bf16 and f16 are subsets of binary32); NaN and ±Inf are converted like any other value, and the
/// widening kernels return the index of the first non-finite element (or -1) so readers can reject it.
/// The widening kernels run on 256-bit vectors where the hardware accelerates them (x64 with AVX2) and fall back
/// to scalar code elsewhere and for the tail; both paths produce identical bits.
/// </summary>
public static class TensorConvert
{
    private const int ChunkElements = 4096;

    /// <summary>
    /// Widens bfloat16 bit patterns to float32: <c>destination[i] = bits(source[i] &lt;&lt; 16)</c>, exact for all
    /// 65,536 patterns (NaN payloads included).
    /// </summary>
    /// <param name="source">bfloat16 bit patterns.</param>
    /// <param name="destination">At least <c>source.Length</c> floats; must not overlap <paramref name="source"/>.</param>
    /// <returns>The index of the first NaN or ±Inf element, or -1 when all are finite.</returns>
    public static int WidenBFloat16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ValidateDestination(MemoryMarshal.AsBytes(source), source.Length, destination);
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        int n = source.Length;
        int i = 0;
        bool vectorPartNonFinite = false;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<ushort>.Count)
        {
            var exponent = Vector256.Create((ushort)0x7F80);
            Vector256<ushort> nonFinite = Vector256<ushort>.Zero;
            int last = n - Vector256<ushort>.Count;
            for (; i <= last; i += Vector256<ushort>.Count)
            {
                Vector256<ushort> v = Vector256.LoadUnsafe(ref src, (nuint)i);
                nonFinite |= Vector256.Equals(v & exponent, exponent);
                (Vector256<uint> low, Vector256<uint> high) = Vector256.Widen(v);
                Vector256.StoreUnsafe(Vector256.ShiftLeft(low, 16).AsSingle(), ref dst, (nuint)i);
                Vector256.StoreUnsafe(Vector256.ShiftLeft(high, 16).AsSingle(), ref dst, (nuint)(i + Vector256<uint>.Count));
            }

            vectorPartNonFinite = nonFinite != Vector256<ushort>.Zero;
        }

        int vectorEnd = i;
        int firstBad = -1;
        for (; i < n; i++)
        {
            ushort bits = Unsafe.Add(ref src, i);
            Unsafe.Add(ref dst, i) = BitConverter.UInt32BitsToSingle((uint)bits << 16);
            if (firstBad < 0 && (bits & 0x7F80) == 0x7F80)
            {
                firstBad = i;
            }
        }

        return vectorPartNonFinite ? IndexOfExponentAllOnes(source[..vectorEnd], (ushort)0x7F80) : firstBad;
    }

    /// <summary>
    /// Widens IEEE binary16 values to float32 (exact for every finite value, ±Inf and NaN stay so).
    /// </summary>
    /// <param name="source">binary16 values.</param>
    /// <param name="destination">At least <c>source.Length</c> floats; must not overlap <paramref name="source"/>.</param>
    /// <returns>The index of the first NaN or ±Inf element, or -1 when all are finite.</returns>
    public static int WidenHalf(ReadOnlySpan<Half> source, Span<float> destination)
    {
        ValidateDestination(MemoryMarshal.AsBytes(source), source.Length, destination);
        ref ushort src = ref Unsafe.As<Half, ushort>(ref MemoryMarshal.GetReference(source));
        ref float dst = ref MemoryMarshal.GetReference(destination);
        int n = source.Length;
        int i = 0;
        bool vectorPartNonFinite = false;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<ushort>.Count)
        {
            var exponent = Vector256.Create((ushort)0x7C00);
            Vector256<ushort> nonFinite = Vector256<ushort>.Zero;
            int last = n - Vector256<ushort>.Count;
            for (; i <= last; i += Vector256<ushort>.Count)
            {
                Vector256<ushort> v = Vector256.LoadUnsafe(ref src, (nuint)i);
                nonFinite |= Vector256.Equals(v & exponent, exponent);
                (Vector256<uint> low, Vector256<uint> high) = Vector256.Widen(v);
                Vector256.StoreUnsafe(HalfBitsToSingle(low), ref dst, (nuint)i);
                Vector256.StoreUnsafe(HalfBitsToSingle(high), ref dst, (nuint)(i + Vector256<uint>.Count));
            }

            vectorPartNonFinite = nonFinite != Vector256<ushort>.Zero;
        }

        int vectorEnd = i;
        int firstBad = -1;
        for (; i < n; i++)
        {
            ushort bits = Unsafe.Add(ref src, i);
            Unsafe.Add(ref dst, i) = (float)BitConverter.UInt16BitsToHalf(bits);
            if (firstBad < 0 && (bits & 0x7C00) == 0x7C00)
            {
                firstBad = i;
            }
        }

        return vectorPartNonFinite
            ? IndexOfExponentAllOnes(MemoryMarshal.Cast<Half, ushort>(source)[..vectorEnd], (ushort)0x7C00)
            : firstBad;
    }

    /// <summary>Copies float32 values, checking for non-finite ones.</summary>
    /// <param name="source">float32 values.</param>
    /// <param name="destination">At least <c>source.Length</c> floats; may be the same memory as the source but must not partially overlap.</param>
    /// <returns>The index of the first NaN or ±Inf element, or -1 when all are finite.</returns>
    public static int CopySingle(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} elements; {source.Length} are needed.", nameof(destination));
        }

        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(source);
        int firstBad = -1;
        for (int start = 0; start < source.Length; start += ChunkElements)
        {
            int count = Math.Min(ChunkElements, source.Length - start);
            if (firstBad < 0)
            {
                int bad = IndexOfExponentAllOnes(bits.Slice(start, count), 0x7F800000u);
                firstBad = bad < 0 ? -1 : start + bad;
            }

            source.Slice(start, count).CopyTo(destination.Slice(start, count));
        }

        return firstBad;
    }

    /// <summary>
    /// Narrows float64 to float32 (round to nearest). Values beyond the float32 range become ±Inf and count as non-finite.
    /// </summary>
    /// <param name="source">float64 values.</param>
    /// <param name="destination">At least <c>source.Length</c> floats; must not overlap <paramref name="source"/>.</param>
    /// <returns>The index of the first element that is not finite in float32, or -1.</returns>
    public static int NarrowDouble(ReadOnlySpan<double> source, Span<float> destination)
    {
        ValidateDestination(MemoryMarshal.AsBytes(source), source.Length, destination);
        int firstBad = -1;
        for (int i = 0; i < source.Length; i++)
        {
            float value = (float)source[i];
            destination[i] = value;
            if (firstBad < 0 && !float.IsFinite(value))
            {
                firstBad = i;
            }
        }

        return firstBad;
    }

    /// <summary>
    /// Narrows float32 to bfloat16 bit patterns with round-to-nearest-even; NaN stays NaN (quieted), overflow rounds to ±Inf.
    /// </summary>
    /// <param name="source">float32 values.</param>
    /// <param name="destination">At least <c>source.Length</c> elements; must not overlap <paramref name="source"/>.</param>
    public static void NarrowToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} elements; {source.Length} are needed.", nameof(destination));
        }

        if (MemoryMarshal.AsBytes(source).Overlaps(MemoryMarshal.AsBytes((ReadOnlySpan<ushort>)destination)))
        {
            throw new ArgumentException("Source and destination overlap.", nameof(destination));
        }

        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = ToBFloat16(source[i]);
        }
    }

    /// <summary>Narrows float32 to IEEE binary16 (round to nearest even).</summary>
    /// <param name="source">float32 values.</param>
    /// <param name="destination">At least <c>source.Length</c> elements.</param>
    public static void NarrowToHalf(ReadOnlySpan<float> source, Span<Half> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} elements; {source.Length} are needed.", nameof(destination));
        }

        TensorPrimitives.ConvertToHalf(source, destination[..source.Length]);
    }

    /// <summary>Rounds one float32 to the nearest bfloat16 (ties to even) and returns its bit pattern.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The bfloat16 bit pattern.</returns>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u)
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        uint rounding = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + rounding) >> 16);
    }

    // Exact binary16 → binary32 on widened bit patterns: shift exponent and mantissa into place and rebias; Inf/NaN get
    // the full float exponent; subnormals are renormalised by an exact float subtraction of 2^-14.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfBitsToSingle(Vector256<uint> half)
    {
        var exponentMask = Vector256.Create(0x0F80_0000u);
        Vector256<uint> shifted = Vector256.ShiftLeft(half & Vector256.Create(0x7FFFu), 13);
        Vector256<uint> exponent = shifted & exponentMask;
        Vector256<uint> rebiased = shifted + Vector256.Create((127u - 15u) << 23);
        rebiased += Vector256.Equals(exponent, exponentMask) & Vector256.Create((128u - 16u) << 23);
        Vector256<uint> subnormal = Vector256.Equals(exponent, Vector256<uint>.Zero);
        Vector256<float> renormalised = (rebiased + Vector256.Create(1u << 23)).AsSingle() - Vector256.Create(6.103515625e-05f);
        Vector256<uint> magnitude = Vector256.ConditionalSelect(subnormal, renormalised.AsUInt32(), rebiased);
        return (magnitude | Vector256.ShiftLeft(half & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    private static void ValidateDestination(ReadOnlySpan<byte> sourceBytes, int sourceLength, Span<float> destination)
    {
        if (destination.Length < sourceLength)
        {
            throw new ArgumentException($"Destination holds {destination.Length} elements; {sourceLength} are needed.", nameof(destination));
        }

        if (sourceBytes.Overlaps(MemoryMarshal.AsBytes((ReadOnlySpan<float>)destination)))
        {
            throw new ArgumentException("Source and destination overlap.", nameof(destination));
        }
    }

    private static int IndexOfExponentAllOnes<T>(ReadOnlySpan<T> bits, T exponentMask)
        where T : unmanaged, IBinaryInteger<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= Vector<T>.Count)
        {
            var mask = new Vector<T>(exponentMask);
            ref T start = ref MemoryMarshal.GetReference(bits);
            int last = bits.Length - Vector<T>.Count;
            for (; i <= last; i += Vector<T>.Count)
            {
                Vector<T> v = Vector.LoadUnsafe(ref start, (nuint)i);
                if (Vector.EqualsAny(v & mask, mask))
                {
                    break;
                }
            }
        }

        for (; i < bits.Length; i++)
        {
            if ((bits[i] & exponentMask) == exponentMask)
            {
                return i;
            }
        }

        return -1;
    }
}
