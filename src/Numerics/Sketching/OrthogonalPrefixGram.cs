namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// The Gram BBᵀ of Frequent Directions rows whose first rows are the orthogonal rows of the last shrink, with their
/// squared norms known (λᵢ − δ): their block is diagonal, so only the columns of the newer rows need a product — what a
/// sketch's next shrink and a version solved from its rows both read.
/// </summary>
internal static class OrthogonalPrefixGram
{
    /// <summary>
    /// gram (active × active, row-major) from the prefix's squared norms <paramref name="known"/> (its diagonal block) and
    /// <paramref name="columns"/> = B[0:active]·B[known:active]ᵀ (active × (active − known.Length), row-major).
    /// </summary>
    public static void Assemble(ReadOnlySpan<double> known, ReadOnlySpan<double> columns, int active, Span<double> gram)
    {
        int prefix = known.Length;
        int width = active - prefix;
        gram[..(active * active)].Clear();
        for (int i = 0; i < prefix; i++)
        {
            gram[(i * active) + i] = known[i];
        }

        for (int i = 0; i < active; i++)
        {
            for (int j = 0; j < width; j++)
            {
                double value = columns[(i * width) + j];
                gram[(i * active) + prefix + j] = value;
                gram[((prefix + j) * active) + i] = value;
            }
        }
    }
}
