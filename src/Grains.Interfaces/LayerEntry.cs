namespace OrleansUws.Grains.Interfaces;

/// <summary>One layer of a fleet's architecture.</summary>
/// <param name="Layer">Layer id.</param>
/// <param name="Shape">m×n.</param>
[GenerateSerializer, Immutable]
public sealed record LayerEntry(
    [property: Id(0)] string Layer,
    [property: Id(1)] LayerShape Shape);
