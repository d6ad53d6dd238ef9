namespace OrleansUws.Numerics.Sketching;

/// <summary>The kind of covariance sketch (also the kind byte of the serialised form).</summary>
public enum SketchKind
{
    /// <summary>Frequent Directions: a float32 2ℓ×d row buffer with a shrinkage certificate.</summary>
    FrequentDirections = 1,

    /// <summary>The exact float64 d×d Gram Σ x xᵀ.</summary>
    ExactGram = 2,

    /// <summary>
    /// A column slice of a Frequent Directions buffer (<see cref="ColumnSliceSketch"/>): 2ℓ rows over a range of the
    /// columns, shrunk in step with the other slices. Not an <see cref="ICovarianceSketch"/>.
    /// </summary>
    ColumnSlice = 3,

    /// <summary>A Nyström range sketch (<see cref="NystromSketch"/>): Y = C·Ω, d×s float64, linear in C, so it can subtract.</summary>
    Nystrom = 4,
}

/// <summary>What each <see cref="SketchKind"/> can do.</summary>
public static class SketchKinds
{
    /// <summary>Whether a sketch of <paramref name="kind"/> subtracts a part exactly (the exact Gram and the linear Nyström sketch).</summary>
    public static bool CanSubtract(this SketchKind kind) => kind is SketchKind.ExactGram or SketchKind.Nystrom;

    /// <summary>
    /// Throws when a basis of up to <paramref name="kMax"/> directions asks more than a sketch of <paramref name="kind"/>
    /// with ℓ (Frequent Directions) or s (Nyström) = <paramref name="ell"/> holds: both support k ≤ ℓ − 1.
    /// </summary>
    internal static void CheckRank(SketchKind kind, int ell, int kMax, string paramName)
    {
        if (kMax < ell)
        {
            return;
        }

        switch (kind)
        {
            case SketchKind.FrequentDirections:
                throw new ArgumentException($"ℓ = {ell} ≤ k = {kMax}: a Frequent Directions sketch supports k ≤ ℓ − 1 (raise ℓ, ideally to 2k–4k).", paramName);
            case SketchKind.Nystrom:
                throw new ArgumentException($"s = {ell} ≤ k = {kMax}: a Nyström sketch of s test columns supports k ≤ s − 1 (raise s, ideally to 2k–4k).", paramName);
        }
    }
}
