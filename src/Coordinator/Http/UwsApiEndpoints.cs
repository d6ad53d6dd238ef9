using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// The coordinator's HTTP API under <c>/api/fleets/{fleet}</c>: fleet status, model upload or reference, layer
/// status, on-demand versions, basis download (safetensors) and a server-sent-events stream of new versions.
/// </summary>
public static class UwsApiEndpoints
{
    /// <summary>Name of the server-sent event carrying a <see cref="BasisVersionInfo"/>.</summary>
    public const string BasisEventType = "basis";

    /// <summary>Maps every endpoint of the API (once, from <c>uws serve</c>).</summary>
    public static IEndpointRouteBuilder MapUwsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var fleets = endpoints.MapGroup("/api/fleets/{fleet}").AddEndpointFilter(ValidateNamesAsync);
        fleets.MapGet("/", (string fleet, IClusterClient client) => Fleet(client, fleet).GetDescriptionAsync());
        fleets.MapGet("/models", (string fleet, ModelStatus? status, IClusterClient client) => Fleet(client, fleet).GetModelsAsync(status));
        fleets.MapGet("/models/{modelId}", async (string fleet, string modelId, IClusterClient client) =>
            await Fleet(client, fleet).GetModelAsync(modelId).ConfigureAwait(false) is { } record ? Results.Ok(record) : Results.NotFound());
        fleets.MapPost("/models", (string fleet, ModelReference model, IClusterClient client) => SubmitAsync(client, fleet, model));
        fleets.MapPut("/models/{modelId}", async (string fleet, string modelId, HttpRequest request, ModelUploadStore store, IClusterClient client, CancellationToken cancellationToken) =>
        {
            string location;
            try
            {
                location = await store.SaveAsync(fleet, modelId, request, cancellationToken).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e)
            {
                return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
            }

            return await SubmitAsync(client, fleet, new ModelReference(modelId, location)).ConfigureAwait(false);
        }).DisableAntiforgery();
        fleets.MapGet("/layers/{layer}/{mode}", (string fleet, string layer, string mode, IClusterClient client) =>
            Layer(client, fleet, layer, mode).GetStatusAsync());
        fleets.MapPost("/layers/{layer}/{mode}/compute", async (string fleet, string layer, string mode, IClusterClient client) =>
            await Layer(client, fleet, layer, mode).ComputeNowAsync().ConfigureAwait(false) is { } version ? Results.Ok(version) : Results.NotFound());
        fleets.MapGet("/layers/{layer}/{mode}/basis", async (string fleet, string layer, string mode, IClusterClient client) =>
        {
            var basis = await Layer(client, fleet, layer, mode).GetBasisAsync().ConfigureAwait(false);
            if (basis is null)
            {
                return Results.NotFound();
            }

            var path = Path.Combine(Path.GetTempPath(), $"uws-basis-{Guid.NewGuid():N}.safetensors");
            BasisFileWriter.Write(path, basis);
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose);
            return Results.File(stream, "application/octet-stream", BasisFileWriter.FileName(layer, basis.Info.Mode));
        });
        fleets.MapGet("/events", (string fleet, BasisEventHub hub, IHostApplicationLifetime lifetime, CancellationToken cancellationToken) =>
            TypedResults.ServerSentEvents(Events(hub, fleet, lifetime.ApplicationStopping, cancellationToken)));
        return endpoints;
    }

    /// <summary>
    /// The fleet's versions as server-sent events until the client goes away, or until the server stops: a stream ends
    /// then (rather than holding the shutdown for the host's whole timeout, 30 s by default, as an open request would).
    /// </summary>
    private static async IAsyncEnumerable<SseItem<BasisVersionInfo>> Events(
        BasisEventHub hub, string fleet, CancellationToken stopping, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        await using var versions = hub.SubscribeAsync(fleet, linked.Token).GetAsyncEnumerator(linked.Token);
        while (true)
        {
            bool more;
            try
            {
                more = await versions.MoveNextAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                more = false;
            }

            if (!more)
            {
                yield break;
            }

            var version = versions.Current;
            yield return new SseItem<BasisVersionInfo>(version, BasisEventType) { EventId = $"{version.Layer}/{UwsKeys.ModeName(version.Mode)}/{version.Version}" };
        }
    }

    private static async Task<IResult> SubmitAsync(IClusterClient client, string fleet, ModelReference model)
    {
        if (ResourceNames.Problem("modelId", model.ModelId) is { } problem)
        {
            return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
        }

        var result = await ClusterRetry.SubmitAsync(Fleet(client, fleet), model).ConfigureAwait(false);
        return result.Status == ModelStatus.Rejected ? Results.UnprocessableEntity(result) : Results.Ok(result);
    }

    private static async ValueTask<object?> ValidateNamesAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var values = context.HttpContext.Request.RouteValues;
        foreach (var field in new[] { "fleet", "modelId", "layer" })
        {
            if (values.TryGetValue(field, out var value) && ResourceNames.Problem(field, value as string) is { } problem)
            {
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
            }
        }

        if (values.TryGetValue("mode", out var mode) && mode is string text && text is not ("rows" or "columns" or "flattened"))
        {
            return Results.Problem($"mode '{text}' must be 'rows', 'columns' or 'flattened'", statusCode: StatusCodes.Status400BadRequest);
        }

        return await next(context).ConfigureAwait(false);
    }

    private static IFleetGrain Fleet(IClusterClient client, string fleet) => client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet));

    private static ILayerCoordinatorGrain Layer(IClusterClient client, string fleet, string layer, string mode) =>
        client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer, UwsKeys.ParseMode(mode)));
}
