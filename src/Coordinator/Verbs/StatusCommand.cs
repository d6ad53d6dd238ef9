using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Reports;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws status</c>: a fleet's counts, architecture, per-layer bases and rejected models.</summary>
public sealed class StatusCommand : Command
{
    private readonly Option<bool> _models = new("--models") { Description = "List every model with its status." };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public StatusCommand(CliContext context)
        : base("status", "Show a fleet: model counts, layers, the current basis of each layer, rejected models with their reasons.")
    {
        _context = context;
        Options.Add(_models);
        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var connection = _cluster.Bind(parseResult);
        await using var session = await UwsSession.StartAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false);
        var fleet = await session.Fleet.GetDescriptionAsync().ConfigureAwait(false);
        var console = _context.Console;
        console.MarkupLineInterpolated(
            $"fleet [bold]{fleet.Fleet}[/]: {fleet.Counts.Absorbed} absorbed, {fleet.Counts.Queued} queued, {fleet.Counts.Rejected} rejected, {fleet.Counts.Quarantined} quarantined, {fleet.Counts.Deleted} deleted; {fleet.Layers.Count} layers × {string.Join("/", fleet.Modes.Select(UwsKeys.ModeName))}{(fleet.Centered ? ", centred" : string.Empty)}; {fleet.SliceCount} slices per layer");
        if (connection.IsEmbedded)
        {
            console.MarkupLine("[grey](embedded silo: a fresh in-memory cluster; pass --gateway or --redis to query a running one)[/]");
        }

        var layers = await LayerReportCollector.CollectAsync(session, fleet).ConfigureAwait(false);
        if (layers.Count > 0)
        {
            console.Write(LayerTableRenderer.Build(layers.Select(l => l.Report)));
        }

        var listed = parseResult.GetValue(_models) ? null : (ModelStatus?)ModelStatus.Rejected;
        foreach (var model in await session.Fleet.GetModelsAsync(listed).ConfigureAwait(false))
        {
            console.MarkupLineInterpolated($"{model.Status,-8} {model.ModelId}  {model.Location}{(model.Reason is null ? string.Empty : $"  — {model.Reason}")}");
        }

        return ExitCodes.Success;
    }
}
