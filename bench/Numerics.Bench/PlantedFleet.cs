using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Bench;

/// <summary>
/// A planted fleet of rank-r LoRA adapters for one m×n layer: every lora_A is C_t·U + noise where U (r×n,
/// orthonormal rows) is the shared "universal" subspace and C_t has column strengths decaying as 0.93^j; lora_B is
/// uniform/√m. Model t is generated from seed + t on demand, so memory does not grow with the fleet size.
/// </summary>
internal sealed class PlantedFleet
{
    private readonly float[] _universal;

    public PlantedFleet(IBlasBackend backend, int seed, int outFeatures, int inFeatures, int rank, float alpha, float noise)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Rank = rank;
        Alpha = alpha;
        Noise = noise;
        Seed = seed;
        var random = new Random(seed);
        var u = new double[inFeatures * rank];   // n×r, columns orthonormalised
        for (int i = 0; i < u.Length; i++)
        {
            u[i] = Gaussian(random);
        }

        backend.OrthonormalizeColumns(inFeatures, rank, u);
        _universal = new float[rank * inFeatures];
        for (int i = 0; i < inFeatures; i++)
        {
            for (int p = 0; p < rank; p++)
            {
                _universal[(p * inFeatures) + i] = (float)u[(i * rank) + p];
            }
        }
    }

    public int OutFeatures { get; }

    public int InFeatures { get; }

    public int Rank { get; }

    public float Alpha { get; }

    public float Noise { get; }

    public int Seed { get; }

    /// <summary>The planted subspace (r×n rows).</summary>
    public ReadOnlySpan<float> Universal => _universal;

    /// <summary>Fills B (m×r) and A (r×n) of model <paramref name="t"/>.</summary>
    public LoraFactors Model(IBlasBackend backend, int t, float[] b, float[] a)
    {
        var random = new Random(Seed + 1 + t);
        float bScale = 1f / MathF.Sqrt(OutFeatures);
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = ((2 * random.NextSingle()) - 1) * bScale;
        }

        var c = new float[Rank * Rank];
        for (int i = 0; i < Rank; i++)
        {
            for (int j = 0; j < Rank; j++)
            {
                c[(i * Rank) + j] = (float)(Gaussian(random) * Math.Pow(0.93, j));
            }
        }

        for (int i = 0; i < a.Length; i++)
        {
            a[i] = ((2 * random.NextSingle()) - 1) * Noise;
        }

        backend.Gemm(Transpose.No, Transpose.No, Rank, InFeatures, Rank, 1f, c, Rank, _universal, InFeatures, 1f, a, InFeatures);
        return new LoraFactors(b, a, OutFeatures, Rank, InFeatures, Alpha);
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * random.NextDouble());
    }
}
