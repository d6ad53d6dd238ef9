namespace OrleansUws.Grains.Interfaces;

/// <summary>A layer coordinator's view of its layer.</summary>
/// <param name="Configuration">The layer's configuration; null until the fleet has configured it.</param>
/// <param name="AbsorbedModels">Models the fleet has reported absorbed into this layer.</param>
/// <param name="ModelsSinceLastVersion">Of those, how many arrived after the current version was computed.</param>
/// <param name="Current">The current version's figures; null before the first basis.</param>
/// <param name="History">Every version's figures, oldest first (the convergence history).</param>
[GenerateSerializer, Immutable]
public sealed record LayerStatus(
    [property: Id(0)] LayerConfiguration? Configuration,
    [property: Id(1)] int AbsorbedModels,
    [property: Id(2)] int ModelsSinceLastVersion,
    [property: Id(3)] BasisVersionInfo? Current,
    [property: Id(4)] IReadOnlyList<BasisVersionInfo> History);
