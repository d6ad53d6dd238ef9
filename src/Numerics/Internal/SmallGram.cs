using System.Numerics;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// G (r×r) = alpha·XᵀX for a tall, narrow float64 block X (count×r, r small: a LoRA rank), as a sum of
/// SIMD rank-one row updates — no packing or transposition, which dominate a general GEMM at this shape.
/// </summary>
internal static class SmallGram
{
    /// <summary>Overwrites <paramref name="gram"/> (r×r, both triangles) with alpha·XᵀX.</summary>
    public static void Compute(ReadOnlySpan<double> x, int count, int r, double alpha, Span<double> gram)
    {
        Guard.Length(nameof(x), x.Length, (long)count * r, $"a {count}×{r} block");
        Guard.AtLeast(nameof(gram), gram.Length, (long)r * r, $"a {r}×{r} Gram");
        gram = gram[..(r * r)];
        gram.Clear();
        int width = Vector<double>.Count;
        for (int i = 0; i < count; i++)
        {
            var row = x.Slice(i * r, r);
            for (int p = 0; p < r; p++)
            {
                double a = row[p];
                if (a == 0)
                {
                    continue;
                }

                var target = gram.Slice(p * r, r);
                var va = new Vector<double>(a);
                int q = 0;
                for (; q + width <= r; q += width)
                {
                    (new Vector<double>(target.Slice(q, width)) + (va * new Vector<double>(row.Slice(q, width)))).CopyTo(target.Slice(q, width));
                }

                for (; q < r; q++)
                {
                    target[q] += a * row[q];
                }
            }
        }

        for (int i = 0; i < gram.Length; i++)
        {
            gram[i] *= alpha;
        }
    }
}
