using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.State;

/// <summary>
/// Persistent state of a <see cref="Flattened.ColumnSliceGrain"/>: the serialized column slice (its row count is the
/// sequence number the coordinator checks) and the parts of the current and previous basis versions.
/// </summary>
[GenerateSerializer]
public sealed class ColumnSliceState
{
    /// <summary>The layer's configuration, fixed by the first committed row.</summary>
    [Id(0)] public LayerConfiguration? Configuration { get; set; }

    /// <summary>The column slice in the numerics library's binary format (empty before the first row).</summary>
    [Id(1)] public byte[] Sketch { get; set; } = [];

    /// <summary>This slice's columns of the last basis versions computed (at most two: current and previous).</summary>
    [Id(2)] public List<ColumnBasisPart> Parts { get; set; } = [];
}
