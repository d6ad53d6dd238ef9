namespace OrleansUws.Coordinator.Http;

/// <summary>Body of <c>POST /v1/fleets/{fleet}/models</c>: a model already on a path inside a model root.</summary>
/// <param name="ModelId">Id of the model in its fleet (letters, digits, '.', '_', '-').</param>
/// <param name="Location">Adapter folder or <c>.safetensors</c> file, absolute inside a model root or relative to the first root.</param>
public sealed record RegisterModelRequest(string? ModelId, string? Location);
