using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.State;

/// <summary>
/// One segment of a fleet registry's record log (<see cref="Registry.ModelRecordLog"/>): up to
/// <see cref="Registry.ModelRecordLog.SegmentCapacity"/> records, appended in order; a later record of an id supersedes
/// earlier ones.
/// </summary>
[GenerateSerializer]
public sealed class FleetStateRecords
{
    /// <summary>The records, in the order they were written.</summary>
    [Id(0)] public List<ModelRecord> Records { get; set; } = [];
}
