namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// What an ingestion queue (the durable Redis-stream queue between the sources and the registry) reports to the
/// <c>uws.queue.length</c> and <c>uws.queue.pending</c> gauges. A queue registers itself with
/// <see cref="IngestionQueueStatsRegistry.Register"/> when it starts and disposes the registration when it stops; the
/// gauges read every registered queue at each collection (a scrape of <c>/metrics</c>, an OTLP export).
/// </summary>
public interface IIngestionQueueStats
{
    /// <summary>Name of the queue (the <c>uws.queue</c> tag; e.g. the stream key).</summary>
    string QueueName { get; }

    /// <summary>
    /// The latest known figures: entries in the queue, and entries delivered but not yet acknowledged. Called on the
    /// metrics collection thread: return cached values (refresh them in the background), never block on I/O.
    /// </summary>
    IngestionQueueFigures GetFigures();
}

/// <summary>An ingestion queue's figures at one instant.</summary>
/// <param name="Length">Entries in the queue not yet done (XLEN of the stream, whose done entries are deleted).</param>
/// <param name="Pending">Entries delivered to a consumer and not yet acknowledged (e.g. XPENDING's count).</param>
public readonly record struct IngestionQueueFigures(long Length, long Pending);
