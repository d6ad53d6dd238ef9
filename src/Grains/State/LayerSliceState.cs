using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.State;

/// <summary>
/// Persistent state of a <see cref="LayerSliceGrain"/>: the serialized sketch and the absorbed model ids, these kept by
/// <see cref="Absorption.SliceIdLog"/> (sealed parts in storage entries of the slice, the rest here) so that a checkpoint
/// writes a bounded state however many models the slice holds.
/// </summary>
[GenerateSerializer]
public sealed class LayerSliceState
{
    /// <summary>The layer's configuration, fixed by the first absorb.</summary>
    [Id(0)] public LayerConfiguration? Configuration { get; set; }

    /// <summary>The sketch in the numerics library's binary format (empty before the first absorb).</summary>
    [Id(1)] public byte[] Sketch { get; set; } = [];

    /// <summary>Ids absorbed since the last sealed part of the id set (in no particular order).</summary>
    [Id(7)] public List<string> OpenIds { get; set; } = [];

    /// <summary>Parts of the id set sealed into storage entries of the slice grain (<see cref="Absorption.SliceIdLog"/>).</summary>
    [Id(8)] public int SealedIdSegments { get; set; }

    /// <summary>Ids of sealed parts whose models were removed since (sealed parts are never rewritten).</summary>
    [Id(9)] public HashSet<string> RemovedIds { get; set; } = [];

    /// <summary>The generation of sealed parts the state names (a new one when the removed ids are folded in).</summary>
    [Id(10)] public int IdGeneration { get; set; }

    /// <summary>
    /// Generations of sealed parts this state superseded (generation → parts) whose parts may still be stored: written
    /// with the state that switched, dropped once cleared, so a crash between the two leaves a record to clear them by.
    /// </summary>
    [Id(11)] public Dictionary<int, int> SupersededIdParts { get; set; } = [];

    /// <summary>
    /// The whole id set as states written before it was sealed in parts: read into <see cref="OpenIds"/> (the next
    /// checkpoint seals them), never written (null).
    /// </summary>
    [Id(6)]
    public ModelIdSet? StoredAsIdSet
    {
        get => null;
        set => OpenIds.AddRange(value ?? []);
    }

    /// <summary>The whole id set as states written before <see cref="ModelIdSet"/> stored it: read like <see cref="StoredAsIdSet"/>.</summary>
    [Id(2)]
    public HashSet<string>? StoredAsHashSet
    {
        get => null;
        set => OpenIds.AddRange(value ?? []);
    }

    /// <summary>Rows inserted.</summary>
    [Id(3)] public long RowCount { get; set; }

    /// <summary>Independent rows inserted (r per LoRA adapter), the Marchenko–Pastur null's N.</summary>
    [Id(4)] public long IndependentRows { get; set; }

    /// <summary>Held-out capture sums of the models absorbed, checkpointed with the sketch they went into.</summary>
    [Id(5)] public HeldOutTally HeldOut { get; set; } = HeldOutTally.Empty;
}
