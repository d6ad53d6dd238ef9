using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// Submits models to a fleet registry grain, several at a time (the registry is reentrant and absorbs the
/// layers of different models in parallel), retrying calls the cluster failed (<see cref="ClusterRetry"/>), and reports
/// each outcome as it arrives. With a cluster's durable queue every model goes through it: recorded queued and appended,
/// then the queue is drained (<see cref="RedisIngestionQueue"/>), so nothing submitted is lost with this process.
/// </summary>
/// <param name="fleet">The fleet registry grain.</param>
/// <param name="parallelism">Submissions in flight at once (≥ 1).</param>
/// <param name="queue">The fleet's durable queue when a cluster with Redis is configured; null submits directly (embedded).</param>
public sealed class ModelIngestor(IFleetGrain fleet, int parallelism, RedisIngestionQueue? queue = null)
{
    /// <summary>Default number of submissions in flight: enough to keep every core of a small cluster busy.</summary>
    public static int DefaultParallelism => Math.Max(2, Environment.ProcessorCount * 2);

    /// <summary>
    /// Submits the models in batches of <paramref name="batchSize"/> and awaits <paramref name="afterBatch"/>
    /// after each batch (e.g. a basis version at T = N, 2N, …); returns the combined summary.
    /// </summary>
    public async Task<IngestSummary> IngestInBatchesAsync(
        IReadOnlyList<ModelSource> models,
        int batchSize,
        Func<CancellationToken, Task> afterBatch,
        IProgress<SubmitResult>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(afterBatch);
        var stopwatch = Stopwatch.StartNew();
        var absorbed = 0;
        var known = 0;
        var rejected = new List<SubmitResult>();
        foreach (var batch in models.Chunk(batchSize))
        {
            var summary = await IngestAsync(batch, progress, cancellationToken).ConfigureAwait(false);
            absorbed += summary.Absorbed;
            known += summary.AlreadyKnown;
            rejected.AddRange(summary.Rejected);
            await afterBatch(cancellationToken).ConfigureAwait(false);
        }

        return new IngestSummary(models.Count, absorbed, known, rejected, stopwatch.Elapsed);
    }

    /// <summary>
    /// Submits every model of <paramref name="models"/>; returns when all are absorbed or rejected (through the queue: when
    /// the queue holds no unacknowledged entry, these models' or any other source's).
    /// </summary>
    public async Task<IngestSummary> IngestAsync(
        IReadOnlyList<ModelSource> models,
        IProgress<SubmitResult>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        if (queue is not null)
        {
            await queue.EnqueueAsync(fleet, models, cancellationToken).ConfigureAwait(false);
            return await queue.DrainAsync(fleet, parallelism, progress, cancellationToken).ConfigureAwait(false);
        }

        var stopwatch = Stopwatch.StartNew();
        var rejected = new ConcurrentQueue<SubmitResult>();
        var absorbed = 0;
        var known = 0;
        await Parallel.ForEachAsync(
            models,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (model, _) =>
            {
                var result = await ClusterRetry.SubmitAsync(fleet, new ModelReference(model.ModelId, model.Location), cancellationToken).ConfigureAwait(false);
                if (result is { AlreadyKnown: true, Status: ModelStatus.Absorbed or ModelStatus.Queued })
                {
                    Interlocked.Increment(ref known);
                }
                else if (result.Status == ModelStatus.Absorbed)
                {
                    Interlocked.Increment(ref absorbed);
                }
                else
                {
                    rejected.Enqueue(result);
                }

                progress?.Report(result);
            }).ConfigureAwait(false);
        return new IngestSummary(models.Count, absorbed, known, rejected.OrderBy(r => r.ModelId, StringComparer.Ordinal).ToArray(), stopwatch.Elapsed);
    }
}
