using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Basis;

/// <summary>C' = C + weight·μμᵀ: the mean correction between uncentred and centred scatter (weight = ∓n).</summary>
internal sealed class RankOneCorrectedOperator(ISymmetricOperator inner, double[] mean, double weight) : ISymmetricOperator
{
    /// <inheritdoc />
    public int Dimension => inner.Dimension;

    /// <inheritdoc />
    public double Trace
    {
        get
        {
            double m2 = 0;
            foreach (double m in mean)
            {
                m2 += m * m;
            }

            return Math.Max(0, inner.Trace + (weight * m2));
        }
    }

    /// <inheritdoc />
    public void Apply(ReadOnlySpan<double> x, int columns, Span<double> destination)
    {
        inner.Apply(x, columns, destination);
        int d = Dimension;
        using var projection = new PooledArray<double>(columns, clear: true);
        for (int i = 0; i < d; i++)
        {
            for (int c = 0; c < columns; c++)
            {
                projection.Span[c] += mean[i] * x[(i * columns) + c];
            }
        }

        for (int i = 0; i < d; i++)
        {
            double wi = weight * mean[i];
            for (int c = 0; c < columns; c++)
            {
                destination[(i * columns) + c] += wi * projection.Span[c];
            }
        }
    }
}
