using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansUws.Coordinator.Http;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// The queue worker of a long-running process (<c>uws serve --redis</c>): drains a fleet's stream as soon as something
/// was enqueued to it here, and every <see cref="RescanInterval"/> drains every fleet whose stream exists in Redis (entries
/// another process enqueued, or a dead worker left unacknowledged). Draining is <see cref="RedisIngestionQueue.DrainAsync"/>:
/// at most <see cref="ModelIngestor.DefaultParallelism"/> models in flight, acknowledged once durable. An uploaded model
/// that the registry rejected has its files removed from the <paramref name="uploads"/> store, as a direct upload does.
/// </summary>
public sealed partial class IngestionQueueWorker(
    IngestionQueues queues, IClusterClient client, ILogger<IngestionQueueWorker> logger, ModelUploadStore? uploads = null) : BackgroundService
{
    /// <summary>How often every stored stream is drained even when nothing was enqueued here.</summary>
    public static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var fleets = new HashSet<string>(StringComparer.Ordinal);
        var nextRescan = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (DateTime.UtcNow >= nextRescan)
                {
                    fleets.UnionWith(await queues.StoredFleetsAsync().ConfigureAwait(false));
                    nextRescan = DateTime.UtcNow + RescanInterval;
                }

                while (queues.Enqueued.TryRead(out var fleet))
                {
                    fleets.Add(fleet);
                }

                foreach (var fleet in fleets)
                {
                    var queue = await queues.QueueAsync(fleet, stoppingToken).ConfigureAwait(false);
                    var registry = client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet));
                    var summary = await queue.DrainAsync(registry, ModelIngestor.DefaultParallelism, cancellationToken: stoppingToken).ConfigureAwait(false);
                    if (summary.Submitted > 0)
                    {
                        LogDrained(logger, fleet, summary.Submitted, summary.Absorbed, summary.Rejected.Count);
                        await RemoveRejectedUploadsAsync(fleet, registry, summary).ConfigureAwait(false);
                    }
                }

                fleets.Clear();
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                wait.CancelAfter(RescanInterval);
                try
                {
                    await queues.Enqueued.WaitToReadAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // time to rescan
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Redis or the cluster failed beyond the queue's own retries: what was not acknowledged stays pending.
                LogFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Removes the files of every model of <paramref name="summary"/> that was newly rejected and whose recorded location is
    /// an upload (never a registered path, and never the files of a model the registry already knew).
    /// </summary>
    private async Task RemoveRejectedUploadsAsync(string fleet, IFleetGrain registry, IngestSummary summary)
    {
        if (uploads is null)
        {
            return;
        }

        foreach (var result in summary.Rejected.Where(r => r.Status == ModelStatus.Rejected && !r.AlreadyKnown))
        {
            if (await registry.GetModelAsync(result.ModelId).ConfigureAwait(false) is { Status: ModelStatus.Rejected } record && uploads.Holds(record.Location))
            {
                uploads.Delete(fleet, result.ModelId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion queue of fleet {Fleet}: {Submitted} models submitted, {Absorbed} absorbed, {NotAbsorbed} not absorbed")]
    private static partial void LogDrained(ILogger logger, string fleet, int submitted, int absorbed, int notAbsorbed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion queue worker: {Reason}; retrying")]
    private static partial void LogFailed(ILogger logger, string reason);
}
