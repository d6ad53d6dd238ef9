namespace OrleansUws.Grains.Interfaces;

/// <summary>How many models of a fleet are in each status.</summary>
/// <param name="Queued">Being absorbed now.</param>
/// <param name="Absorbed">Absorbed into every layer.</param>
/// <param name="Rejected">Rejected.</param>
/// <param name="Quarantined">Quarantined as outliers.</param>
/// <param name="Deleted">Deleted.</param>
[GenerateSerializer, Immutable]
public sealed record ModelCounts(
    [property: Id(0)] int Queued,
    [property: Id(1)] int Absorbed,
    [property: Id(2)] int Rejected,
    [property: Id(3)] int Quarantined = 0,
    [property: Id(4)] int Deleted = 0)
{
    /// <summary>All models the registry knows.</summary>
    public int Total => Queued + Absorbed + Rejected + Quarantined + Deleted;
}
