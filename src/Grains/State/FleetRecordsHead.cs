namespace OrleansUws.Grains.State;

/// <summary>
/// Where a fleet registry's record log (<see cref="Registry.ModelRecordLog"/>) lives now: the generation its segments
/// belong to (a compaction writes the kept records as the next generation, then this head) and how many rejection
/// records were dropped before that generation began. Absent: generation 0, nothing dropped.
/// </summary>
[GenerateSerializer]
public sealed class FleetRecordsHead
{
    /// <summary>The segments' generation: 0 names them <c>fleet-records-{n}</c>, g ≥ 1 <c>fleet-records-g{g}-{n}</c>.</summary>
    [Id(0)] public int Generation { get; set; }

    /// <summary>Rejected models whose record was dropped before this generation.</summary>
    [Id(1)] public int RejectedDropped { get; set; }

    /// <summary>Quarantined models whose record was dropped before this generation.</summary>
    [Id(2)] public int QuarantinedDropped { get; set; }

    /// <summary>
    /// Segments of generation <see cref="Generation"/> − 1 that may still be stored: written with the head that switched,
    /// 0 once they are cleared (after that write or, when the silo died in between, at the next activation).
    /// </summary>
    [Id(3)] public int SupersededSegments { get; set; }
}
