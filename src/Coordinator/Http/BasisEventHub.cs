using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Fans new basis versions out to server-sent-event subscribers. One grain observer (this object) is
/// subscribed to every layer coordinator of each fleet that has at least one subscriber; subscriptions are
/// renewed (and new layers picked up) by <see cref="RenewAsync"/>, which <see cref="BasisSubscriptionRenewer"/> calls periodically.
/// </summary>
public sealed partial class BasisEventHub : IBasisObserver
{
    /// <summary>Versions buffered per subscriber before the oldest are dropped (a slow client loses old versions, never blocks the cluster).</summary>
    public const int SubscriberBuffer = 256;

    private readonly IClusterClient _client;
    private readonly ILogger<BasisEventHub> _logger;
    private readonly ConcurrentDictionary<Guid, Subscriber> _subscribers = new();
    private readonly Lazy<IBasisObserver> _reference;

    /// <summary>Creates the hub on <paramref name="client"/>.</summary>
    public BasisEventHub(IClusterClient client, ILogger<BasisEventHub> logger)
    {
        _client = client;
        _logger = logger;
        _reference = new Lazy<IBasisObserver>(() => _client.CreateObjectReference<IBasisObserver>(this));
    }

    /// <summary>Fleets that currently have subscribers.</summary>
    public IReadOnlyCollection<string> Fleets => _subscribers.Values.Select(s => s.Fleet).Distinct(StringComparer.Ordinal).ToArray();

    /// <inheritdoc />
    public void OnBasisPublished(BasisVersionInfo version)
    {
        ArgumentNullException.ThrowIfNull(version);
        foreach (var subscriber in _subscribers.Values)
        {
            if (subscriber.Fleet == version.Fleet)
            {
                subscriber.Channel.Writer.TryWrite(version);
            }
        }
    }

    /// <summary>
    /// The current version of every layer of <paramref name="fleet"/> (a snapshot taken once the subscription is
    /// in place, so nothing published afterwards is missed), then each version published from now on, until
    /// <paramref name="cancellationToken"/> is cancelled (the client disconnects).
    /// </summary>
    public async IAsyncEnumerable<BasisVersionInfo> SubscribeAsync(string fleet, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fleet);
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<BasisVersionInfo>(new BoundedChannelOptions(SubscriberBuffer) { FullMode = BoundedChannelFullMode.DropOldest });
        _subscribers[id] = new Subscriber(fleet, channel);
        try
        {
            var layers = await SubscribeLayersAsync(fleet).ConfigureAwait(false);
            foreach (var layer in layers)
            {
                if ((await layer.GetStatusAsync().ConfigureAwait(false)).Current is { } current)
                {
                    yield return current;
                }
            }

            await foreach (var version in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return version;
            }
        }
        finally
        {
            _subscribers.TryRemove(id, out _);
        }
    }

    /// <summary>Renews the grain subscriptions of every fleet with subscribers (and subscribes layers that appeared since).</summary>
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

    private async Task<IReadOnlyList<ILayerCoordinatorGrain>> SubscribeLayersAsync(string fleet)
    {
        var description = await _client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet)).GetDescriptionAsync().ConfigureAwait(false);
        var layers = description.Layers
            .SelectMany(layer => description.Modes.Select(mode => _client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer.Layer, mode))))
            .ToArray();
        await Task.WhenAll(layers.Select(layer => layer.SubscribeAsync(_reference.Value))).ConfigureAwait(false);
        return layers;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the basis subscriptions of fleet {Fleet} failed")]
    private partial void LogRenewFailed(string fleet, Exception exception);

    private sealed record Subscriber(string Fleet, Channel<BasisVersionInfo> Channel);
}
