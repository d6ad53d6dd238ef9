namespace OrleansUws.Numerics.Basis;

/// <summary>
/// A symmetric positive semi-definite d×d operator C (a sketched covariance) applied to blocks of vectors.
/// Valid for the state of its sketch when it was created; later appends do not show through.
/// </summary>
public interface ISymmetricOperator
{
    /// <summary>d.</summary>
    int Dimension { get; }

    /// <summary>tr C.</summary>
    double Trace { get; }

    /// <summary>
    /// destination (d×columns, row-major) = C·x where x is d×columns row-major.
    /// Throws <see cref="ArgumentException"/> when the lengths are not d·columns.
    /// </summary>
    void Apply(ReadOnlySpan<double> x, int columns, Span<double> destination);
}
