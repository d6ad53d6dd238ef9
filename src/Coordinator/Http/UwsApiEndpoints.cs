using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansUws.Coordinator.Http.Security;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// The coordinator's HTTP API under <c>/v1/fleets/{fleet}</c>: models (<see cref="ModelEndpoints"/>), layers and bases
/// (<see cref="LayerEndpoints"/>) and the basis stream (<see cref="BasisStreamEndpoints"/>). Every endpoint requires an
/// API key with the scope it names; names in the route are checked before anything else runs.
/// </summary>
public static class UwsApiEndpoints
{
    /// <summary>Prefix of every route of the API.</summary>
    public const string Prefix = "/v1/fleets/{fleet}";

    /// <summary>Maps every endpoint of the API (once, from <c>uws serve</c>).</summary>
    public static IEndpointRouteBuilder MapUwsApi(this IEndpointRouteBuilder endpoints, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        var fleets = endpoints.MapGroup(Prefix)
            .AddEndpointFilter(ValidateNamesAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        fleets.MapGet("/", (string fleet, IClusterClient client) => Fleet(client, fleet).GetDescriptionAsync())
            .WithName("GetFleet").WithSummary("The fleet's configuration, architecture and model counts.").WithTags("Fleets")
            .RequireAuthorization(ApiScopes.Read);
        ModelEndpoints.Map(fleets, options);
        LayerEndpoints.Map(fleets);
        BasisStreamEndpoints.Map(fleets);
        ProjectionEndpoints.Map(fleets, options);
        return endpoints;
    }

    /// <summary>The registry grain of <paramref name="fleet"/>.</summary>
    internal static IFleetGrain Fleet(IClusterClient client, string fleet) => client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet));

    private static async ValueTask<object?> ValidateNamesAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var values = context.HttpContext.Request.RouteValues;
        foreach (var field in new[] { "fleet", "modelId", "layer" })
        {
            if (values.TryGetValue(field, out var value) && ResourceNames.Problem(field, value as string) is { } problem)
            {
                return ApiProblems.BadField(field, problem);
            }
        }

        if (values.TryGetValue("mode", out var mode) && mode is string text && text is not ("rows" or "columns" or "flattened"))
        {
            return ApiProblems.BadField("mode", $"mode '{text}' must be 'rows', 'columns' or 'flattened'");
        }

        return await next(context).ConfigureAwait(false);
    }
}
