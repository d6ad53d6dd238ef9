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
    /// model of a batch was answered (e.g. the capture of a basis version at T = N, 2N, …), in batch order, then
    /// <paramref name="publish"/> when given; returns the combined summary. With <paramref name="overlap"/> (direct
    /// submissions only), each model is submitted for its batch's version cut, one of the cuts the registry reserves for
    /// this call (<see cref="IFleetGrain.ReserveCutsAsync"/>), and the callback is given that cut; a batch starts once the
    /// callback of the batch before it has returned, so a capture meets no model of the next cut and the slices never keep
    /// a cut's state apart from the next cut's models, and <paramref name="publish"/> runs while the next batch is
    /// ingested: a batch waits only for the publication of the batch two before it. Otherwise (or through the queue) each
    /// batch waits for the previous one, its callback (given cut 0: its models were submitted for none) and publication.
    /// </summary>
    public async Task<IngestSummary> IngestInBatchesAsync(
        IReadOnlyList<ModelSource> models,
        int batchSize,
        Func<int, CancellationToken, Task> afterBatch,
        IProgress<SubmitResult>? progress = null,
        bool overlap = false,
        Func<CancellationToken, Task>? publish = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(afterBatch);
        if (overlap && queue is null)
        {
            return await IngestWithVersionCutsAsync(models, batchSize, afterBatch, publish, progress, cancellationToken).ConfigureAwait(false);
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
            if (publish is not null)
            {
                await publish(cancellationToken).ConfigureAwait(false);
            }
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
    /// Batches whose versions are solved and published while the next batch is ingested: model i is submitted for the
    /// reserved cut first + i / <paramref name="batchSize"/>; a batch's callback (its capture) starts when its last model is
    /// answered, and the next batch's first submission waits for it, which also keeps the captures in cut order (waiting
    /// costs little: the capture takes each slice's state without solving it, and a model in flight keeps every sketch
    /// worker busy with its layers until then; overlapping the cuts instead made each slice keep the cut's rows apart from
    /// the next cut's models until the version was solved, and shrink into a buffer of its own meanwhile). Publications run
    /// in batch order, and a model of batch b waits for batch b − 2's, so that its held-out capture is measured against a
    /// version.
    /// </summary>
    private async Task<IngestSummary> IngestWithVersionCutsAsync(
        IReadOnlyList<ModelSource> models, int batchSize, Func<int, CancellationToken, Task> capture, Func<CancellationToken, Task>? publish,
        IProgress<SubmitResult>? progress, CancellationToken cancellationToken)
    {
        int batches = (models.Count + batchSize - 1) / batchSize;
        if (batches == 0)
        {
            return new IngestSummary(0, 0, 0, [], TimeSpan.Zero);
        }

        int first = await ClusterRetry.CallAsync(() => fleet.ReserveCutsAsync(batches), cancellationToken).ConfigureAwait(false);
        var unanswered = Enumerable.Range(0, batches).Select(b => Math.Min(batchSize, models.Count - (b * batchSize))).ToArray();
        var captured = Signals(batches);
        var published = Signals(batches);
        var tally = new Tally(progress);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, models.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                int batch = i / batchSize;
                if (batch >= 1)
                {
                    await captured[batch - 1].Task.WaitAsync(ct).ConfigureAwait(false);
                }

                if (batch >= 2)
                {
                    await published[batch - 2].Task.WaitAsync(ct).ConfigureAwait(false);
                }

                var model = models[i];
                var reference = new ModelReference(model.ModelId, model.Location);
                tally.Add(await ClusterRetry.SubmitAsync(fleet, reference, ct, cut: first + batch).ConfigureAwait(false));
                if (Interlocked.Decrement(ref unanswered[batch]) == 0)
                {
                    _ = EndBatchAsync(batch);
                }
            }).ConfigureAwait(false);
        await Task.WhenAll(captured.Concat(published).Select(s => s.Task)).ConfigureAwait(false);
        return tally.Summary(models.Count);

        async Task EndBatchAsync(int batch)
        {
            try
            {
                await capture(first + batch, cancellationToken).ConfigureAwait(false);
                captured[batch].SetResult();
                if (batch > 0)
                {
                    await published[batch - 1].Task.ConfigureAwait(false);
                }

                if (publish is not null)
                {
                    await publish(cancellationToken).ConfigureAwait(false);
                }

                published[batch].SetResult();
            }
            catch (Exception ex)
            {
                captured[batch].TrySetException(ex);
                published[batch].TrySetException(ex);
            }
        }

        static TaskCompletionSource[] Signals(int count) =>
            Enumerable.Range(0, count).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
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
