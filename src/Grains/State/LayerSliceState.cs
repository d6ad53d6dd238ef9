using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.State;

/// <summary>Persistent state of a <see cref="LayerSliceGrain"/>: the serialized sketch and the absorbed model ids.</summary>
[GenerateSerializer]
public sealed class LayerSliceState
{
    /// <summary>The layer's configuration, fixed by the first absorb.</summary>
    [Id(0)] public LayerConfiguration? Configuration { get; set; }

    /// <summary>The sketch in the numerics library's binary format (empty before the first absorb).</summary>
    [Id(1)] public byte[] Sketch { get; set; } = [];

    /// <summary>Ids of the models absorbed (the idempotency set).</summary>
    [Id(6)] public ModelIdSet ModelIds { get; set; } = new();

    /// <summary>
    /// The id set as states written before <see cref="ModelIdSet"/> stored it: read into <see cref="ModelIds"/>, never
    /// written (null).
    /// </summary>
    [Id(2)]
    public HashSet<string>? StoredAsHashSet
    {
        get => null;
        set
        {
            foreach (var id in value ?? [])
            {
                ModelIds.Add(id);
            }
        }
    }

    /// <summary>Rows inserted.</summary>
    [Id(3)] public long RowCount { get; set; }

    /// <summary>Independent rows inserted (r per LoRA adapter), the Marchenko–Pastur null's N.</summary>
    [Id(4)] public long IndependentRows { get; set; }

    /// <summary>Held-out capture sums of the models absorbed, checkpointed with the sketch they went into.</summary>
    [Id(5)] public HeldOutTally HeldOut { get; set; } = HeldOutTally.Empty;
}
