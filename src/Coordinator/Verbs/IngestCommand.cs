using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Reports;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws ingest PATH…</c>: submits the models under the paths; with <c>--watch</c>, keeps picking up new ones.</summary>
public sealed class IngestCommand : Command
{
    private readonly Argument<string[]> _paths = new("paths") { Description = "Adapter folders, checkpoint folders or .safetensors files, or fleet folders holding them.", Arity = ArgumentArity.OneOrMore };
    private readonly Option<bool> _watch = new("--watch") { Description = "Keep running and ingest models that appear under the paths (Ctrl+C stops)." };
    private readonly Option<double> _rescan = new("--rescan") { Description = "With --watch: seconds between full rescans (file events trigger rescans sooner).", DefaultValueFactory = _ => 30 };
    private readonly Option<double> _settle = new("--settle") { Description = "With --watch: seconds a model's files must be unchanged before it is ingested.", DefaultValueFactory = _ => 2 };
    private readonly Option<int> _parallelism = new("--parallelism") { Description = "Models submitted at once (with --redis: models in flight per worker).", DefaultValueFactory = _ => ModelIngestor.DefaultParallelism };
    private readonly Option<double> _reclaimAfter = new("--reclaim-after") { Description = "With --redis: seconds after which a queued model left unacknowledged (a dead worker's) is taken over.", DefaultValueFactory = _ => 30 };
    private readonly Option<string?> _metricsUrls = new("--metrics-urls") { Description = "With a cluster (--redis or --gateway): serve this process's metrics for Prometheus at /metrics (and /health, /alive) on these addresses (';'-separated), e.g. http://0.0.0.0:9464." };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public IngestCommand(CliContext context)
        : base("ingest", "Submit models (PEFT adapter folders or safetensors checkpoints) to the fleet.")
    {
        _context = context;
        Arguments.Add(_paths);
        Options.Add(_watch);
        Options.Add(_rescan);
        Options.Add(_settle);
        Options.Add(_parallelism);
        Options.Add(_reclaimAfter);
        Options.Add(_metricsUrls);
        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var paths = parseResult.GetValue(_paths) ?? [];
        var watch = parseResult.GetValue(_watch);
        var rescan = parseResult.GetValue(_rescan);
        var settle = parseResult.GetValue(_settle);
        var parallelism = parseResult.GetValue(_parallelism);
        var reclaimAfter = parseResult.GetValue(_reclaimAfter);
        var metricsUrls = parseResult.GetValue(_metricsUrls);
        var failures = new ValidationFailures();
        foreach (var path in paths.Where(p => !File.Exists(p) && !Directory.Exists(p)))
        {
            failures.Add($"path '{path}' does not exist");
        }

        if (!(rescan > 0))
        {
            failures.Add($"--rescan must be > 0 seconds (got {rescan})");
        }

        failures.NonNegative("--settle", settle);
        failures.AtLeast("--parallelism", parallelism, 1);
        if (!(reclaimAfter > 0))
        {
            failures.Add($"--reclaim-after must be > 0 seconds (got {reclaimAfter})");
        }

        failures.HttpUrls("--metrics-urls", metricsUrls);
        var (_, connection) = OptionsValidation.BindBoth(() => failures.ThrowIfAny(), () => _cluster.Bind(parseResult));
        if (metricsUrls is not null && connection.IsEmbedded)
        {
            // The embedded silo's instruments belong to `uws serve` (or a silo process), which serves them itself.
            throw new UsageException(["--metrics-urls needs a cluster (--redis or --gateway); an embedded fleet's metrics are served by `uws serve`"]);
        }

        // The metrics endpoint first, so that it is up (and scraped) while Redis and the cluster are reached.
        await using var metrics = metricsUrls is null ? null : await MetricsEndpoint.StartAsync(metricsUrls, cancellationToken).ConfigureAwait(false);
        if (metrics is not null)
        {
            _context.Console.MarkupLineInterpolated($"metrics at {string.Join(", ", metrics.Urls.Select(u => u.TrimEnd('/') + "/metrics"))}");
        }

        // With a cluster (Redis), every model goes through the durable queue; Redis is checked first so that an
        // unreachable endpoint is named at once.
        using var redis = connection.Redis is null ? null : await RedisIngestionQueue.ConnectAsync(connection.Redis, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await using var session = await UwsSession.StartAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false);
        var queue = redis is null
            ? null
            : await RedisIngestionQueue.OpenAsync(
                redis,
                connection,
                TimeSpan.FromSeconds(reclaimAfter),
                message => _context.Console.MarkupLineInterpolated($"[yellow]retry[/] {message}"),
                metrics?.Metrics,
                cancellationToken).ConfigureAwait(false);
        await using var figures = queue is null || metrics is null ? null : new QueueFiguresFeed(queue, metrics.Queues);
        var ingestor = new ModelIngestor(session.Fleet, parallelism, queue);
        Task<IngestSummary> IngestAsync(IReadOnlyList<ModelSource> models, CancellationToken ct) => IngestConsole.IngestAsync(ingestor, models, _context.Console, ct);

        // Re-submission after a silo failure: models the registry lists as absorbed but a slice lost become queued
        // again first, so submitting them below completes them (the slices that hold them skip them).
        var requeued = await session.Fleet.RequeueLostModelsAsync().ConfigureAwait(false);
        if (requeued.Count > 0)
        {
            _context.Console.MarkupLineInterpolated($"{requeued.Count} models listed as absorbed were lost by a failed silo and are queued again: {string.Join(", ", requeued)}");
        }

        if (!watch)
        {
            var found = ModelDiscovery.Scan(paths);
            IngestConsole.ReportSkipped(found.Skipped, _context.Console);
            await ArchitectureAgreement.DeclareAsync(session.Fleet, found.Models).ConfigureAwait(false);
            var summary = await IngestAsync(found.Models, cancellationToken).ConfigureAwait(false);
            await ShowLayersAsync(session).ConfigureAwait(false);
            return summary.Rejected.Count > 0 || found.Skipped.Count > 0 ? ExitCodes.ModelsNotAbsorbed : ExitCodes.Success;
        }

        using var watcher = new ModelFolderWatcher(paths, TimeSpan.FromSeconds(rescan), TimeSpan.FromSeconds(settle));
        _context.Console.MarkupLineInterpolated($"watching {string.Join(", ", paths)} (rescan every {rescan:G} s); Ctrl+C stops");
        try
        {
            await watcher.RunAsync(
                async (models, ct) =>
                {
                    await ArchitectureAgreement.DeclareAsync(session.Fleet, models).ConfigureAwait(false);
                    await IngestAsync(models, ct).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: stop watching and report what the fleet holds.
        }

        await ShowLayersAsync(session).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private async Task ShowLayersAsync(UwsSession session)
    {
        var fleet = await session.Fleet.GetDescriptionAsync().ConfigureAwait(false);
        var layers = await LayerReportCollector.CollectAsync(session, fleet).ConfigureAwait(false);
        if (layers.Count > 0)
        {
            _context.Console.Write(LayerTableRenderer.Build(layers.Select(l => l.Report)));
        }
    }
}
