using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.State;

/// <summary>Persistent state of a <see cref="LayerCoordinatorGrain"/>: configuration, current basis and history.</summary>
[GenerateSerializer]
public sealed class LayerCoordinatorState
{
    /// <summary>The layer's configuration; null until the fleet has set it.</summary>
    [Id(0)] public LayerConfiguration? Configuration { get; set; }

    /// <summary>The current basis; null before the first version.</summary>
    [Id(1)] public LayerBasis? Current { get; set; }

    /// <summary>
    /// The figures of the versions since the last sealed history segment, oldest first (all of them in states written
    /// before history was segmented); <see cref="Coordination.VersionHistory"/> reads the whole history.
    /// </summary>
    [Id(2)] public List<BasisVersionInfo> History { get; set; } = [];

    /// <summary>Absorbed models reported by the fleet up to the last write.</summary>
    [Id(3)] public int AbsorbedModels { get; set; }

    /// <summary>Basis solver iterations of the current version (diagnostics).</summary>
    [Id(4)] public int Iterations { get; set; }

    /// <summary>
    /// Flattened mode: ids of the models appended to the column slices since the last sealed part of
    /// <see cref="Flattened.FlattenedIdLog"/>, in no particular order (all of them in states written before ids were
    /// sealed in parts).
    /// </summary>
    [Id(5)] public HashSet<string> FlattenedModelIds { get; set; } = [];

    /// <summary>
    /// Flattened mode: ±1 per vector of the current version. The vectors themselves stay in the column slices (unsigned);
    /// <see cref="Current"/> holds an empty vector array and the basis is assembled on demand.
    /// </summary>
    [Id(6)] public float[] FlattenedSigns { get; set; } = [];

    /// <summary>History segments sealed into storage entries <c>history-0</c> … of the coordinator grain.</summary>
    [Id(7)] public int SealedHistorySegments { get; set; }

    /// <summary>Flattened mode: parts of the id set sealed into storage entries <c>flattened-ids-0</c> ….</summary>
    [Id(8)] public int SealedFlattenedIdSegments { get; set; }

    /// <summary>
    /// Flattened mode: models appended to the column slices (the coordinator owns the order, so this is also the next
    /// row's sequence number).
    /// </summary>
    [Id(9)] public int FlattenedModelCount { get; set; }
}
