namespace OrleansUws.Numerics.Internal;

/// <summary>Small dense float64 helpers for k×d bases (k small): products, residuals, polar factors.</summary>
internal static class DenseMath
{
    /// <summary>Replaces the n×n row-major <paramref name="a"/> by (A + Aᵀ)/2, so that rounding leaves no asymmetry for an eigensolver.</summary>
    public static void Symmetrize(Span<double> a, int n)
    {
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                double v = 0.5 * (a[(i * n) + j] + a[(j * n) + i]);
                a[(i * n) + j] = v;
                a[(j * n) + i] = v;
            }
        }
    }

    /// <summary>out (ra×rb) = A·Bᵀ for row blocks A (ra×d) and B (rb×d).</summary>
    public static void RowProducts(ReadOnlySpan<double> a, int ra, ReadOnlySpan<double> b, int rb, int d, Span<double> result)
    {
        for (int i = 0; i < ra; i++)
        {
            var ai = a.Slice(i * d, d);
            for (int j = 0; j < rb; j++)
            {
                result[(i * rb) + j] = System.Numerics.Tensors.TensorPrimitives.Dot(ai, b.Slice(j * d, d));
            }
        }
    }

    /// <summary>
    /// Squared sines of the principal angles between span(rows of A) (ka×d) and span(rows of B) (kb×d), ka ≤ kb,
    /// both orthonormal: eigenvalues (ascending) of RRᵀ with R = A − (ABᵀ)B, precise for small angles.
    /// </summary>
    public static double[] SquaredSines(ReadOnlySpan<double> a, int ka, ReadOnlySpan<double> b, int kb, int d)
    {
        using var m = new PooledArray<double>(ka * kb);
        RowProducts(a, ka, b, kb, d, m.Span);
        using var r = new PooledArray<double>(ka * d);
        a[..(ka * d)].CopyTo(r.Span);
        for (int i = 0; i < ka; i++)
        {
            var ri = r.Span.Slice(i * d, d);
            for (int j = 0; j < kb; j++)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.Slice(j * d, d), -m.Span[(i * kb) + j], ri, ri);
            }
        }

        var s = new double[ka * ka];
        RowProducts(r.Span, ka, r.Span, ka, d, s);
        var values = new double[ka];
        SymmetricEigenSolver.Solve(ka, s, values);
        for (int i = 0; i < ka; i++)
        {
            values[i] = Math.Clamp(values[i], 0, 1);
        }

        return values;
    }

    /// <summary>Widens a float row block.</summary>
    public static double[] Widen(ReadOnlySpan<float> x)
    {
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            result[i] = x[i];
        }

        return result;
    }
}
