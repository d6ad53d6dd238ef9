using System.Numerics;

namespace OrleansUws.Numerics.Internal;

internal static partial class TridiagonalEigen
{
    /// <summary>
    /// Inverse iteration on one unreduced block, one eigenvalue per SIMD lane: T − σI = P·L·U by Gaussian elimination
    /// with partial pivoting (U has two superdiagonals, as LAPACK's <c>?lagtf</c> forms it), pivots below ε·‖T‖
    /// replaced by ±ε·‖T‖ (a perturbation within the backward error), then solves with that factor.
    /// </summary>
    private readonly ref struct InverseIteration
    {
        /// <summary>Lane rows per matrix row: right-hand side, 1/U diagonal, U first and second superdiagonal, multiplier, swap mask.</summary>
        public const int Rows = 6;

        private const int FixedShiftSolves = 3, RayleighShiftSolves = 2, ClusterSolves = 4;

        private readonly Workspace _work;
        private readonly ReadOnlySpan<double> _d;
        private readonly ReadOnlySpan<double> _e;
        private readonly Span<Vector<double>> _x, _inverse, _u1, _u2, _multiplier, _swap;

        public InverseIteration(Workspace work, ReadOnlySpan<double> d, ReadOnlySpan<double> e)
        {
            _work = work;
            _d = d;
            _e = e;
            int m = d.Length;
            var rows = work.LaneRows;
            _x = rows[..m];
            _inverse = rows.Slice(m, m);
            _u1 = rows.Slice(2 * m, m);
            _u2 = rows.Slice(3 * m, m);
            _multiplier = rows.Slice(4 * m, m);
            _swap = rows.Slice(5 * m, m);
        }

        /// <summary>
        /// Vectors of isolated candidates (one per lane; at most <see cref="Vector{T}.Count"/>): solves at the bracketed
        /// value, then at the Rayleigh quotient. False when a vector is not finite or its Rayleigh quotient left the
        /// candidate's neighbourhood (inverse iteration found another eigenvalue).
        /// </summary>
        public bool Isolated(ReadOnlySpan<int> candidates, int blockStart, int n, Span<double> vectors)
        {
            int w = Vector<double>.Count;
            Span<double> lanes = stackalloc double[w];
            for (int l = 0; l < w; l++)
            {
                lanes[l] = _work.Value[candidates[Math.Min(l, candidates.Length - 1)]];
            }

            var estimate = new Vector<double>(lanes);
            Factor(estimate);
            Start(seed: 1);
            for (int s = 0; s < FixedShiftSolves; s++)
            {
                Solve();
                Normalize();
            }

            Factor(RayleighQuotient());
            for (int s = 0; s < RayleighShiftSolves; s++)
            {
                Solve();
                Normalize();
            }

            var value = RayleighQuotient();
            var tolerance = new Vector<double>(CloseGap / 2);
            if (!Vector.LessThanAll(Vector.Abs(value - estimate), tolerance))
            {
                return false;
            }

            for (int l = 0; l < candidates.Length; l++)
            {
                int c = candidates[l];
                _work.Value[c] = value[l];
                var row = vectors.Slice((_work.Rank[c] * n) + blockStart, _d.Length);
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] = _x[i][l];
                }

                if (!double.IsFinite(value[l]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Vectors of the wanted candidates in [first, end) (values within <see cref="ClusterGap"/> of each other), one
        /// after the other: shifts pushed apart by 10ε, every solve orthogonalised against the earlier members (twice).
        /// </summary>
        public bool Cluster(int first, int end, int vectorCount, int blockStart, int n, Span<double> vectors)
        {
            int m = _d.Length;
            double shift = double.PositiveInfinity;
            for (int c = first; c < end; c++)
            {
                shift = Math.Min(_work.Value[c], shift - (10 * Epsilon));
                if (_work.Rank[c] >= vectorCount)
                {
                    continue;
                }

                Factor(new Vector<double>(shift));
                Start(seed: c - first + 2);
                for (int s = 0; s < ClusterSolves; s++)
                {
                    Solve();
                    var row = vectors.Slice((_work.Rank[c] * n) + blockStart, m);
                    for (int i = 0; i < m; i++)
                    {
                        row[i] = _x[i][0];
                    }

                    for (int pass = 0; pass < 2; pass++)
                    {
                        for (int p = first; p < c; p++)
                        {
                            if (_work.Rank[p] < vectorCount)
                            {
                                var earlier = vectors.Slice((_work.Rank[p] * n) + blockStart, m);
                                double dot = DenseDot(row, earlier);
                                for (int i = 0; i < m; i++)
                                {
                                    row[i] -= dot * earlier[i];
                                }
                            }
                        }
                    }

                    double norm = Math.Sqrt(DenseDot(row, row));
                    if (!double.IsFinite(norm) || norm == 0)
                    {
                        return false;
                    }

                    for (int i = 0; i < m; i++)
                    {
                        row[i] /= norm;
                        _x[i] = new Vector<double>(row[i]);
                    }
                }
            }

            return true;
        }

        private static double DenseDot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
        {
            double sum = 0;
            for (int i = 0; i < a.Length; i++)
            {
                sum += a[i] * b[i];
            }

            return sum;
        }

        /// <summary>A fixed pseudo-random start in (−½, ½), the same in every lane (lanes differ by shift).</summary>
        private void Start(int seed)
        {
            for (int i = 0; i < _x.Length; i++)
            {
                _x[i] = new Vector<double>(FixedRandom.Component(i, seed));
            }
        }

        private void Factor(Vector<double> shift)
        {
            int m = _d.Length;
            var pivot = new Vector<double>(Epsilon);
            var p = new Vector<double>(_d[0]) - shift;
            var q = new Vector<double>(_e[0]);
            for (int k = 0; k < m - 1; k++)
            {
                // Row k after elimination holds p, q in columns k, k + 1; row k + 1 of T − σI holds e_k, a, f in k .. k + 2.
                var sub = new Vector<double>(_e[k]);
                var a = new Vector<double>(_d[k + 1]) - shift;
                var f = new Vector<double>(k + 1 < m - 1 ? _e[k + 1] : 0);
                var swap = Vector.AsVectorDouble(Vector.GreaterThan(Vector.Abs(sub), Vector.Abs(p)));
                var lead = Tiny(Vector.ConditionalSelect(swap, sub, p), pivot);
                var second = Vector.ConditionalSelect(swap, a, q);
                var third = swap & f;
                var other = Vector.ConditionalSelect(swap, p, sub);
                var inverse = Vector<double>.One / lead;
                var multiplier = other * inverse;
                _inverse[k] = inverse;
                _u1[k] = second;
                _u2[k] = third;
                _multiplier[k] = multiplier;
                _swap[k] = swap;
                p = Vector.ConditionalSelect(swap, q, a) - (multiplier * second);
                q = Vector.AndNot(f, swap) - (multiplier * third);
            }

            _inverse[m - 1] = Vector<double>.One / Tiny(p, pivot);
        }

        private static Vector<double> Tiny(Vector<double> pivot, Vector<double> floor)
        {
            var replaced = Vector.ConditionalSelect(Vector.LessThan(pivot, Vector<double>.Zero), -floor, floor);
            return Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(pivot), floor), replaced, pivot);
        }

        /// <summary>x ← (T − σI)⁻¹x with the stored factor.</summary>
        private void Solve()
        {
            int m = _d.Length;
            var carry = _x[0];
            for (int k = 0; k < m - 1; k++)
            {
                var swap = _swap[k];
                var next = _x[k + 1];
                var lead = Vector.ConditionalSelect(swap, next, carry);
                var other = Vector.ConditionalSelect(swap, carry, next);
                _x[k] = lead;
                carry = other - (_multiplier[k] * lead);
            }

            _x[m - 1] = carry * _inverse[m - 1];
            if (m > 1)
            {
                _x[m - 2] = (_x[m - 2] - (_u1[m - 2] * _x[m - 1])) * _inverse[m - 2];
            }

            for (int k = m - 3; k >= 0; k--)
            {
                _x[k] = (_x[k] - (_u1[k] * _x[k + 1]) - (_u2[k] * _x[k + 2])) * _inverse[k];
            }
        }

        private void Normalize()
        {
            var sum = Vector<double>.Zero;
            foreach (var v in _x)
            {
                sum += v * v;
            }

            var scale = Vector<double>.One / Vector.SquareRoot(sum);
            for (int i = 0; i < _x.Length; i++)
            {
                _x[i] *= scale;
            }
        }

        /// <summary>xᵀTx / xᵀx per lane.</summary>
        private Vector<double> RayleighQuotient()
        {
            int m = _d.Length;
            var numerator = Vector<double>.Zero;
            var denominator = Vector<double>.Zero;
            for (int i = 0; i < m; i++)
            {
                var xi = _x[i];
                var tx = new Vector<double>(_d[i]) * xi;
                if (i > 0)
                {
                    tx += new Vector<double>(_e[i - 1]) * _x[i - 1];
                }

                if (i < m - 1)
                {
                    tx += new Vector<double>(_e[i]) * _x[i + 1];
                }

                numerator += xi * tx;
                denominator += xi * xi;
            }

            return numerator / denominator;
        }
    }
}
