using Orleans.Concurrency;

namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// The coordinator of one layer and mode (key <c>{fleet}/{layer}/{mode}</c>): merges its slices' sketches,
/// computes warm-started basis versions by policy (every N models, every t seconds, on demand), keeps the
/// convergence history and publishes each new version to subscribed <see cref="IBasisObserver"/>s.
/// </summary>
public interface ILayerCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Sets the layer's configuration (called by the fleet grain); an identical configuration is a no-op, and a different
    /// one replaces it only while the layer has no models.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer already has models under a different configuration.</exception>
    Task ConfigureAsync(LayerConfiguration configuration);

    /// <summary>
    /// Flattened mode: absorbs <paramref name="model"/> as one row vec(W) into every column slice of the layer, in the
    /// order the coordinator receives models (it owns the order and the id set). All or nothing: every slice first
    /// reads and validates its row block; only when all succeed do they append, else all drop it. A full buffer is
    /// shrunk at once with one plan from the summed slice Grams. An id already absorbed changes nothing
    /// (<see cref="AbsorbResult.AlreadyAbsorbed"/>). A bad file or value throws <see cref="InvalidDataException"/>.
    /// </summary>
    Task<AbsorbResult> AbsorbFlattenedAsync(ModelReference model, LayerConfiguration layer);

    /// <summary>
    /// Flattened mode: checkpoints every column slice now and returns those of <paramref name="modelIds"/> the layer does
    /// not hold durably — ids it never absorbed, or all of them when a column slice's checkpoint holds fewer rows than the
    /// layer has models (out of step). The coordinator's own id set is written with every model. A failing write throws.
    /// </summary>
    Task<IReadOnlyList<string>> CheckpointFlattenedAsync(IReadOnlyList<string> modelIds);

    /// <summary>
    /// Flattened mode: empties every column slice and the id set, then appends <paramref name="models"/> again in the order
    /// given, each all or nothing as when it was absorbed (a Frequent Directions sketch cannot subtract, so this is how a
    /// deleted model leaves a flattened layer). The published versions stay readable; the caller then asks for a version
    /// (<see cref="ModelsRemovedAsync"/>). Returns the models the layer holds. A model that cannot be read again throws
    /// <see cref="InvalidDataException"/> naming it (the models before it are held).
    /// </summary>
    Task<int> RebuildFlattenedAsync(IReadOnlyList<ModelReference> models);

    /// <summary>
    /// Flattened mode: checkpoints every column slice and compares the rows each holds with the layer's models. Null when
    /// they agree (or the layer is not flattened); otherwise what is out of step (a column slice's silo failed before it
    /// checkpointed its latest rows), which the registry mends with <see cref="RebuildFlattenedAsync"/>.
    /// </summary>
    Task<string?> CheckFlattenedStepAsync();

    /// <summary>
    /// Tells the coordinator that slice <paramref name="slice"/> now holds <paramref name="sliceModelCount"/> models
    /// (one-way, called by the slice itself after a new absorb); may start a new version by the "every N models" policy.
    /// Flattened layers ignore the slice arguments: their count is the coordinator's own id set.
    /// Counts are per slice and taken as a maximum, so a late, repeated or reordered notification counts nothing twice.
    /// </summary>
    [OneWay]
    Task NotifyAbsorbedAsync(int slice, int sliceModelCount);

    /// <summary>
    /// Runs the periodic policy (<see cref="BasisPolicy.Interval"/>): computes a version when models arrived since
    /// the last one. Called one-way by the coordinator's own timer; harmless to call from elsewhere.
    /// </summary>
    [OneWay]
    Task TickAsync();

    /// <summary>
    /// Merges the slices and computes a new version now, unless no model arrived since the current version
    /// (then the current version is returned). Returns null when the layer has absorbed nothing.
    /// </summary>
    Task<BasisVersionInfo?> ComputeNowAsync();

    /// <summary>
    /// Tells the coordinator that models were removed from its slices (a deletion, called by the registry once every
    /// slice has dropped them): it takes the slices' counts as they are now, below the current version's T, and computes
    /// and publishes a version at once (<see cref="BasisTrigger.Deletion"/>) that excludes the removed models. Returns that
    /// version, or null when the layer holds no model.
    /// </summary>
    Task<BasisVersionInfo?> ModelsRemovedAsync();

    /// <summary>
    /// Takes a new version's input now — the models every slice holds at this moment — and computes and publishes it in
    /// the background (rows and columns modes; a flattened layer computes it before returning). Returns the model
    /// count T of that version (the current one's when no model arrived). A caller that ingests in batches captures
    /// after each batch and goes on ingesting while the version is solved: T is exact and ingestion does not wait.
    /// A later <see cref="ComputeNowAsync"/> returns after the pending version is published. With a version
    /// <paramref name="cut"/> &gt; 0 (models submitted through <see cref="IFleetGrain.SubmitForCutAsync"/>), called once
    /// every model of that cut was answered, the version holds exactly the cut's models, even when the slices already
    /// absorbed some of the next cut's: the caller need not stop ingesting at a cut. Flattened layers take no cuts.
    /// </summary>
    Task<int> CaptureVersionAsync(int cut);

    /// <summary>
    /// Solves and publishes the oldest version <see cref="CaptureVersionAsync"/> took and no call solved yet (one-way,
    /// called by the grain itself once per capture).
    /// </summary>
    [OneWay]
    Task SolvePendingAsync();

    /// <summary>
    /// Solves and publishes now every version <see cref="CaptureVersionAsync"/> took that is not yet published (oldest
    /// first) and returns the current version: once it returns, the layer's slices measure new models' held-out
    /// capture against it. Computes no version of models absorbed after the last capture.
    /// </summary>
    Task<BasisVersionInfo?> PublishCapturedAsync();

    /// <summary>The layer's configuration, counts, current version and history.</summary>
    [AlwaysInterleave]
    Task<LayerStatus> GetStatusAsync();

    /// <summary>The current basis (vectors, singular values, mean), or null before the first version.</summary>
    [AlwaysInterleave]
    Task<LayerBasis?> GetBasisAsync();

    /// <summary>Where each slice of the layer runs and what it holds.</summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<SliceInfo>> GetSlicesAsync();

    /// <summary>
    /// Subscribes <paramref name="observer"/> to new versions. Subscriptions expire after the silo's
    /// <c>ObserverExpiry</c> (default 5 min) unless renewed: call again periodically.
    /// </summary>
    Task SubscribeAsync(IBasisObserver observer);

    /// <summary>Removes a subscription.</summary>
    Task UnsubscribeAsync(IBasisObserver observer);
}
