using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Basis;

/// <summary>
/// C = BᵀB for a small row block B (rows×d, widened once to float64): C·x = Bᵀ(B·x), two GEMMs, never forming C.
/// Float64 so that the subspace iteration's convergence test is not limited by float32 rounding.
/// </summary>
internal sealed class RowGramOperator : ISymmetricOperator
{
    private readonly IBlasBackend _backend;
    private readonly double[] _rows;
    private readonly int _rowCount;

    public RowGramOperator(IBlasBackend backend, ReadOnlySpan<float> rows, int rowCount, int dimension)
        : this(backend, DenseMath.Widen(rows[..(rowCount * dimension)]), rowCount, dimension)
    {
    }

    /// <summary>Over float64 rows (rowCount×d row-major) that the operator takes over: the caller no longer changes them.</summary>
    public RowGramOperator(IBlasBackend backend, double[] rows, int rowCount, int dimension)
    {
        Guard.Length(nameof(rows), rows.Length, (long)rowCount * dimension, $"{rowCount} rows of dimension {dimension}");
        _backend = backend;
        _rowCount = rowCount;
        Dimension = dimension;
        _rows = rows;
        foreach (double v in rows)
        {
            Trace += v * v;
        }
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public double Trace { get; }

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<double> x, int columns, Span<double> destination)
    {
        Guard.Positive(nameof(columns), columns);
        Guard.Length(nameof(x), x.Length, (long)Dimension * columns, $"a {Dimension}×{columns} block");
        Guard.Length(nameof(destination), destination.Length, (long)Dimension * columns, $"a {Dimension}×{columns} block");
        if (_rowCount == 0)
        {
            destination.Clear();
            return;
        }

        using var bx = new PooledArray<double>(_rowCount * columns);
        _backend.Gemm(Transpose.No, Transpose.No, _rowCount, columns, Dimension, 1.0, _rows, Dimension, x, columns, 0.0, bx.Span, columns);
        _backend.Gemm(Transpose.Yes, Transpose.No, Dimension, columns, _rowCount, 1.0, _rows, Dimension, bx.Span, columns, 0.0, destination, columns);
    }
}
