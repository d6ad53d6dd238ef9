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
    /// Submits the models in batches of <paramref name="batchSize"/> and calls <paramref name="afterBatch"/> once every
    /// model of a batch was answered (e.g. a basis version at T = N, 2N, …), in batch order; returns the combined summary.
    /// With <paramref name="overlap"/> (direct submissions only), each model is submitted for its batch's version cut,
    /// one of the cuts the registry reserves for this call (<see cref="IFleetGrain.ReserveCutsAsync"/>), the callback is
    /// given that cut, and the next batch's submissions go on while it runs; a batch's first submission waits only for
    /// the callback of the batch two before it. Otherwise (or through the queue) each batch waits for the previous one
    /// and its callback, which is given cut 0 (its models were submitted for none, and nothing later was submitted yet).
    /// </summary>
    public async Task<IngestSummary> IngestInBatchesAsync(
        IReadOnlyList<ModelSource> models,
        int batchSize,
        Func<int, CancellationToken, Task> afterBatch,
        IProgress<SubmitResult>? progress = null,
        bool overlap = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(afterBatch);
        if (overlap && queue is null)
        {
            return await IngestOverlappingAsync(models, batchSize, afterBatch, progress, cancellationToken).ConfigureAwait(false);
        }

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
            await afterBatch(0, cancellationToken).ConfigureAwait(false);
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

        var tally = new Tally(progress);
        await Parallel.ForEachAsync(
            models,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (model, _) => tally.Add(await ClusterRetry.SubmitAsync(fleet, new ModelReference(model.ModelId, model.Location), cancellationToken).ConfigureAwait(false)))
            .ConfigureAwait(false);
        return tally.Summary(models.Count);
    }

    /// <summary>
    /// Batches whose submissions overlap: model i is submitted for the reserved cut first + i / <paramref name="batchSize"/>, a batch's
    /// callback starts when its last model is answered and the previous batch's callback has returned (a later batch may
    /// finish first), and a model of batch b first waits for batch b − 2's callback (the slices keep one cut's state
    /// apart from the next cut's models, not two).
    /// </summary>
    private async Task<IngestSummary> IngestOverlappingAsync(
        IReadOnlyList<ModelSource> models, int batchSize, Func<int, CancellationToken, Task> afterBatch, IProgress<SubmitResult>? progress,
        CancellationToken cancellationToken)
    {
        int batches = (models.Count + batchSize - 1) / batchSize;
        if (batches == 0)
        {
            return new IngestSummary(0, 0, 0, [], TimeSpan.Zero);
        }

        int first = await ClusterRetry.CallAsync(() => fleet.ReserveCutsAsync(batches), cancellationToken).ConfigureAwait(false);
        var unanswered = Enumerable.Range(0, batches).Select(b => Math.Min(batchSize, models.Count - (b * batchSize))).ToArray();
        var callbacks = Enumerable.Range(0, batches).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var tally = new Tally(progress);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, models.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                int batch = i / batchSize;
                if (batch >= 2)
                {
                    await callbacks[batch - 2].Task.WaitAsync(ct).ConfigureAwait(false);
                }

                var model = models[i];
                var reference = new ModelReference(model.ModelId, model.Location);
                tally.Add(await ClusterRetry.SubmitAsync(fleet, reference, ct, cut: first + batch).ConfigureAwait(false));
                if (Interlocked.Decrement(ref unanswered[batch]) == 0)
                {
                    _ = CallBackAsync(batch);
                }
            }).ConfigureAwait(false);
        await Task.WhenAll(callbacks.Select(c => c.Task)).ConfigureAwait(false);
        return tally.Summary(models.Count);

        async Task CallBackAsync(int batch)
        {
            try
            {
                if (batch > 0)
                {
                    await callbacks[batch - 1].Task.ConfigureAwait(false);
                }

                await afterBatch(first + batch, cancellationToken).ConfigureAwait(false);
                callbacks[batch].SetResult();
            }
            catch (Exception ex)
            {
                callbacks[batch].SetException(ex);
            }
        }
    }

    /// <summary>The outcomes of one pass, counted as they arrive from concurrent submissions.</summary>
    private sealed class Tally(IProgress<SubmitResult>? progress)
    {
        private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
        private readonly ConcurrentQueue<SubmitResult> _rejected = new();
        private int _absorbed;
        private int _known;

        public void Add(SubmitResult result)
        {
            if (result is { AlreadyKnown: true, Status: ModelStatus.Absorbed or ModelStatus.Queued })
            {
                Interlocked.Increment(ref _known);
            }
            else if (result.Status == ModelStatus.Absorbed)
            {
                Interlocked.Increment(ref _absorbed);
            }
            else
            {
                _rejected.Enqueue(result);
            }

            progress?.Report(result);
        }

        public IngestSummary Summary(int submitted) =>
            new(submitted, _absorbed, _known, _rejected.OrderBy(r => r.ModelId, StringComparer.Ordinal).ToArray(), _stopwatch.Elapsed);
    }
}
