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
    /// Validates the model's header against the architecture (the first model sets it when none was declared),
    /// absorbs every layer into its slice grains and returns when done. A model whose shapes differ, whose
    /// file is corrupt or which lacks a layer is rejected with the reason and changes no sketch; a bad value found
    /// while reading one layer (e.g. NaN) rejects it naming that layer, and the reason says how many other layer
    /// sketches had already absorbed it. When the cluster fails part-way (timeout, lost silo) the model stays
    /// queued with the reason. Re-submitting completes a rejected or queued model (slices skip what they hold);
    /// re-submitting an absorbed id returns <see cref="SubmitResult.AlreadyKnown"/> and changes nothing.
    /// </summary>
    Task<SubmitResult> SubmitAsync(ModelReference model);

    /// <summary>
    /// Asks every slice of every layer which models it holds and puts each model the registry lists as absorbed but
    /// some slice lacks back to <see cref="ModelStatus.Queued"/>, with a reason naming the layers that lost it. That
    /// happens when a silo fails before its slices checkpointed their latest models (checkpoints every
    /// <c>Uws:Cluster:SliceCheckpointEveryModels</c> &gt; 1 models): the slices reactivate from the last checkpoint.
    /// Re-submitting the returned models then completes them exactly once. Returns their ids, ordered.
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

    /// <summary>The fleet's configuration, architecture and model counts.</summary>
    Task<FleetDescription> GetDescriptionAsync();

    /// <summary>One model's record, or null when the id is unknown.</summary>
    Task<ModelRecord?> GetModelAsync(string modelId);

    /// <summary>The records of all models (optionally only those with <paramref name="status"/>), ordered by submission time.</summary>
    Task<IReadOnlyList<ModelRecord>> GetModelsAsync(ModelStatus? status = null);
}
