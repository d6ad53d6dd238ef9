using Orleans.Concurrency;

namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// The registry of one fleet (key <c>{fleet}</c>): its architecture, modes and policies, and every model's
/// status. Submissions are validated against the architecture and fanned out to the slice grains of every
/// layer and mode.
/// </summary>
public interface IFleetGrain : IGrainWithStringKey
{
    /// <summary>
    /// Declares the fleet's modes, centring, policies and (optionally) architecture. Allowed until the first
    /// model is accepted; afterwards only an identical configuration is accepted (a no-op).
    /// </summary>
    /// <exception cref="InvalidOperationException">The fleet already has models and the configuration differs.</exception>
    /// <exception cref="ArgumentException">A field is invalid; the message names every bad field.</exception>
    Task<FleetDescription> ConfigureAsync(FleetConfiguration configuration);

    /// <summary>
    /// Admits the model all-or-nothing, then absorbs every layer into its slice grains and returns when done. Admission
    /// reads every layer before any sketch changes (<see cref="IModelAdmissionGrain"/>): a model whose shapes differ from
    /// the fleet's architecture, whose file is corrupt, whose dtype is unsupported, which holds a non-finite value or a
    /// layer whose Gram would overflow is rejected with the reason (file and layer) and changes nothing. When no
    /// architecture was declared, the first models wait until <see cref="FleetDescription.ArchitectureQuorum"/> of them
    /// agree; one that disagrees is rejected naming both shapes. A model whose norm in a layer exceeds
    /// <see cref="FleetDescription.OutlierFactor"/> × the fleet's median is <see cref="ModelStatus.Quarantined"/>. When
    /// the cluster fails part-way (timeout, lost silo) the model stays queued with the reason. Re-submitting completes a
    /// rejected, quarantined or queued model (slices skip what they hold). Re-submitting an absorbed id with the same
    /// content returns <see cref="SubmitResult.AlreadyKnown"/> and changes nothing; with different content (by SHA-256)
    /// it is refused (status rejected, <see cref="SubmitResult.AlreadyKnown"/> true) and the absorbed record stays.
    /// </summary>
    Task<SubmitResult> SubmitAsync(ModelReference model);

    /// <summary>
    /// <see cref="SubmitAsync"/> for a run that versions its layers at T = N, 2N, …: <paramref name="cut"/> is the version
    /// the model is counted in (the run's cuts from <see cref="ReserveCutsAsync"/>: the first for its first N models, the
    /// next for the next N, …; 0: none). The slices keep each cut's state apart from the next cut's models until
    /// <see cref="ILayerCoordinatorGrain.CaptureVersionAsync"/> takes it, so the submitter need not stop at a cut while the
    /// version is captured. Flattened layers take no cuts.
    /// </summary>
    Task<SubmitResult> SubmitForCutAsync(ModelReference model, int cut);

    /// <summary>
    /// Reserves <paramref name="count"/> consecutive version cuts for one run of <see cref="SubmitForCutAsync"/> and
    /// returns the first. Cut numbers only grow over the fleet's life (they are stored with the registry): a slice keeps
    /// the highest cut it has met for as long as it is active, so a run that numbered its cuts from 1 again would have
    /// its cuts taken for ones already captured, and its versions would hold every model absorbed so far instead.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    Task<int> ReserveCutsAsync(int count);

    /// <summary>
    /// Makes absorbed models durable: stores any registry record whose write failed, checkpoints now the slices (of every
    /// rows and columns layer) that <paramref name="modelIds"/> belong to, and returns those of the ids that the registry
    /// lists as absorbed and every such slice holds in its checkpoint, ordered. An id missing from the answer is not
    /// durable: a slice lost it with a failed silo (the lost-model check re-queues it), storage failed, or the registry
    /// does not list it as absorbed (it never was, or its record was lost with a failed write). A flattened layer checkpoints all of its column
    /// slices (<see cref="ILayerCoordinatorGrain.CheckpointFlattenedAsync"/>); when one is out of step (a column slice's silo
    /// failed before it checkpointed) and nothing is being absorbed, the registry rebuilds it from the absorbed models and
    /// checkpoints again. For queue consumers that acknowledge only durable models, in batches.
    /// </summary>
    Task<IReadOnlyList<string>> FlushAsync(IReadOnlyList<string> modelIds);

    /// <summary>
    /// Asks every slice of every layer which models it holds and puts each model the registry lists as absorbed but
    /// some slice lacks back to <see cref="ModelStatus.Queued"/>, with a reason naming the layers that lost it. That
    /// happens when a silo fails before its slices checkpointed their latest models (checkpoints every
    /// <c>Uws:Cluster:SliceCheckpointEveryModels</c> &gt; 1 models): the slices reactivate from the last checkpoint.
    /// Re-submitting the returned models then completes them exactly once. Flattened layers out of step are rebuilt (as
    /// <see cref="FlushAsync"/> does). Returns the re-queued ids, ordered.
    /// </summary>
    Task<IReadOnlyList<string>> RequeueLostModelsAsync();

    /// <summary>
    /// Tells the registry that slice <paramref name="sliceKey"/> was activated (one-way, called by the slice on every
    /// activation: storage cannot tell a new slice from one whose silo failed before its first checkpoint). The
    /// registry checks that slice as <see cref="RequeueLostModelsAsync"/> does, so models it lost in a silo failure go
    /// back to queued without anyone asking.
    /// </summary>
    [OneWay]
    Task SliceActivatedAsync(string sliceKey);

    /// <summary>
    /// Deletes an absorbed model from every layer (rows or columns mode), touching only the one slice per layer that holds
    /// it: an exact-Gram or Nyström slice subtracts the model's rows (<see cref="ILayerSliceGrain.RemoveAsync"/>); a Frequent
    /// Directions slice, or one whose model file no longer holds what was absorbed, is emptied and re-reads its remaining
    /// models; a flattened layer appends its remaining models again (<see cref="ILayerCoordinatorGrain.RebuildFlattenedAsync"/>).
    /// Each removes the model exactly. Every layer then publishes a version without it
    /// (<see cref="ILayerCoordinatorGrain.ModelsRemovedAsync"/>). The record becomes <see cref="ModelStatus.Deleted"/> with
    /// when and, per layer, how. Refused (nothing changes) while models are being absorbed, for a model that is not
    /// absorbed, and for the fleet's last absorbed model.
    /// </summary>
    Task<DeletionResult> DeleteAsync(string modelId);

    /// <summary>The fleet's configuration, architecture and model counts.</summary>
    Task<FleetDescription> GetDescriptionAsync();

    /// <summary>One model's record, or null when the id is unknown.</summary>
    Task<ModelRecord?> GetModelAsync(string modelId);

    /// <summary>
    /// Records <paramref name="model"/> as queued (reason <see cref="ModelRecord.WaitingInQueue"/>) before a durable queue
    /// takes it, so that its record answers while it waits; a model already queued or absorbed keeps its record, a
    /// rejected, quarantined or deleted one is queued again (the queue's submission judges it anew). Changes no sketch.
    /// Returns the record now held.
    /// </summary>
    Task<ModelRecord> RecordQueuedAsync(ModelReference model);

    /// <summary>
    /// One page of the records (optionally only those with <paramref name="status"/>), in order of first submission:
    /// <paramref name="limit"/> records after skipping <paramref name="offset"/>.
    /// </summary>
    Task<IReadOnlyList<ModelRecord>> GetModelsAsync(ModelStatus? status = null, int offset = 0, int limit = int.MaxValue);
}
