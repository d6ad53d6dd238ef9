using System.Numerics.Tensors;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Basis;

/// <summary>
/// Orthogonal Procrustes alignment of a basis onto a previous one of the same rank: the rotation R minimising
/// ‖R·V − P‖_F is the polar factor of M = P·Vᵀ, R = M·(MᵀM)^(-1/2). Skipped (false) when M is near-singular,
/// i.e. some new direction is orthogonal to the old subspace and no rotation is meaningful.
/// </summary>
internal static class Procrustes
{
    /// <summary>
    /// With <see cref="BasisOptions.AlignToPrevious"/> and a previous basis of the same rank and dimension, rotates
    /// <paramref name="v"/> (k×d rows, signs already fixed) onto it; returns the rotation, or empty when not aligned.
    /// </summary>
    public static double[] AlignIfAsked(Span<double> v, int k, int d, BasisOptions options, SubspaceBasis? previous)
    {
        if (!Asked(k, d, options, previous))
        {
            return [];
        }

        using var widened = new PooledArray<double>(k * d);
        TensorPrimitives.ConvertChecked<float, double>(previous!.Vectors.AsSpan(0, k * d), widened.Span);
        return TryAlign(v, widened.Span, k, d, out var rotation) ? rotation : [];
    }

    /// <summary>
    /// <see cref="AlignIfAsked(Span{double}, int, int, BasisOptions, SubspaceBasis?)"/> for float32 rows: M = P·Vᵀ summed in
    /// float64 on the host dot-product kernel, the rotation applied in float32.
    /// </summary>
    public static double[] AlignIfAsked(Span<float> v, int k, int d, BasisOptions options, SubspaceBasis? previous)
    {
        if (!Asked(k, d, options, previous))
        {
            return [];
        }

        var m = new double[k * k];
        RowBlockProducts.Cross(previous!.Vectors, k, v, k, d, m);   // M = P·Vᵀ
        if (PolarFactor(m, k) is not { } r)
        {
            return [];
        }

        // v ← R·v on the rotation kernel (float32, as the rows are), through scratch: the product cannot overwrite its input.
        using var single = new PooledArray<float>(k * k);
        TensorPrimitives.ConvertTruncating<double, float>(r, single.Span);
        using var rotated = new PooledArray<float>(k * d);
        RowBlockProducts.Combine(backend: null, single.Span, k, k, v, d, rotated.Span);
        rotated.Span.CopyTo(v);
        return r;
    }

    /// <summary>Rotates <paramref name="v"/> (k×d rows) in place towards <paramref name="previous"/> (k×d); false when skipped.</summary>
    public static bool TryAlign(Span<double> v, ReadOnlySpan<double> previous, int k, int d, out double[] rotation)
    {
        rotation = [];
        var m = new double[k * k];
        DenseMath.RowProducts(previous, k, v, k, d, m);   // M = P·Vᵀ
        if (PolarFactor(m, k) is not { } r)
        {
            return false;
        }

        Rotate(v, r, k, d);
        rotation = r;
        return true;
    }

    /// <summary>v ← R·v for the k×d rows v.</summary>
    private static void Rotate(Span<double> v, double[] r, int k, int d)
    {
        using var rotated = new PooledArray<double>(k * d);
        RowBlockProducts.CombineRows<double>(r, k, k, v, d, rotated.Span);
        rotated.Span.CopyTo(v);
    }

    private static bool Asked(int k, int d, BasisOptions options, SubspaceBasis? previous) =>
        options.AlignToPrevious && previous is not null && previous.Rank == k && previous.Dimension == d;

    /// <summary>R = M·(MᵀM)^(-1/2) for the k×k overlap M, or null when M is near-singular.</summary>
    private static double[]? PolarFactor(double[] m, int k)
    {
        var mtm = new double[k * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int t = 0; t < k; t++)
                {
                    sum += m[(t * k) + i] * m[(t * k) + j];
                }

                mtm[(i * k) + j] = sum;
            }
        }

        var lambda = new double[k];
        SymmetricEigenSolver.Solve(k, mtm, lambda);
        if (lambda[0] <= 1e-12 * Math.Max(lambda[k - 1], 1e-300))
        {
            return null;
        }

        // (MᵀM)^(-1/2) = W Λ^(-1/2) Wᵀ, then R = M·(MᵀM)^(-1/2).
        var inverseRoot = new double[k * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int t = 0; t < k; t++)
                {
                    sum += mtm[(i * k) + t] * mtm[(j * k) + t] / Math.Sqrt(lambda[t]);
                }

                inverseRoot[(i * k) + j] = sum;
            }
        }

        var r = new double[k * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int t = 0; t < k; t++)
                {
                    sum += m[(i * k) + t] * inverseRoot[(t * k) + j];
                }

                r[(i * k) + j] = sum;
            }
        }

        return r;
    }
}
