using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansUws.Coordinator.Http.Security;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Reports;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Diagnostics;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Layers of a fleet: the list with each layer's current figures, one layer's status, its convergence history (JSON or
/// CSV), its basis as safetensors, a version computed on demand, and the layers whose basis changed since a version.
/// </summary>
public static class LayerEndpoints
{
    /// <summary>Maps the layer endpoints on <paramref name="fleets"/>.</summary>
    public static void Map(RouteGroupBuilder fleets)
    {
        ArgumentNullException.ThrowIfNull(fleets);
        fleets.MapGet("/layers", ListAsync)
            .Produces<LayerSummary[]>()
            .WithName("ListLayers").WithSummary("Every layer and mode with T, k, version, energy, certificate and diagnostics (null warning, mean share, held-out capture, distances to the previous version) of its current basis.").WithTags("Layers")
            .RequireAuthorization(ApiScopes.Read);
        fleets.MapGet("/bases", ChangedSinceAsync)
            .Produces<BasisVersionInfo[]>()
            .WithName("ListChangedBases").WithSummary("The current version of each layer whose version is greater than 'since' (all layers with a basis when absent).").WithTags("Layers")
            .RequireAuthorization(ApiScopes.Read);
        var layer = fleets.MapGroup("/layers/{layer}/{mode}").WithTags("Layers").ProducesProblem(StatusCodes.Status404NotFound);
        layer.MapGet("/", StatusAsync)
            .Produces<LayerStatus>()
            .WithName("GetLayer").WithSummary("The layer's configuration, counts, current version and history.")
            .RequireAuthorization(ApiScopes.Read);
        layer.MapGet("/history", async (string fleet, string layer, string mode, IClusterClient client) =>
                await Known(client, fleet, layer, mode).ConfigureAwait(false) is { } status ? TypedResults.Ok(status.History) : NotFound(fleet, layer, mode))
            .Produces<BasisVersionInfo[]>()
            .WithName("GetLayerHistory").WithSummary("Every version's figures, oldest first (the convergence history).")
            .RequireAuthorization(ApiScopes.Read);
        layer.MapGet("/history.csv", HistoryCsvAsync)
            .WithName("GetLayerHistoryCsv").WithSummary("The convergence history as CSV (the columns of convergence.csv).")
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .RequireAuthorization(ApiScopes.Read);
        layer.MapGet("/basis", BasisAsync)
            .WithName("GetLayerBasis").WithSummary("The layer's basis as safetensors (basis k×d, singular_values, mean when centred): the current version, or 'version' while it is retained.")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .RequireAuthorization(ApiScopes.Read);
        layer.MapGet("/diagnostics", DiagnosticsAsync)
            .Produces<BasisDiagnostics>()
            .WithName("GetLayerDiagnostics").WithSummary("What the current basis's spectrum says: the Marchenko–Pastur null for its shape, directions above the noise edge, the mean's share.")
            .RequireAuthorization(ApiScopes.Read);
        layer.MapPost("/compute", async (string fleet, string layer, string mode, IClusterClient client) =>
                await Layer(client, fleet, layer, mode).ComputeNowAsync().ConfigureAwait(false) is { } version ? TypedResults.Ok(version) : NotFound(fleet, layer, mode))
            .Produces<BasisVersionInfo>()
            .WithName("ComputeLayerVersion").WithSummary("Computes a version now (returns the current one when no model arrived since).")
            .RequireAuthorization(ApiScopes.Admin);
    }

    private static async Task<IResult> ListAsync(string fleet, IClusterClient client)
    {
        var description = await UwsApiEndpoints.Fleet(client, fleet).GetDescriptionAsync().ConfigureAwait(false);
        var layers = description.Layers.SelectMany(entry => description.Modes.Select(mode => (entry, mode))).ToArray();
        var statuses = await Task.WhenAll(layers.Select(pair => Layer(client, fleet, pair.entry.Layer, UwsKeys.ModeName(pair.mode)).GetStatusAsync())).ConfigureAwait(false);
        return TypedResults.Ok(layers.Select((pair, i) => LayerSummary.From(pair.entry, pair.mode, statuses[i])).ToArray());
    }

    private static async Task<IResult> ChangedSinceAsync(string fleet, int? since, IClusterClient client)
    {
        if (since is < 0)
        {
            return ApiProblems.BadField("since", $"since must not be negative (got {since})");
        }

        var description = await UwsApiEndpoints.Fleet(client, fleet).GetDescriptionAsync().ConfigureAwait(false);
        var statuses = await Task.WhenAll(description.Layers
            .SelectMany(entry => description.Modes.Select(mode => Layer(client, fleet, entry.Layer, UwsKeys.ModeName(mode)).GetStatusAsync()))).ConfigureAwait(false);
        return TypedResults.Ok(statuses.Select(status => status.Current).OfType<BasisVersionInfo>().Where(current => current.Version > (since ?? 0)).ToArray());
    }

    private static async Task<IResult> StatusAsync(string fleet, string layer, string mode, IClusterClient client) =>
        await Known(client, fleet, layer, mode).ConfigureAwait(false) is { } status ? TypedResults.Ok(status) : NotFound(fleet, layer, mode);

    private static async Task<IResult> HistoryCsvAsync(string fleet, string layer, string mode, IClusterClient client)
    {
        if (await Known(client, fleet, layer, mode).ConfigureAwait(false) is not { } status)
        {
            return NotFound(fleet, layer, mode);
        }

        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        ConvergenceCsvWriter.Write(writer, status.History.Count == 0 ? [] : [new LayerReport(layer, UwsKeys.ParseMode(mode), status.History, null)]);
        return TypedResults.Text(writer.ToString(), "text/csv");
    }

    private static async Task<IResult> BasisAsync(string fleet, string layer, string mode, int? version, IClusterClient client)
    {
        var basis = await Layer(client, fleet, layer, mode).GetBasisAsync().ConfigureAwait(false);
        if (basis is null)
        {
            return ApiProblems.Status(StatusCodes.Status404NotFound, $"layer '{layer}' ({mode}) of fleet '{fleet}' has no basis yet", "layer");
        }

        if (version is { } asked)
        {
            var (retained, missing) = await ClusterBases.VersionAsync(client, basis, asked).ConfigureAwait(false);
            if (retained is null)
            {
                return ApiProblems.Status(StatusCodes.Status404NotFound, missing!, "version");
            }

            basis = retained;
        }

        var path = Path.Combine(Path.GetTempPath(), $"uws-basis-{Guid.NewGuid():N}.safetensors");
        BasisFileWriter.Write(path, basis);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose);
        return TypedResults.File(stream, "application/octet-stream", BasisFileWriter.FileName(layer, basis.Info.Mode));
    }

    private static async Task<IResult> DiagnosticsAsync(string fleet, string layer, string mode, IClusterClient client)
    {
        var grain = Layer(client, fleet, layer, mode);
        if ((await grain.GetStatusAsync().ConfigureAwait(false)).Configuration is not { } configuration
            || await grain.GetBasisAsync().ConfigureAwait(false) is not { } basis)
        {
            return NotFound(fleet, layer, mode);
        }

        BasisModes.TryParse(mode, out var basisMode);
        return SubspaceDiagnostics.ForBasis(ClusterBases.ToFile(basis, basisMode, configuration.Shape)) is { } diagnostics
            ? TypedResults.Ok(diagnostics)
            : ApiProblems.Status(StatusCodes.Status404NotFound, $"layer '{layer}' ({mode}) has too few figures for diagnostics", "layer");
    }

    /// <summary>The layer's status, or null when the fleet has no such layer (its coordinator was never configured).</summary>
    private static async Task<LayerStatus?> Known(IClusterClient client, string fleet, string layer, string mode)
    {
        var status = await Layer(client, fleet, layer, mode).GetStatusAsync().ConfigureAwait(false);
        return status.Configuration is null ? null : status;
    }

    private static IResult NotFound(string fleet, string layer, string mode) =>
        ApiProblems.Status(StatusCodes.Status404NotFound, $"fleet '{fleet}' has no layer '{layer}' in mode {mode}, or it has absorbed nothing yet", "layer");

    private static ILayerCoordinatorGrain Layer(IClusterClient client, string fleet, string layer, string mode) =>
        client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer, UwsKeys.ParseMode(mode)));
}
