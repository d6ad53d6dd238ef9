using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using OrleansUws.Coordinator.Http.Security;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Models of a fleet: register by path (inside a model root), upload, one model's status, and pages of the list.
/// A registration or upload answers 200 when the model was absorbed (or already known), 422 when it was rejected
/// (the reason names the layer, shape, file or field; a rejected upload's files are removed), 409 when an upload's id
/// is already stored or absorbed (stored models are immutable). With a cluster's durable queue (<c>uws serve --redis</c>)
/// both answer 202 Accepted once the model is on the fleet's Redis Stream, with the model's resource as the location to
/// poll; the process's queue worker submits it (a rejected upload's files then stay in the upload folder).
/// </summary>
public static class ModelEndpoints
{
    /// <summary>Largest page of <c>GET …/models</c>.</summary>
    public const int MaxPage = 1000;

    /// <summary>Maps the model endpoints on <paramref name="fleets"/>.</summary>
    public static void Map(RouteGroupBuilder fleets, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(fleets);
        ArgumentNullException.ThrowIfNull(options);
        var models = fleets.MapGroup("/models").WithTags("Models");
        models.MapGet("/", ListAsync)
            .Produces<ModelPage>()
            .WithName("ListModels").WithSummary("Model records, ordered by submission time; optionally only those with one status.")
            .RequireAuthorization(ApiScopes.Read);
        models.MapGet("/{modelId}", GetAsync)
            .Produces<ModelRecord>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetModel").WithSummary("One model's record: status and, when rejected, the reason.")
            .RequireAuthorization(ApiScopes.Read);
        models.MapPost("/", RegisterAsync)
            .Produces<SubmitResult>()
            .Produces<SubmitResult>(StatusCodes.Status202Accepted)
            .Produces<SubmitResult>(StatusCodes.Status422UnprocessableEntity)
            .WithName("RegisterModel").WithSummary("Registers a model by its path inside a model root and absorbs it.")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .RequireAuthorization(ApiScopes.Ingest);
        models.MapPut("/{modelId}", UploadAsync)
            .Produces<SubmitResult>()
            .Produces<SubmitResult>(StatusCodes.Status202Accepted)
            .Produces<SubmitResult>(StatusCodes.Status422UnprocessableEntity)
            .WithName("UploadModel").WithSummary("Uploads a model (raw .safetensors body, or multipart adapter_config.json + adapter_model.safetensors) and absorbs it.")
            .Accepts<byte[]>("application/octet-stream", "multipart/form-data")
            .WithBodyLimit(options.MaxUploadBytes)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(ApiScopes.Ingest);
        models.MapDelete("/{modelId}", DeleteAsync)
            .Produces<DeletionResult>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("DeleteModel").WithSummary("Removes an absorbed model from every layer (exact-Gram and Nyström layers subtract it, Frequent Directions layers rebuild the slice that held it) and its uploaded files.")
            .RequireAuthorization(ApiScopes.Admin);
    }

    private static async Task<IResult> ListAsync(string fleet, ModelStatus? status, int? offset, int? limit, IClusterClient client)
    {
        if (offset is < 0)
        {
            return ApiProblems.BadField("offset", $"offset must not be negative (got {offset})");
        }

        if (limit is < 1 or > MaxPage)
        {
            return ApiProblems.BadField("limit", $"limit must be in [1, {MaxPage}] (got {limit})");
        }

        var registry = UwsApiEndpoints.Fleet(client, fleet);
        var records = await registry.GetModelsAsync(status).ConfigureAwait(false);
        var counts = (await registry.GetDescriptionAsync().ConfigureAwait(false)).Counts;
        var (start, size) = (offset ?? 0, limit ?? 100);
        return TypedResults.Ok(new ModelPage(records.Skip(start).Take(size).ToArray(), records.Count, start, size, counts.DroppedOf(status)));
    }

    private static async Task<IResult> GetAsync(string fleet, string modelId, IClusterClient client) =>
        await UwsApiEndpoints.Fleet(client, fleet).GetModelAsync(modelId).ConfigureAwait(false) is { } record
            ? TypedResults.Ok(record)
            : ApiProblems.Status(StatusCodes.Status404NotFound, $"fleet '{fleet}' has no model '{modelId}'", "modelId");

    private static async Task<IResult> RegisterAsync(string fleet, RegisterModelRequest body, ModelRoots roots, IClusterClient client, [FromServices] IngestionQueues? queues)
    {
        if (ResourceNames.Problem("modelId", body.ModelId) is { } problem)
        {
            return ApiProblems.BadField("modelId", problem);
        }

        if (string.IsNullOrEmpty(body.Location))
        {
            return ApiProblems.BadField("location", "location is required: the model's folder or .safetensors file inside a model root");
        }

        if (roots.IsEmpty)
        {
            return ApiProblems.BadField("location", "registration by path is disabled on this server (it has no model root); upload the model instead");
        }

        if (roots.Resolve(body.Location) is not { } location)
        {
            return ApiProblems.BadField("location", ModelRoots.Refusal);
        }

        var registry = UwsApiEndpoints.Fleet(client, fleet);
        if (queues is not null)
        {
            return await EnqueueAsync(queues, registry, fleet, new ModelSource(body.ModelId!, location)).ConfigureAwait(false);
        }

        return Answer(await ClusterRetry.SubmitAsync(registry, new ModelReference(body.ModelId!, location)).ConfigureAwait(false));
    }

    private static async Task<IResult> UploadAsync(
        string fleet, string modelId, HttpRequest request, ModelUploadStore store, IClusterClient client, [FromServices] IngestionQueues? queues, CancellationToken cancellationToken)
    {
        var registry = UwsApiEndpoints.Fleet(client, fleet);
        if (await registry.GetModelAsync(modelId).ConfigureAwait(false) is { Status: ModelStatus.Queued or ModelStatus.Absorbed } known)
        {
            return Conflict(modelId, $"model '{modelId}' is already {known.Status.ToString().ToLowerInvariant()}; a model is never replaced");
        }

        string location;
        try
        {
            location = await store.SaveAsync(fleet, modelId, request, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelExistsException e)
        {
            return Conflict(modelId, e.Message);
        }

        if (queues is not null)
        {
            return await EnqueueAsync(queues, registry, fleet, new ModelSource(modelId, location)).ConfigureAwait(false);
        }

        // Not cancelled with the request: once stored, the model is the registry's to complete, whether the client waits or not.
        var result = await ClusterRetry.SubmitAsync(registry, new ModelReference(modelId, location), CancellationToken.None).ConfigureAwait(false);
        if (result.Status == ModelStatus.Rejected)
        {
            store.Delete(fleet, modelId); // a rejected upload leaves nothing behind
        }

        return Answer(result);
    }

    private static async Task<IResult> DeleteAsync(string fleet, string modelId, ModelUploadStore store, IClusterClient client)
    {
        var registry = UwsApiEndpoints.Fleet(client, fleet);
        if (await registry.GetModelAsync(modelId).ConfigureAwait(false) is not { } record)
        {
            return ApiProblems.Status(StatusCodes.Status404NotFound, $"fleet '{fleet}' has no model '{modelId}'", "modelId");
        }

        var result = await registry.DeleteAsync(modelId).ConfigureAwait(false);
        if (!result.Deleted)
        {
            return ApiProblems.Status(StatusCodes.Status409Conflict, $"model '{modelId}' was not deleted: {result.Reason}", "modelId");
        }

        // Every layer was rebuilt without it: its uploaded files (never a registered path's) can go, and the id may be uploaded anew.
        if (store.Holds(record.Location))
        {
            store.Delete(fleet, modelId);
        }

        return TypedResults.Ok(result);
    }

    /// <summary>
    /// With a cluster's durable queue: the registry records the model queued, the model is appended to the fleet's stream,
    /// and the answer is 202 Accepted with the model's resource to poll (its status as the registry records it: queued
    /// until the worker has judged it).
    /// </summary>
    private static async Task<IResult> EnqueueAsync(IngestionQueues queues, IFleetGrain registry, string fleet, ModelSource model)
    {
        // Recorded queued, then appended; should the append fail, the record stays queued and the client's retry (answered
        // 5xx) appends it again. Not cancelled with the request: once enqueued, the model is the queue's to complete.
        await queues.EnqueueAsync(fleet, registry, model, CancellationToken.None).ConfigureAwait(false);
        return TypedResults.Accepted(
            $"/v1/fleets/{Uri.EscapeDataString(fleet)}/models/{Uri.EscapeDataString(model.ModelId)}",
            new SubmitResult(model.ModelId, ModelStatus.Queued, "queued for ingestion; poll the location for its status", AlreadyKnown: false));
    }

    private static IResult Answer(SubmitResult result) =>
        result.Status == ModelStatus.Rejected ? TypedResults.UnprocessableEntity(result) : TypedResults.Ok(result);

    private static IResult Conflict(string modelId, string detail) => ApiProblems.Status(StatusCodes.Status409Conflict, detail, "modelId");

}
