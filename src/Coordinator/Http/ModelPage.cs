using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>One page of a fleet's model records, ordered by submission time.</summary>
/// <param name="Items">The records of this page.</param>
/// <param name="Total">Records kept that match the filter, in all.</param>
/// <param name="Offset">Index of the first record of this page.</param>
/// <param name="Limit">Largest page asked for.</param>
/// <param name="Dropped">
/// Models matching the filter whose records are no longer kept: the oldest rejected and quarantined ones beyond
/// <c>Uws:Cluster:RejectionRecordsKept</c> (still counted in the fleet's counts).
/// </param>
public sealed record ModelPage(IReadOnlyList<ModelRecord> Items, int Total, int Offset, int Limit, int Dropped);
