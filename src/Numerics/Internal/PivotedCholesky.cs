namespace OrleansUws.Numerics.Internal;

/// <summary>
/// Cholesky factorisation with diagonal pivoting of a symmetric positive semi-definite r×r matrix G (float64),
/// P·G·Pᵀ = L·Lᵀ, stopped at the numerical rank (LAPACK <c>?pstrf</c>'s rule: the largest remaining diagonal
/// ≤ r·ε·max diag G). It yields a factor F = Lᵀ·P (rank×r) with FᵀF = G in O(r³/3) operations, an order of
/// magnitude cheaper than an eigen-decomposition at the sizes of a LoRA rank.
/// </summary>
internal static class PivotedCholesky
{
    private const double Epsilon = 2.220446049250313e-16;

    /// <summary>
    /// Overwrites <paramref name="factor"/> (at least r×r, row-major) with F (rank×r, rows [0, rank)) such that
    /// FᵀF = G, and returns the rank. <paramref name="g"/> (r×r, both triangles) is destroyed.
    /// </summary>
    public static int Factor(Span<double> g, int r, Span<float> factor)
    {
        Guard.Positive(nameof(r), r);
        Guard.AtLeast(nameof(g), g.Length, (long)r * r, $"a {r}×{r} matrix");
        Guard.AtLeast(nameof(factor), factor.Length, (long)r * r, $"a {r}×{r} factor");
        Span<int> perm = r <= 256 ? stackalloc int[r] : new int[r];
        double largest = 0;
        for (int i = 0; i < r; i++)
        {
            perm[i] = i;
            largest = Math.Max(largest, g[(i * r) + i]);
        }

        double tolerance = r * Epsilon * largest;
        int rank = 0;
        for (int k = 0; k < r; k++)
        {
            int pivot = k;
            for (int j = k + 1; j < r; j++)
            {
                if (g[(j * r) + j] > g[(pivot * r) + pivot])
                {
                    pivot = j;
                }
            }

            double diagonal = g[(pivot * r) + pivot];
            if (!(diagonal > tolerance))
            {
                break;
            }

            SwapSymmetric(g, r, k, pivot);
            (perm[k], perm[pivot]) = (perm[pivot], perm[k]);
            double root = Math.Sqrt(diagonal);
            g[(k * r) + k] = root;
            for (int i = k + 1; i < r; i++)
            {
                g[(i * r) + k] /= root;
            }

            for (int i = k + 1; i < r; i++)
            {
                double lik = g[(i * r) + k];
                for (int m = k + 1; m < r; m++)
                {
                    g[(i * r) + m] -= lik * g[(m * r) + k];
                }
            }

            rank++;
        }

        // F[k, perm[i]] = L[i, k] for i ≥ k; the rest of the row is zero.
        factor[..(rank * r)].Clear();
        for (int k = 0; k < rank; k++)
        {
            for (int i = k; i < r; i++)
            {
                factor[(k * r) + perm[i]] = (float)g[(i * r) + k];
            }
        }

        return rank;
    }

    /// <summary>
    /// Swaps rows and columns a &lt; b. Rows ≥ k hold L's finished columns (&lt; k, permuted with the rows, as
    /// pivoting requires) and the full symmetric Schur complement (≥ k); the upper parts of rows &lt; k are not read.
    /// </summary>
    private static void SwapSymmetric(Span<double> g, int r, int a, int b)
    {
        if (a == b)
        {
            return;
        }

        for (int j = 0; j < r; j++)
        {
            (g[(a * r) + j], g[(b * r) + j]) = (g[(b * r) + j], g[(a * r) + j]);
        }

        for (int i = 0; i < r; i++)
        {
            (g[(i * r) + a], g[(i * r) + b]) = (g[(i * r) + b], g[(i * r) + a]);
        }
    }
}
