using System.Collections.Concurrent;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Telemetry;
using StackExchange.Redis;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// The durable ingestion queue of one fleet: a Redis Stream (key <c>uws:{serviceId}:{fleet}:ingest</c>) of model
/// references, consumed by the consumer group <see cref="GroupName"/>. Sources enqueue; workers read a bounded batch,
/// submit it to the registry and acknowledge each entry only once the registry answered for it for good: absorbed and
/// durable (every slice it belongs to has checkpointed it: slices checkpoint in batches, so the worker flushes them once
/// per batch through <see cref="IFleetGrain.FlushAsync"/>, then acknowledges the batch and deletes its entries in one step), or refused
/// for good (rejected or quarantined: a poison model is recorded with its reason and acknowledged once, never retried).
/// An entry whose model stays queued (the cluster failed part-way, or another call is still absorbing it), or whose
/// model a slice lost before checkpointing it, is not acknowledged; it is retried once idle for <see cref="ReclaimAfter"/>, by this worker or another, and so are the
/// entries of a worker that died (<c>XAUTOCLAIM</c>). Redis faults are retried with back-off.
/// </summary>
public sealed class RedisIngestionQueue
{
    /// <summary>The consumer group of the ingestion workers.</summary>
    public const string GroupName = "uws-ingest";

    /// <summary>
    /// Entries a worker reads, flushes and acknowledges together (at least its submissions in flight). A flush checkpoints
    /// every slice that holds one of the batch's models, each a whole sketch of megabytes, so batches of only the
    /// submissions in flight (4 on two cores) made checkpoints most of a silo's work; a larger batch leaves more entries
    /// to be submitted again (as already known) after a failure.
    /// </summary>
    public const int ReadBatch = 32;

    private const string IdField = "id";
    private const string LocationField = "location";
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>KEYS[1] the stream, ARGV[1] the group, ARGV[2..] the entries.</summary>
    private const string AcknowledgeAndDelete = """
        local entries = {}
        for i = 2, #ARGV do entries[#entries + 1] = ARGV[i] end
        redis.call('XACK', KEYS[1], ARGV[1], unpack(entries))
        return redis.call('XDEL', KEYS[1], unpack(entries))
        """;

    private readonly IDatabase _database;
    private readonly string _consumer;

    /// <summary>Creates the queue of <paramref name="fleet"/> on an open connection.</summary>
    /// <param name="redis">The connection.</param>
    /// <param name="serviceId">The cluster's service id (so services sharing a Redis keep separate queues).</param>
    /// <param name="fleet">The fleet.</param>
    /// <param name="consumer">This worker's name in the group (unique per process).</param>
    public RedisIngestionQueue(IConnectionMultiplexer redis, string serviceId, string fleet, string consumer)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _database = redis.GetDatabase();
        Key = $"uws:{serviceId}:{fleet}:ingest";
        _consumer = consumer;
    }

    /// <summary>The stream's key.</summary>
    public RedisKey Key { get; }

    /// <summary>Idle time after which an unacknowledged entry is taken over by any worker. Default 30 s.</summary>
    public TimeSpan ReclaimAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Called with a message whenever a Redis call failed and is retried (for logs).</summary>
    public Action<string>? OnRetry { get; init; }

    /// <summary>
    /// Where retries are counted: Redis calls and their back-off (<c>uws.queue.retries</c>, <c>uws.queue.retry.backoff</c>),
    /// entries left for a retry after a cluster fault (<c>uws.queue.deferred</c>); none when null.
    /// </summary>
    public UwsMetrics? Metrics { get; init; }

    /// <summary>
    /// The stream's length (<c>XLEN</c>: entries not yet done, since done ones are deleted) and the group's entries delivered
    /// but not acknowledged (<c>XPENDING</c>), read once
    /// (no retry: a failure throws).
    /// </summary>
    public async Task<IngestionQueueFigures> ReadFiguresAsync()
    {
        var length = await _database.StreamLengthAsync(Key).ConfigureAwait(false);
        var pending = await _database.StreamPendingAsync(Key, GroupName).ConfigureAwait(false);
        return new IngestionQueueFigures(length, pending.PendingMessageCount);
    }

    /// <summary>
    /// Opens a connection to <paramref name="endpoint"/>, failing fast with a message that names the endpoint when Redis
    /// is unreachable.
    /// </summary>
    /// <exception cref="InvalidOperationException">Redis is unreachable; the message names the endpoint.</exception>
    public static async Task<IConnectionMultiplexer> ConnectAsync(string endpoint, TimeSpan timeout)
    {
        var options = ConfigurationOptions.Parse(endpoint);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = (int)timeout.TotalMilliseconds;
        options.ConnectRetry = 1;
        try
        {
            var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            options.AbortOnConnectFail = false; // once connected, reconnect by itself after a Redis restart
            return connection;
        }
        catch (RedisConnectionException ex)
        {
            throw new InvalidOperationException($"Redis at {endpoint} is unreachable: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The queue of the fleet <paramref name="connection"/> names, as one CLI process works it: a consumer name unique to
    /// the process, the consumer group created; its retries counted by <paramref name="metrics"/> when given.
    /// </summary>
    public static async Task<RedisIngestionQueue> OpenAsync(
        IConnectionMultiplexer redis,
        ClusterConnectionOptions connection,
        TimeSpan reclaimAfter,
        Action<string>? onRetry,
        UwsMetrics? metrics = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var queue = new RedisIngestionQueue(redis, connection.ServiceId, connection.FleetId, $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}")
        {
            ReclaimAfter = reclaimAfter,
            OnRetry = onRetry,
            Metrics = metrics,
        };
        await queue.EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
        return queue;
    }

    /// <summary>Creates the consumer group (from the stream's start) unless it exists.</summary>
    public async Task EnsureGroupAsync(CancellationToken cancellationToken = default)
    {
        await RetryAsync(
            async () =>
            {
                try
                {
                    await _database.StreamCreateConsumerGroupAsync(Key, GroupName, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
                }
                catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
                {
                    // exists
                }

                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records every model queued in <paramref name="registry"/> (<see cref="IFleetGrain.RecordQueuedAsync"/>: its status
    /// answers "waiting in the ingestion queue" at once and a second upload of a queued id is refused), then appends them.
    /// Recorded first because a worker may take an entry as soon as it is appended; should the append fail, the records
    /// stay queued and a retry appends them again. Every source (CLI, HTTP API, folder watch) enqueues through here.
    /// </summary>
    public async Task EnqueueAsync(IFleetGrain registry, IReadOnlyList<ModelSource> models, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(models);
        foreach (var model in models)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await ClusterRetry.CallAsync(() => registry.RecordQueuedAsync(new ModelReference(model.ModelId, model.Location))).ConfigureAwait(false);
        }

        await EnqueueAsync(models, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends <paramref name="models"/> to the stream (durable once Redis answered), without recording them queued.</summary>
    public async Task EnqueueAsync(IEnumerable<ModelSource> models, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        foreach (var chunk in models.Chunk(256))
        {
            await RetryAsync(
                () => Task.WhenAll(chunk.Select(m => _database.StreamAddAsync(Key, [new(IdField, m.ModelId), new(LocationField, m.Location)]))),
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Works the queue until no entry is left unacknowledged (new, pending here or pending with another worker), reading
    /// <see cref="ReadBatch"/> entries (or <paramref name="inFlight"/> when more) at a time and submitting at most
    /// <paramref name="inFlight"/> models at once; returns what it did.
    /// </summary>
    public async Task<IngestSummary> DrainAsync(
        IFleetGrain fleet, int inFlight, IProgress<SubmitResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentOutOfRangeException.ThrowIfLessThan(inFlight, 1);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var results = new ConcurrentDictionary<string, SubmitResult>(StringComparer.Ordinal);
        var idle = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = await NextBatchAsync(Math.Max(inFlight, ReadBatch), cancellationToken).ConfigureAwait(false);
            if (batch.Length == 0)
            {
                var pending = await RetryAsync(() => _database.StreamPendingAsync(Key, GroupName), cancellationToken).ConfigureAwait(false);
                if (pending.PendingMessageCount == 0)
                {
                    break;
                }

                // Entries held by another worker (or retried here later): wait for them to be acknowledged or reclaimable.
                await Task.Delay(idle, cancellationToken).ConfigureAwait(false);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, MaxBackoff.Ticks));
                continue;
            }

            idle = TimeSpan.FromMilliseconds(100);
            var done = new ConcurrentBag<RedisValue>();
            var toFlush = new ConcurrentDictionary<string, RedisValue>(StringComparer.Ordinal);
            await Parallel.ForEachAsync(
                batch,
                new ParallelOptions { MaxDegreeOfParallelism = inFlight, CancellationToken = cancellationToken },
                async (entry, ct) =>
                {
                    var model = new ModelReference(entry[IdField].ToString(), entry[LocationField].ToString());
                    SubmitResult result;
                    try
                    {
                        result = await ClusterRetry.SubmitAsync(fleet, model, ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        // A defective model never throws (the registry rejects it), so this is the cluster or its storage
                        // (e.g. Redis restarting under the silos): not acknowledged, retried once idle.
                        Metrics?.QueueDeferred(Key.ToString(), "submit", 1);
                        OnRetry?.Invoke($"model {model.ModelId} not submitted ({ex.GetType().Name}: {ex.Message}); retried in {ReclaimAfter.TotalSeconds:G} s");
                        return;
                    }

                    // Queued in any form (cut off by a fault, or still being absorbed by a call that may yet fail) is
                    // not final: the entry stays pending and is submitted again once idle. An absorbed model is final
                    // once every slice checkpointed it; the batch's other absorbed models are flushed below.
                    switch (result)
                    {
                        case { Status: ModelStatus.Absorbed, Durable: false }:
                            toFlush[model.ModelId] = entry.Id;
                            break;
                        case { Status: not ModelStatus.Queued }:
                            done.Add(entry.Id);
                            break;
                    }

                    results[model.ModelId] = result;
                    progress?.Report(result);
                }).ConfigureAwait(false);
            foreach (var durable in await FlushAsync(fleet, toFlush.Keys.ToArray()).ConfigureAwait(false))
            {
                done.Add(toFlush[durable]);
            }

            if (!done.IsEmpty)
            {
                // One acknowledgement per batch, after the registry answered for every model in it and the slices
                // checkpointed the absorbed ones.
                await AcknowledgeAsync(done.ToArray(), cancellationToken).ConfigureAwait(false);
            }
        }

        var all = results.Values.ToArray();
        return new IngestSummary(
            all.Length,
            all.Count(r => r is { Status: ModelStatus.Absorbed, AlreadyKnown: false }),
            all.Count(r => r is { AlreadyKnown: true, Status: ModelStatus.Absorbed or ModelStatus.Queued }),
            all.Where(r => r.Status != ModelStatus.Absorbed && !(r.AlreadyKnown && r.Status == ModelStatus.Queued)).OrderBy(r => r.ModelId, StringComparer.Ordinal).ToArray(),
            stopwatch.Elapsed);
    }

    /// <summary>
    /// Checkpoints the slices of absorbed models in one fleet-level flush; returns the ids now durable. A failed flush
    /// (the cluster or its storage) makes none durable: their entries stay pending and are retried once idle.
    /// </summary>
    private async Task<IReadOnlyList<string>> FlushAsync(IFleetGrain fleet, IReadOnlyList<string> modelIds)
    {
        if (modelIds.Count == 0)
        {
            return [];
        }

        IReadOnlyList<string> durable;
        try
        {
            durable = await fleet.FlushAsync(modelIds).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Metrics?.QueueDeferred(Key.ToString(), "checkpoint", modelIds.Count);
            OnRetry?.Invoke($"{modelIds.Count} absorbed models not yet checkpointed ({ex.GetType().Name}: {ex.Message}); retried in {ReclaimAfter.TotalSeconds:G} s");
            return [];
        }

        if (durable.Count < modelIds.Count)
        {
            Metrics?.QueueDeferred(Key.ToString(), "not_durable", modelIds.Count - durable.Count);
            OnRetry?.Invoke($"{modelIds.Count - durable.Count} absorbed models are not in their slices' checkpoints (a silo failed); retried in {ReclaimAfter.TotalSeconds:G} s");
        }

        return durable;
    }

    /// <summary>
    /// Acknowledges <paramref name="entries"/> and removes them from the stream in one step (<c>XACK</c> then <c>XDEL</c> in
    /// a script), so the stream holds only the work not yet done and its length is the backlog: the registry keeps what
    /// happened to each model. Repeating it after a failure changes nothing more.
    /// </summary>
    private Task AcknowledgeAsync(RedisValue[] entries, CancellationToken cancellationToken) =>
        RetryAsync(() => _database.ScriptEvaluateAsync(AcknowledgeAndDelete, [Key], [GroupName, .. entries]), cancellationToken);

    /// <summary>Entries idle past <see cref="ReclaimAfter"/> (a dead worker's, or retries), else new ones.</summary>
    private async Task<StreamEntry[]> NextBatchAsync(int count, CancellationToken cancellationToken)
    {
        var claimed = await RetryAsync(
            () => _database.StreamAutoClaimAsync(Key, GroupName, _consumer, (long)ReclaimAfter.TotalMilliseconds, "0-0", count),
            cancellationToken).ConfigureAwait(false);
        var entries = claimed.ClaimedEntries.Where(e => !e.IsNull).ToArray();
        if (entries.Length > 0)
        {
            return entries;
        }

        return await RetryAsync(
            () => _database.StreamReadGroupAsync(Key, GroupName, _consumer, StreamPosition.NewMessages, count),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Calls Redis, retrying connection faults and timeouts with back-off (0.1 s doubling to 5 s), forever.</summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException
                || (ex is RedisServerException server && server.Message.StartsWith("LOADING", StringComparison.Ordinal)))
            {
                Metrics?.QueueRetried(Key.ToString(), delay);
                OnRetry?.Invoke($"Redis call on {Key} failed ({ex.GetType().Name}: {ex.Message}); retrying in {delay.TotalSeconds:F1} s");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }
}
