using OrleansUws.Coordinator.Ingestion;
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
    /// with <paramref name="afterBatch"/>, in batches of <paramref name="batchSize"/> with that callback after each.
    /// </summary>
    public static async Task<IngestSummary> IngestAsync(
        ModelIngestor ingestor,
        IReadOnlyList<ModelSource> models,
        IAnsiConsole console,
        CancellationToken cancellationToken,
        int batchSize = int.MaxValue,
        Func<CancellationToken, Task>? afterBatch = null)
    {
        ArgumentNullException.ThrowIfNull(ingestor);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(console);
        var summary = await ProgressDisplay.Create(console).StartAsync(context =>
        {
            var task = context.AddTask($"ingesting {models.Count} models", maxValue: Math.Max(1, models.Count));
            var progress = new SubmitProgress(task);
            return afterBatch is null
                ? ingestor.IngestAsync(models, progress, cancellationToken)
                : ingestor.IngestInBatchesAsync(models, batchSize, afterBatch, progress, cancellationToken);
        }).ConfigureAwait(false);
        foreach (var rejected in summary.Rejected)
        {
            var verb = rejected.Status switch
            {
                Grains.Interfaces.ModelStatus.Quarantined => "quarantined",
                Grains.Interfaces.ModelStatus.Queued => "not absorbed",
                _ => "rejected",
            };
            console.MarkupLineInterpolated($"[yellow]{verb}[/] {rejected.ModelId}: {rejected.Reason}");
        }

        console.MarkupLineInterpolated(
             $"{summary.Absorbed} absorbed, {summary.Rejected.Count} not absorbed, {summary.AlreadyKnown} already known in {summary.Elapsed.TotalSeconds:F1} s ({summary.ModelsPerSecond:F1} models/s)");
        return summary;
    }
}
