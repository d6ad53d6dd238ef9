using System.Collections.Concurrent;
using System.Threading.Channels;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Telemetry;
using StackExchange.Redis;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// The durable ingestion queues of a process connected to a Redis-backed cluster (<c>uws serve --redis</c>): one
/// <see cref="RedisIngestionQueue"/> per fleet on one shared connection. Sources enqueue here; the process's
/// <see cref="IngestionQueueWorker"/> drains the fleets that were enqueued to (and any fleet's stream it finds in Redis).
/// </summary>
public sealed class IngestionQueues : IAsyncDisposable
{
    private readonly ClusterConnectionOptions _connection;
    private readonly string _consumer = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<string, Task<RedisIngestionQueue>> _queues = new(StringComparer.Ordinal);
    private readonly Channel<string> _enqueued = Channel.CreateUnbounded<string>();
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private readonly ConcurrentBag<QueueFiguresFeed> _feeds = [];
    private readonly IngestionQueueStatsRegistry? _stats;
    private readonly UwsMetrics? _metrics;
    private IConnectionMultiplexer? _redis;

    /// <summary>
    /// Creates the queues of the cluster <paramref name="connection"/> names (it must name a Redis); each queue's length and
    /// pending entries are registered with <paramref name="stats"/>, its retries counted by <paramref name="metrics"/>.
    /// </summary>
    public IngestionQueues(ClusterConnectionOptions connection, IngestionQueueStatsRegistry? stats = null, UwsMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrEmpty(connection.Redis, "connection.Redis");
        _connection = connection;
        _stats = stats;
        _metrics = metrics;
    }

    /// <summary>Called with a message whenever a Redis call failed and is retried (for logs).</summary>
    public Action<string>? OnRetry { get; init; }

    /// <summary>The fleets enqueued to, in order, for the worker (a fleet may repeat).</summary>
    internal ChannelReader<string> Enqueued => _enqueued.Reader;

    /// <summary>
    /// Records <paramref name="model"/> queued in <paramref name="registry"/> and appends it to <paramref name="fleet"/>'s
    /// stream (durable once this returns; <see cref="RedisIngestionQueue.EnqueueAsync(IFleetGrain, IReadOnlyList{ModelSource}, CancellationToken)"/>),
    /// then wakes the worker.
    /// </summary>
    public async Task EnqueueAsync(string fleet, IFleetGrain registry, ModelSource model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var queue = await QueueAsync(fleet, cancellationToken).ConfigureAwait(false);
        await queue.EnqueueAsync(registry, [model], cancellationToken).ConfigureAwait(false);
        _enqueued.Writer.TryWrite(fleet);
    }

    /// <summary>The queue of <paramref name="fleet"/>, its consumer group created on first use.</summary>
    public Task<RedisIngestionQueue> QueueAsync(string fleet, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(fleet);
        return _queues.GetOrAdd(fleet, f => CreateAsync(f, cancellationToken));
    }

    /// <summary>The fleets whose streams exist in Redis for this service (entries left by another process, or before a restart).</summary>
    public async Task<IReadOnlyList<string>> StoredFleetsAsync()
    {
        var redis = await ConnectAsync().ConfigureAwait(false);
        var prefix = $"uws:{_connection.ServiceId}:";
        var fleets = new List<string>();
        foreach (var endpoint in redis.GetEndPoints())
        {
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: prefix + "*:ingest").ConfigureAwait(false))
            {
                var name = key.ToString();
                fleets.Add(name[prefix.Length..^":ingest".Length]);
            }
        }

        return fleets;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _enqueued.Writer.TryComplete();
        foreach (var feed in _feeds)
        {
            await feed.DisposeAsync().ConfigureAwait(false);
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }

        _connecting.Dispose();
    }

    private async Task<RedisIngestionQueue> CreateAsync(string fleet, CancellationToken cancellationToken)
    {
        try
        {
            var queue = new RedisIngestionQueue(await ConnectAsync().ConfigureAwait(false), _connection.ServiceId, fleet, _consumer) { OnRetry = OnRetry, Metrics = _metrics };
            await queue.EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
            if (_stats is not null)
            {
                _feeds.Add(new QueueFiguresFeed(queue, _stats));
            }

            return queue;
        }
        catch
        {
            _queues.TryRemove(fleet, out _); // let the next call try again
            throw;
        }
    }

    private async Task<IConnectionMultiplexer> ConnectAsync()
    {
        if (_redis is { } connected)
        {
            return connected;
        }

        await _connecting.WaitAsync().ConfigureAwait(false);
        try
        {
            return _redis ??= await RedisIngestionQueue.ConnectAsync(_connection.Redis!, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        finally
        {
            _connecting.Release();
        }
    }
}
