using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// The queue worker of a long-running process (<c>uws serve --redis</c>): drains a fleet's stream as soon as something
/// was enqueued to it here, and every <see cref="RescanInterval"/> drains every fleet whose stream exists in Redis (entries
/// another process enqueued, or a dead worker left unacknowledged). Draining is <see cref="RedisIngestionQueue.DrainAsync"/>:
/// at most <see cref="ModelIngestor.DefaultParallelism"/> models in flight, acknowledged once durable.
/// </summary>
public sealed partial class IngestionQueueWorker(IngestionQueues queues, IClusterClient client, ILogger<IngestionQueueWorker> logger) : BackgroundService
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
                    var summary = await queue.DrainAsync(client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet)), ModelIngestor.DefaultParallelism, cancellationToken: stoppingToken).ConfigureAwait(false);
                    if (summary.Submitted > 0)
                    {
                        LogDrained(logger, fleet, summary.Submitted, summary.Absorbed, summary.Rejected.Count);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion queue of fleet {Fleet}: {Submitted} models submitted, {Absorbed} absorbed, {NotAbsorbed} not absorbed")]
    private static partial void LogDrained(ILogger logger, string fleet, int submitted, int absorbed, int notAbsorbed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion queue worker: {Reason}; retrying")]
    private static partial void LogFailed(ILogger logger, string reason);
}
