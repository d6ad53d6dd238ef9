namespace OrleansUws.Cluster.Bench;

/// <summary>What the cluster benchmark runs on.</summary>
public sealed class BenchOptions
{
    /// <summary>Existing fleet folder; null generates a planted fleet into a temp folder (deleted afterwards).</summary>
    public string? Fleet { get; set; }

    /// <summary>Generator preset.</summary>
    public string Preset { get; set; } = "mistral-7b-lora";

    /// <summary>Models to generate.</summary>
    public int Models { get; set; } = 64;

    /// <summary>Decoder layers to generate.</summary>
    public int Layers { get; set; } = 2;

    /// <summary>Models used to warm up (JIT, thread pool, first activations) before measuring; not counted.</summary>
    public int WarmupModels { get; set; } = 4;

    /// <summary>Alternating library/cluster repetitions; the medians are reported.</summary>
    public int Repetitions { get; set; } = 5;

    /// <summary>The versioned cluster pass computes a basis version every this many models (the <c>uws run</c> default).</summary>
    public int VersionEvery { get; set; } = 25;

    /// <summary>Models submitted at once to the cluster.</summary>
    public int Parallelism { get; set; } = Math.Max(2, Environment.ProcessorCount * 2);
}
