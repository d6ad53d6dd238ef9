namespace OrleansUws.TrainedFleet.Training;

/// <summary>
/// LoRA factors for every layer of an <see cref="Mlp"/>: ΔW_l = s·B_l·A_l with A_l r×n, B_l m×r (row-major, the
/// PEFT layout) and s = α/r. Standard initialisation: A uniform in ±1/√n (PEFT's Kaiming-uniform with a = √5),
/// B zero, so training starts at ΔW = 0.
/// </summary>
public sealed class LoraWeights
{
    private LoraWeights(int rank, double alpha, float[][] a, float[][] b, int[] outFeatures, int[] inFeatures)
    {
        Rank = rank;
        Alpha = alpha;
        A = a;
        B = b;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
    }

    /// <summary>r.</summary>
    public int Rank { get; }

    /// <summary>lora_alpha.</summary>
    public double Alpha { get; }

    /// <summary>s = α/r.</summary>
    public float Scaling => (float)(Alpha / Rank);

    /// <summary>A_l, r×n_l row-major, per layer.</summary>
    public IReadOnlyList<float[]> A { get; }

    /// <summary>B_l, m_l×r row-major, per layer.</summary>
    public IReadOnlyList<float[]> B { get; }

    /// <summary>m_l per layer.</summary>
    public IReadOnlyList<int> OutFeatures { get; }

    /// <summary>n_l per layer.</summary>
    public IReadOnlyList<int> InFeatures { get; }

    /// <summary>Standard LoRA initialisation for every layer of <paramref name="model"/>.</summary>
    public static LoraWeights Initialise(Mlp model, int rank, double alpha, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rank);
        var random = new Random(seed);
        var a = new float[model.Layers.Count][];
        var b = new float[model.Layers.Count][];
        for (int l = 0; l < a.Length; l++)
        {
            DenseLayer layer = model.Layers[l];
            a[l] = new float[rank * layer.InFeatures];
            b[l] = new float[layer.OutFeatures * rank];
            double bound = 1 / Math.Sqrt(layer.InFeatures);
            for (int j = 0; j < a[l].Length; j++)
            {
                a[l][j] = (float)(((2 * random.NextDouble()) - 1) * bound);
            }
        }

        return new LoraWeights(rank, alpha, a, b, [.. model.Layers.Select(l => l.OutFeatures)], [.. model.Layers.Select(l => l.InFeatures)]);
    }

    /// <summary>Wraps factors read from a file (per layer A r×n and B m×r).</summary>
    public static LoraWeights FromFactors(int rank, double alpha, IReadOnlyList<(float[] A, float[] B, int OutFeatures, int InFeatures)> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var (a, b, m, n) in layers)
        {
            if (a.Length != rank * n || b.Length != m * rank)
            {
                throw new ArgumentException($"A layer of {m}×{n} at rank {rank} needs A {rank * n} and B {m * rank} values; got {a.Length} and {b.Length}.", nameof(layers));
            }
        }

        return new LoraWeights(rank, alpha, [.. layers.Select(l => l.A)], [.. layers.Select(l => l.B)], [.. layers.Select(l => l.OutFeatures)], [.. layers.Select(l => l.InFeatures)]);
    }
}
