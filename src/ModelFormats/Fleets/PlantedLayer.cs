using System.Numerics.Tensors;

namespace OrleansUws.ModelFormats.Fleets;

/// <summary>
/// The shared structure of one layer of a planted fleet, drawn once from (seed, layer id): orthonormal row basis
/// (k × n, rows v_j), column basis (k × m, rows u_j), scales σ_j, and for adapters the mean factors
/// C̄ (r × k) and D̄ (k × r) with their products mean_A = C̄Vᵀ (r × n) and mean_B = UD̄ (m × r).
/// Dense fleet means are not held: <see cref="MeanRandom"/> regenerates M row by row.
/// </summary>
internal sealed class PlantedLayer
{
    private const ulong StructurePurpose = 0x5354525543540001UL;
    private const ulong MeanPurpose = 0x4D45414E00000002UL;

    private PlantedLayer(FleetLayerSpec layer, int k, double[] spectrum, float[] rowsBasis, float[] columnsBasis)
    {
        Layer = layer;
        K = k;
        Spectrum = spectrum;
        RowsBasis = rowsBasis;
        ColumnsBasis = columnsBasis;
    }

    public FleetLayerSpec Layer { get; }

    public int K { get; }

    public double[] Spectrum { get; }

    /// <summary>k × n, orthonormal rows v_j.</summary>
    public float[] RowsBasis { get; }

    /// <summary>k × m, orthonormal rows u_j.</summary>
    public float[] ColumnsBasis { get; }

    /// <summary>Adapters: C̄ (r × k).</summary>
    public float[] MeanCoefficientsA { get; private init; } = [];

    /// <summary>Adapters: D̄ (k × r).</summary>
    public float[] MeanCoefficientsB { get; private init; } = [];

    /// <summary>Adapters: C̄Vᵀ (r × n).</summary>
    public float[] MeanA { get; private init; } = [];

    /// <summary>Adapters: UD̄ (m × r), row-major.</summary>
    public float[] MeanB { get; private init; } = [];

    public static PlantedLayer Create(FleetSpec spec, FleetLayerSpec layer)
    {
        int k = spec.SubspaceDimension, m = layer.OutFeatures, n = layer.InFeatures;
        var random = new DeterministicRandom(spec.Seed, StructurePurpose, DeterministicRandom.Hash(layer.LayerId));
        double[] spectrum = [.. spec.ResolvedSpectrum];
        float[] rows = OrthonormalRows(random, k, n);
        float[] columns = OrthonormalRows(random, k, m);
        if (spec.Kind == FleetKind.DenseCheckpoints)
        {
            return new PlantedLayer(layer, k, spectrum, rows, columns);
        }

        int r = spec.Rank;
        var meanC = new float[r * k];
        var meanD = new float[k * r];
        for (int a = 0; a < r; a++)
        {
            for (int j = 0; j < k; j++)
            {
                meanC[a * k + j] = (float)(spec.MeanStrength * spectrum[j] * random.NextGaussian());
            }
        }

        for (int j = 0; j < k; j++)
        {
            for (int c = 0; c < r; c++)
            {
                meanD[j * r + c] = (float)(spec.MeanStrength * spectrum[j] * random.NextGaussian());
            }
        }

        var meanA = new float[r * n];
        var meanB = new float[m * r];
        CombineRows(meanC, rows, r, k, n, meanA);
        CombineColumns(meanD, columns, k, r, m, meanB);
        return new PlantedLayer(layer, k, spectrum, rows, columns) { MeanCoefficientsA = meanC, MeanCoefficientsB = meanD, MeanA = meanA, MeanB = meanB };
    }

    /// <summary>The generator of a dense layer's mean M, consumed row by row (n normals per row, scaled by <c>MeanStrength/√n</c>).</summary>
    public static DeterministicRandom MeanRandom(FleetSpec spec, FleetLayerSpec layer) =>
        new(spec.Seed, MeanPurpose, DeterministicRandom.Hash(layer.LayerId));

    /// <summary>destination (rows × n) = coefficients (rows × k) · basis (k × n).</summary>
    public static void CombineRows(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> basis, int rows, int k, int n, Span<float> destination)
    {
        for (int a = 0; a < rows; a++)
        {
            Span<float> row = destination.Slice(a * n, n);
            for (int j = 0; j < k; j++)
            {
                TensorPrimitives.MultiplyAdd(basis.Slice(j * n, n), coefficients[a * k + j], row, row);
            }
        }
    }

    /// <summary>destination (m × r, row-major) += Uᵀ-basis (k × m)ᵀ · coefficients (k × r).</summary>
    public static void CombineColumns(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> basis, int k, int r, int m, Span<float> destination)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> row = destination.Slice(i * r, r);
            for (int j = 0; j < k; j++)
            {
                TensorPrimitives.MultiplyAdd(coefficients.Slice(j * r, r), basis[j * m + i], row, row);
            }
        }
    }

    // k Gaussian rows of length n, orthonormalised by modified Gram–Schmidt applied twice, in double.
    private static float[] OrthonormalRows(DeterministicRandom random, int k, int n)
    {
        var q = new double[k * n];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = random.NextGaussian();
        }

        for (int pass = 0; pass < 2; pass++)
        {
            for (int j = 0; j < k; j++)
            {
                Span<double> row = q.AsSpan(j * n, n);
                for (int p = 0; p < j; p++)
                {
                    ReadOnlySpan<double> previous = q.AsSpan(p * n, n);
                    TensorPrimitives.MultiplyAdd(previous, -TensorPrimitives.Dot(previous, row), row, row);
                }

                TensorPrimitives.Divide(row, TensorPrimitives.Norm((ReadOnlySpan<double>)row), row);
            }
        }

        var result = new float[k * n];
        TensorPrimitives.ConvertTruncating<double, float>(q, result);
        return result;
    }
}
