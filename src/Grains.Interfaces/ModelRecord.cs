namespace OrleansUws.Grains.Interfaces;

/// <summary>One model as the fleet registry knows it.</summary>
/// <param name="ModelId">Model id.</param>
/// <param name="Location">Where its bytes were read from.</param>
/// <param name="Status">Queued, absorbed, rejected or quarantined.</param>
/// <param name="Reason">Why it was rejected (names the layer, shapes, file or field); null otherwise.</param>
/// <param name="SubmittedAt">When the registry first saw it.</param>
/// <param name="CompletedAt">When it was absorbed or rejected.</param>
/// <param name="ContentHash">SHA-256 of the model's files as admitted (null when they could not be read).</param>
[GenerateSerializer, Immutable]
public sealed record ModelRecord(
    [property: Id(0)] string ModelId,
    [property: Id(1)] string Location,
    [property: Id(2)] ModelStatus Status,
    [property: Id(3)] string? Reason,
    [property: Id(4)] DateTimeOffset SubmittedAt,
    [property: Id(5)] DateTimeOffset? CompletedAt,
    [property: Id(6)] string? ContentHash = null)
{
    /// <summary>The reason of a model recorded queued by <see cref="IFleetGrain.RecordQueuedAsync"/>, until the queue submits it.</summary>
    public const string WaitingInQueue = "waiting in the ingestion queue";
}
