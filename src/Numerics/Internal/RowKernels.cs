using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// The float32 → float64 row arithmetic of a sketch append (column means, energies, mean updates, the small
/// left-factor product), as <see cref="Vector256{T}"/> loops that validate lengths first.
/// </summary>
internal static class RowKernels
{
    private const int FloatLanes = 8;
    private const int DoubleLanes = 4;

    /// <summary>destination[j] = source[j] − centre[j] in float64 (no centring when <paramref name="centre"/> is empty).</summary>
    public static void Widen(ReadOnlySpan<float> source, ReadOnlySpan<double> centre, Span<double> destination)
    {
        int n = source.Length;
        Guard.AtLeast(nameof(destination), destination.Length, n, "the source's length");
        if (!centre.IsEmpty)
        {
            Guard.AtLeast(nameof(centre), centre.Length, n, "the source's length");
        }

        WidenUnchecked(source, centre, destination);
    }

    /// <summary><see cref="Widen"/> without the length checks, for loops whose caller checked the whole block.</summary>
    internal static void WidenUnchecked(ReadOnlySpan<float> source, ReadOnlySpan<double> centre, Span<double> destination)
    {
        int n = source.Length;
        ref float s = ref MemoryMarshal.GetReference(source);
        ref double d = ref MemoryMarshal.GetReference(destination);
        ref double c = ref MemoryMarshal.GetReference(centre);
        bool centred = !centre.IsEmpty;
        int j = 0;
        for (; j + FloatLanes <= n; j += FloatLanes)
        {
            var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)j));
            if (centred)
            {
                low -= Vector256.LoadUnsafe(ref c, (nuint)j);
                high -= Vector256.LoadUnsafe(ref c, (nuint)(j + DoubleLanes));
            }

            low.StoreUnsafe(ref d, (nuint)j);
            high.StoreUnsafe(ref d, (nuint)(j + DoubleLanes));
        }

        for (; j < n; j++)
        {
            Unsafe.Add(ref d, j) = centred ? Unsafe.Add(ref s, j) - Unsafe.Add(ref c, j) : Unsafe.Add(ref s, j);
        }
    }

    /// <summary>destination[j] += alpha · x[j] (x float32, destination float64).</summary>
    public static void AddScaled(ReadOnlySpan<float> x, double alpha, Span<double> destination)
    {
        Guard.AtLeast(nameof(destination), destination.Length, x.Length, "x's length");
        AddScaledUnchecked(x, alpha, destination);
    }

    private static void AddScaledUnchecked(ReadOnlySpan<float> x, double alpha, Span<double> destination)
    {
        int n = x.Length;
        ref float s = ref MemoryMarshal.GetReference(x);
        ref double d = ref MemoryMarshal.GetReference(destination);
        var a = Vector256.Create(alpha);
        int j = 0;
        for (; j + FloatLanes <= n; j += FloatLanes)
        {
            var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)j));
            Vector256.FusedMultiplyAdd(a, low, Vector256.LoadUnsafe(ref d, (nuint)j)).StoreUnsafe(ref d, (nuint)j);
            Vector256.FusedMultiplyAdd(a, high, Vector256.LoadUnsafe(ref d, (nuint)(j + DoubleLanes))).StoreUnsafe(ref d, (nuint)(j + DoubleLanes));
        }

        for (; j < n; j++)
        {
            Unsafe.Add(ref d, j) += alpha * Unsafe.Add(ref s, j);
        }
    }

    /// <summary>Σ x[j]·y[j] accumulated in float64 (no float32 overflow or underflow of the products).</summary>
    public static double WideDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        var low = Vector256<double>.Zero;
        var high = Vector256<double>.Zero;
        int j = 0;
        for (; j + FloatLanes <= x.Length; j += FloatLanes)
        {
            var (a, b) = Vector256.Widen(Vector256.LoadUnsafe(ref xs, (nuint)j));
            var (c, d) = Vector256.Widen(Vector256.LoadUnsafe(ref ys, (nuint)j));
            low = Vector256.FusedMultiplyAdd(a, c, low);
            high = Vector256.FusedMultiplyAdd(b, d, high);
        }

        double sum = Vector256.Sum(low + high);
        for (; j < x.Length; j++)
        {
            sum += (double)x[j] * y[j];
        }

        return sum;
    }

    /// <summary>Σ x[j]² accumulated in float64.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x) => WideDot(x, x);

    /// <summary>mean[j] = (1/rowCount) Σ_i rows[i·width + j] in float64.</summary>
    public static void ColumnMeans(ReadOnlySpan<float> rows, int rowCount, int width, Span<double> mean)
    {
        Guard.Positive(nameof(rowCount), rowCount);
        Guard.AtLeast(nameof(rows), rows.Length, (long)rowCount * width, $"{rowCount} rows of {width}");
        Guard.AtLeast(nameof(mean), mean.Length, width, $"{width} means");
        var target = mean[..width];
        target.Clear();
        for (int i = 0; i < rowCount; i++)
        {
            AddScaledUnchecked(rows.Slice(i * width, width), 1.0, target);
        }

        double inverse = 1.0 / rowCount;
        for (int j = 0; j < width; j++)
        {
            target[j] *= inverse;
        }
    }

    /// <summary>
    /// destination (k×d) = factor (k×r) · right (r×d), all float32 row-major, for a small r (a LoRA rank). Column
    /// blocks of 32 are packed into a contiguous r×32 panel first (the r rows of <paramref name="right"/> lie a
    /// power-of-two stride apart and would fight over the same L1 sets), then pairs of output rows accumulate their
    /// block from the panel in eight independent register chains.
    /// </summary>
    public static void Combine(ReadOnlySpan<float> factor, int k, int r, ReadOnlySpan<float> right, int d, Span<float> destination)
    {
        CheckCombine(factor, k, r, right, d, destination);
        const int Block = 4 * FloatLanes;
        using var packed = new PooledArray<float>(r * Block);
        ref float panel = ref MemoryMarshal.GetReference(packed.Span);
        ref float o = ref MemoryMarshal.GetReference(destination);
        ref float f = ref MemoryMarshal.GetReference(factor);
        int j = 0;
        for (; j + Block <= d; j += Block)
        {
            for (int p = 0; p < r; p++)
            {
                right.Slice((p * d) + j, Block).CopyTo(packed.Span.Slice(p * Block, Block));
            }

            // Two output rows per pass: eight independent FMA chains hide the FMA latency (four chains left the
            // loop latency-bound at half the FMA rate), and each panel load feeds two of them. With k odd the last
            // pass computes its row twice and stores the same values twice.
            for (int row = 0; row < k; row += 2)
            {
                int next = Math.Min(row + 1, k - 1);
                ref float w0 = ref Unsafe.Add(ref f, row * r);
                ref float w1 = ref Unsafe.Add(ref f, next * r);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
                for (int p = 0; p < r; p++)
                {
                    ref float source = ref Unsafe.Add(ref panel, p * Block);
                    var s0 = Vector256.LoadUnsafe(ref source);
                    var s1 = Vector256.LoadUnsafe(ref source, FloatLanes);
                    var s2 = Vector256.LoadUnsafe(ref source, 2 * FloatLanes);
                    var s3 = Vector256.LoadUnsafe(ref source, 3 * FloatLanes);
                    var x = Vector256.Create(Unsafe.Add(ref w0, p));
                    a0 = Vector256.FusedMultiplyAdd(x, s0, a0);
                    a1 = Vector256.FusedMultiplyAdd(x, s1, a1);
                    a2 = Vector256.FusedMultiplyAdd(x, s2, a2);
                    a3 = Vector256.FusedMultiplyAdd(x, s3, a3);
                    var y = Vector256.Create(Unsafe.Add(ref w1, p));
                    b0 = Vector256.FusedMultiplyAdd(y, s0, b0);
                    b1 = Vector256.FusedMultiplyAdd(y, s1, b1);
                    b2 = Vector256.FusedMultiplyAdd(y, s2, b2);
                    b3 = Vector256.FusedMultiplyAdd(y, s3, b3);
                }

                ref float first = ref Unsafe.Add(ref o, (row * d) + j);
                a0.StoreUnsafe(ref first);
                a1.StoreUnsafe(ref first, FloatLanes);
                a2.StoreUnsafe(ref first, 2 * FloatLanes);
                a3.StoreUnsafe(ref first, 3 * FloatLanes);
                ref float second = ref Unsafe.Add(ref o, (next * d) + j);
                b0.StoreUnsafe(ref second);
                b1.StoreUnsafe(ref second, FloatLanes);
                b2.StoreUnsafe(ref second, 2 * FloatLanes);
                b3.StoreUnsafe(ref second, 3 * FloatLanes);
            }
        }

        for (; j < d; j++)
        {
            for (int row = 0; row < k; row++)
            {
                float sum = 0;
                for (int p = 0; p < r; p++)
                {
                    sum += factor[(row * r) + p] * right[(p * d) + j];
                }

                destination[(row * d) + j] = sum;
            }
        }
    }

    /// <summary>
    /// <see cref="Combine"/> that also returns Σ destination² (float64 across rows): with AVX-512 the product runs on the
    /// shrink rotation's kernel (<see cref="ShrinkKernels.MultiplyRows"/>, 64 columns at a time), and each k×64 block's
    /// squares are summed while it is still in L1 — the separate pass over the k×d rows read them back from L2.
    /// Otherwise <see cref="Combine"/> followed by <see cref="SumOfSquares"/>.
    /// </summary>
    public static unsafe double CombineWithEnergy(ReadOnlySpan<float> factor, int k, int r, ReadOnlySpan<float> right, int d, Span<float> destination)
    {
        if (!ShrinkKernels.RotationSupported)
        {
            Combine(factor, k, r, right, d, destination);
            return SumOfSquares(destination[..(k * d)]);
        }

        CheckCombine(factor, k, r, right, d, destination);
        double energy = 0;
        fixed (float* f = factor)
        fixed (float* a = right)
        fixed (float* o = destination)
        {
            for (int c0 = 0; c0 < d; c0 += ShrinkKernels.ChunkWidth)
            {
                int width = Math.Min(ShrinkKernels.ChunkWidth, d - c0);
                ShrinkKernels.MultiplyRows(f, k, r, a + c0, d, width, o + c0, d);
                for (int row = 0; row < k; row++)
                {
                    energy += SumOfSquares(new ReadOnlySpan<float>(o + (row * d) + c0, width));
                }
            }
        }

        return energy;
    }

    private static void CheckCombine(ReadOnlySpan<float> factor, int k, int r, ReadOnlySpan<float> right, int d, Span<float> destination)
    {
        Guard.Length(nameof(factor), factor.Length, (long)k * r, $"a {k}×{r} factor");
        Guard.Length(nameof(right), right.Length, (long)r * d, $"a {r}×{d} right factor");
        Guard.AtLeast(nameof(destination), destination.Length, (long)k * d, $"{k} rows of {d}");
    }
}
