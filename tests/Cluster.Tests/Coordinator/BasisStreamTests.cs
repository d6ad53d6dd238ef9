using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using OrleansUws.Coordinator.Http;
using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>The basis stream over real Kestrel: a subscriber that drops and reconnects with Last-Event-ID misses nothing and gets nothing twice.</summary>
public sealed class BasisStreamTests
{
    [Fact]
    public async Task A_subscriber_that_reconnects_receives_every_version_once_and_in_order()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await ApiServer.StartAsync();
        await ApiServer.GenerateFleetAsync(Path.Combine(server.ModelRoot, "fleet"), 5);
        using var reader = server.Client(ApiServer.ReadKey);
        using var ingest = server.Client(ApiServer.IngestKey);
        using var admin = server.Client(ApiServer.AdminKey);
        string layer = string.Empty;

        async Task<int> AddAndComputeAsync(int model)
        {
            var id = $"model-{model:D5}";
            using var registered = await ingest.PostAsJsonAsync("/v1/fleets/stream/models", new RegisterModelRequest(id, $"fleet/{id}"), cancel);
            Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
            if (layer.Length == 0)
            {
                layer = (await reader.GetFromJsonAsync<FleetDescription>("/v1/fleets/stream", ApiServer.Json, cancel))!.Layers[0].Layer;
            }

            using var computed = await admin.PostAsync($"/v1/fleets/stream/layers/{layer}/rows/compute", null, cancel);
            return (await computed.Content.ReadFromJsonAsync<BasisVersionInfo>(ApiServer.Json, cancel))!.Version;
        }

        Assert.Equal(1, await AddAndComputeAsync(0));
        var received = new List<(long Id, BasisVersionInfo Version)>();

        // First connection: the snapshot (version 1), then version 2 live; then the client drops.
        long lastId;
        using (var first = await Subscription.OpenAsync(reader, null))
        {
            received.Add(await first.NextOfAsync(layer));
            Assert.Equal(2, await AddAndComputeAsync(1));
            received.Add(await first.NextOfAsync(layer));
            lastId = received[^1].Id;
        }

        // Versions 3 and 4 are published while nobody listens.
        Assert.Equal(3, await AddAndComputeAsync(2));
        Assert.Equal(4, await AddAndComputeAsync(3));

        // Reconnecting with the last id received resumes exactly after it, then goes on live.
        using (var second = await Subscription.OpenAsync(reader, lastId))
        {
            received.Add(await second.NextOfAsync(layer));
            received.Add(await second.NextOfAsync(layer));
            Assert.Equal(5, await AddAndComputeAsync(4));
            received.Add(await second.NextOfAsync(layer));
        }

        Assert.Equal([1, 2, 3, 4, 5], received.Select(item => item.Version.Version));
        Assert.Equal(received.Select(item => item.Id).Order(), received.Select(item => item.Id));
        Assert.Equal(received.Count, received.Select(item => item.Id).Distinct().Count());

        // A new subscriber (no id) starts from the latest published version of each layer.
        using (var fresh = await Subscription.OpenAsync(reader, null))
        {
            var latest = await fresh.NextOfAsync(layer);
            Assert.Equal((received[^1].Id, 5), (latest.Id, latest.Version.Version));
        }

        // An id that is not one of the stream's is refused naming the header.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/fleets/stream/events") { Headers = { { BasisStreamEndpoints.LastEventIdHeader, "yesterday" } } };
        using var refused = await reader.SendAsync(request, cancel);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Last-Event-ID 'yesterday'", await ApiServer.ErrorForAsync(refused, BasisStreamEndpoints.LastEventIdHeader), StringComparison.Ordinal);
    }

    /// <summary>One open event stream; events of other layers (none here) are skipped but must keep the ids increasing.</summary>
    private sealed class Subscription : IDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly Stream _stream;
        private readonly IAsyncEnumerator<SseItem<string>> _items;
        private long _lastId = long.MinValue;

        private Subscription(HttpResponseMessage response, Stream stream)
        {
            _response = response;
            _stream = stream;
            _items = SseParser.Create(stream).EnumerateAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        }

        public static async Task<Subscription> OpenAsync(HttpClient client, long? lastEventId)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/v1/fleets/stream/events");
            if (lastEventId is { } id)
            {
                request.Headers.Add(BasisStreamEndpoints.LastEventIdHeader, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new Subscription(response, await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        }

        public async Task<(long Id, BasisVersionInfo Version)> NextOfAsync(string layer)
        {
            while (true)
            {
                var next = await TestWait.WithTimeout(ServeApiTests.NextEventAsync(_items), "the next basis event");
                Assert.True(next.Id > _lastId, $"event id {next.Id} after {_lastId}");
                _lastId = next.Id;
                if (next.Version.Layer == layer && next.Version.Mode == SketchMode.Rows)
                {
                    return next;
                }
            }
        }

        public void Dispose()
        {
            _items.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _stream.Dispose();
            _response.Dispose();
        }
    }
}
