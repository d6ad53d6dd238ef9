using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.State;

/// <summary>
/// A sealed run of a layer's version history: a storage entry <c>history-{n}</c> of its coordinator grain, written once
/// (<see cref="Coordination.VersionHistory"/>).
/// </summary>
[GenerateSerializer]
public sealed class VersionHistorySegment
{
    /// <summary>The versions, in publication order.</summary>
    [Id(0)] public List<BasisVersionInfo> Versions { get; set; } = [];
}
