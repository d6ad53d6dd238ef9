using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// The basis of a column-sliced Frequent Directions sketch without assembling its rows: with B = [B_1 … B_S] (ℓ'×D) and
/// G = Σ_s B_sB_sᵀ = U Λ Uᵀ, the top right singular vectors are V = Bᵀ U Λ^(−½), so slice s computes its columns
/// V_s = (Λ^(−½) Uᵀ)·B_s (<see cref="ColumnSliceSketch.Project"/>) from the k×ℓ' coefficients planned here once.
/// Comparisons between two such bases (sin θ to the previous version) and the sign rule need only k×k products and
/// per-slice peaks, also provided here.
/// </summary>
public static class ColumnSlicedBasis
{
    /// <summary>
    /// Plans the basis from the summed Gram (rows×rows, row-major float64): eigen-solve in float64, k fixed
    /// (<paramref name="rank"/> &gt; 0) or the smallest k whose Σλ/<paramref name="totalEnergy"/> reaches
    /// <paramref name="energyThreshold"/>, capped at <paramref name="maxRank"/> (and at the number of positive eigenvalues).
    /// </summary>
    /// <exception cref="InvalidOperationException">A fixed k exceeds the directions the sketch holds.</exception>
    public static ColumnSliceBasisPlan Plan(
        IBlasBackend backend, ReadOnlySpan<double> gram, int rows, double totalEnergy, int rank, double energyThreshold, int maxRank)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Guard.Length(nameof(gram), gram.Length, (long)rows * rows, $"a {rows}×{rows} Gram");
        CheckPlan(rows, rank, energyThreshold, maxRank);
        var vectors = gram.ToArray();
        var values = new double[rows];
        backend.SymmetricEigen(rows, vectors, values);

        // Ascending eigenvalues and eigenvectors in columns: the i-th largest is column rows − 1 − i.
        var descending = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            descending[i] = values[rows - 1 - i];
        }

        return FromEigen(descending, rows, (i, j) => vectors[(j * rows) + rows - 1 - i], totalEnergy, rank, energyThreshold, maxRank);
    }

    /// <summary>
    /// <see cref="Plan"/> from a float32 Gram with the partial eigen-solver (<see cref="IBlasBackend.SymmetricEigenTop"/>):
    /// only the eigenvalues the rank rule can reach (k fixed, or up to <paramref name="maxRank"/>) and their vectors.
    /// </summary>
    /// <exception cref="InvalidOperationException">A fixed k exceeds the directions the sketch holds.</exception>
    public static ColumnSliceBasisPlan PlanTop(
        IBlasBackend backend, Span<float> gram, int rows, double totalEnergy, int rank, double energyThreshold, int maxRank)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Guard.Length(nameof(gram), gram.Length, (long)rows * rows, $"a {rows}×{rows} Gram");
        CheckPlan(rows, rank, energyThreshold, maxRank);
        int wanted = Math.Min(rows, rank > 0 ? rank : maxRank);
        var values = new float[wanted];
        var vectors = new float[wanted * rows];
        backend.SymmetricEigenTop(rows, gram, wanted, wanted, values, vectors);
        return FromEigen(Array.ConvertAll(values, v => (double)v), rows, (i, j) => vectors[(i * rows) + j], totalEnergy, rank, energyThreshold, maxRank);
    }

    private static void CheckPlan(int rows, int rank, double energyThreshold, int maxRank)
    {
        Guard.Positive(nameof(rows), rows);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        Guard.Positive(nameof(maxRank), maxRank);
        if (rank == 0 && !(energyThreshold > 0 && energyThreshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(energyThreshold), energyThreshold, "τ must be in (0, 1] when k is chosen by energy.");
        }
    }

    /// <summary>
    /// The plan from the largest eigenvalues (descending; directions with λ ≤ λ_max·1e-12 are noise) and an accessor of
    /// entry j of the i-th eigenvector.
    /// </summary>
    private static ColumnSliceBasisPlan FromEigen(
        double[] descending, int rows, Func<int, int, double> vector, double totalEnergy, int rank, double energyThreshold, int maxRank)
    {
        int known = descending.Length;
        double top = Math.Max(descending[0], 0);
        int positive = 0;
        while (positive < known && descending[positive] > top * 1e-12 && descending[positive] > 0)
        {
            positive++;
        }

        int k;
        bool capReached = false;
        if (rank > 0)
        {
            if (rank > positive)
            {
                throw new InvalidOperationException($"k = {rank} but the sketch holds only {positive} nonzero directions.");
            }

            k = rank;
        }
        else
        {
            int kMax = Math.Min(maxRank, positive);
            if (kMax == 0)
            {
                throw new InvalidOperationException("The sketch holds no nonzero direction.");
            }

            double cumulative = 0;
            k = kMax;
            for (int i = 0; i < kMax; i++)
            {
                cumulative += descending[i];
                if (totalEnergy > 0 && cumulative / totalEnergy >= energyThreshold)
                {
                    k = i + 1;
                    break;
                }
            }

            capReached = !(totalEnergy > 0 && cumulative / totalEnergy >= energyThreshold);
        }

        var coefficients = new float[k * rows];
        var singular = new double[k];
        double captured = 0;
        for (int i = 0; i < k; i++)
        {
            double lambda = descending[i];
            singular[i] = Math.Sqrt(lambda);
            captured += lambda;
            double inverse = 1 / singular[i];
            for (int j = 0; j < rows; j++)
            {
                coefficients[(i * rows) + j] = (float)(inverse * vector(i, j));
            }
        }

        return new ColumnSliceBasisPlan(k, rows, coefficients, singular, totalEnergy > 0 ? captured / totalEnergy : 0, capReached);
    }

    /// <summary>
    /// destination (ka×kb, row-major float64) += a·bᵀ for a slice's parts a (ka×width) and b (kb×width), accumulated in
    /// float64. Summed over the slices it is the full product of the two bases.
    /// </summary>
    public static void AccumulateCross(ReadOnlySpan<float> a, int ka, ReadOnlySpan<float> b, int kb, int width, Span<double> destination)
    {
        Guard.Positive(nameof(width), width);
        Guard.Length(nameof(a), a.Length, (long)ka * width, $"{ka}×{width} vectors");
        Guard.Length(nameof(b), b.Length, (long)kb * width, $"{kb}×{width} vectors");
        Guard.Length(nameof(destination), destination.Length, (long)ka * kb, $"a {ka}×{kb} product");
        for (int i = 0; i < ka; i++)
        {
            var rowA = a.Slice(i * width, width);
            for (int j = 0; j < kb; j++)
            {
                var rowB = b.Slice(j * width, width);
                double sum = 0;
                for (int c = 0; c < width; c++)
                {
                    sum += (double)rowA[c] * rowB[c];
                }

                destination[(i * kb) + j] += sum;
            }
        }
    }

    /// <summary>
    /// For each of the k rows of a slice's part (k×width): the entry of largest magnitude (the first one on ties) and
    /// its column. Across slices, the largest |value| (lowest global column on ties) fixes the vector's sign.
    /// </summary>
    public static void Peaks(ReadOnlySpan<float> part, int k, int width, Span<float> values, Span<int> columns)
    {
        Guard.Positive(nameof(width), width);
        Guard.Length(nameof(part), part.Length, (long)k * width, $"{k}×{width} vectors");
        Guard.Length(nameof(values), values.Length, k, $"{k} peaks");
        Guard.Length(nameof(columns), columns.Length, k, $"{k} peak columns");
        for (int i = 0; i < k; i++)
        {
            var row = part.Slice(i * width, width);
            int best = 0;
            for (int c = 1; c < width; c++)
            {
                if (Math.Abs(row[c]) > Math.Abs(row[best]))
                {
                    best = c;
                }
            }

            values[i] = row[best];
            columns[i] = best;
        }
    }

    /// <summary>
    /// sin of the largest principal angle between span(U) (ku rows) and span(V) (kv rows), from their Grams uu = UUᵀ,
    /// vv = VVᵀ and cross product uv = UVᵀ (float64, e.g. summed with <see cref="AccumulateCross"/>). Uses the residual
    /// of the smaller basis, RRᵀ = UUᵀ − 2·M Mᵀ + M·VVᵀ·Mᵀ with R = U − M V, accurate for small angles; both bases
    /// are taken as orthonormal rows.
    /// </summary>
    public static double SinThetaMax(IBlasBackend backend, ReadOnlySpan<double> uu, int ku, ReadOnlySpan<double> uv, int kv, ReadOnlySpan<double> vv)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Guard.Positive(nameof(ku), ku);
        Guard.Positive(nameof(kv), kv);
        Guard.Length(nameof(uu), uu.Length, (long)ku * ku, $"a {ku}×{ku} Gram");
        Guard.Length(nameof(uv), uv.Length, (long)ku * kv, $"a {ku}×{kv} product");
        Guard.Length(nameof(vv), vv.Length, (long)kv * kv, $"a {kv}×{kv} Gram");
        if (ku > kv)
        {
            using var transposed = new PooledArray<double>(kv * ku);
            for (int i = 0; i < ku; i++)
            {
                for (int j = 0; j < kv; j++)
                {
                    transposed.Span[(j * ku) + i] = uv[(i * kv) + j];
                }
            }

            return SinThetaMax(backend, vv, kv, transposed.Span, ku, uu);
        }

        // residual = uu − 2·M Mᵀ + M·vv·Mᵀ (ku×ku).
        using var mv = new PooledArray<double>(ku * kv);
        using var residual = new PooledArray<double>(ku * ku);
        uu.CopyTo(residual.Span);
        backend.Gemm(Transpose.No, Transpose.No, ku, kv, kv, 1.0, uv, kv, vv, kv, 0.0, mv.Span, kv);
        for (int i = 0; i < mv.Length; i++)
        {
            mv.Span[i] -= 2 * uv[i];
        }

        backend.Gemm(Transpose.No, Transpose.Yes, ku, ku, kv, 1.0, mv.Span, kv, uv, kv, 1.0, residual.Span, ku);
        using var eigenvalues = new PooledArray<double>(ku);
        backend.SymmetricEigen(ku, residual.Span, eigenvalues.Span);
        return Math.Sqrt(Math.Clamp(eigenvalues.Span[ku - 1], 0, 1));
    }
}
