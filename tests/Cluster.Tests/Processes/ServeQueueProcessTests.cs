using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using StackExchange.Redis;
using Xunit;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// <c>uws serve --redis</c> (the real Kestrel server, a client of a real silo process on a real redis-server): a
/// registration by path and an upload are appended to the fleet's Redis Stream and answered 202 with the model's resource;
/// the serve process's queue worker absorbs them; polling that resource ends at "absorbed"; nothing stays unacknowledged,
/// and the serve process's <c>/metrics</c> shows the stream's length and pending entries (fed by XLEN/XPENDING).
/// The server runs in this test process, whose other hosts create the same instruments: OpenTelemetry's reader keys a
/// metric by instrument identity, so this host's gauges can land on another host's identical instrument and go silent
/// when that host is disposed (the gauge wait once timed out in a full run). So this class runs alone
/// (<see cref="InProcessMetricsCollection"/>), as a serve process runs alone in production.
/// </summary>
[Collection(InProcessMetricsCollection.Name)]
public sealed class ServeQueueProcessTests
{
    private const int Models = 5;

    [Fact]
    public async Task Registrations_and_uploads_are_queued_answered_202_and_absorbed_by_the_serve_worker()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await SiloProcessCluster.StartAsync("uws-serve-queue", 1, new Dictionary<string, string>());
        await cluster.AssertAsync(async () =>
        {
            // (Polling is quicker than the default rate limit allows.)
            await using var server = await ApiServer.StartAsync(options => options.RequestsPerMinute = 100_000, connection: new ClusterConnectionOptions
            {
                Redis = cluster.Redis,
                ClusterId = cluster.ClusterId,
                ServiceId = cluster.ClusterId,
                CallTimeout = TimeSpan.FromSeconds(30),
            });
            var fleetFolder = Path.Combine(server.ModelRoot, "fleet");
            await ApiServer.GenerateFleetAsync(fleetFolder, Models);
            using var ingest = server.Client(ApiServer.IngestKey);
            using var read = server.Client(ApiServer.ReadKey);

            // Models 1…4 by path, model 0 uploaded (multipart): each answer is 202 with the resource to poll.
            var locations = new List<Uri>();
            for (var i = 1; i < Models; i++)
            {
                using var response = await ingest.PostAsJsonAsync("/v1/fleets/queued/models", new RegisterModelRequest($"model-{i:D5}", $"fleet/model-{i:D5}"), cancel);
                locations.Add(await AcceptedAsync(response, $"model-{i:D5}"));
            }

            using (var form = new MultipartFormDataContent())
            {
                foreach (var name in new[] { "adapter_config.json", "adapter_model.safetensors" })
                {
                    var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(fleetFolder, "model-00000", name), cancel));
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    form.Add(content, "files", name);
                }

                using var upload = await ingest.PutAsync("/v1/fleets/queued/models/model-00000", form, cancel);
                locations.Add(await AcceptedAsync(upload, "model-00000"));
            }

            // The registry records each model queued before the stream takes it: its resource answers at once.
            foreach (var location in locations)
            {
                using var now = await read.GetAsync(location, cancel);
                Assert.Equal(HttpStatusCode.OK, now.StatusCode);
                var record = (await now.Content.ReadFromJsonAsync<ModelRecord>(ApiServer.Json, cancel))!;
                Assert.True(record.Status is ModelStatus.Queued or ModelStatus.Absorbed, $"{location}: {record.Status} ({record.Reason})");
            }

            // An upload that is not a model is queued like any other, rejected by the worker, and its file removed.
            using (var corrupt = await ingest.PutAsync("/v1/fleets/queued/models/bad", new ByteArrayContent("not a safetensors file"u8.ToArray()), cancel))
            {
                var badLocation = await AcceptedAsync(corrupt, "bad");
                await TestWait.UntilAsync(
                    async () =>
                    {
                        using var poll = await read.GetAsync(badLocation, cancel);
                        return poll.StatusCode == HttpStatusCode.OK
                            && (await poll.Content.ReadFromJsonAsync<ModelRecord>(ApiServer.Json, cancel))!.Status == ModelStatus.Rejected;
                    },
                    "the corrupt upload rejected", TimeSpan.FromMinutes(1));
                await TestWait.UntilAsync(
                    () => !File.Exists(Path.Combine(server.Options.UploadFolder, "queued", "bad.safetensors")),
                    "the rejected upload's file removed", TimeSpan.FromSeconds(30));
            }

            foreach (var location in locations)
            {
                await TestWait.UntilAsync(
                    async () =>
                    {
                        using var poll = await read.GetAsync(location, cancel);
                        return poll.StatusCode == HttpStatusCode.OK
                            && (await poll.Content.ReadFromJsonAsync<ModelRecord>(ApiServer.Json, cancel))!.Status == ModelStatus.Absorbed;
                    },
                    $"{location} absorbed", TimeSpan.FromMinutes(1));
            }

            // Every layer counts exactly the models absorbed; every entry was acknowledged and left the stream.
            var registry = cluster.Client.GetGrain<IFleetGrain>("queued");
            Assert.Equal(new ModelCounts(0, Models, 1), (await registry.GetDescriptionAsync()).Counts);
            foreach (var layer in (await registry.GetDescriptionAsync()).Layers)
            {
                var slices = await cluster.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("queued", layer.Layer, SketchMode.Rows)).GetSlicesAsync();
                Assert.Equal(Models, slices.Sum(s => s.ModelCount));
            }

            using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis);
            var key = $"uws:{cluster.ClusterId}:queued:ingest";
            await TestWait.UntilAsync(
                async () => (await redis.GetDatabase().StreamPendingAsync(key, RedisIngestionQueue.GroupName)).PendingMessageCount == 0
                    && await redis.GetDatabase().StreamLengthAsync(key) == 0,
                "every entry acknowledged and deleted", TimeSpan.FromSeconds(30));
            Assert.Equal(Models + 1, (await redis.GetDatabase().StreamInfoAsync(key)).EntriesAdded);

            // The serve process's /metrics (OpenTelemetry's Prometheus exporter) reports the stream: no entry left, none pending.
            var metrics = "";
            try
            {
                await TestWait.UntilAsync(
                    async () =>
                    {
                        metrics = await read.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancel);
                        return QueueSeries.Value(metrics, "uws_queue_length", key) == 0 && QueueSeries.Value(metrics, "uws_queue_pending", key) == 0;
                    },
                    "the queue gauges report the stream", TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message} Queue {key}; the last page's queue series:{Environment.NewLine}{QueueSeries.Lines(metrics)}", ex);
            }
        });
    }

    private static async Task<Uri> AcceptedAsync(HttpResponseMessage response, string modelId)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{modelId}: {response.StatusCode} {body}");
        var result = System.Text.Json.JsonSerializer.Deserialize<SubmitResult>(body, ApiServer.Json)!;
        Assert.Equal((modelId, ModelStatus.Queued), (result.ModelId, result.Status));
        Assert.Equal($"/v1/fleets/queued/models/{modelId}", response.Headers.Location?.OriginalString);
        return response.Headers.Location!;
    }
}

/// <summary>Test classes that read a host's own <c>/metrics</c> in this process: run after the parallel ones, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InProcessMetricsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "in-process metrics";
}
