using System.CommandLine;
using System.Globalization;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Reports;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OrleansUws.Coordinator.Verbs;

/// <summary>
/// <c>uws status</c>: a fleet's counts, architecture, per-layer bases and rejected models; with <c>--watch</c>, the
/// same view redrawn in place every <c>--interval</c> seconds until Ctrl+C.
/// </summary>
public sealed class StatusCommand : Command
{
    private readonly Option<bool> _models = new("--models") { Description = "List every model with its status." };
    private readonly Option<bool> _watch = new("--watch") { Description = "Keep the view on screen, refreshed every --interval seconds, until Ctrl+C." };
    private readonly Option<double> _interval = new("--interval") { Description = "Seconds between refreshes with --watch.", DefaultValueFactory = _ => 2 };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public StatusCommand(CliContext context)
        : base("status", "Show a fleet: model counts, layers, the current basis of each layer, rejected models with their reasons; --watch keeps it live.")
    {
        _context = context;
        Options.Add(_models);
        Options.Add(_watch);
        Options.Add(_interval);
        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var interval = parseResult.GetValue(_interval);
        if (!(interval is >= 0.1 and <= 3600))
        {
            throw new UsageException($"--interval must be between 0.1 and 3600 seconds (was {interval.ToString(CultureInfo.InvariantCulture)}).");
        }

        var connection = _cluster.Bind(parseResult);
        await using var session = await UwsSession.StartAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false);
        var console = _context.Console;
        if (connection.IsEmbedded)
        {
            console.MarkupLine("[grey](embedded silo: a fresh in-memory cluster; pass --gateway or --redis to query a running one)[/]");
        }

        var listed = parseResult.GetValue(_models) ? null : (ModelStatus?)ModelStatus.Rejected;
        if (!parseResult.GetValue(_watch))
        {
            console.Write(await ReadAsync(session, listed, footer: null).ConfigureAwait(false));
            return ExitCodes.Success;
        }

        var view = await ReadAsync(session, listed, Footer(interval)).ConfigureAwait(false);
        await console.Live(view).AutoClear(false).StartAsync(async live =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(interval), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                live.UpdateTarget(await ReadAsync(session, listed, Footer(interval)).ConfigureAwait(false));
            }
        }).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static string Footer(double interval) =>
        string.Create(CultureInfo.InvariantCulture, $"updated {DateTimeOffset.Now:HH:mm:ss}, every {interval:0.#} s; Ctrl+C stops");

    private static async Task<IRenderable> ReadAsync(UwsSession session, ModelStatus? listed, string? footer)
    {
        var fleet = await session.Fleet.GetDescriptionAsync().ConfigureAwait(false);
        var layers = await LayerReportCollector.CollectAsync(session, fleet).ConfigureAwait(false);
        var models = await session.Fleet.GetModelsAsync(listed).ConfigureAwait(false);
        return StatusView.Build(fleet, layers.Select(l => l.Report), models, footer);
    }
}
