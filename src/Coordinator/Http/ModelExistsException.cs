namespace OrleansUws.Coordinator.Http;

/// <summary>A model with this id is already stored; stored models are immutable.</summary>
/// <param name="modelId">The id.</param>
public sealed class ModelExistsException(string modelId)
    : Exception($"model '{modelId}' is already stored; a stored model is never replaced")
{
    /// <summary>The id.</summary>
    public string ModelId { get; } = modelId;
}
