using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Diagnostics;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Fitting;

/// <summary>
/// Exact bases of a small fleet in memory (Gram in float64 + symmetric eigen-solve through the backend): the reference
/// for tests, an independent check of the cluster's bases, and bases for fleets small enough to fit in one process.
/// Rows mode: uncentred LoRA layers add s²·Aᵀ(BᵀB)A (their Gram through the factors, as the cluster inserts them);
/// dense or centred layers add their m rows. As in the cluster, the row count is m per model (n in columns mode); a LoRA
/// layer's m rows span only r dimensions, which <see cref="BasisFileHeader.IndependentRows"/> records for the null. Columns mode likewise with s²·B(AAᵀ)Bᵀ or the n columns. Flattened mode: the N×N Gram of
/// the models' vec(ΔW) (minus the mean when centred), eigen-models E = Σ⁻¹Uᵀ·X. The recorded mean is always that of
/// ΔW's rows (rows), columns (columns) or of the models (flattened), so the mean-energy share is meaningful.
/// </summary>
public sealed class ExactBasisFitter
{
    private readonly IBlasBackend _backend;

    /// <summary>Creates a fitter computing with <paramref name="backend"/>.</summary>
    public ExactBasisFitter(IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
    }

    /// <summary>Fits the top-<paramref name="k"/> basis of <paramref name="layer"/> over <paramref name="updates"/>.</summary>
    /// <exception cref="ArgumentException">No updates, different shapes, or k &lt; 1.</exception>
    public LayerBasisFile Fit(string fleet, string layer, IReadOnlyList<LayerUpdate> updates, BasisMode mode, bool centred, int k, int version = 1)
    {
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (updates.Count == 0)
        {
            throw new ArgumentException("A basis needs at least one model.", nameof(updates));
        }

        var first = updates[0];
        if (updates.FirstOrDefault(u => !u.SameShape(first)) is { } odd)
        {
            throw new ArgumentException($"Layer '{layer}' has shapes {first.ShapeText} and {odd.ShapeText} in one fleet.", nameof(updates));
        }

        return mode == BasisMode.Flattened
            ? FitFlattened(fleet, layer, updates, centred, k, version)
            : FitSide(fleet, layer, updates, mode, centred, k, version);
    }

    private LayerBasisFile FitSide(string fleet, string layer, IReadOnlyList<LayerUpdate> updates, BasisMode mode, bool centred, int k, int version)
    {
        int m = updates[0].OutFeatures, n = updates[0].InFeatures;
        bool rows = mode == BasisMode.Rows;
        int d = rows ? n : m;
        var gram = new double[(long)d * d];
        var sum = new double[d];
        long independentRows = 0, denseRows = 0;
        foreach (var u in updates)
        {
            AddSum(u, rows, sum);
            denseRows += rows ? m : n;
            if (u.IsFactored && !centred)
            {
                AddFactoredGram(u, rows, gram);
                independentRows += Math.Min(u.Rank, rows ? m : n);
            }
            else
            {
                var x = UpdateAlgebra.Widen(UpdateAlgebra.ToDense(u, _backend));
                // rows: G += XᵀX (n×n); columns: G += X·Xᵀ (m×m)
                _backend.Syrk(rows ? Transpose.Yes : Transpose.No, d, rows ? m : n, 1.0, x, n, 1.0, gram, d);
                independentRows += u.IsFactored ? Math.Min(u.Rank, rows ? m : n) : rows ? m : n;
            }
        }

        var mean = sum.Select(s => s / denseRows).ToArray();
        double uncentredTotal = Trace(gram, d);
        double meanEnergy = denseRows * UpdateAlgebra.Dot(mean, mean);
        if (centred)
        {
            for (int i = 0; i < d; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    gram[((long)i * d) + j] -= denseRows * mean[i] * mean[j];
                }
            }
        }

        double total = Trace(gram, d);
        var (vectors, sigma) = TopEigen(gram, d, k);
        var header = new BasisFileHeader(fleet, layer, mode, centred, sigma.Length, version, updates.Count, denseRows)
        {
            IndependentRows = independentRows == denseRows ? null : independentRows,
            ExplainedEnergy = total > 0 ? sigma.Sum(s => s * s) / total : 0,
            CreatedAt = DateTimeOffset.UnixEpoch,
            OutFeatures = m,
            InFeatures = n,
        };
        var meanF = mean.Select(v => (float)v).ToArray();
        var basis = new LayerBasisFile(header, d, vectors, sigma, meanF);
        var diagnostics = SubspaceDiagnostics.ForSpectrum(denseRows, d, sigma, header.ExplainedEnergy, [], centred, independentRows);
        return basis with
        {
            Diagnostics = diagnostics is null ? null : diagnostics with { MeanEnergyShare = uncentredTotal > 0 ? Math.Min(1, meanEnergy / uncentredTotal) : 0 },
        };
    }

    private LayerBasisFile FitFlattened(string fleet, string layer, IReadOnlyList<LayerUpdate> updates, bool centred, int k, int version)
    {
        int m = updates[0].OutFeatures, n = updates[0].InFeatures;
        int count = updates.Count;
        long d = (long)m * n;
        var x = new float[count * d];
        for (int t = 0; t < count; t++)
        {
            UpdateAlgebra.ToDense(updates[t], _backend).CopyTo(x.AsSpan((int)(t * d), (int)d));
        }

        var mean = new float[d];
        for (int t = 0; t < count; t++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(mean, x.AsSpan((int)(t * d), (int)d), mean);
        }

        System.Numerics.Tensors.TensorPrimitives.Divide(mean, count, mean);
        double uncentredTotal = UpdateAlgebra.Dot(x, x);
        double meanEnergy = count * UpdateAlgebra.Dot(mean, mean);
        if (centred)
        {
            for (int t = 0; t < count; t++)
            {
                var row = x.AsSpan((int)(t * d), (int)d);
                System.Numerics.Tensors.TensorPrimitives.Subtract(row, mean, row);
            }
        }

        var wide = UpdateAlgebra.Widen(x);
        var gram = new double[count * count];
        _backend.Syrk(Transpose.No, count, (int)d, 1.0, wide, (int)d, 0.0, gram, count);
        double total = Trace(gram, count);
        var eigenvalues = new double[count];
        _backend.SymmetricEigen(count, gram, eigenvalues);
        int rank = Math.Min(k, count);
        var sigma = new List<double>();
        var coefficients = new List<float>();
        for (int j = 0; j < rank; j++)
        {
            double lambda = eigenvalues[count - 1 - j];
            if (!(lambda > total * 1e-12))
            {
                break;
            }

            double s = Math.Sqrt(lambda);
            sigma.Add(s);
            for (int t = 0; t < count; t++)
            {
                coefficients.Add((float)(gram[(t * count) + count - 1 - j] / s));
            }
        }

        int kept = Math.Max(1, sigma.Count);
        if (sigma.Count == 0)
        {
            sigma.Add(0);
            coefficients.AddRange(new float[count]);
        }

        var vectors = new float[kept * d];
        _backend.Gemm(Transpose.No, Transpose.No, kept, (int)d, count, 1f, coefficients.ToArray(), count, x, (int)d, 0f, vectors, (int)d);
        Orient(vectors, kept, (int)d);
        var header = new BasisFileHeader(fleet, layer, BasisMode.Flattened, centred, kept, version, count, count)
        {
            ExplainedEnergy = total > 0 ? sigma.Sum(s => s * s) / total : 0,
            CreatedAt = DateTimeOffset.UnixEpoch,
            OutFeatures = m,
            InFeatures = n,
        };
        var sigmaArray = sigma.ToArray();
        var diagnostics = SubspaceDiagnostics.ForSpectrum(count, d, sigmaArray, header.ExplainedEnergy, [], centred);
        return new LayerBasisFile(header, (int)d, vectors, sigmaArray, mean)
        {
            Diagnostics = diagnostics is null ? null : diagnostics with { MeanEnergyShare = uncentredTotal > 0 ? Math.Min(1, meanEnergy / uncentredTotal) : 0 },
        };
    }

    // rows: G += s²·Aᵀ(BᵀB)A; columns: G += s²·B(AAᵀ)Bᵀ
    private void AddFactoredGram(LayerUpdate u, bool rows, double[] gram)
    {
        int m = u.OutFeatures, n = u.InFeatures, r = u.Rank;
        var b = UpdateAlgebra.Widen(u.B!);
        var a = UpdateAlgebra.Widen(u.A!);
        double s2 = (double)u.Scale * u.Scale;
        var small = new double[r * r];
        if (rows)
        {
            _backend.Syrk(Transpose.Yes, r, m, 1.0, b, r, 0.0, small, r);
            var t = new double[(long)r * n];
            _backend.Gemm(Transpose.No, Transpose.No, r, n, r, 1.0, small, r, a, n, 0.0, t, n);
            _backend.Gemm(Transpose.Yes, Transpose.No, n, n, r, s2, a, n, t, n, 1.0, gram, n);
        }
        else
        {
            _backend.Syrk(Transpose.No, r, n, 1.0, a, n, 0.0, small, r);
            var t = new double[(long)m * r];
            _backend.Gemm(Transpose.No, Transpose.No, m, r, r, 1.0, b, r, small, r, 0.0, t, r);
            _backend.Gemm(Transpose.No, Transpose.Yes, m, m, r, s2, t, r, b, r, 1.0, gram, m);
        }
    }

    // rows: sum += 1ᵀΔW (= s·(1ᵀB)·A); columns: sum += ΔW·1 (= s·B·(A·1))
    private void AddSum(LayerUpdate u, bool rows, double[] sum)
    {
        int m = u.OutFeatures, n = u.InFeatures;
        if (u.IsFactored)
        {
            int r = u.Rank;
            var inner = new double[r];
            if (rows)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < r; j++)
                    {
                        inner[j] += u.B![(i * r) + j];
                    }
                }

                for (int j = 0; j < r; j++)
                {
                    for (int c = 0; c < n; c++)
                    {
                        sum[c] += u.Scale * inner[j] * u.A![(j * n) + c];
                    }
                }
            }
            else
            {
                for (int j = 0; j < r; j++)
                {
                    for (int c = 0; c < n; c++)
                    {
                        inner[j] += u.A![(j * n) + c];
                    }
                }

                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < r; j++)
                    {
                        sum[i] += u.Scale * u.B![(i * r) + j] * inner[j];
                    }
                }
            }

            return;
        }

        var x = u.DenseValues!;
        for (int i = 0; i < m; i++)
        {
            for (int c = 0; c < n; c++)
            {
                sum[rows ? c : i] += x[(i * n) + c];
            }
        }
    }

    private (float[] Vectors, double[] Sigma) TopEigen(double[] gram, int d, int k)
    {
        double total = Trace(gram, d);
        var eigenvalues = new double[d];
        _backend.SymmetricEigen(d, gram, eigenvalues);
        int rank = Math.Min(k, d);
        var sigma = new List<double>();
        for (int j = 0; j < rank; j++)
        {
            double lambda = eigenvalues[d - 1 - j];
            if (!(lambda > total * 1e-12) && j > 0)
            {
                break;
            }

            sigma.Add(Math.Sqrt(Math.Max(0, lambda)));
        }

        var vectors = new float[sigma.Count * d];
        for (int j = 0; j < sigma.Count; j++)
        {
            for (int i = 0; i < d; i++)
            {
                vectors[(j * d) + i] = (float)gram[((long)i * d) + d - 1 - j];
            }
        }

        Orient(vectors, sigma.Count, d);
        return (vectors, sigma.ToArray());
    }

    // Deterministic signs: each vector's largest-magnitude component is positive.
    private static void Orient(float[] vectors, int k, int d)
    {
        for (int j = 0; j < k; j++)
        {
            var v = vectors.AsSpan(j * d, d);
            int at = System.Numerics.Tensors.TensorPrimitives.IndexOfMaxMagnitude<float>(v);
            if (v[at] < 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Negate<float>(v, v);
            }
        }
    }

    private static double Trace(double[] matrix, int d)
    {
        double trace = 0;
        for (int i = 0; i < d; i++)
        {
            trace += matrix[((long)i * d) + i];
        }

        return trace;
    }
}
