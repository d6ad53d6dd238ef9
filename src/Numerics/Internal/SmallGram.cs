using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// G (r×r) = alpha·(X − 1·cᵀ)ᵀ(X − 1·cᵀ) for a tall, narrow float32 block X (count×r, r small: a LoRA rank), in
/// float64. X is widened (and centred) a chunk of rows at a time into a small zero-padded scratch whose rows are a
/// whole number of <see cref="Vector256{T}"/>, then the upper triangle is accumulated in 4×8 register tiles: per row of X a tile
/// costs two loads, four broadcasts and eight fused multiply-adds, with no loads or stores of the accumulators.
/// </summary>
internal static class SmallGram
{
    private const int Lanes = 4;      // doubles per Vector256
    private const int TileRows = 4;   // p-rows per tile
    private const int TileCols = 8;   // q-columns per tile (two vectors)
    private const int ChunkBytes = 16 * 1024;   // widened rows per pass: stays in L1

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
