using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Basis;

/// <summary>A dense symmetric d×d float64 matrix as an operator (C·x by DGEMM).</summary>
public sealed class DenseSymmetricOperator : ISymmetricOperator
{
    private readonly IBlasBackend _backend;
    private readonly double[] _matrix;

    /// <summary>Wraps <paramref name="matrix"/> (d×d row-major, symmetric; not copied).</summary>
    public DenseSymmetricOperator(IBlasBackend backend, double[] matrix, int dimension)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(matrix);
        Guard.Positive(nameof(dimension), dimension);
        Guard.Length(nameof(matrix), matrix.Length, (long)dimension * dimension, $"a {dimension}×{dimension} matrix");
        _backend = backend;
        _matrix = matrix;
        Dimension = dimension;
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public double Trace
    {
        get
        {
            double t = 0;
            for (int i = 0; i < Dimension; i++)
            {
                t += _matrix[(i * Dimension) + i];
            }

            return t;
        }
    }

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<double> x, int columns, Span<double> destination)
    {
        Guard.Positive(nameof(columns), columns);
        Guard.Length(nameof(x), x.Length, (long)Dimension * columns, $"a {Dimension}×{columns} block");
        Guard.Length(nameof(destination), destination.Length, (long)Dimension * columns, $"a {Dimension}×{columns} block");
        _backend.Gemm(Transpose.No, Transpose.No, Dimension, columns, Dimension, 1.0, _matrix, Dimension, x, columns, 0.0, destination, columns);
    }
}
