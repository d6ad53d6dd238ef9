using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;

namespace OrleansUws.Coordinator.Output;

/// <summary>Runs an ingestion pass behind a progress bar, then prints each rejection with its reason and one summary line.</summary>
public static class IngestConsole
{
    /// <summary>Prints every skipped path with why (nothing when none was skipped).</summary>
    public static void ReportSkipped(IReadOnlyList<SkippedPath> skipped, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(skipped);
        ArgumentNullException.ThrowIfNull(console);
        foreach (var path in skipped)
        {
            console.MarkupLineInterpolated($"[yellow]skipped[/] {path.Path}: {path.Reason}");
        }
    }

    /// <summary>
    /// Ingests <paramref name="models"/> with <paramref name="ingestor"/>, reporting on <paramref name="console"/>;
    /// with <paramref name="afterBatch"/>, in batches of <paramref name="batchSize"/> with that callback and
    /// <paramref name="publish"/> after each (publishing while the next batch is ingested when <paramref name="overlap"/>:
    /// <see cref="ModelIngestor.IngestInBatchesAsync"/>).
    /// </summary>
    public static async Task<IngestSummary> IngestAsync(
        ModelIngestor ingestor,
        IReadOnlyList<ModelSource> models,
        IAnsiConsole console,
        CancellationToken cancellationToken,
        int batchSize = int.MaxValue,
        Func<int, CancellationToken, Task>? afterBatch = null,
        bool overlap = false,
        Func<CancellationToken, Task>? publish = null)
    {
        ArgumentNullException.ThrowIfNull(ingestor);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(console);
        return await RunAsync(
            models.Count,
            progress => afterBatch is null
                ? ingestor.IngestAsync(models, progress, cancellationToken)
                : ingestor.IngestInBatchesAsync(models, batchSize, afterBatch, progress, overlap, publish, cancellationToken),
            console).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="ingest"/> (any source of submissions, e.g. a queue worker) behind a progress bar sized for
    /// <paramref name="count"/> models, then prints each model not absorbed with its reason and one summary line.
    /// </summary>
    public static async Task<IngestSummary> RunAsync(int count, Func<IProgress<SubmitResult>, Task<IngestSummary>> ingest, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(ingest);
        ArgumentNullException.ThrowIfNull(console);
        var summary = await ProgressDisplay.Create(console).StartAsync(context =>
        {
            var task = context.AddTask($"ingesting {count} models", maxValue: Math.Max(1, count));
            return ingest(new SubmitProgress(task));
        }).ConfigureAwait(false);
        foreach (var rejected in summary.Rejected)
        {
            var verb = rejected.Status switch
            {
                ModelStatus.Quarantined => "quarantined",
                ModelStatus.Queued => "not absorbed",
                _ => "rejected",
            };
            console.MarkupLineInterpolated($"[yellow]{verb}[/] {rejected.ModelId}: {rejected.Reason}");
        }

        console.MarkupLineInterpolated(
            $"{summary.Absorbed} absorbed, {summary.Rejected.Count} not absorbed, {summary.AlreadyKnown} already known in {summary.Elapsed.TotalSeconds:F1} s ({summary.ModelsPerSecond:F1} models/s)");
        return summary;
    }
}
