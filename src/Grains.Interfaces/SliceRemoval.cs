namespace OrleansUws.Grains.Interfaces;

/// <summary>Outcome of <see cref="ILayerSliceGrain.RemoveAsync"/>.</summary>
/// <param name="Removed">
/// True when the slice no longer holds the model: its exact-Gram or Nyström sketch subtracted the model's rows, or it never held it.
/// False when the slice must be rebuilt from its remaining models to drop it (<paramref name="Detail"/> says why).
/// </param>
/// <param name="Detail">What was done ("subtracted exactly from its nystrom sketch", "not held"), or why the slice cannot subtract.</param>
[GenerateSerializer, Immutable]
public sealed record SliceRemoval([property: Id(0)] bool Removed, [property: Id(1)] string Detail);
