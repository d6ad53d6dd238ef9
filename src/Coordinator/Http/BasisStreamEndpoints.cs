using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using OrleansUws.Coordinator.Http.Security;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// <c>GET /v1/fleets/{fleet}/events</c>: server-sent events, one <c>basis</c> event (JSON <see cref="BasisVersionInfo"/>)
/// per published version, each with an id. A client that reconnects with <c>Last-Event-ID</c> receives every version
/// published after that id, once and in order, as long as the replay log still holds it (<see cref="BasisEventHub"/>).
/// </summary>
public static class BasisStreamEndpoints
{
    /// <summary>Name of the server-sent event carrying a <see cref="BasisVersionInfo"/>.</summary>
    public const string BasisEventType = "basis";

    /// <summary>Header a reconnecting client sends with the id of the last event it received.</summary>
    public const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>Maps the stream on <paramref name="fleets"/>.</summary>
    public static void Map(RouteGroupBuilder fleets)
    {
        ArgumentNullException.ThrowIfNull(fleets);
        fleets.MapGet("/events", (string fleet, HttpRequest request, BasisEventHub hub, IHostApplicationLifetime lifetime, CancellationToken cancellationToken) =>
            {
                long? lastEventId = null;
                if (request.Headers[LastEventIdHeader].ToString() is { Length: > 0 } header)
                {
                    if (!long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                    {
                        return (IResult)ApiProblems.BadField(LastEventIdHeader, $"{LastEventIdHeader} '{header}' is not an event id of this stream (a non-negative integer)");
                    }

                    lastEventId = parsed;
                }

                return TypedResults.ServerSentEvents(Events(hub, fleet, lastEventId, lifetime.ApplicationStopping, cancellationToken));
            })
            .WithName("StreamBases").WithSummary("Server-sent events: one 'basis' event per published version; reconnect with Last-Event-ID to resume.").WithTags("Layers")
            .Produces<BasisVersionInfo>(StatusCodes.Status200OK, "text/event-stream")
            .RequireAuthorization(ApiScopes.Read);
    }

    /// <summary>
    /// The fleet's versions as server-sent events until the client goes away, or until the server stops: a stream ends
    /// then (rather than holding the shutdown for the host's whole timeout, 30 s by default, as an open request would).
    /// </summary>
    private static async IAsyncEnumerable<SseItem<BasisVersionInfo>> Events(
        BasisEventHub hub, string fleet, long? lastEventId, CancellationToken stopping, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        await using var versions = hub.SubscribeAsync(fleet, lastEventId, linked.Token).GetAsyncEnumerator(linked.Token);
        while (true)
        {
            bool more;
            try
            {
                more = await versions.MoveNextAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                more = false;
            }

            if (!more)
            {
                yield break;
            }

            var item = versions.Current;
            yield return new SseItem<BasisVersionInfo>(item.Version, BasisEventType) { EventId = item.Id.ToString(CultureInfo.InvariantCulture) };
        }
    }
}
