using System.Collections.Concurrent;

namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// The process's ingestion queues, as the queue gauges see them (one singleton per host, registered with the
/// metrics). Thread-safe; a queue appears while its registration is alive.
/// </summary>
public sealed class IngestionQueueStatsRegistry
{
    private readonly ConcurrentDictionary<long, IIngestionQueueStats> _queues = new();
    private long _next;

    /// <summary>Adds <paramref name="queue"/> to the gauges until the returned registration is disposed.</summary>
    public IDisposable Register(IIngestionQueueStats queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var id = Interlocked.Increment(ref _next);
        _queues[id] = queue;
        return new Registration(this, id);
    }

    /// <summary>Every registered queue's name and figures now.</summary>
    public IEnumerable<(string Queue, IngestionQueueFigures Figures)> Read() =>
        _queues.Values.Select(q => (q.QueueName, q.GetFigures())).ToArray();

    private sealed class Registration(IngestionQueueStatsRegistry owner, long id) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner._queues.TryRemove(id, out _);
            }
        }
    }
}
