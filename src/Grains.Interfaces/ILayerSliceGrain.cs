using Orleans.Concurrency;

namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// One slice of a layer and mode (key <c>{fleet}/{layer}/{mode}/{slice}</c>): absorbs the models assigned to it
/// by <see cref="UwsKeys.SliceOf"/>, reading its layer from the model file itself, into a full-width sketch
/// (Frequent Directions, or the exact Gram for small d). Placed on GPU silos when there are any.
/// </summary>
public interface ILayerSliceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Reads the layer <paramref name="layer"/> names from <paramref name="model"/> and inserts its rows. A model
    /// id already absorbed is a no-op (<see cref="AbsorbResult.AlreadyAbsorbed"/>). A bad file, missing tensor,
    /// wrong shape or non-finite value throws with a message naming it, and leaves the slice unchanged.
    /// <paramref name="cut"/> is the version cut the model was submitted for (a run's versions at T = N, 2N, … are cuts
    /// 1, 2, …; 0: none). The first model of a later cut than any before leaves what the slice holds as the previous
    /// cut's state, which models of that cut arriving later still join, until <see cref="GetSnapshotSinceAsync"/>
    /// captures it; so a version's T stays exact while the next cut's models are already being absorbed.
    /// </summary>
    Task<AbsorbResult> AbsorbAsync(ModelReference model, LayerConfiguration layer, int cut);

    /// <summary>
    /// Checkpoints now what the slice holds (sketch and id set together) when models arrived since its last checkpoint;
    /// returns the number of models the checkpoint holds. A queue consumer that acknowledges only durable models calls
    /// it for the slices whose <see cref="AbsorbResult.Durable"/> was false (checkpoints are otherwise batched by
    /// <c>Uws:Cluster:SliceCheckpointEveryModels</c> and <c>SliceCheckpointIntervalSeconds</c>). A failing write throws and leaves the models pending.
    /// </summary>
    Task<int> FlushAsync();

    /// <summary>
    /// Checkpoints now as <see cref="FlushAsync"/> does, then returns those of <paramref name="modelIds"/> that the
    /// checkpoint does not hold (empty when all are durable here). A model this slice absorbed is missing only when the
    /// activation that absorbed it died before checkpointing it (its silo failed): the registry's lost-model check puts
    /// it back to queued. A failing write throws.
    /// </summary>
    Task<IReadOnlyList<string>> CheckpointModelsAsync(IReadOnlyList<string> modelIds);

    /// <summary>
    /// Hands the slice its layer's newly published basis (the coordinator awaits every slice, so models submitted after
    /// a version was returned are measured against it): models absorbed from now on are first projected onto it and their
    /// held-out capture added to the slice's sums. An older or flattened basis is ignored. Interleaves with the slice's
    /// absorptions (it only swaps the basis a measurement reads once), so a version is never held up behind them.
    /// </summary>
    [AlwaysInterleave]
    Task UseBasisAsync(LayerBasis basis);

    /// <summary>The slice's serialized sketch and counts, for the coordinator's merge.</summary>
    Task<SliceSnapshot> GetSnapshotAsync();

    /// <summary>
    /// The slice's sketch for a coordinator that already holds revision (<paramref name="activation"/>,
    /// <paramref name="modelCount"/>): when that is still the slice's revision, the answer carries counts and
    /// <see cref="SliceSnapshot.Unchanged"/> but no sketch bytes; otherwise it is <see cref="GetSnapshotAsync"/>'s.
    /// A revision names one lineage's state after that many models (a lineage is an activation until a model is removed or
    /// the slice reset, when counts fall), so a slice that restarted or lost a model never matches. With a version
    /// <paramref name="cut"/> &gt; 0, asked once every model submitted for it has been answered, the state is the cut's:
    /// without the later cut's models the slice already absorbed (see <see cref="AbsorbAsync"/>).
    /// </summary>
    Task<SliceSnapshot> GetSnapshotSinceAsync(Guid activation, int modelCount, int cut);

    /// <summary>Where the slice runs and what it holds.</summary>
    Task<SliceInfo> GetInfoAsync();

    /// <summary>The ids of the models whose rows this slice's sketch holds, ordered.</summary>
    Task<IReadOnlyList<string>> GetModelIdsAsync();

    /// <summary>
    /// Removes a deleted model from the slice without touching the others: an exact-Gram or Nyström sketch reads the model's layer
    /// from its file again, subtracts those rows exactly (the mean and, when centred, the between-group term too), drops
    /// the id and checkpoints at once. The caller has checked that the file still holds what was absorbed (its content
    /// hash). When the file cannot be read, or the sketch is Frequent Directions (which cannot subtract), nothing changes
    /// and the answer says why, so the caller rebuilds the slice (<see cref="ResetAsync"/>, then the remaining models).
    /// A model the slice does not hold is reported removed ("not held").
    /// </summary>
    Task<SliceRemoval> RemoveAsync(ModelReference model, LayerConfiguration layer);

    /// <summary>
    /// Empties the slice (sketch, ids, counts) and writes that to storage, so that the registry can rebuild it from the
    /// models that remain after a deletion it could not subtract (a Frequent Directions sketch cannot subtract a model).
    /// </summary>
    Task ResetAsync();
}
