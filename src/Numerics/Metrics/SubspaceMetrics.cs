using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Metrics;

/// <summary>
/// Comparisons of subspaces given as k×d row-major bases with orthonormal rows, and energy measures against a
/// covariance operator. Angles are those of the residual R = U − (UVᵀ)V, accurate for small angles, computed from k×k
/// products summed in float64.
/// </summary>
public static class SubspaceMetrics
{
    /// <summary>
    /// The min(ku, kv) principal angles (radians, ascending) between span(u) and span(v). When ku ≠ kv they
    /// measure how far the smaller subspace is from lying inside the larger.
    /// </summary>
    public static double[] PrincipalAngles(ReadOnlySpan<float> u, int ku, ReadOnlySpan<float> v, int kv, int dimension)
    {
        var squaredSines = SquaredSines(u, ku, v, kv, dimension);
        var angles = new double[squaredSines.Length];
        for (int i = 0; i < angles.Length; i++)
        {
            angles[i] = Math.Asin(Math.Sqrt(squaredSines[i]));
        }

        return angles;
    }

    /// <summary>sin of the largest principal angle (= ‖P_u − P_v‖₂ when ku = kv).</summary>
    public static double SinThetaMax(ReadOnlySpan<float> u, int ku, ReadOnlySpan<float> v, int kv, int dimension)
        => Math.Sqrt(SquaredSines(u, ku, v, kv, dimension)[^1]);

    /// <summary>
    /// <see cref="SinThetaMax"/> from the bases' products alone, each row-major in float64: UUᵀ (ku×ku), UVᵀ (ku×kv) and
    /// VVᵀ (kv×kv) — for a caller that has them, or can form them from the products of other bases it rotates.
    /// </summary>
    public static double SinThetaMaxFromProducts(ReadOnlySpan<double> uu, ReadOnlySpan<double> uv, ReadOnlySpan<double> vv, int ku, int kv)
    {
        Guard.Positive(nameof(ku), ku);
        Guard.Positive(nameof(kv), kv);
        Guard.Length(nameof(uu), uu.Length, (long)ku * ku, $"a {ku}×{ku} product");
        Guard.Length(nameof(uv), uv.Length, (long)ku * kv, $"a {ku}×{kv} product");
        Guard.Length(nameof(vv), vv.Length, (long)kv * kv, $"a {kv}×{kv} product");
        if (ku <= kv)
        {
            return Math.Sqrt(DenseMath.SquaredSinesFromProducts(uu, uv, vv, ku, kv)[^1]);
        }

        var vu = new double[kv * ku];
        for (int i = 0; i < ku; i++)
        {
            for (int j = 0; j < kv; j++)
            {
                vu[(j * ku) + i] = uv[(i * kv) + j];
            }
        }

        return Math.Sqrt(DenseMath.SquaredSinesFromProducts(vv, vu, uu, kv, ku)[^1]);
    }

    /// <summary>‖sin Θ‖_F = √Σ sin² θᵢ.</summary>
    public static double SinThetaFrobenius(ReadOnlySpan<float> u, int ku, ReadOnlySpan<float> v, int kv, int dimension)
        => Math.Sqrt(SquaredSines(u, ku, v, kv, dimension).Sum());

    /// <summary>tr(V·C·Vᵀ): the energy of <paramref name="c"/> captured by the k rows of <paramref name="basis"/>.</summary>
    public static double CapturedEnergy(ISymmetricOperator c, ReadOnlySpan<float> basis, int k)
    {
        ArgumentNullException.ThrowIfNull(c);
        int d = c.Dimension;
        CheckBasis(nameof(basis), basis, k, d);
        var x = new double[d * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < d; j++)
            {
                x[(j * k) + i] = basis[(i * d) + j];
            }
        }

        var y = new double[d * k];
        c.Apply(x, k, y);
        double captured = 0;
        for (int i = 0; i < x.Length; i++)
        {
            captured += x[i] * y[i];
        }

        return captured;
    }

    /// <summary>
    /// Captured energy divided by the optimum for rank k, the sum of the k largest of <paramref name="eigenvalues"/>
    /// (the exact eigenvalues of <paramref name="c"/>, any order). 1 means the basis is an optimal rank-k subspace.
    /// </summary>
    public static double CapturedEnergyRatio(ISymmetricOperator c, ReadOnlySpan<float> basis, int k, ReadOnlySpan<double> eigenvalues)
    {
        if (eigenvalues.Length < k)
        {
            throw new ArgumentException($"'eigenvalues' has {eigenvalues.Length} values; rank {k} needs at least {k}.", nameof(eigenvalues));
        }

        var sorted = eigenvalues.ToArray();
        Array.Sort(sorted);
        double optimal = 0;
        for (int i = 0; i < k; i++)
        {
            optimal += sorted[^(i + 1)];
        }

        return optimal <= 0 ? 0 : CapturedEnergy(c, basis, k) / optimal;
    }

    /// <summary>
    /// μ̂ᵀ·C·μ̂ / tr C with μ̂ = μ/‖μ‖: the share of the (uncentred) energy lying along the mean direction.
    /// Near 1 the fleet is dominated by one shared offset; near 1/d it has none.
    /// </summary>
    public static double MeanDirectionShare(ISymmetricOperator uncentred, ReadOnlySpan<double> mean)
    {
        ArgumentNullException.ThrowIfNull(uncentred);
        Guard.Length(nameof(mean), mean.Length, uncentred.Dimension, $"a mean of dimension {uncentred.Dimension}");
        double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(mean));
        double trace = uncentred.Trace;
        if (norm == 0 || trace <= 0)
        {
            return 0;
        }

        var x = new double[mean.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = mean[i] / norm;
        }

        var y = new double[mean.Length];
        uncentred.Apply(x, 1, y);
        return System.Numerics.Tensors.TensorPrimitives.Dot<double>(x, y) / trace;
    }

    /// <summary>The ku×kv overlaps U·Vᵀ of two k×d bases (row-major), every product summed in float64.</summary>
    public static double[] Overlaps(ReadOnlySpan<float> u, int ku, ReadOnlySpan<float> v, int kv, int dimension)
    {
        Guard.Positive(nameof(dimension), dimension);
        CheckBasis(nameof(u), u, ku, dimension);
        CheckBasis(nameof(v), v, kv, dimension);
        var overlaps = new double[ku * kv];
        RowBlockProducts.WideCross(u, ku, v, kv, dimension, overlaps);
        return overlaps;
    }

    private static double[] SquaredSines(ReadOnlySpan<float> u, int ku, ReadOnlySpan<float> v, int kv, int dimension)
    {
        Guard.Positive(nameof(dimension), dimension);
        CheckBasis(nameof(u), u, ku, dimension);
        CheckBasis(nameof(v), v, kv, dimension);
        return ku <= kv ? SquaredSinesOrdered(u, ku, v, kv, dimension) : SquaredSinesOrdered(v, kv, u, ku, dimension);
    }

    /// <summary>The squared sines of span(A) (ka ≤ kb rows) to span(B) from AAᵀ, ABᵀ and BBᵀ (<see cref="DenseMath.SquaredSinesFromProducts"/>).</summary>
    private static double[] SquaredSinesOrdered(ReadOnlySpan<float> a, int ka, ReadOnlySpan<float> b, int kb, int d)
    {
        var m = new double[ka * kb];
        var ga = new double[ka * ka];
        var gb = new double[kb * kb];
        RowBlockProducts.WideCross(a, ka, b, kb, d, m);
        RowBlockProducts.WideCross(a, ka, a, ka, d, ga);
        RowBlockProducts.WideCross(b, kb, b, kb, d, gb);
        return DenseMath.SquaredSinesFromProducts(ga, m, gb, ka, kb);
    }

    private static void CheckBasis(string name, ReadOnlySpan<float> basis, int k, int d)
    {
        if (k < 1 || k > d)
        {
            throw new ArgumentOutOfRangeException(name, k, $"Basis '{name}' has rank {k}; it must be in [1, {d}].");
        }

        Guard.Length(name, basis.Length, (long)k * d, $"a {k}×{d} basis");
    }
}
