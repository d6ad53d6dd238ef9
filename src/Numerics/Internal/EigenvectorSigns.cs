namespace OrleansUws.Numerics.Internal;

/// <summary>
/// The sign convention of <see cref="Backends.IBlasBackend.SymmetricEigenTop"/>: each eigenvector is flipped so that its
/// projection on a fixed pseudo-random vector is positive. A solver's own sign is not continuous in its input (a
/// Householder reflector flips with the sign of a leading entry; a divide-and-conquer merge's with its
/// deflation choices), so two Grams equal up to rounding — a layer's column slices summed, or one holder's — could get opposite
/// rows after a shrink. The projection only changes sign where the vector is orthogonal to the reference.
/// </summary>
internal static class EigenvectorSigns
{
    /// <summary>Orients the <paramref name="count"/> rows (length n) of <paramref name="vectors"/>.</summary>
    public static void Orient(Span<float> vectors, int count, int n)
    {
        using var reference = new PooledArray<float>(n);
        for (int i = 0; i < n; i++)
        {
            reference.Span[i] = Reference(i);
        }

        for (int r = 0; r < count; r++)
        {
            var row = vectors.Slice(r * n, n);
            if (System.Numerics.Tensors.TensorPrimitives.Dot<float>(row, reference.Span) < 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Negate<float>(row, row);
            }
        }
    }

    /// <summary>
    /// Flips each of the <paramref name="count"/> rows (length <paramref name="n"/>) so that its entry of largest
    /// magnitude (the first on ties) is positive: the basis solvers' deterministic sign rule.
    /// </summary>
    public static void LargestEntryPositive<T>(Span<T> rows, int count, int n)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int c = 0; c < count; c++)
        {
            var row = rows.Slice(c * n, n);
            int best = 0;
            for (int i = 1; i < n; i++)
            {
                if (T.Abs(row[i]) > T.Abs(row[best]))
                {
                    best = i;
                }
            }

            if (row[best] < T.Zero)
            {
                System.Numerics.Tensors.TensorPrimitives.Negate<T>(row, row);
            }
        }
    }

    /// <summary>Component i of the reference vector: a fixed hash of i mapped to (−½, ½).</summary>
    private static float Reference(int i)
    {
        uint h = unchecked(((uint)i * 0x9E3779B9u) + 0x6A09E667u);
        h ^= h >> 15;
        h = unchecked(h * 0x2C1B3C6Du);
        h ^= h >> 12;
        return (float)((h / 4294967296.0) - 0.5);
    }
}
