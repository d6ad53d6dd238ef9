using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// G (r×r) = alpha·(X − 1·cᵀ)ᵀ(X − 1·cᵀ) for a tall, narrow float32 block X (count×r, r small: a LoRA rank), in
/// float64. X is widened (and centred) a chunk of rows at a time into a small zero-padded scratch whose rows are a
/// whole number of <see cref="Vector256{T}"/>, then the upper triangle is accumulated in 4×8 register tiles: per row of X a tile
/// costs two loads, four broadcasts and eight fused multiply-adds, with no loads or stores of the accumulators.
/// Rank 16 without centring (the common LoRA case) has its own AVX-512 kernel: a row is one 16-float vector widened to
/// two 8-double vectors, and the upper triangle (24 accumulators) is updated in one pass with no scratch copy.
/// </summary>
internal static class SmallGram
{
    private const int Lanes = 4;      // doubles per Vector256
    private const int TileRows = 4;   // p-rows per tile
    private const int TileCols = 8;   // q-columns per tile (two vectors)
    private const int ChunkBytes = 16 * 1024;   // widened rows per pass: stays in L1
    private const int Rank16 = 16;
    private const int Lanes512 = 8;   // doubles per Vector512
    private const int CacheLineBytes = 64;

    /// <summary>
    /// Overwrites <paramref name="gram"/> (r×r, both triangles) with alpha·(X − 1·cᵀ)ᵀ(X − 1·cᵀ); an empty
    /// <paramref name="centre"/> means no centring. When <paramref name="columnSums"/> is not empty (length r) the
    /// same pass adds the column sums of X − 1·cᵀ to it.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> x, int count, int r, ReadOnlySpan<double> centre, double alpha, Span<double> gram, Span<double> columnSums = default)
    {
        Guard.Positive(nameof(r), r);
        Guard.Length(nameof(x), x.Length, (long)count * r, $"a {count}×{r} block");
        Guard.AtLeast(nameof(gram), gram.Length, (long)r * r, $"a {r}×{r} Gram");
        if (!centre.IsEmpty)
        {
            Guard.Length(nameof(centre), centre.Length, r, $"a centre of length {r}");
        }

        if (!columnSums.IsEmpty)
        {
            Guard.Length(nameof(columnSums), columnSums.Length, r, $"{r} column sums");
        }

        if (r == Rank16 && centre.IsEmpty && Avx512F.IsSupported)
        {
            ComputeRank16(x, count, alpha, gram[..(r * r)], columnSums);
            return;
        }

        int width = ((r + TileCols - 1) / TileCols) * TileCols;
        int chunk = Math.Max(1, ChunkBytes / (width * sizeof(double)));
        using var padded = new PooledArray<double>(Math.Min(count, chunk) * width, clear: true);
        Span<double> wide = padded.Span;
        var result = gram[..(r * r)];
        result.Clear();

        // Rows are widened (and centred) a cache-sized chunk at a time; the padding makes every tile whole:
        // p0 + 4 ≤ width and q0 + 8 ≤ width, and padded rows/columns stay zero.
        for (int start = 0; start < count; start += chunk)
        {
            int rows = Math.Min(chunk, count - start);
            for (int i = 0; i < rows; i++)
            {
                RowKernels.WidenUnchecked(x.Slice((start + i) * r, r), centre, wide.Slice(i * width, r));
            }

            if (!columnSums.IsEmpty)
            {
                SumRows(wide, rows, width, columnSums);
            }

            for (int p0 = 0; p0 < r; p0 += TileRows)
            {
                for (int q0 = p0 / TileCols * TileCols; q0 < r; q0 += TileCols)
                {
                    AccumulateTile(wide, rows, width, p0, q0, r, result);
                }
            }
        }

        for (int p = 0; p < r; p++)
        {
            for (int q = p; q < r; q++)
            {
                result[(p * r) + q] *= alpha;
                result[(q * r) + p] = result[(p * r) + q];
            }
        }
    }

    /// <summary>
    /// The rank-16 case of <see cref="Compute"/> without centring: per row, lo = x[0:8] and hi = x[8:16] widened to
    /// float64. Two passes keep every accumulator in a register (one pass with all 24 of the upper triangle's made
    /// the JIT spill them each row, 2× slower than the tiled path): L_p += x_p·lo and M_p += x_p·hi for p &lt; 8 with the
    /// column sums, then H_p += x_p·hi for p ≥ 8.
    /// </summary>
    private static void ComputeRank16(ReadOnlySpan<float> x, int count, double alpha, Span<double> gram, Span<double> columnSums)
    {
        Span<double> upper = stackalloc double[Rank16 * Rank16];
        Span<double> sums = stackalloc double[Rank16];
        Rank16LowRows(x, count, upper, sums);
        Rank16HighRows(x, count, upper);
        for (int p = 0; p < Rank16; p++)
        {
            for (int q = p; q < Rank16; q++)
            {
                double v = alpha * upper[(p * Rank16) + q];
                gram[(p * Rank16) + q] = v;
                gram[(q * Rank16) + p] = v;
            }
        }

        if (!columnSums.IsEmpty)
        {
            for (int q = 0; q < Rank16; q++)
            {
                columnSums[q] += sums[q];
            }
        }
    }

    /// <summary>Rows 0–7 of the upper triangle (all 16 columns) and the column sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rank16LowRows(ReadOnlySpan<float> x, int count, Span<double> upper, Span<double> sums)
    {
        Vector512<double> l0 = default; Vector512<double> l1 = default; Vector512<double> l2 = default; Vector512<double> l3 = default; Vector512<double> l4 = default; Vector512<double> l5 = default; Vector512<double> l6 = default; Vector512<double> l7 = default;
        Vector512<double> m0 = default; Vector512<double> m1 = default; Vector512<double> m2 = default; Vector512<double> m3 = default; Vector512<double> m4 = default; Vector512<double> m5 = default; Vector512<double> m6 = default; Vector512<double> m7 = default;
        Vector512<double> sumLow = default, sumHigh = default;
        Span<double> scratch = stackalloc double[2 * Lanes512];
        ref double w = ref CacheLine(scratch);
        ref float origin = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        for (int i = 0; i < count; i++)
        {
            var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref origin, (nuint)(i * Rank16)));
            lo.StoreUnsafe(ref w);
            sumLow += lo;
            sumHigh += hi;
            { var s = Vector512.Create(Unsafe.Add(ref w, 0)); l0 = Vector512.FusedMultiplyAdd(s, lo, l0); m0 = Vector512.FusedMultiplyAdd(s, hi, m0); }
            { var s = Vector512.Create(Unsafe.Add(ref w, 1)); l1 = Vector512.FusedMultiplyAdd(s, lo, l1); m1 = Vector512.FusedMultiplyAdd(s, hi, m1); }
            { var s = Vector512.Create(Unsafe.Add(ref w, 2)); l2 = Vector512.FusedMultiplyAdd(s, lo, l2); m2 = Vector512.FusedMultiplyAdd(s, hi, m2); }
            { var s = Vector512.Create(Unsafe.Add(ref w, 3)); l3 = Vector512.FusedMultiplyAdd(s, lo, l3); m3 = Vector512.FusedMultiplyAdd(s, hi, m3); }
            { var s = Vector512.Create(Unsafe.Add(ref w, 4)); l4 = Vector512.FusedMultiplyAdd(s, lo, l4); m4 = Vector512.FusedMultiplyAdd(s, hi, m4); }
            { var s = Vector512.Create(Unsafe.Add(ref w, 5)); l5 = Vector512.FusedMultiplyAdd(s, lo, l5); m5 = Vector512.FusedMultiplyAdd(s, hi, m5); }
            { var s = Vector512.Create(Unsafe.Add(ref w, 6)); l6 = Vector512.FusedMultiplyAdd(s, lo, l6); m6 = Vector512.FusedMultiplyAdd(s, hi, m6); }
            { var s = Vector512.Create(Unsafe.Add(ref w, 7)); l7 = Vector512.FusedMultiplyAdd(s, lo, l7); m7 = Vector512.FusedMultiplyAdd(s, hi, m7); }
        }

        l0.CopyTo(upper[0..]); m0.CopyTo(upper[8..]);
        l1.CopyTo(upper[16..]); m1.CopyTo(upper[24..]);
        l2.CopyTo(upper[32..]); m2.CopyTo(upper[40..]);
        l3.CopyTo(upper[48..]); m3.CopyTo(upper[56..]);
        l4.CopyTo(upper[64..]); m4.CopyTo(upper[72..]);
        l5.CopyTo(upper[80..]); m5.CopyTo(upper[88..]);
        l6.CopyTo(upper[96..]); m6.CopyTo(upper[104..]);
        l7.CopyTo(upper[112..]); m7.CopyTo(upper[120..]);
        sumLow.CopyTo(sums);
        sumHigh.CopyTo(sums[8..]);
    }

    /// <summary>Rows 8–15 of the upper triangle (columns 8–15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rank16HighRows(ReadOnlySpan<float> x, int count, Span<double> upper)
    {
        Vector512<double> h8 = default; Vector512<double> h9 = default; Vector512<double> h10 = default; Vector512<double> h11 = default; Vector512<double> h12 = default; Vector512<double> h13 = default; Vector512<double> h14 = default; Vector512<double> h15 = default;
        Span<double> scratch = stackalloc double[2 * Lanes512];
        ref double w = ref CacheLine(scratch);
        ref float origin = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        for (int i = 0; i < count; i++)
        {
            var hi = Vector512.WidenLower(Vector256.LoadUnsafe(ref origin, (nuint)((i * Rank16) + 8)).ToVector512Unsafe());
            hi.StoreUnsafe(ref w);
            h8 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 0)), hi, h8);
            h9 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 1)), hi, h9);
            h10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 2)), hi, h10);
            h11 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 3)), hi, h11);
            h12 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 4)), hi, h12);
            h13 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 5)), hi, h13);
            h14 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 6)), hi, h14);
            h15 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 7)), hi, h15);
        }

        h8.CopyTo(upper[136..]);
        h9.CopyTo(upper[152..]);
        h10.CopyTo(upper[168..]);
        h11.CopyTo(upper[184..]);
        h12.CopyTo(upper[200..]);
        h13.CopyTo(upper[216..]);
        h14.CopyTo(upper[232..]);
        h15.CopyTo(upper[248..]);
    }

    /// <summary>
    /// The first cache-line-aligned double of <paramref name="scratch"/> (stack memory, 2·<see cref="Lanes512"/> doubles
    /// long, so a whole line follows). The rank-16 kernels store a widened row there and broadcast its entries back: a
    /// store that straddles two lines is not forwarded to those loads, which made the kernels 2.5–3.5× slower at the
    /// stack offsets where that happened (the offset depends on the caller's frames).
    /// </summary>
    private static unsafe ref double CacheLine(Span<double> scratch)
    {
        ref double first = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(scratch);
        nint past = (nint)Unsafe.AsPointer(ref first) & (CacheLineBytes - 1);
        return ref Unsafe.AddByteOffset(ref first, (CacheLineBytes - past) & (CacheLineBytes - 1));
    }

    /// <summary>sums[j] += Σ_i wide[i·width + j] for j &lt; sums.Length (the padded rows are whole vectors).</summary>
    private static void SumRows(ReadOnlySpan<double> wide, int rows, int width, Span<double> sums)
    {
        ref double origin = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(wide);
        for (int q = 0; q < width; q += Lanes)
        {
            var total = Vector256<double>.Zero;
            for (int i = 0; i < rows; i++)
            {
                total += Vector256.LoadUnsafe(ref origin, (nuint)((i * width) + q));
            }

            for (int lane = 0; lane < Lanes && q + lane < sums.Length; lane++)
            {
                sums[q + lane] += total.GetElement(lane);
            }
        }
    }

    private static void AccumulateTile(ReadOnlySpan<double> wide, int count, int width, int p0, int q0, int r, Span<double> gram)
    {
        Vector256<double> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        ref double origin = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(wide);
        for (int i = 0; i < count; i++)
        {
            ref double row = ref Unsafe.Add(ref origin, i * width);
            var qa = Vector256.LoadUnsafe(ref row, (nuint)q0);
            var qb = Vector256.LoadUnsafe(ref row, (nuint)(q0 + Lanes));
            var x0 = Vector256.Create(Unsafe.Add(ref row, p0));
            a0 = Vector256.FusedMultiplyAdd(x0, qa, a0);
            b0 = Vector256.FusedMultiplyAdd(x0, qb, b0);
            var x1 = Vector256.Create(Unsafe.Add(ref row, p0 + 1));
            a1 = Vector256.FusedMultiplyAdd(x1, qa, a1);
            b1 = Vector256.FusedMultiplyAdd(x1, qb, b1);
            var x2 = Vector256.Create(Unsafe.Add(ref row, p0 + 2));
            a2 = Vector256.FusedMultiplyAdd(x2, qa, a2);
            b2 = Vector256.FusedMultiplyAdd(x2, qb, b2);
            var x3 = Vector256.Create(Unsafe.Add(ref row, p0 + 3));
            a3 = Vector256.FusedMultiplyAdd(x3, qa, a3);
            b3 = Vector256.FusedMultiplyAdd(x3, qb, b3);
        }

        // Stored before any call: accumulators live across a call would be spilled inside the loop (no callee-saved
        // vector registers in the SysV ABI).
        Span<double> tile = stackalloc double[TileRows * TileCols];
        ref double t = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(tile);
        a0.StoreUnsafe(ref t, 0);
        b0.StoreUnsafe(ref t, Lanes);
        a1.StoreUnsafe(ref t, TileCols);
        b1.StoreUnsafe(ref t, TileCols + Lanes);
        a2.StoreUnsafe(ref t, 2 * TileCols);
        b2.StoreUnsafe(ref t, (2 * TileCols) + Lanes);
        a3.StoreUnsafe(ref t, 3 * TileCols);
        b3.StoreUnsafe(ref t, (3 * TileCols) + Lanes);
        for (int i = 0; i < TileRows && p0 + i < r; i++)
        {
            int p = p0 + i;
            for (int lane = 0; lane < TileCols; lane++)
            {
                int q = q0 + lane;
                if (q >= p && q < r)
                {
                    gram[(p * r) + q] += tile[(i * TileCols) + lane];
                }
            }
        }
    }
}
