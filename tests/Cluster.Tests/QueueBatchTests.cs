using OrleansUws.Cluster.Tests.Processes;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using StackExchange.Redis;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// The durable queue reads, flushes and acknowledges its entries in batches of <see cref="RedisIngestionQueue.ReadBatch"/>,
/// however few models a worker keeps in flight: each flush checkpoints every slice holding one of the batch's models.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class QueueBatchTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_worker_with_two_in_flight_acknowledges_forty_models_in_two_batches()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var redis = await RedisServer.StartOrSkipAsync();
        const string name = "queue-batch";
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 40, layerCount: 1) with { Seed = 96 });
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        await registry.ConfigureAsync(new FleetConfiguration(
            Modes: [SketchMode.Rows], SliceCount: 2, Sketch: new SketchSettings(16, 1024), Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3)));
        using var connection = await RedisIngestionQueue.ConnectAsync(redis.ConnectionString, TimeSpan.FromSeconds(5));
        var queue = await RedisIngestionQueue.OpenAsync(connection, new ClusterConnectionOptions { FleetId = name }, TimeSpan.FromSeconds(30), onRetry: null, cancellationToken: cancel);
        var models = fleet.Models(0, 40).Select(m => new ModelSource(m.ModelId, m.Location)).ToArray();

        var summary = await new ModelIngestor(registry, parallelism: 2, queue).IngestAsync(models, cancellationToken: cancel);

        Assert.Equal((40, 0), (summary.Absorbed, summary.Rejected.Count));
        Assert.Equal(40, (await registry.GetDescriptionAsync()).Counts.Absorbed);

        // 32 entries, then the last 8: two acknowledgement scripts, each one XACK (and one XDEL) for its whole batch.
        using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        Assert.StartsWith("calls=2,", stats["cmdstat_xack"], StringComparison.Ordinal);
        Assert.StartsWith("calls=2,", stats["cmdstat_xdel"], StringComparison.Ordinal);
    }
}
