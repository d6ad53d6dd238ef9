namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// Reads a model in full and checks it before any sketch changes (a stateless worker, local to the calling silo, one
/// activation per core): header, dtypes, shapes against the fleet's architecture, finiteness of every value, and the
/// overflow of each layer's Gram. Holds no state; the key is irrelevant (use 0).
/// </summary>
public interface IModelAdmissionGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Checks <paramref name="model"/> against <paramref name="architecture"/> (null: the model alone, when the fleet's
    /// architecture is not yet agreed). Never throws for a defective model: the defect is in <see cref="AdmissionResult.Problem"/>.
    /// </summary>
    Task<AdmissionResult> CheckAsync(ModelReference model, IReadOnlyDictionary<string, LayerShape>? architecture);

    /// <summary>
    /// The content hash of the file or adapter folder at <paramref name="location"/>, as <see cref="CheckAsync"/> records
    /// it (<see cref="AdmissionResult.ContentHash"/>), or null when it cannot be read: a deletion checks once that a
    /// model's file still holds what was absorbed before its exact-Gram slices read it again to subtract it.
    /// </summary>
    Task<string?> ContentHashAsync(string location);
}
