using OrleansUws.Coordinator.Fleets;
using OrleansUws.ModelFormats.Fleets;

namespace OrleansUws.Coordinator.Jobs;

/// <summary>Options of <c>uws run</c>, the main job: generate (or take) a fleet, ingest it, report and write the bases.</summary>
public sealed class RunOptions
{
    /// <summary>Existing fleet folder to ingest; null generates a planted fleet into <c>{Output}/fleet</c>. Option <c>--fleet</c>.</summary>
    public string? Fleet { get; set; }

    /// <summary>Models to generate. Option <c>--models</c>.</summary>
    public int Models { get; set; } = 200;

    /// <summary>
    /// Decoder layers to generate (each with q/k/v/o projections for the Mistral preset); null generates
    /// <see cref="DefaultLayers"/>, or every layer of a preset with fewer (<see cref="LayersToGenerate"/>). Option <c>--layers</c>.
    /// </summary>
    public int? Layers { get; set; }

    /// <summary>Decoder layers generated when <c>--layers</c> is not given (fewer when the preset has fewer).</summary>
    public const int DefaultLayers = 8;

    /// <summary>The decoder layers a generated fleet has: <see cref="Layers"/>, else <see cref="DefaultLayers"/> or all of a smaller preset.</summary>
    public int LayersToGenerate => Layers ?? Math.Min(DefaultLayers, FleetPresets.BlockCount(Preset));

    /// <summary>Generator preset. Option <c>--preset</c>.</summary>
    public string Preset { get; set; } = FleetGenerateOptions.DefaultPreset;

    /// <summary>Noise level of the generated fleet; null = preset default. Option <c>--noise</c>.</summary>
    public double? Noise { get; set; }

    /// <summary>Seed of the generated fleet. Option <c>--seed</c>.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Output folder (bases, CSV, PNG; the generated fleet too). Option <c>--out</c>.</summary>
    public string Output { get; set; } = "uws-output";

    /// <summary>Fixed rank k; null chooses k by <see cref="Tau"/>. Option <c>--k</c>.</summary>
    public int? K { get; set; }

    /// <summary>
    /// Energy threshold τ: the smallest k explaining this share. Option <c>--tau</c>. The default 0.99 recovers
    /// the whole planted subspace of the generated fleets (σ_j = 0.8^j, k = 8: the top 5 directions hold only
    /// ≈ 92 %, and a basis cut between close singular values rotates from version to version).
    /// </summary>
    public double Tau { get; set; } = 0.99;

    /// <summary>Cap on k for the τ rule. Option <c>--max-k</c>.</summary>
    public int MaxK { get; set; } = 32;

    /// <summary>A new basis version every this many absorbed models (the convergence history); 0 = only at the end. Option <c>--version-every</c>.</summary>
    public int VersionEvery { get; set; } = 25;

    /// <summary>Sketch mode: rows (basis of the input space), columns (output space) or flattened (eigen-models of vec(W)). Option <c>--mode</c>.</summary>
    public string Mode { get; set; } = "rows";

    /// <summary>Subtract the fleet mean before the basis. Option <c>--centred</c>.</summary>
    public bool Centred { get; set; }

    /// <summary>Models submitted at once. Option <c>--parallelism</c>.</summary>
    public int Parallelism { get; set; } = Ingestion.ModelIngestor.DefaultParallelism;
}
