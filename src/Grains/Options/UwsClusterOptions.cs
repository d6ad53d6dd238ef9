using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Options;

/// <summary>
/// Defaults for new fleets (configuration section <c>Uws:Cluster</c>). A fleet's own
/// <see cref="FleetConfiguration"/> overrides them; once a fleet has models its settings are fixed.
/// </summary>
public sealed class UwsClusterOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Uws:Cluster";

    /// <summary>Slice grains per layer and mode (models are partitioned over them). Default 2.</summary>
    public int SliceCount { get; set; } = 2;

    /// <summary>
    /// Flattened mode: column-slice grains per layer (slice s owns a contiguous block of whole rows of W, so a layer
    /// needs at least this many rows). Default 4.
    /// </summary>
    public int FlattenedSliceCount { get; set; } = 4;

    /// <summary>ℓ of the Frequent Directions sketch (2ℓ buffered rows), or s, the test columns of a Nyström sketch. Default 64.</summary>
    public int SketchRows { get; set; } = 64;

    /// <summary>Keep the exact d×d Gram instead of a sketch when d ≤ this (0 = always sketch). Default 1024.</summary>
    public int ExactGramMaxDimension { get; set; } = 1024;

    /// <summary>
    /// The sketch of larger rows and columns layers: <c>FrequentDirections</c> (default) or <c>Nystrom</c>, a linear sketch
    /// that subtracts a deleted model instead of rebuilding the slice that held it.
    /// </summary>
    public LargeLayerSketch LargeLayerSketch { get; set; }

    /// <summary>Fixed k; 0 = choose k by <see cref="EnergyThreshold"/>. Default 0.</summary>
    public int Rank { get; set; }

    /// <summary>τ: smallest k whose explained energy reaches it (when <see cref="Rank"/> is 0). Default 0.9.</summary>
    public double EnergyThreshold { get; set; } = 0.9;

    /// <summary>Cap on k; must be below <see cref="SketchRows"/>. Default 32.</summary>
    public int MaxRank { get; set; } = 32;

    /// <summary>New version after this many newly absorbed models (0 = off). Default 50.</summary>
    public int EveryModels { get; set; } = 50;

    /// <summary>New version this often when models arrived (0 = off). Default 0.</summary>
    public double IntervalSeconds { get; set; }

    /// <summary>Oversampling p of the randomized subspace iteration. Default 10.</summary>
    public int Oversampling { get; set; } = 10;

    /// <summary>Iteration cap of the subspace iteration. Default 50.</summary>
    public int MaxIterations { get; set; } = 50;

    /// <summary>Seed of the random start columns. Default 12345.</summary>
    public int Seed { get; set; } = 12345;

    /// <summary>Whether new fleets are centred by default. Default false (adapters: the base model is the origin).</summary>
    public bool Centered { get; set; }

    /// <summary>
    /// A slice checkpoints its sketch to grain storage after this many absorbed models, or
    /// <see cref="SliceCheckpointIntervalSeconds"/> after the first model not yet checkpointed, whichever comes first, and
    /// always on deactivation. Each checkpoint serialises the 2ℓ×d sketch, so batching trades the time a model lives in
    /// memory only for ingestion speed; a queue consumer that must acknowledge only durable models flushes the slices
    /// itself (<c>IFleetGrain.FlushAsync</c>). 0 (default) lets the silo host choose: 32 with durable (Redis) storage, and
    /// deactivation only with in-memory storage, which does not survive the silo anyway. A grain given 0 uses 1.
    /// </summary>
    public int SliceCheckpointEveryModels { get; set; }

    /// <summary>
    /// Seconds a slice keeps an absorbed model in memory only before it checkpoints (the time trigger beside
    /// <see cref="SliceCheckpointEveryModels"/>); 0 = no time trigger. Null (default) lets the silo host choose: 2 s
    /// with durable (Redis) storage, none with in-memory storage.
    /// </summary>
    public double? SliceCheckpointIntervalSeconds { get; set; }

    /// <summary>The time trigger as a span (zero when off or unset).</summary>
    public TimeSpan SliceCheckpointInterval =>
        SliceCheckpointIntervalSeconds is > 0 and var s && s <= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(s) : TimeSpan.Zero;

    /// <summary>Model files kept open per silo and shared by its grains (see <c>ModelReaderCache</c>). Default 16.</summary>
    public int OpenModelFiles { get; set; } = 16;

    /// <summary>
    /// Sketch updates and basis computations allowed at once per silo, across all its grains (see
    /// <c>SketchWorkers</c>); 0 (default) = the processor count.
    /// </summary>
    public int MaxConcurrentSketchUpdates { get; set; }

    /// <summary>
    /// Models that must agree on an architecture before it becomes a fleet's, when the fleet declared none (the first
    /// models wait for it). Default 3.
    /// </summary>
    public int ArchitectureQuorum { get; set; } = 3;

    /// <summary>
    /// Seconds the first models wait for <see cref="ArchitectureQuorum"/>; then the architecture most of them share wins.
    /// Default 10.
    /// </summary>
    public double ArchitectureQuorumWaitSeconds { get; set; } = 10;

    /// <summary>
    /// A model whose norm in some layer exceeds this many times the fleet's median for that layer is quarantined, not
    /// absorbed (0 = off). Judged once the fleet has absorbed a few models. Default 100.
    /// </summary>
    public double OutlierFactor { get; set; } = 100;

    /// <summary>
    /// Published bases retained per layer and mode, the current one included, each downloadable by version (see
    /// <c>IBasisArchiveGrain</c>); older versions keep only their figures in the history. Default 16.
    /// </summary>
    public int BasisVersionsKept { get; set; } = 16;

    /// <summary>
    /// Records of rejected and quarantined models kept per fleet; beyond it the oldest are dropped (their counts stay
    /// exact; absorbed, queued and deleted records are never dropped). Default 10000.
    /// </summary>
    public int RejectionRecordsKept { get; set; } = 10_000;

    /// <summary>How long a basis subscription lives without renewal. Default 5 minutes.</summary>
    public TimeSpan ObserverExpiry { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The default sketch settings as a wire record.</summary>
    public SketchSettings ToSketchSettings() => new(SketchRows, ExactGramMaxDimension, LargeLayerSketch);

    /// <summary>The default basis policy as a wire record.</summary>
    public BasisPolicy ToBasisPolicy() => new(
        Rank, EnergyThreshold, MaxRank, EveryModels, IntervalOrZero, Oversampling, MaxIterations, Seed);

    private TimeSpan IntervalOrZero =>
        IntervalSeconds > 0 && IntervalSeconds <= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(IntervalSeconds) : TimeSpan.Zero;
}
