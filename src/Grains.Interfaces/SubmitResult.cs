namespace OrleansUws.Grains.Interfaces;

/// <summary>Outcome of <see cref="IFleetGrain.SubmitAsync"/>.</summary>
/// <param name="ModelId">Model id.</param>
/// <param name="Status">
/// Absorbed or rejected; queued only when the cluster (not the model) failed part-way, or when the same id is being
/// absorbed by a concurrent call; a queued model is completed by submitting it again.
/// </param>
/// <param name="Reason">Why it was rejected or is still queued, or "already absorbed" for a repeated id; null otherwise.</param>
/// <param name="AlreadyKnown">True when the id had been absorbed before and nothing changed.</param>
/// <param name="Durable">
/// For an absorbed model: true when every slice that absorbed it had checkpointed it when it answered (slices checkpoint
/// in batches); false when it may live in memory only — <see cref="IFleetGrain.FlushAsync"/> makes it durable. A queue
/// acknowledges an absorbed model only once durable. Always false for other statuses (their record is written anyway).
/// </param>
[GenerateSerializer, Immutable]
public sealed record SubmitResult(
    [property: Id(0)] string ModelId,
    [property: Id(1)] ModelStatus Status,
    [property: Id(2)] string? Reason,
    [property: Id(3)] bool AlreadyKnown,
    [property: Id(4)] bool Durable = false);
