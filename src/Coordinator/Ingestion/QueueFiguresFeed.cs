using OrleansUws.Grains.Telemetry;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// Feeds the <c>uws.queue.length</c> and <c>uws.queue.pending</c> gauges from one Redis Stream: reads <c>XLEN</c> and
/// <c>XPENDING</c> every <see cref="Interval"/> in the background and hands the latest figures to the metrics collection
/// (which must not block on I/O). A failed read keeps the previous figures (Redis restarting); the queue's own retries
/// are counted by <c>uws.queue.retries</c>.
/// </summary>
public sealed class QueueFiguresFeed : IIngestionQueueStats, IAsyncDisposable
{
    /// <summary>How often the figures are read.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly RedisIngestionQueue _queue;
    private readonly IDisposable _registration;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private IngestionQueueFigures _figures;

    /// <summary>Starts reading <paramref name="queue"/>'s figures and registers them with <paramref name="registry"/>.</summary>
    public QueueFiguresFeed(RedisIngestionQueue queue, IngestionQueueStatsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(registry);
        _queue = queue;
        QueueName = queue.Key.ToString();
        _registration = registry.Register(this);
        _loop = RunAsync(_stop.Token);
    }

    /// <inheritdoc />
    public string QueueName { get; }

    /// <inheritdoc />
    public IngestionQueueFigures GetFigures() => _figures;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _registration.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                _figures = await _queue.ReadFiguresAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                // Keep the last figures until Redis answers again.
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }
}
