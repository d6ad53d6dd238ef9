namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// A model as it travels through the cluster: its id and where its bytes are, never the tensors themselves.
/// Each slice grain opens <see cref="Location"/> itself and reads only its own layer.
/// </summary>
/// <param name="ModelId">Unique id of the model within its fleet (the idempotency key).</param>
/// <param name="Location">
/// Path of a PEFT adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>) or of a
/// <c>.safetensors</c> file, readable from every silo.
/// </param>
[GenerateSerializer, Immutable]
public sealed record ModelReference(
    [property: Id(0)] string ModelId,
    [property: Id(1)] string Location);
