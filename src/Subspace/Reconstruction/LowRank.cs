using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Reconstruction;

/// <summary>
/// Factorises an update as B·A (scale 1) — what a PEFT adapter stores — through the eigen-decomposition of its smaller
/// Gram (float64): XᵀX = VΛVᵀ gives A = V_Rᵀ, B = X·V_R (or XXᵀ = UΛUᵀ gives B = U_R, A = U_Rᵀ·X).
/// </summary>
public static class LowRank
{
    /// <summary>Relative singular-value threshold below which directions count as zero: numerical rank.</summary>
    public const double DefaultTolerance = 1e-6;

    /// <summary>
    /// B·A factors of <paramref name="update"/> at its numerical rank (σⱼ &gt; tolerance·σ₁), capped at
    /// <paramref name="maxRank"/>. A factored update within the cap is returned as it is. Truncation error is
    /// ‖ΔW − B·A‖_F/‖ΔW‖_F (0 when nothing above the tolerance was dropped).
    /// </summary>
    public static (LayerUpdate Factors, double TruncationError) Factorize(LayerUpdate update, IBlasBackend backend, int? maxRank = null,
        double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(backend);
        if (maxRank is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRank), maxRank, "The rank cap must be at least 1.");
        }

        if (update.IsFactored && (maxRank is null || update.Rank <= maxRank))
        {
            return (update, 0);
        }

        int m = update.OutFeatures, n = update.InFeatures;
        var x = UpdateAlgebra.ToDense(update, backend);
        bool rowSide = n <= m; // eigen-decompose the smaller Gram
        int d = rowSide ? n : m;
        var gram = new double[(long)d * d];
        var wide = UpdateAlgebra.Widen(x);
        backend.Syrk(rowSide ? Transpose.Yes : Transpose.No, d, rowSide ? m : n, 1.0, wide, n, 0.0, gram, d);
        var lambda = new double[d];
        backend.SymmetricEigen(d, gram, lambda);
        double total = lambda.Where(l => l > 0).Sum();
        double top = Math.Max(0, lambda[d - 1]);
        int rank = 0;
        while (rank < d && lambda[d - 1 - rank] > top * tolerance * tolerance && lambda[d - 1 - rank] > 0)
        {
            rank++;
        }

        rank = Math.Max(1, Math.Min(rank, maxRank ?? d));
        double kept = 0;
        var basis = new float[(long)rank * d]; // rows: leading eigenvectors
        for (int j = 0; j < rank; j++)
        {
            kept += Math.Max(0, lambda[d - 1 - j]);
            for (int i = 0; i < d; i++)
            {
                basis[((long)j * d) + i] = (float)gram[((long)i * d) + d - 1 - j];
            }
        }

        double truncation = total > 0 ? Math.Sqrt(Math.Max(0, total - kept) / total) : 0;
        if (rowSide)
        {
            var b = new float[(long)m * rank];
            backend.Gemm(Transpose.No, Transpose.Yes, m, rank, n, 1f, x, n, basis, n, 0f, b, rank);
            return (LayerUpdate.Factored(m, rank, n, b, basis), truncation);
        }
        else
        {
            var a = new float[(long)rank * n];
            backend.Gemm(Transpose.No, Transpose.No, rank, n, m, 1f, basis, m, x, n, 0f, a, n);
            var b = new float[(long)m * rank];
            for (int j = 0; j < rank; j++)
            {
                for (int i = 0; i < m; i++)
                {
                    b[((long)i * rank) + j] = basis[((long)j * m) + i];
                }
            }

            return (LayerUpdate.Factored(m, rank, n, b, a), truncation);
        }
    }
}
