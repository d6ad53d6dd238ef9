namespace OrleansUws.Grains.Interfaces;

/// <summary>Outcome of <see cref="IModelAdmissionGrain.CheckAsync"/>: a model read in full before any sketch sees it.</summary>
/// <param name="Problem">The first defect (names the file and the layer), or null when every layer passed.</param>
/// <param name="ContentHash">SHA-256 of the model's files; null when they could not be read.</param>
/// <param name="Layers">The model's architecture (layer id → shape); empty when its header could not be read.</param>
/// <param name="LayerNorms">Layer id → ‖W‖_F (‖s·B·A‖_F for adapters); empty when <paramref name="Problem"/> is set.</param>
[GenerateSerializer, Immutable]
public sealed record AdmissionResult(
    [property: Id(0)] string? Problem,
    [property: Id(1)] string? ContentHash,
    [property: Id(2)] IReadOnlyDictionary<string, LayerShape> Layers,
    [property: Id(3)] IReadOnlyDictionary<string, double> LayerNorms);
