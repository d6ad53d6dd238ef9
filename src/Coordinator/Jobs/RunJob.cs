using System.Diagnostics;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Fleets;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Reports;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using Spectre.Console;

namespace OrleansUws.Coordinator.Jobs;

/// <summary>
/// The main job behind <c>uws run</c>: generate a planted fleet unless one is given, ingest it into the
/// cluster (an embedded silo by default) with a progress bar, compute the final version of every layer, then
/// print the per-layer table and write the bases, the convergence CSV and the convergence plot.
/// </summary>
public static class RunJob
{
    /// <summary>Sub-folder of the output folder holding one safetensors file per layer and mode.</summary>
    public const string BasesFolder = "bases";

    /// <summary>File name of the convergence history.</summary>
    public const string ConvergenceCsv = "convergence.csv";

    /// <summary>File name of the convergence plot.</summary>
    public const string ConvergencePng = "convergence.png";

    /// <summary>Sub-folder of the output folder a generated fleet is written to.</summary>
    public const string GeneratedFleetFolder = "fleet";

    /// <summary>
    /// What the run's embedded silo keeps differently from a long-running one, each unless configured otherwise: only the
    /// current basis version of each layer. A cluster retains older versions so that they can be downloaded by version
    /// (<c>uws basis export --version</c>, the HTTP API); the run's silo listens on loopback ports it tells no other
    /// process, and the run writes the current bases and exits, so older versions would only grow its memory.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> EmbeddedSiloDefaults = new Dictionary<string, string>
    {
        [$"{UwsClusterOptions.SectionName}:{nameof(UwsClusterOptions.BasisVersionsKept)}"] = "1",
    };

    /// <summary>Runs the job; returns what it did.</summary>
    public static async Task<RunResult> ExecuteAsync(
        RunOptions options,
        ClusterConnectionOptions connection,
        CliContext context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(context);
        var stopwatch = Stopwatch.StartNew();
        var output = Path.GetFullPath(options.Output);
        Directory.CreateDirectory(output);
        var scanned = options.Fleet is null ? null : ModelDiscovery.Scan([options.Fleet]);
        var given = scanned?.Models;
        if (given is { Count: 0 })
        {
            throw new UsageException($"--fleet '{options.Fleet}' holds no models (adapter folders or .safetensors files)");
        }

        // The layers the run will ingest (the preset's, or the given fleet's first model's), checked before any work.
        var shapes = LayerShapes(options, given);
        ThrowIfRankAboveDimension(options, shapes);

        // With a cluster (Redis), models go through the fleet's durable queue as `uws ingest` sends them; Redis is checked
        // first so that an unreachable endpoint is named at once.
        using var redis = connection.Redis is null ? null : await RedisIngestionQueue.ConnectAsync(connection.Redis, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await using var session = await UwsSession.StartAsync(connection, embeddedDefaults: EmbeddedSiloDefaults, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (connection.IsEmbedded && UwsKeys.ParseMode(options.Mode) == SketchMode.Flattened)
        {
            var ell = (await session.Fleet.GetDescriptionAsync().ConfigureAwait(false)).Sketch.SketchRows;
            FlattenedMemoryCheck.ThrowIfTooLarge(shapes, ell, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        }

        var fleetFolder = options.Fleet ?? await GenerateFleetAsync(options, output, context, cancellationToken).ConfigureAwait(false);
        scanned ??= ModelDiscovery.Scan([fleetFolder]);
        var models = scanned.Models;
        IngestConsole.ReportSkipped(scanned.Skipped, context.Console);
        await ConfigureFleetAsync(session.Fleet, options).ConfigureAwait(false);
        await ArchitectureAgreement.DeclareAsync(session.Fleet, models).ConfigureAwait(false);
        var queue = redis is null
            ? null
            : await RedisIngestionQueue.OpenAsync(
                redis, connection, TimeSpan.FromSeconds(30), message => context.Console.MarkupLineInterpolated($"[yellow]retry[/] {message}"), cancellationToken: cancellationToken).ConfigureAwait(false);
        var ingestor = new ModelIngestor(session.Fleet, options.Parallelism, queue);
        var lastVersions = TimeSpan.Zero;
        async Task ComputeVersionsAsync(CancellationToken ct)
        {
            var started = stopwatch.Elapsed;
            await FleetVersions.ComputeNowAsync(session.Client, connection.FleetId, cancellationToken: ct).ConfigureAwait(false);
            lastVersions = stopwatch.Elapsed - started;
        }

        // Versions at T = N, 2N, …: captured after each batch, before the next one starts, and solved while it is
        // ingested. Submitted directly, each model names its batch's version cut and the batch after next waits until that
        // version is published, so its models' held-out capture is measured against it; flattened layers take no cuts, and
        // the queue's batches are its own, so those wait for the capture only.
        bool overlap = queue is null && (await session.Fleet.GetDescriptionAsync().ConfigureAwait(false)).Modes.All(m => m != SketchMode.Flattened);
        Task CaptureVersionsAsync(int cut, CancellationToken ct) => FleetVersions.CaptureNowAsync(session.Client, connection.FleetId, cut, ct);
        Func<CancellationToken, Task>? publish = overlap ? ct => FleetVersions.PublishCapturedAsync(session.Client, connection.FleetId, ct) : null;

        var ingest = options.VersionEvery > 0
            ? await IngestConsole.IngestAsync(ingestor, models, context.Console, cancellationToken, options.VersionEvery, CaptureVersionsAsync, overlap, publish).ConfigureAwait(false)
            : await IngestConsole.IngestAsync(ingestor, models, context.Console, cancellationToken).ConfigureAwait(false);

        // The last versions: the pending ones finish, and a version of any models after the last full batch.
        await ComputeVersionsAsync(cancellationToken).ConfigureAwait(false);

        var description = await session.Fleet.GetDescriptionAsync().ConfigureAwait(false);
        using var truth = PlantedTruth.TryOpen(fleetFolder);
        var layers = await LayerReportCollector.CollectAsync(session, description, truth, LoraRanks(models)).ConfigureAwait(false);

        var files = WriteOutputs(output, layers);
        context.Console.Write(LayerTableRenderer.Build(layers.Select(l => l.Report)));
        context.Console.MarkupLineInterpolated(
            $"the last versions of {layers.Count} layers took {lastVersions.TotalSeconds:F2} s after the last model; total {stopwatch.Elapsed.TotalSeconds:F1} s");
        context.Console.MarkupLineInterpolated($"wrote {files.Bases.Count} bases to {Path.Combine(output, BasesFolder)}, {files.Csv} and {files.Png}");
        return new RunResult(fleetFolder, ingest, scanned.Skipped, layers, files);
    }

    /// <summary>Writes the bases, the CSV and the plot for <paramref name="layers"/> under <paramref name="output"/>.</summary>
    public static RunOutputFiles WriteOutputs(string output, IReadOnlyList<LayerSnapshot> layers)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentNullException.ThrowIfNull(layers);
        var basesFolder = Path.Combine(output, BasesFolder);
        Directory.CreateDirectory(basesFolder);
        var bases = new List<string>(layers.Count);
        foreach (var layer in layers)
        {
            var path = Path.Combine(basesFolder, BasisFileWriter.FileName(layer.Report.Layer, layer.Report.Mode));
            BasisFileWriter.Write(path, layer.Basis, independentRows: layer.Report.Diagnostics?.Rows is { } rows && rows != layer.Basis.Info.RowCount ? rows : null);
            bases.Add(path);
        }

        var reports = layers.Select(l => l.Report).ToArray();
        var csv = Path.Combine(output, ConvergenceCsv);
        ConvergenceCsvWriter.Write(csv, reports);
        var png = Path.Combine(output, ConvergencePng);
        ConvergencePlotWriter.WritePng(png, reports);
        return new RunOutputFiles(bases, csv, png);
    }

    /// <summary>Layer id → LoRA rank of the first model when it is an adapter (for the null's independent rows); null otherwise.</summary>
    private static Dictionary<string, int>? LoraRanks(IReadOnlyList<ModelSource> models)
    {
        try
        {
            using var reader = ModelReader.Open(models[0].Location);
            return reader.Kind == ModelKind.LoraAdapter ? reader.Layers.ToDictionary(l => l.LayerId, l => l.Rank, StringComparer.Ordinal) : null;
        }
        catch (Exception e) when (e is ModelFormatException or IOException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// Refuses a fixed <c>--k</c> above the dimension of a layer in the run's mode (rows: its input features; columns:
    /// its output features) before anything is generated or ingested: no version of such a layer could be computed.
    /// </summary>
    private static void ThrowIfRankAboveDimension(RunOptions options, (int OutFeatures, int InFeatures)[] shapes)
    {
        var mode = UwsKeys.ParseMode(options.Mode);
        if (options.K is not { } k || mode == SketchMode.Flattened || shapes.Length == 0)
        {
            return;
        }

        var dimensions = shapes.Select(s => new Grains.Interfaces.LayerShape(s.OutFeatures, s.InFeatures).DimensionFor(mode)).ToArray();
        if (dimensions.Count(d => d < k) is var below and > 0)
        {
            throw new UsageException(
                $"--k {k} is above the dimension of {below} layer(s) in {options.Mode} mode (the smallest is {dimensions.Min()}, a layer's " +
                $"{(mode == SketchMode.Rows ? "input" : "output")} features); use --k {dimensions.Min()} or less, or let --tau choose k");
        }
    }

    /// <summary>The layer shapes the run will ingest: the preset's, or those of the given fleet's first model.</summary>
    private static (int OutFeatures, int InFeatures)[] LayerShapes(RunOptions options, IReadOnlyList<ModelSource>? given)
    {
        if (given is null)
        {
            return [.. FleetPresets.Create(options.Preset, 1, options.LayersToGenerate).Layers.Select(l => (l.OutFeatures, l.InFeatures))];
        }

        try
        {
            using var reader = ModelReader.Open(given[0].Location);
            return [.. reader.Layers.Select(l => (l.OutFeatures, l.InFeatures))];
        }
        catch (ModelFormatException)
        {
            return [];   // a bad first model is rejected by the cluster with its reason, like any other
        }
    }

    private static async Task<string> GenerateFleetAsync(RunOptions options, string output, CliContext context, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(output, GeneratedFleetFolder);
        ClearPreviousFleet(folder);
        var generate = new FleetGenerateOptions
        {
            Output = folder,
            Preset = options.Preset,
            Models = options.Models,
            Layers = options.LayersToGenerate,
            Noise = options.Noise,
            Seed = options.Seed,
        };
        var spec = FleetGeneration.CreateSpec(new FleetGenerateOptionsValidator().ValidateOrThrow(generate));
        await FleetGeneration.GenerateAsync(spec, generate.Output, context.Console, cancellationToken).ConfigureAwait(false);
        return generate.Output;
    }

    /// <summary>
    /// Removes a fleet an earlier run generated into <paramref name="folder"/> (recognised by its
    /// <c>fleet.json</c>), so a smaller fleet does not inherit the earlier one's extra models. Refuses to touch a
    /// non-empty folder that is not a generated fleet.
    /// </summary>
    private static void ClearPreviousFleet(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        if (File.Exists(Path.Combine(folder, "fleet.json")))
        {
            Directory.Delete(folder, recursive: true);
        }
        else if (Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new UsageException($"--out: '{folder}' exists and is not a generated fleet; choose another --out or pass the fleet with --fleet");
        }
    }

    private static async Task ConfigureFleetAsync(IFleetGrain fleet, RunOptions options)
    {
        var defaults = await fleet.GetDescriptionAsync().ConfigureAwait(false);
        var policy = defaults.Basis with
        {
            Rank = options.K ?? 0,
            EnergyThreshold = options.Tau,
            MaxRank = Math.Max(options.MaxK, options.K ?? 0),
            EveryModels = 0, // this job computes the versions at T = N, 2N, … itself
            Interval = TimeSpan.Zero,
        };
        try
        {
            await fleet.ConfigureAsync(new FleetConfiguration(
                Modes: [UwsKeys.ParseMode(options.Mode)],
                Centered: options.Centred,
                Basis: policy)).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            // A running cluster's fleet that already holds models under other settings (another run's, or `uws ingest`'s defaults).
            throw new UsageException($"{ex.Message} `uws run` sets its fleet's mode, centring and basis policy: run with that fleet's settings, give another --fleet-id, or add models to it with `uws ingest`");
        }
    }
}
