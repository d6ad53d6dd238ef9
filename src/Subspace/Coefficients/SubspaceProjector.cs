using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Coefficients;

/// <summary>
/// The coefficient algebra of one layer, all products through the <see cref="IBlasBackend"/>. Bases are stored as
/// k×d rows (V_f = Vᵀ, U_f = Uᵀ, E). A factored update s·B·A is projected through its factors:
/// rows C = s·B·(A·V), columns C = s·(Uᵀ·B)·A, two-sided C = s·(Uᵀ·B)·(A·V); only the flattened form multiplies
/// B·A out (E·vec(B·A) costs k times more through the factors than forming B·A once).
/// </summary>
public sealed class SubspaceProjector
{
    private readonly IBlasBackend _backend;

    /// <summary>Creates a projector computing with <paramref name="backend"/>.</summary>
    public SubspaceProjector(IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
    }

    /// <summary>The shape of the coefficients of an m×n layer: rows [m, k], columns [k, n], two-sided [k_u, k_v], flattened [k].</summary>
    public static int[] CoefficientShape(LayerProjection projection, int outFeatures, int inFeatures)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var k = projection.Bases.Select(b => b.K).ToArray();
        return projection.Form switch
        {
            CoefficientForm.Rows => [outFeatures, k[0]],
            CoefficientForm.Columns => [k[0], inFeatures],
            CoefficientForm.TwoSided => [k[0], k[1]],
            CoefficientForm.Flattened => [k[0]],
            _ => throw new ArgumentOutOfRangeException(nameof(projection), projection.Form, "Unknown form."),
        };
    }

    /// <summary>The coefficients of <paramref name="update"/> (row-major, <see cref="CoefficientShape"/>).</summary>
    /// <exception cref="ArgumentException">A basis's dimension does not fit the update's shape (named).</exception>
    public float[] Coefficients(LayerUpdate update, LayerProjection projection)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(projection);
        CheckDimensions(projection, update.OutFeatures, update.InFeatures);
        int m = update.OutFeatures, n = update.InFeatures;
        var first = projection.Bases[0];
        int k = first.K;
        float[] u, v, c;
        switch (projection.Form)
        {
            case CoefficientForm.Rows:
                v = first.Basis.Vectors; // k×n
                c = new float[(long)m * k];
                if (update.IsFactored)
                {
                    var av = new float[update.Rank * k];
                    _backend.Gemm(Transpose.No, Transpose.Yes, update.Rank, k, n, 1f, update.A, n, v, n, 0f, av, k);
                    _backend.Gemm(Transpose.No, Transpose.No, m, k, update.Rank, update.Scale, update.B, update.Rank, av, k, 0f, c, k);
                }
                else
                {
                    _backend.Gemm(Transpose.No, Transpose.Yes, m, k, n, 1f, update.DenseValues, n, v, n, 0f, c, k);
                }

                if (projection.Centred)
                {
                    var vm = Project(v, k, n, first.Basis.Mean!); // V_f·μ
                    for (int i = 0; i < m; i++)
                    {
                        System.Numerics.Tensors.TensorPrimitives.Subtract(c.AsSpan(i * k, k), vm, c.AsSpan(i * k, k));
                    }
                }

                return c;

            case CoefficientForm.Columns:
                u = first.Basis.Vectors; // k×m
                c = new float[(long)k * n];
                if (update.IsFactored)
                {
                    var ub = new float[k * update.Rank];
                    _backend.Gemm(Transpose.No, Transpose.No, k, update.Rank, m, 1f, u, m, update.B, update.Rank, 0f, ub, update.Rank);
                    _backend.Gemm(Transpose.No, Transpose.No, k, n, update.Rank, update.Scale, ub, update.Rank, update.A, n, 0f, c, n);
                }
                else
                {
                    _backend.Gemm(Transpose.No, Transpose.No, k, n, m, 1f, u, m, update.DenseValues, n, 0f, c, n);
                }

                if (projection.Centred)
                {
                    var um = Project(u, k, m, first.Basis.Mean!); // U_f·μ
                    for (int i = 0; i < k; i++)
                    {
                        System.Numerics.Tensors.TensorPrimitives.Subtract(c.AsSpan(i * n, n), um[i], c.AsSpan(i * n, n));
                    }
                }

                return c;

            case CoefficientForm.TwoSided:
                u = first.Basis.Vectors;
                var second = projection.Bases[1];
                v = second.Basis.Vectors;
                int kv = second.K;
                c = new float[k * kv];
                if (update.IsFactored)
                {
                    int r = update.Rank;
                    var ub = new float[k * r];
                    var av = new float[r * kv];
                    _backend.Gemm(Transpose.No, Transpose.No, k, r, m, 1f, u, m, update.B, r, 0f, ub, r);
                    _backend.Gemm(Transpose.No, Transpose.Yes, r, kv, n, 1f, update.A, n, v, n, 0f, av, kv);
                    _backend.Gemm(Transpose.No, Transpose.No, k, kv, r, update.Scale, ub, r, av, kv, 0f, c, kv);
                }
                else
                {
                    var uw = new float[(long)k * n];
                    _backend.Gemm(Transpose.No, Transpose.No, k, n, m, 1f, u, m, update.DenseValues, n, 0f, uw, n);
                    _backend.Gemm(Transpose.No, Transpose.Yes, k, kv, n, 1f, uw, n, v, n, 0f, c, kv);
                }

                return c;

            case CoefficientForm.Flattened:
                var x = UpdateAlgebra.ToDense(update, _backend);
                if (projection.Centred)
                {
                    System.Numerics.Tensors.TensorPrimitives.Subtract(x, first.Basis.Mean!, x);
                }

                return Project(first.Basis.Vectors, k, x.Length, x);

            default:
                throw new ArgumentOutOfRangeException(nameof(projection), projection.Form, "Unknown form.");
        }
    }

    /// <summary>
    /// ΔŴ from coefficients: rows C·Vᵀ (+ 1μᵀ), columns U·C (+ μ1ᵀ), two-sided U·C·Vᵀ — factored, of rank k (k + 1 with
    /// the mean) and scale 1 — or flattened μ + Eᵀc, dense.
    /// </summary>
    /// <exception cref="ArgumentException">The coefficient count does not match the shape, or a basis does not fit.</exception>
    public LayerUpdate Reconstruct(ReadOnlySpan<float> coefficients, LayerProjection projection, int outFeatures, int inFeatures)
    {
        ArgumentNullException.ThrowIfNull(projection);
        CheckDimensions(projection, outFeatures, inFeatures);
        var shape = CoefficientShape(projection, outFeatures, inFeatures);
        long expected = shape.Aggregate(1L, (p, s) => p * s);
        if (coefficients.Length != expected)
        {
            throw new ArgumentException($"{CoefficientForms.Name(projection.Form)} coefficients of a {outFeatures}×{inFeatures} layer have shape [{string.Join(", ", shape)}] ({expected} values); got {coefficients.Length}.", nameof(coefficients));
        }

        int m = outFeatures, n = inFeatures;
        var first = projection.Bases[0];
        int k = first.K;
        bool centred = projection.Centred;
        switch (projection.Form)
        {
            case CoefficientForm.Rows:
            {
                int r = centred ? k + 1 : k;
                var b = new float[(long)m * r];
                var a = new float[(long)r * n];
                for (int i = 0; i < m; i++)
                {
                    coefficients.Slice(i * k, k).CopyTo(b.AsSpan(i * r, k));
                    if (centred)
                    {
                        b[(i * r) + k] = 1f;
                    }
                }

                first.Basis.Vectors.AsSpan(0, k * n).CopyTo(a);
                if (centred)
                {
                    first.Basis.Mean.AsSpan().CopyTo(a.AsSpan(k * n, n));
                }

                return LayerUpdate.Factored(m, r, n, b, a);
            }

            case CoefficientForm.Columns:
            {
                int r = centred ? k + 1 : k;
                var b = new float[(long)m * r];
                var a = new float[(long)r * n];
                var u = first.Basis.Vectors;
                for (int j = 0; j < k; j++)
                {
                    for (int i = 0; i < m; i++)
                    {
                        b[(i * r) + j] = u[(j * m) + i];
                    }
                }

                coefficients.CopyTo(a);
                if (centred)
                {
                    var mean = first.Basis.Mean!;
                    for (int i = 0; i < m; i++)
                    {
                        b[(i * r) + k] = mean[i];
                    }

                    a.AsSpan(k * n, n).Fill(1f);
                }

                return LayerUpdate.Factored(m, r, n, b, a);
            }

            case CoefficientForm.TwoSided:
            {
                var second = projection.Bases[1];
                int kv = second.K;
                var u = first.Basis.Vectors;
                var v = second.Basis.Vectors;
                var core = coefficients.ToArray();
                if (kv <= k)
                {
                    var b = new float[(long)m * kv]; // Uᵀ_f·C: m×kv
                    _backend.Gemm(Transpose.Yes, Transpose.No, m, kv, k, 1f, u, m, core, kv, 0f, b, kv);
                    return LayerUpdate.Factored(m, kv, n, b, v.AsSpan(0, kv * n).ToArray());
                }
                else
                {
                    var b = new float[(long)m * k];
                    for (int j = 0; j < k; j++)
                    {
                        for (int i = 0; i < m; i++)
                        {
                            b[(i * k) + j] = u[(j * m) + i];
                        }
                    }

                    var a = new float[(long)k * n]; // C·V_f: k×n
                    _backend.Gemm(Transpose.No, Transpose.No, k, n, kv, 1f, core, kv, v, n, 0f, a, n);
                    return LayerUpdate.Factored(m, k, n, b, a);
                }
            }

            case CoefficientForm.Flattened:
            {
                long d = (long)m * n;
                var x = new float[d];
                if (centred)
                {
                    first.Basis.Mean.AsSpan().CopyTo(x);
                }

                _backend.Gemm(Transpose.Yes, Transpose.No, (int)d, 1, k, 1f, first.Basis.Vectors, (int)d, coefficients.ToArray(), 1, centred ? 1f : 0f, x, 1);
                return LayerUpdate.Dense(m, n, x);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(projection), projection.Form, "Unknown form.");
        }
    }

    // y (k) = basis (k×d, first k rows) · x (d)
    private float[] Project(float[] basis, int k, int d, ReadOnlySpan<float> x)
    {
        var y = new float[k];
        _backend.Gemm(Transpose.No, Transpose.No, k, 1, d, 1f, basis, d, x.ToArray(), 1, 0f, y, 1);
        return y;
    }

    private static void CheckDimensions(LayerProjection projection, int m, int n)
    {
        foreach (var b in projection.Bases)
        {
            var h = b.Basis.Header;
            long expected = h.Mode switch
            {
                BasisMode.Rows => n,
                BasisMode.Columns => m,
                _ => (long)m * n,
            };
            if (b.Basis.Dimension != expected)
            {
                throw new ArgumentException(
                    $"The {BasisModes.Name(h.Mode)} basis of layer '{h.Layer}' has dimension {b.Basis.Dimension}; a {m}×{n} layer needs {expected}.",
                    nameof(projection));
            }
        }
    }
}
