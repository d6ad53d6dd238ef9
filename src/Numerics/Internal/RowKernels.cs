using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>Σ x[j]² accumulated in float64.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        ref float s = ref MemoryMarshal.GetReference(x);
        var low = Vector256<double>.Zero;
        var high = Vector256<double>.Zero;
        int j = 0;
        for (; j + FloatLanes <= x.Length; j += FloatLanes)
        {
            var (a, b) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)j));
            low = Vector256.FusedMultiplyAdd(a, a, low);
            high = Vector256.FusedMultiplyAdd(b, b, high);
        }

        double sum = Vector256.Sum(low + high);
        for (; j < x.Length; j++)
        {
            sum += (double)x[j] * x[j];
        }

        return sum;
    }

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
        Guard.Length(nameof(factor), factor.Length, (long)k * r, $"a {k}×{r} factor");
        Guard.Length(nameof(right), right.Length, (long)r * d, $"a {r}×{d} right factor");
        Guard.AtLeast(nameof(destination), destination.Length, (long)k * d, $"{k} rows of {d}");
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
    /// <see cref="Combine"/> that also returns Σ destination² (float64 across blocks): with AVX-512, 64-column panels and
    /// four output rows per pass (16 zmm accumulators; half the instructions of the 32-column two-row form), the squares
    /// summed from the accumulators while they are in registers — the separate pass over the k×d rows it replaces read
    /// them again. Otherwise <see cref="Combine"/> followed by <see cref="SumOfSquares"/>.
    /// </summary>
    public static double CombineWithEnergy(ReadOnlySpan<float> factor, int k, int r, ReadOnlySpan<float> right, int d, Span<float> destination)
    {
        if (!Avx512F.IsSupported)
        {
            Combine(factor, k, r, right, d, destination);
            return SumOfSquares(destination[..(k * d)]);
        }

        Guard.Length(nameof(factor), factor.Length, (long)k * r, $"a {k}×{r} factor");
        Guard.Length(nameof(right), right.Length, (long)r * d, $"a {r}×{d} right factor");
        Guard.AtLeast(nameof(destination), destination.Length, (long)k * d, $"{k} rows of {d}");
        const int Block = 64;
        using var packed = new PooledArray<float>(r * Block);
        double energy = 0;
        int j = 0;
        for (; j + Block <= d; j += Block)
        {
            // Packed because the r rows of `right` lie a power-of-two stride apart and would share L1 sets.
            for (int p = 0; p < r; p++)
            {
                right.Slice((p * d) + j, Block).CopyTo(packed.Span.Slice(p * Block, Block));
            }

            int row = 0;
            for (; row + 4 <= k; row += 4)
            {
                energy += CombineRows4(factor.Slice(row * r, 4 * r), r, packed.Span, destination[((row * d) + j)..], d);
            }

            for (; row < k; row++)
            {
                energy += CombineRow(factor.Slice(row * r, r), packed.Span, destination[((row * d) + j)..]);
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
                energy += (double)sum * sum;
            }
        }

        return energy;
    }

    /// <summary>Four output rows × 64 columns from an r×64 panel; returns their sum of squares.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double CombineRows4(ReadOnlySpan<float> weights, int r, ReadOnlySpan<float> panel, Span<float> output, int d)
    {
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float source = ref MemoryMarshal.GetReference(panel);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default;
        for (int p = 0; p < r; p++)
        {
            ref float line = ref Unsafe.Add(ref source, p * 64);
            var s0 = Vector512.LoadUnsafe(ref line);
            var s1 = Vector512.LoadUnsafe(ref line, 16);
            var s2 = Vector512.LoadUnsafe(ref line, 32);
            var s3 = Vector512.LoadUnsafe(ref line, 48);
            var x = Vector512.Create(Unsafe.Add(ref w, p));
            a0 = Vector512.FusedMultiplyAdd(x, s0, a0);
            a1 = Vector512.FusedMultiplyAdd(x, s1, a1);
            a2 = Vector512.FusedMultiplyAdd(x, s2, a2);
            a3 = Vector512.FusedMultiplyAdd(x, s3, a3);
            x = Vector512.Create(Unsafe.Add(ref w, r + p));
            b0 = Vector512.FusedMultiplyAdd(x, s0, b0);
            b1 = Vector512.FusedMultiplyAdd(x, s1, b1);
            b2 = Vector512.FusedMultiplyAdd(x, s2, b2);
            b3 = Vector512.FusedMultiplyAdd(x, s3, b3);
            x = Vector512.Create(Unsafe.Add(ref w, (2 * r) + p));
            c0 = Vector512.FusedMultiplyAdd(x, s0, c0);
            c1 = Vector512.FusedMultiplyAdd(x, s1, c1);
            c2 = Vector512.FusedMultiplyAdd(x, s2, c2);
            c3 = Vector512.FusedMultiplyAdd(x, s3, c3);
            x = Vector512.Create(Unsafe.Add(ref w, (3 * r) + p));
            e0 = Vector512.FusedMultiplyAdd(x, s0, e0);
            e1 = Vector512.FusedMultiplyAdd(x, s1, e1);
            e2 = Vector512.FusedMultiplyAdd(x, s2, e2);
            e3 = Vector512.FusedMultiplyAdd(x, s3, e3);
        }

        ref float o = ref MemoryMarshal.GetReference(output);
        return Store4(ref o, a0, a1, a2, a3)
            + Store4(ref Unsafe.Add(ref o, d), b0, b1, b2, b3)
            + Store4(ref Unsafe.Add(ref o, 2 * d), c0, c1, c2, c3)
            + Store4(ref Unsafe.Add(ref o, 3 * d), e0, e1, e2, e3);
    }

    /// <summary>One output row × 64 columns (the rows past a multiple of four); returns its sum of squares.</summary>
    private static double CombineRow(ReadOnlySpan<float> weights, ReadOnlySpan<float> panel, Span<float> output)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int p = 0; p < weights.Length; p++)
        {
            var x = Vector512.Create(weights[p]);
            var line = panel.Slice(p * 64, 64);
            a0 = Vector512.FusedMultiplyAdd(x, Vector512.Create(line), a0);
            a1 = Vector512.FusedMultiplyAdd(x, Vector512.Create(line[16..]), a1);
            a2 = Vector512.FusedMultiplyAdd(x, Vector512.Create(line[32..]), a2);
            a3 = Vector512.FusedMultiplyAdd(x, Vector512.Create(line[48..]), a3);
        }

        return Store4(ref MemoryMarshal.GetReference(output), a0, a1, a2, a3);
    }

    /// <summary>Stores 64 floats and returns their sum of squares in float64 (each lane sums four squares in float32).</summary>
    private static double Store4(ref float destination, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        a.StoreUnsafe(ref destination);
        b.StoreUnsafe(ref destination, 16);
        c.StoreUnsafe(ref destination, 32);
        d.StoreUnsafe(ref destination, 48);
        var squares = Vector512.FusedMultiplyAdd(d, d, Vector512.FusedMultiplyAdd(c, c, Vector512.FusedMultiplyAdd(b, b, a * a)));
        var (low, high) = Vector512.Widen(squares);
        return Vector512.Sum(low + high);
    }
}
