namespace OrleansUws.Grains.Interfaces;

/// <summary>Outcome of <see cref="IFleetGrain.DeleteAsync"/>.</summary>
/// <param name="ModelId">Model id.</param>
/// <param name="Deleted">True when the model was removed from every layer.</param>
/// <param name="Reason">What was done per layer, or why nothing was.</param>
/// <param name="LayersRebuilt">
/// The layers (with mode) whose slice holding the model was rebuilt from its remaining models (Frequent Directions, or a
/// model file that no longer holds what was absorbed).
/// </param>
/// <param name="RemainingModels">Absorbed models after the deletion.</param>
/// <param name="LayersSubtracted">The layers (with mode) whose exact-Gram or Nyström sketch subtracted the model's rows.</param>
[GenerateSerializer, Immutable]
public sealed record DeletionResult(
    [property: Id(0)] string ModelId,
    [property: Id(1)] bool Deleted,
    [property: Id(2)] string Reason,
    [property: Id(3)] IReadOnlyList<string> LayersRebuilt,
    [property: Id(4)] int RemainingModels,
    [property: Id(5)] IReadOnlyList<string> LayersSubtracted);
