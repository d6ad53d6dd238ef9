using System.Runtime.Intrinsics;

namespace OrleansUws.Numerics.Internal;

/// <summary>Argument checks shared by the kernels; every message names the argument and the shapes involved.</summary>
internal static class Guard
{
    /// <summary>Throws unless a row-major rows×cols matrix with leading dimension ld fits in <paramref name="length"/> elements.</summary>
    public static void Matrix(string name, int length, int rows, int cols, int ld)
    {
        if (rows < 0 || cols < 0)
        {
            throw new ArgumentOutOfRangeException(name, $"Matrix '{name}' has negative shape {rows}×{cols}.");
        }

        if (ld < Math.Max(cols, 1))
        {
            throw new ArgumentException($"Leading dimension of '{name}' is {ld}, less than its {cols} columns.", name);
        }

        long needed = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;
        if (length < needed)
        {
            throw new ArgumentException(
                $"Matrix '{name}' ({rows}×{cols}, leading dimension {ld}) needs {needed} elements but has {length}.", name);
        }
    }

    /// <summary>Throws unless <paramref name="length"/> equals <paramref name="expected"/>.</summary>
    public static void Length(string name, int length, long expected, string shape)
    {
        if (length != expected)
        {
            throw new ArgumentException($"'{name}' has {length} elements; {shape} needs exactly {expected}.", name);
        }
    }

    /// <summary>Throws unless <paramref name="length"/> is at least <paramref name="expected"/>.</summary>
    public static void AtLeast(string name, int length, long expected, string shape)
    {
        if (length < expected)
        {
            throw new ArgumentException($"'{name}' has {length} elements; {shape} needs at least {expected}.", name);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is positive.</summary>
    public static void Positive(string name, int value)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be positive.");
        }
    }

    /// <summary>Returns the index of the first NaN or infinite element, or -1 (SIMD scan, scalar search only on failure).</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        // x − x is 0 for finite x and NaN for ±∞ and NaN, so one NaN lane survives the whole accumulation. Four
        // independent accumulators: one chain ran at the add latency, below what memory delivers (512 KiB per adapter).
        ref float origin = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(values);
        int i = 0;
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero;
        var a3 = Vector256<float>.Zero;
        for (; i + 32 <= values.Length; i += 32)
        {
            var v0 = Vector256.LoadUnsafe(ref origin, (nuint)i);
            var v1 = Vector256.LoadUnsafe(ref origin, (nuint)(i + 8));
            var v2 = Vector256.LoadUnsafe(ref origin, (nuint)(i + 16));
            var v3 = Vector256.LoadUnsafe(ref origin, (nuint)(i + 24));
            a0 += v0 - v0;
            a1 += v1 - v1;
            a2 += v2 - v2;
            a3 += v3 - v3;
        }

        bool clean = ((a0 + a1) + (a2 + a3)) == Vector256<float>.Zero;
        for (int j = clean ? i : 0; j < values.Length; j++)
        {
            if (!float.IsFinite(values[j]))
            {
                return j;
            }
        }

        return -1;
    }
}
