namespace OrleansUws.Grains.Interfaces;

/// <summary>How many models of a fleet are in each status.</summary>
/// <param name="Queued">Being absorbed now.</param>
/// <param name="Absorbed">Absorbed into every layer.</param>
/// <param name="Rejected">Rejected.</param>
/// <param name="Quarantined">Quarantined as outliers.</param>
/// <param name="Deleted">Deleted.</param>
/// <param name="RejectedDropped">
/// Of <paramref name="Rejected"/>, the models whose record the registry no longer keeps (it keeps the newest
/// <c>Uws:Cluster:RejectionRecordsKept</c> rejected and quarantined records per fleet).
/// </param>
/// <param name="QuarantinedDropped">Of <paramref name="Quarantined"/>, the models whose record is no longer kept.</param>
[GenerateSerializer, Immutable]
public sealed record ModelCounts(
    [property: Id(0)] int Queued,
    [property: Id(1)] int Absorbed,
    [property: Id(2)] int Rejected,
    [property: Id(3)] int Quarantined = 0,
    [property: Id(4)] int Deleted = 0,
    [property: Id(5)] int RejectedDropped = 0,
    [property: Id(6)] int QuarantinedDropped = 0)
{
    /// <summary>All models the registry knows.</summary>
    public int Total => Queued + Absorbed + Rejected + Quarantined + Deleted;

    /// <summary>Records of rejected and quarantined models no longer kept (still counted above).</summary>
    public int Dropped => RejectedDropped + QuarantinedDropped;

    /// <summary>Of the models with <paramref name="status"/> (all when null), those whose record is no longer kept.</summary>
    public int DroppedOf(ModelStatus? status) => status switch
    {
        null => Dropped,
        ModelStatus.Rejected => RejectedDropped,
        ModelStatus.Quarantined => QuarantinedDropped,
        _ => 0,
    };
}
