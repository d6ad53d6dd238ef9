using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>One page of a fleet's model records, ordered by submission time.</summary>
/// <param name="Items">The records of this page.</param>
/// <param name="Total">Records matching the filter in all.</param>
/// <param name="Offset">Index of the first record of this page.</param>
/// <param name="Limit">Largest page asked for.</param>
public sealed record ModelPage(IReadOnlyList<ModelRecord> Items, int Total, int Offset, int Limit);
