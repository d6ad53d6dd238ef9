using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// The basis stream. One grain observer (this object) is subscribed to every layer coordinator of each fleet that
/// a client has subscribed to since the process started (and stays subscribed, so that versions published while a
/// client is away are kept for it). Each new version passes the fleet's <see cref="PublicationGate"/> (τ), gets an
/// event id and enters the fleet's bounded replay log, then goes to every connected subscriber. A subscriber that
/// reconnects with the last id it received gets every later published version from the log, once and in order.
/// </summary>
public sealed partial class BasisEventHub : IBasisObserver
{
    /// <summary>Versions buffered per connected subscriber; one that falls this far behind is disconnected (it resumes from the log on reconnect).</summary>
    public const int SubscriberBuffer = 256;

    private readonly IClusterClient _client;
    private readonly ILogger<BasisEventHub> _logger;
    private readonly double _threshold;
    private readonly int _replayEvents;
    private readonly ConcurrentDictionary<string, FleetLog> _fleets = new(StringComparer.Ordinal);
    private readonly Channel<BasisVersionInfo> _incoming = Channel.CreateUnbounded<BasisVersionInfo>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<IBasisObserver> _reference;
    private long _lastId;

    /// <summary>Creates the hub on <paramref name="client"/>, publishing by <paramref name="options"/>' threshold and replay size.</summary>
    public BasisEventHub(IClusterClient client, ServeOptions options, TimeProvider time, ILogger<BasisEventHub> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _client = client;
        _logger = logger;
        _threshold = options.PublishThreshold;
        _replayEvents = options.ReplayEvents;

        // Ids of this process start above any id an earlier process gave (1000 per millisecond of its life), so a client
        // that reconnects with an id from before a restart is recognised as older than the log.
        _lastId = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        _reference = new Lazy<IBasisObserver>(() => _client.CreateObjectReference<IBasisObserver>(this));
    }

    /// <summary>Fleets the hub follows.</summary>
    public IReadOnlyCollection<string> Fleets => _fleets.Keys.ToArray();

    /// <inheritdoc />
    public void OnBasisPublished(BasisVersionInfo version)
    {
        ArgumentNullException.ThrowIfNull(version);
        _incoming.Writer.TryWrite(version);
    }

    /// <summary>
    /// The published versions of <paramref name="fleet"/> for a subscriber: after <paramref name="lastEventId"/> when the
    /// log still holds every version since then, otherwise (or without an id) the latest published version of each layer;
    /// then each version published from now on, until <paramref name="cancellationToken"/> is cancelled or the
    /// subscriber falls <see cref="SubscriberBuffer"/> versions behind (the sequence ends; reconnecting resumes it).
    /// </summary>
    public async IAsyncEnumerable<PublishedVersion> SubscribeAsync(string fleet, long? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fleet);
        var log = await FollowAsync(fleet).ConfigureAwait(false);
        var channel = Channel.CreateBounded<PublishedVersion>(new BoundedChannelOptions(SubscriberBuffer) { SingleReader = true });
        var backlog = log.Attach(channel.Writer, lastEventId);
        try
        {
            var last = long.MinValue;
            foreach (var item in backlog)
            {
                last = item.Id;
                yield return item;
            }

            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item.Id > last)
                {
                    last = item.Id;
                    yield return item;
                }
            }
        }
        finally
        {
            log.Detach(channel.Writer);
        }
    }

    /// <summary>
    /// Publishes what the grains notified, one version at a time and in arrival order, until <paramref name="stoppingToken"/>
    /// is cancelled (run by <see cref="BasisStreamService"/>).
    /// </summary>
    public async Task PublishAsync(CancellationToken stoppingToken)
    {
        await foreach (var version in _incoming.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!_fleets.TryGetValue(version.Fleet, out var log) || log.Gate.LastVersion(version.Layer, version.Mode) >= version.Version)
            {
                continue;
            }

            try
            {
                LayerBasis? basis = null;
                var info = version;
                if (log.Gate.NeedsBasis)
                {
                    basis = await Layer(version.Fleet, version.Layer, version.Mode).GetBasisAsync().ConfigureAwait(false);
                    if (basis is null)
                    {
                        continue;
                    }

                    info = basis.Info; // the current version: newer than the notification when another one followed it
                }

                if (log.Gate.TryPublish(info, basis))
                {
                    log.Append(new PublishedVersion(Interlocked.Increment(ref _lastId), info), _replayEvents);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogPublishFailed(version.Fleet, version.Layer, version.Version, e);
            }
        }
    }

    /// <summary>Renews the grain subscriptions of every followed fleet, picks up layers that appeared, and queues each layer's current version (versions already published are skipped).</summary>
    public async Task RenewAsync()
    {
        foreach (var fleet in Fleets)
        {
            try
            {
                await SubscribeLayersAsync(fleet).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogRenewFailed(fleet, e);
            }
        }
    }

    private async Task<FleetLog> FollowAsync(string fleet)
    {
        if (_fleets.TryGetValue(fleet, out var log))
        {
            return log;
        }

        log = _fleets.GetOrAdd(fleet, _ => new FleetLog(new PublicationGate(_threshold)));
        await SubscribeLayersAsync(fleet).ConfigureAwait(false);
        return log;
    }

    private async Task SubscribeLayersAsync(string fleet)
    {
        var description = await _client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet)).GetDescriptionAsync().ConfigureAwait(false);
        var layers = description.Layers.SelectMany(layer => description.Modes.Select(mode => Layer(fleet, layer.Layer, mode))).ToArray();
        await Task.WhenAll(layers.Select(layer => layer.SubscribeAsync(_reference.Value))).ConfigureAwait(false);
        foreach (var layer in layers)
        {
            if ((await layer.GetStatusAsync().ConfigureAwait(false)).Current is { } current)
            {
                _incoming.Writer.TryWrite(current);
            }
        }
    }

    private ILayerCoordinatorGrain Layer(string fleet, string layer, SketchMode mode) =>
        _client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer, mode));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the basis subscriptions of fleet {Fleet} failed")]
    private partial void LogRenewFailed(string fleet, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing version {Version} of layer {Layer} of fleet {Fleet} failed")]
    private partial void LogPublishFailed(string fleet, string layer, int version, Exception exception);

    /// <summary>One fleet's gate, replay log, latest published version per layer, and connected subscribers.</summary>
    private sealed class FleetLog(PublicationGate gate)
    {
        private readonly Lock _lock = new();
        private readonly Queue<PublishedVersion> _log = new();
        private readonly Dictionary<(string, SketchMode), PublishedVersion> _latest = new();
        private readonly List<ChannelWriter<PublishedVersion>> _subscribers = [];

        public PublicationGate Gate { get; } = gate;

        public void Append(PublishedVersion item, int capacity)
        {
            lock (_lock)
            {
                _log.Enqueue(item);
                while (_log.Count > capacity)
                {
                    _log.Dequeue();
                }

                _latest[(item.Version.Layer, item.Version.Mode)] = item;
                foreach (var subscriber in _subscribers)
                {
                    if (!subscriber.TryWrite(item))
                    {
                        subscriber.TryComplete(); // too far behind: end its stream; it resumes from the log
                    }
                }
            }
        }

        /// <summary>Registers <paramref name="subscriber"/> and returns what it gets first, atomically with respect to <see cref="Append"/>.</summary>
        public IReadOnlyList<PublishedVersion> Attach(ChannelWriter<PublishedVersion> subscriber, long? lastEventId)
        {
            lock (_lock)
            {
                _subscribers.Add(subscriber);
                var resumable = lastEventId is { } last && _log.Count > 0 && last >= _log.Peek().Id - 1 && last <= _log.Last().Id;
                return resumable
                    ? _log.Where(item => item.Id > lastEventId).ToArray()
                    : _latest.Values.OrderBy(item => item.Id).ToArray();
            }
        }

        public void Detach(ChannelWriter<PublishedVersion> subscriber)
        {
            lock (_lock)
            {
                _subscribers.Remove(subscriber);
            }
        }
    }
}
