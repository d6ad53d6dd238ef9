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
    /// both orthonormal (<see cref="SquaredSinesFromProducts"/>).
    /// </summary>
    public static double[] SquaredSines(ReadOnlySpan<double> a, int ka, ReadOnlySpan<double> b, int kb, int d)
    {
        var m = new double[ka * kb];
        var ga = new double[ka * ka];
        var gb = new double[kb * kb];
        RowProducts(a, ka, b, kb, d, m);
        RowProducts(a, ka, a, ka, d, ga);
        RowProducts(b, kb, b, kb, d, gb);
        return SquaredSinesFromProducts(ga, m, gb, ka, kb);
    }

    /// <summary>
    /// Squared sines (ascending) of the principal angles between span(rows of A) (ka rows) and span(rows of B) (kb ≥ ka
    /// rows), from their products alone: the eigenvalues of RRᵀ for the residual R = A − (ABᵀ)B, which is
    /// RRᵀ = AAᵀ − 2MMᵀ + M(BBᵀ)Mᵀ with M = ABᵀ. The Grams are taken as they are, not as I, so rows that are orthonormal
    /// only to float32 rounding leave no trace of it in small angles; with products summed in float64 a sine is exact to
    /// about 1e-7.
    /// </summary>
    /// <param name="ga">AAᵀ, ka×ka.</param>
    /// <param name="m">ABᵀ, ka×kb.</param>
    /// <param name="gb">BBᵀ, kb×kb.</param>
    /// <param name="ka">Rows of A.</param>
    /// <param name="kb">Rows of B, at least ka.</param>
    public static double[] SquaredSinesFromProducts(ReadOnlySpan<double> ga, ReadOnlySpan<double> m, ReadOnlySpan<double> gb, int ka, int kb)
    {
        // mg = M·BBᵀ (ka×kb); s = AAᵀ − 2MMᵀ + mg·Mᵀ.
        var mg = new double[ka * kb];
        for (int i = 0; i < ka; i++)
        {
            for (int q = 0; q < kb; q++)
            {
                double sum = 0;
                for (int p = 0; p < kb; p++)
                {
                    sum += m[(i * kb) + p] * gb[(p * kb) + q];
                }

                mg[(i * kb) + q] = sum;
            }
        }

        var s = new double[ka * ka];
        for (int i = 0; i < ka; i++)
        {
            for (int j = 0; j < ka; j++)
            {
                double mm = 0, mgm = 0;
                for (int p = 0; p < kb; p++)
                {
                    mm += m[(i * kb) + p] * m[(j * kb) + p];
                    mgm += mg[(i * kb) + p] * m[(j * kb) + p];
                }

                s[(i * ka) + j] = ga[(i * ka) + j] - (2 * mm) + mgm;
            }
        }

        Symmetrize(s, ka);
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
