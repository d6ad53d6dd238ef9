namespace OrleansUws.Coordinator.Ingestion;

/// <summary>A model found on disk: its id in the fleet and the absolute path the silos read it from.</summary>
/// <param name="ModelId">Id: the adapter folder's or checkpoint file's name (without <c>.safetensors</c>).</param>
/// <param name="Location">Absolute path of the adapter folder, checkpoint folder or <c>.safetensors</c> file.</param>
public sealed record ModelSource(string ModelId, string Location);
