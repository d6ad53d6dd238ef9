namespace OrleansUws.Grains.State;

/// <summary>
/// A sealed part of an append-only sequence a grain keeps (<see cref="Coordination.SealedSegments{T}"/>): one storage
/// entry of that grain, written once.
/// </summary>
/// <typeparam name="T">The sequence's items.</typeparam>
[GenerateSerializer]
public sealed class SealedSegment<T>
{
    /// <summary>The items, in order.</summary>
    [Id(0)] public List<T> Items { get; set; } = [];
}
