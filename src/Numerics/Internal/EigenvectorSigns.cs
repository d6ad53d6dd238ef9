namespace OrleansUws.Numerics.Internal;

/// <summary>
/// The sign convention of <see cref="Backends.IBlasBackend.SymmetricEigenTop"/>: each eigenvector is flipped so that its
/// projection on a fixed pseudo-random vector is positive. A solver's own sign is not continuous in its input (a
/// Householder reflector flips with the sign of a leading entry; inverse iteration's with the side of λ the shift
/// falls on), so two Grams equal up to rounding — a layer's column slices summed, or one holder's — could get opposite
/// rows after a shrink. The projection only changes sign where the vector is orthogonal to the reference.
/// </summary>
internal static class EigenvectorSigns
{
    /// <summary>Orients the <paramref name="count"/> rows (length n) of <paramref name="vectors"/>.</summary>
    public static void Orient(Span<float> vectors, int count, int n)
    {
        for (int r = 0; r < count; r++)
        {
            var row = vectors.Slice(r * n, n);
            double projection = 0;
            for (int i = 0; i < n; i++)
            {
                projection += row[i] * FixedRandom.Component(i, seed: 0);
            }

            if (projection < 0)
            {
                for (int i = 0; i < n; i++)
                {
                    row[i] = -row[i];
                }
            }
        }
    }
}
