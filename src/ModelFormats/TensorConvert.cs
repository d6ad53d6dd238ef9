using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    // Software prefetch distance for the 16-bit widening loops: 4 KiB ahead, i.e. into the next page, which the hardware
    // prefetchers do not cross into (the measurement that kept it is in docs/model-formats.md).
    private const int PrefetchElements = 2048;

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
        return Widen16<BFloat16Widening>(source, destination);
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
        return Widen16<HalfWidening>(MemoryMarshal.Cast<Half, ushort>(source), destination);
    }

    /// <summary>Converts little-endian raw bytes of a floating dtype (F32, F16, BF16, F64) into float32.</summary>
    /// <param name="dtype">The element type of <paramref name="source"/>.</param>
    /// <param name="source">Exactly <c>destination.Length × dtype size</c> bytes; any alignment.</param>
    /// <param name="destination">The floats.</param>
    /// <returns>The index of the first element that is not finite in float32, or -1.</returns>
    /// <exception cref="ArgumentException">The dtype is not a float type, or the lengths disagree.</exception>
    public static int ToSingle(TensorDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (!dtype.IsReadableAsSingle())
        {
            throw new ArgumentException($"dtype {dtype.ToSafetensorsName()} cannot be converted to float32.", nameof(dtype));
        }

        if (source.Length != (long)destination.Length * dtype.SizeInBytes())
        {
            throw new ArgumentException(
                $"Source holds {source.Length} bytes; {destination.Length} {dtype.ToSafetensorsName()} values need {(long)destination.Length * dtype.SizeInBytes()}.",
                nameof(source));
        }

        return dtype switch
        {
            TensorDType.BF16 => WidenBFloat16(MemoryMarshal.Cast<byte, ushort>(source), destination),
            TensorDType.F16 => WidenHalf(MemoryMarshal.Cast<byte, Half>(source), destination),
            TensorDType.F32 => CopySingle(MemoryMarshal.Cast<byte, float>(source), destination),
            _ => NarrowDouble(MemoryMarshal.Cast<byte, double>(source), destination),
        };
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

    // One pass over 16-bit patterns: widen each to float32 with TWidening and OR together an "exponent all ones"
    // mask, so the finiteness check costs no second pass. Vector256 where accelerated, scalar for the rest.
    private static int Widen16<TWidening>(ReadOnlySpan<ushort> source, Span<float> destination)
        where TWidening : struct, IWidening16
    {
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        int n = source.Length;
        int i = 0;
        bool vectorPartNonFinite = false;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<ushort>.Count)
        {
            var exponent = Vector256.Create(TWidening.ExponentMask);
            Vector256<ushort> nonFinite = Vector256<ushort>.Zero;
            int last = n - Vector256<ushort>.Count;
            for (; i <= last; i += Vector256<ushort>.Count)
            {
                if (Sse.IsSupported && (i & 31) == 0)
                {
                    // One hint per 64-byte line; a prefetch never faults, so running past the end is harmless.
                    unsafe
                    {
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref src, i + PrefetchElements)));
                    }
                }

                Vector256<ushort> v = Vector256.LoadUnsafe(ref src, (nuint)i);
                nonFinite |= Vector256.Equals(v & exponent, exponent);
                (Vector256<uint> low, Vector256<uint> high) = Vector256.Widen(v);
                Vector256.StoreUnsafe(TWidening.Widen(low), ref dst, (nuint)i);
                Vector256.StoreUnsafe(TWidening.Widen(high), ref dst, (nuint)(i + Vector256<uint>.Count));
            }

            vectorPartNonFinite = nonFinite != Vector256<ushort>.Zero;
        }

        int vectorEnd = i;
        int firstBad = -1;
        for (; i < n; i++)
        {
            ushort bits = Unsafe.Add(ref src, i);
            Unsafe.Add(ref dst, i) = TWidening.Widen(bits);
            if (firstBad < 0 && (bits & TWidening.ExponentMask) == TWidening.ExponentMask)
            {
                firstBad = i;
            }
        }

        return vectorPartNonFinite ? IndexOfExponentAllOnes(source[..vectorEnd], TWidening.ExponentMask) : firstBad;
    }

    private interface IWidening16
    {
        static abstract ushort ExponentMask { get; }

        static abstract float Widen(ushort bits);

        static abstract Vector256<float> Widen(Vector256<uint> bits);
    }

    private readonly struct BFloat16Widening : IWidening16
    {
        public static ushort ExponentMask => 0x7F80;

        public static float Widen(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen(Vector256<uint> bits) => Vector256.ShiftLeft(bits, 16).AsSingle();
    }

    private readonly struct HalfWidening : IWidening16
    {
        public static ushort ExponentMask => 0x7C00;

        public static float Widen(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

        // Exact binary16 → binary32: shift exponent and mantissa into place and rebias; Inf/NaN get the full float
        // exponent; subnormals are renormalised by an exact float subtraction of 2^-14.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen(Vector256<uint> half)
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
