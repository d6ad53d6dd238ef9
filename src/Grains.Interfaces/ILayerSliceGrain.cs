namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// One slice of a layer and mode (key <c>{fleet}/{layer}/{mode}/{slice}</c>): absorbs the models assigned to it
/// by <see cref="UwsKeys.SliceOf"/>, reading its layer from the model file itself, into a full-width sketch
/// (Frequent Directions, or the exact Gram for small d). Placed on GPU silos when there are any.
/// </summary>
public interface ILayerSliceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Reads the layer <paramref name="layer"/> names from <paramref name="model"/> and inserts its rows. A model
    /// id already absorbed is a no-op (<see cref="AbsorbResult.AlreadyAbsorbed"/>). A bad file, missing tensor,
    /// wrong shape or non-finite value throws with a message naming it, and leaves the slice unchanged.
    /// </summary>
    Task<AbsorbResult> AbsorbAsync(ModelReference model, LayerConfiguration layer);

    /// <summary>The slice's serialized sketch and counts, for the coordinator's merge.</summary>
    Task<SliceSnapshot> GetSnapshotAsync();

    /// <summary>Where the slice runs and what it holds.</summary>
    Task<SliceInfo> GetInfoAsync();

    /// <summary>The ids of the models whose rows this slice's sketch holds, ordered.</summary>
    Task<IReadOnlyList<string>> GetModelIdsAsync();

    /// <summary>
    /// Empties the slice (sketch, ids, counts) and writes that to storage, so that the registry can rebuild it from the
    /// models that remain after a deletion (a Frequent Directions sketch cannot subtract a model).
    /// </summary>
    Task ResetAsync();
}
