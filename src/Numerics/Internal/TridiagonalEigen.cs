using System.Numerics;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// The largest eigenpairs of a symmetric tridiagonal matrix T (diagonal d, off-diagonal e), float64 results:
/// Sturm-count bisection for the eigenvalues and inverse iteration for the eigenvectors (the pair LAPACK's
/// <c>?stebz</c>/<c>?stein</c> implement), both run over several eigenvalues at once in SIMD lanes. This is the
/// middle of the Frequent Directions shrink's partial eigen-solve (tridiagonalise, solve T for the top ℓ,
/// back-transform): a shrink needs ℓ + 1 of 2ℓ eigenvalues and ℓ vectors, and divide and conquer spent most of
/// its time on secular equations for eigenpairs the shrink throws away.
/// <para>
/// Steps, on T scaled to ‖T‖∞ ≈ 1 by a power of two: (1) T splits where |eᵢ| ≤ ε (float64), and each block is
/// solved on its own (vectors of different blocks have disjoint supports); (2) float32 bisection brackets every
/// wanted eigenvalue to 2⁻²³ (float32 Sturm counts are exact for a matrix within a few float32 ulps of T);
/// (3) eigenvalues closer than <see cref="CloseGap"/> to a neighbour are bisected again in float64;
/// (4) each vector comes from inverse iteration with partial pivoting — three solves at the bracketed shift, one
/// Rayleigh-quotient refactorisation, two more solves — and its value is the final Rayleigh quotient; (5) eigenvalues
/// still closer than <see cref="ClusterGap"/> in float64 form clusters whose vectors are computed one after the other
/// and orthogonalised against the earlier ones at every solve (modified Gram–Schmidt, as <c>?stein</c> does).
/// Outside clusters the vectors are orthogonal to ε·‖T‖/gap ≤ 1e-7 · (float64 ε / 1e-9) without any
/// orthogonalisation.
/// </para>
/// </summary>
internal static partial class TridiagonalEigen
{
    /// <summary>Coarse (float32) gaps below this, relative to ‖T‖, are bisected again in float64.</summary>
    internal const double CloseGap = 1e-5;

    /// <summary>float64 gaps below this, relative to ‖T‖, are orthogonalised explicitly.</summary>
    internal const double ClusterGap = 1e-9;

    /// <summary>float64 machine epsilon (2⁻⁵²): the split threshold and the smallest pivot, relative to ‖T‖.</summary>
    internal const double Epsilon = 2.220446049250313e-16;

    private const int Chains = 4;

    /// <summary>
    /// Computes the <paramref name="valueCount"/> largest eigenvalues of T, descending, into <paramref name="values"/>,
    /// and unit eigenvectors of the first <paramref name="vectorCount"/> of them as rows of <paramref name="vectors"/>
    /// (vectorCount × n, row i for values[i]). Should inverse iteration fail its own checks (a non-finite vector, or a
    /// Rayleigh quotient away from the bracketed value — not seen on any input tried), the dense float64 solver of the
    /// managed backend solves T instead; the return value says which ran (true: the partial solver).
    /// </summary>
    public static bool Largest(ReadOnlySpan<double> diagonal, ReadOnlySpan<double> offDiagonal, int valueCount, int vectorCount,
        Span<double> values, Span<double> vectors)
    {
        int n = diagonal.Length;
        if (offDiagonal.Length < n - 1 || valueCount > n || vectorCount > valueCount || values.Length < valueCount
            || vectors.Length < vectorCount * n)
        {
            throw new ArgumentException($"Tridiagonal eigen-solve of order {n}: {valueCount} values and {vectorCount} vectors requested, " +
                $"off-diagonal {offDiagonal.Length}, values {values.Length}, vectors {vectors.Length}.");
        }

        vectors[..(vectorCount * n)].Clear();
        if (valueCount == 0)
        {
            return true;
        }

        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            double row = Math.Abs(diagonal[i]) + (i > 0 ? Math.Abs(offDiagonal[i - 1]) : 0) + (i < n - 1 ? Math.Abs(offDiagonal[i]) : 0);
            norm = Math.Max(norm, row);
        }

        if (norm == 0)
        {
            values[..valueCount].Clear();
            for (int i = 0; i < vectorCount; i++)
            {
                vectors[(i * n) + i] = 1;
            }

            return true;
        }

        // A power of two: scaling is exact, and every threshold below is relative to ‖T‖ ∈ [0.5, 1).
        int exponent = Math.ILogB(norm) + 1;
        using var work = new Workspace(n);
        for (int i = 0; i < n; i++)
        {
            work.D[i] = Math.ScaleB(diagonal[i], -exponent);
            double e = i < n - 1 ? Math.ScaleB(offDiagonal[i], -exponent) : 0;
            work.E[i] = Math.Abs(e) <= Epsilon ? 0 : e;
        }

        int needed = Math.Min(n, Math.Max(valueCount, vectorCount + 1));
        int candidates = FindCandidates(work, n, needed);
        var order = work.Order[..candidates];
        for (int i = 0; i < candidates; i++)
        {
            order[i] = i;
            work.SortKey[i] = -work.Value[i];
        }

        work.SortKey[..candidates].Sort(order);
        for (int rank = 0; rank < candidates; rank++)
        {
            work.Rank[order[rank]] = rank;
        }

        if (!ComputeVectors(work, n, vectorCount, vectors))
        {
            DenseFallback(diagonal, offDiagonal, valueCount, vectorCount, values, vectors);
            return false;
        }

        for (int rank = 0; rank < valueCount; rank++)
        {
            values[rank] = Math.ScaleB(work.Value[order[rank]], exponent);
        }

        return true;
    }

    private static void DenseFallback(ReadOnlySpan<double> diagonal, ReadOnlySpan<double> offDiagonal, int valueCount, int vectorCount,
        Span<double> values, Span<double> vectors)
    {
        int n = diagonal.Length;
        using var dense = new PooledArray<double>(n * n, clear: true);
        using var all = new PooledArray<double>(n);
        var t = dense.Span;
        for (int i = 0; i < n; i++)
        {
            t[(i * n) + i] = diagonal[i];
            if (i < n - 1)
            {
                t[(i * n) + i + 1] = t[((i + 1) * n) + i] = offDiagonal[i];
            }
        }

        SymmetricEigenSolver.Solve(n, t, all.Span);
        for (int i = 0; i < valueCount; i++)
        {
            values[i] = all.Span[n - 1 - i];
        }

        for (int i = 0; i < vectorCount; i++)
        {
            for (int j = 0; j < n; j++)
            {
                vectors[(i * n) + j] = t[(j * n) + n - 1 - i];
            }
        }
    }

    /// <summary>
    /// Brackets the top <paramref name="needed"/> eigenvalues of every block (float32 bisection, then float64 for close
    /// ones) into the candidate arrays, each block's candidates descending; returns the number of candidates.
    /// </summary>
    private static int FindCandidates(Workspace work, int n, int needed)
    {
        int count = 0;
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && work.E[end - 1] != 0)
            {
                end++;
            }

            int size = end - start;
            int take = Math.Min(size, needed);
            work.Blocks.Add((start, end, count, take));
            if (size == 1)
            {
                work.Value[count] = work.D[start];
                work.Lo[count] = work.Hi[count] = work.D[start];
            }
            else
            {
                BisectBlock(work, start, end, count, take);
            }

            count += take;
            start = end;
        }

        return count;
    }

    private static void BisectBlock(Workspace work, int start, int end, int first, int take)
    {
        int size = end - start;
        double lower = double.MaxValue, upper = double.MinValue;
        for (int i = start; i < end; i++)
        {
            double radius = (i > start ? Math.Abs(work.E[i - 1]) : 0) + (i < end - 1 ? Math.Abs(work.E[i]) : 0);
            lower = Math.Min(lower, work.D[i] - radius);
            upper = Math.Max(upper, work.D[i] + radius);
        }

        lower -= 1e-6;
        upper += 1e-6;
        for (int i = start; i < end; i++)
        {
            work.D32[i] = (float)work.D[i];
            work.E2x32[i] = (float)(work.E[i] * work.E[i]);
            work.E2[i] = work.E[i] * work.E[i];
        }

        // Candidate j of the block (descending) is the (size − 1 − j)-th smallest eigenvalue.
        for (int j = 0; j < take; j++)
        {
            work.Index[first + j] = size - 1 - j;
            work.Lo[first + j] = lower;
            work.Hi[first + j] = upper;
        }

        int coarseSteps = (int)Math.Ceiling(Math.Log2((upper - lower) / Math.ScaleB(1.0, -23)));
        Bisect<float>(work.D32.Slice(start, size), work.E2x32.Slice(start, size), work, first, take, coarseSteps, 1e-30f);

        // Float64 for every candidate within CloseGap of a candidate neighbour, from its coarse bracket widened by
        // 30× the float32 count's error (a few ulps of ‖T‖).
        int refine = 0;
        for (int j = 0; j < take; j++)
        {
            int c = first + j;
            work.Value[c] = 0.5 * (work.Lo[c] + work.Hi[c]);
        }

        for (int j = 0; j < take; j++)
        {
            int c = first + j;
            bool close = (j > 0 && work.Value[c - 1] - work.Value[c] < CloseGap)
                || (j < take - 1 && work.Value[c] - work.Value[c + 1] < CloseGap);
            if (close)
            {
                work.Refine[refine++] = c;
            }
        }

        if (refine == 0)
        {
            return;
        }

        // Gather the close ones into the scratch range [n, 2n) past the candidates, bisect, scatter back.
        int scratch = work.N;
        for (int r = 0; r < refine; r++)
        {
            int c = work.Refine[r];
            work.Index[scratch + r] = work.Index[c];
            work.Lo[scratch + r] = work.Value[c] - 1e-5;
            work.Hi[scratch + r] = work.Value[c] + 1e-5;
        }

        int fineSteps = (int)Math.Ceiling(Math.Log2(2e-5 / (4 * Epsilon)));
        Bisect<double>(work.D.Slice(start, size), work.E2.Slice(start, size), work, scratch, refine, fineSteps, 1e-290);
        for (int r = 0; r < refine; r++)
        {
            int c = work.Refine[r];
            work.Value[c] = 0.5 * (work.Lo[scratch + r] + work.Hi[scratch + r]);
        }
    }

    /// <summary>
    /// Bisection on the Sturm count for tasks [first, first + count) of the workspace (eigenvalue index, bracket),
    /// <see cref="Chains"/> vectors of lanes at a time so that the division latency overlaps.
    /// </summary>
    private static void Bisect<T>(ReadOnlySpan<T> d, ReadOnlySpan<T> e2, Workspace work, int first, int count, int steps, T pivmin)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        int batch = Chains * width;
        Span<T> lo = stackalloc T[batch];
        Span<T> hi = stackalloc T[batch];
        Span<T> index = stackalloc T[batch];
        for (int b = 0; b < count; b += batch)
        {
            for (int l = 0; l < batch; l++)
            {
                int task = first + Math.Min(b + l, count - 1);
                lo[l] = T.CreateTruncating(work.Lo[task]);
                hi[l] = T.CreateTruncating(work.Hi[task]);
                index[l] = T.CreateTruncating(work.Index[task]);
            }

            BisectBatch(d, e2, lo, hi, index, steps, pivmin);
            for (int l = 0; l < batch && b + l < count; l++)
            {
                work.Lo[first + b + l] = double.CreateTruncating(lo[l]);
                work.Hi[first + b + l] = double.CreateTruncating(hi[l]);
            }
        }
    }

    private static void BisectBatch<T>(ReadOnlySpan<T> d, ReadOnlySpan<T> e2, Span<T> lo, Span<T> hi, ReadOnlySpan<T> index, int steps, T pivmin)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        var lo0 = new Vector<T>(lo); var lo1 = new Vector<T>(lo[w..]); var lo2 = new Vector<T>(lo[(2 * w)..]); var lo3 = new Vector<T>(lo[(3 * w)..]);
        var hi0 = new Vector<T>(hi); var hi1 = new Vector<T>(hi[w..]); var hi2 = new Vector<T>(hi[(2 * w)..]); var hi3 = new Vector<T>(hi[(3 * w)..]);
        var k0 = new Vector<T>(index); var k1 = new Vector<T>(index[w..]); var k2 = new Vector<T>(index[(2 * w)..]); var k3 = new Vector<T>(index[(3 * w)..]);
        var half = new Vector<T>(T.CreateTruncating(0.5));
        for (int step = 0; step < steps; step++)
        {
            var x0 = (lo0 + hi0) * half; var x1 = (lo1 + hi1) * half; var x2 = (lo2 + hi2) * half; var x3 = (lo3 + hi3) * half;
            SturmCounts(d, e2, x0, x1, x2, x3, pivmin, out var c0, out var c1, out var c2, out var c3);

            // count(x) = #eigenvalues < x; eigenvalue k lies below x exactly when count(x) > k.
            var below0 = Vector.GreaterThan(c0, k0); var below1 = Vector.GreaterThan(c1, k1);
            var below2 = Vector.GreaterThan(c2, k2); var below3 = Vector.GreaterThan(c3, k3);
            hi0 = Vector.ConditionalSelect(below0, x0, hi0); lo0 = Vector.ConditionalSelect(below0, lo0, x0);
            hi1 = Vector.ConditionalSelect(below1, x1, hi1); lo1 = Vector.ConditionalSelect(below1, lo1, x1);
            hi2 = Vector.ConditionalSelect(below2, x2, hi2); lo2 = Vector.ConditionalSelect(below2, lo2, x2);
            hi3 = Vector.ConditionalSelect(below3, x3, hi3); lo3 = Vector.ConditionalSelect(below3, lo3, x3);
        }

        lo0.CopyTo(lo); lo1.CopyTo(lo[w..]); lo2.CopyTo(lo[(2 * w)..]); lo3.CopyTo(lo[(3 * w)..]);
        hi0.CopyTo(hi); hi1.CopyTo(hi[w..]); hi2.CopyTo(hi[(2 * w)..]); hi3.CopyTo(hi[(3 * w)..]);
    }

    /// <summary>The number of eigenvalues below each lane's x (LDLᵀ pivots of T − xI, tiny pivots replaced by −pivmin).</summary>
    private static void SturmCounts<T>(ReadOnlySpan<T> d, ReadOnlySpan<T> e2, Vector<T> x0, Vector<T> x1, Vector<T> x2, Vector<T> x3,
        T pivmin, out Vector<T> c0, out Vector<T> c1, out Vector<T> c2, out Vector<T> c3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var piv = new Vector<T>(pivmin);
        var negPiv = -piv;
        var one = Vector<T>.One;
        var first = new Vector<T>(d[0]);
        var q0 = Guard(first - x0, piv, negPiv); var q1 = Guard(first - x1, piv, negPiv);
        var q2 = Guard(first - x2, piv, negPiv); var q3 = Guard(first - x3, piv, negPiv);
        c0 = one & Vector.LessThan(q0, Vector<T>.Zero); c1 = one & Vector.LessThan(q1, Vector<T>.Zero);
        c2 = one & Vector.LessThan(q2, Vector<T>.Zero); c3 = one & Vector.LessThan(q3, Vector<T>.Zero);
        for (int i = 1; i < d.Length; i++)
        {
            var di = new Vector<T>(d[i]);
            var ei = new Vector<T>(e2[i - 1]);
            q0 = Guard(di - x0 - (ei / q0), piv, negPiv);
            q1 = Guard(di - x1 - (ei / q1), piv, negPiv);
            q2 = Guard(di - x2 - (ei / q2), piv, negPiv);
            q3 = Guard(di - x3 - (ei / q3), piv, negPiv);
            c0 += one & Vector.LessThan(q0, Vector<T>.Zero);
            c1 += one & Vector.LessThan(q1, Vector<T>.Zero);
            c2 += one & Vector.LessThan(q2, Vector<T>.Zero);
            c3 += one & Vector.LessThan(q3, Vector<T>.Zero);
        }
    }

    private static Vector<T> Guard<T>(Vector<T> q, Vector<T> piv, Vector<T> negPiv)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(q), piv), negPiv, q);

    /// <summary>Inverse iteration for the candidates of global rank below <paramref name="vectorCount"/>, block by block.</summary>
    private static bool ComputeVectors(Workspace work, int n, int vectorCount, Span<double> vectors)
    {
        foreach (var (start, end, first, take) in work.Blocks)
        {
            int size = end - start;
            var d = work.D.Slice(start, size);
            var e = work.E.Slice(start, size);

            // Lanes: wanted candidates of this block whose float64 (or coarse) gap to both neighbours is ≥ ClusterGap.
            // Clusters: maximal runs of wanted candidates closer than ClusterGap.
            int lanes = 0;
            for (int j = 0; j < take; j++)
            {
                int c = first + j;
                if (work.Rank[c] >= vectorCount)
                {
                    continue;
                }

                if (size == 1)
                {
                    vectors[(work.Rank[c] * n) + start] = 1;
                    continue;
                }

                bool clustered = (j > 0 && work.Value[c - 1] - work.Value[c] < ClusterGap)
                    || (j < take - 1 && work.Value[c] - work.Value[c + 1] < ClusterGap);
                if (!clustered)
                {
                    work.Lanes[lanes++] = c;
                }
            }

            if (size == 1)
            {
                continue;
            }

            var inverse = new InverseIteration(work, d, e);
            int w = Vector<double>.Count;
            for (int b = 0; b < lanes; b += w)
            {
                if (!inverse.Isolated(work.Lanes.Slice(b, Math.Min(w, lanes - b)), start, n, vectors))
                {
                    return false;
                }
            }

            for (int j = 0; j < take;)
            {
                int end2 = j + 1;
                while (end2 < take && work.Value[first + end2 - 1] - work.Value[first + end2] < ClusterGap)
                {
                    end2++;
                }

                if (end2 - j > 1 && !inverse.Cluster(first + j, first + end2, vectorCount, start, n, vectors))
                {
                    return false;
                }

                j = end2;
            }
        }

        return true;
    }

    /// <summary>Scratch of one solve, rented from the shared pools: n is 2ℓ, a solve runs once per shrink.</summary>
    private sealed class Workspace : IDisposable
    {
        private const int DoubleRows = 10, IntRows = 6;
        private double[]? _doubles;
        private float[]? _floats;
        private int[]? _ints;
        private Vector<double>[]? _lanes;

        public Workspace(int n)
        {
            N = n;
            _doubles = System.Buffers.ArrayPool<double>.Shared.Rent(DoubleRows * n);
            _floats = System.Buffers.ArrayPool<float>.Shared.Rent(2 * n);
            _ints = System.Buffers.ArrayPool<int>.Shared.Rent(IntRows * n);
            _lanes = System.Buffers.ArrayPool<Vector<double>>.Shared.Rent(InverseIteration.Rows * n);
        }

        /// <summary>Order of T.</summary>
        public int N { get; }

        /// <summary>Scaled diagonal.</summary>
        public Span<double> D => Doubles(0, N);

        /// <summary>Scaled off-diagonal (E[i] couples i and i + 1; 0 at splits and at n − 1).</summary>
        public Span<double> E => Doubles(1, N);

        /// <summary>E².</summary>
        public Span<double> E2 => Doubles(2, N);

        /// <summary>Per candidate (and, past N, per float64 bisection task): eigenvalue estimate.</summary>
        public Span<double> Value => Doubles(3, 2 * N);

        /// <summary>Bisection brackets (lower ends).</summary>
        public Span<double> Lo => Doubles(5, 2 * N);

        /// <summary>Bisection brackets (upper ends).</summary>
        public Span<double> Hi => Doubles(7, 2 * N);

        /// <summary>Sort keys (−value) of the candidates.</summary>
        public Span<double> SortKey => Doubles(9, N);

        /// <summary>float32 copy of D for the coarse bisection.</summary>
        public Span<float> D32 => _floats.AsSpan(0, N);

        /// <summary>float32 E².</summary>
        public Span<float> E2x32 => _floats.AsSpan(N, N);

        /// <summary>Ascending eigenvalue index of each bisection task within its block.</summary>
        public Span<int> Index => _ints.AsSpan(0, 2 * N);

        /// <summary>Candidates by descending value.</summary>
        public Span<int> Order => _ints.AsSpan(2 * N, N);

        /// <summary>Global rank (descending) of each candidate.</summary>
        public Span<int> Rank => _ints.AsSpan(3 * N, N);

        /// <summary>Candidates bisected again in float64.</summary>
        public Span<int> Refine => _ints.AsSpan(4 * N, N);

        /// <summary>Candidates whose vectors run in SIMD lanes.</summary>
        public Span<int> Lanes => _ints.AsSpan(5 * N, N);

        /// <summary>Lane vectors of the inverse iteration (factor and right-hand side).</summary>
        public Span<Vector<double>> LaneRows => _lanes.AsSpan(0, InverseIteration.Rows * N);

        /// <summary>The unreduced blocks of T: rows [Start, End), candidates [First, First + Take).</summary>
        public List<(int Start, int End, int First, int Take)> Blocks { get; } = [];

        public void Dispose()
        {
            Return(ref _doubles);
            Return(ref _floats);
            Return(ref _ints);
            Return(ref _lanes);
        }

        private Span<double> Doubles(int row, int length) => _doubles.AsSpan(row * N, length);

        private static void Return<T>(ref T[]? array)
        {
            if (array is not null)
            {
                System.Buffers.ArrayPool<T>.Shared.Return(array);
                array = null;
            }
        }
    }
}
