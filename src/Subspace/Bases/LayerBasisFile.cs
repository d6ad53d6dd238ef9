using OrleansUws.Subspace.Diagnostics;

namespace OrleansUws.Subspace.Bases;

/// <summary>One layer's basis as a basis file holds it.</summary>
/// <param name="Header">The metadata.</param>
/// <param name="Dimension">d: n (rows), m (columns) or m·n (flattened).</param>
/// <param name="Vectors">k×d row-major float32, orthonormal rows, by decreasing singular value.</param>
/// <param name="SingularValues">σ₁ ≥ … ≥ σ_k of what the basis absorbed (centred when <see cref="BasisFileHeader.Centred"/>).</param>
/// <param name="Mean">The recorded mean (d): subtracted before projecting when centred; informational otherwise.</param>
public sealed record LayerBasisFile(BasisFileHeader Header, int Dimension, float[] Vectors, double[] SingularValues, float[]? Mean)
{
    /// <summary>k.</summary>
    public int Rank => Header.Rank;

    /// <summary>The diagnostics recorded in (or computed for) the file; null when not known.</summary>
    public BasisDiagnostics? Diagnostics { get; init; }

    /// <summary>Bytes the basis tensors take on disk (float32 vectors, singular values and mean).</summary>
    public long StoredBytes => sizeof(float) * ((long)Vectors.Length + SingularValues.Length + (Mean?.Length ?? 0));

    /// <summary>The first <paramref name="k"/> vectors (k×d), sharing no storage with this basis.</summary>
    /// <exception cref="ArgumentOutOfRangeException">k is outside [1, <see cref="Rank"/>].</exception>
    public float[] Leading(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, Rank);
        return Vectors.AsSpan(0, k * Dimension).ToArray();
    }

    /// <summary>Throws, naming the layer and the lengths, when the arrays disagree with k and d.</summary>
    /// <exception cref="ArgumentException">Inconsistent lengths.</exception>
    public void CheckConsistent()
    {
        int k = Header.Rank;
        if (k < 1 || Dimension < 1 || Vectors.Length != (long)k * Dimension || SingularValues.Length != k || (Mean is { } m && m.Length != Dimension))
        {
            throw new ArgumentException(
                $"Basis of layer '{Header.Layer}' is inconsistent: k={k}, d={Dimension}, vectors {Vectors.Length}, " +
                $"singular values {SingularValues.Length}, mean {(Mean is null ? "none" : Mean.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }
    }
}
