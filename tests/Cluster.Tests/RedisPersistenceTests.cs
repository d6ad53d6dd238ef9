using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Cluster.Tests.Processes;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.Silo.Hosting;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// A real silo host (<see cref="UwsSiloHostingExtensions.AddUwsSilo"/>) on Redis clustering and Redis grain storage,
/// against a private redis-server process: the registry and the slice sketches survive a silo restart.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisPersistenceTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Registry_and_sketches_survive_a_silo_restart_on_redis()
    {
        var (redis, settings) = await StartRedisAsync("redis-test");
        using var _ = redis;
        var fleet = GeneratedFleet.Generate(fixture.Root, "redis", FleetPresets.Create("tiny", 4) with { Seed = 51 });
        var configuration = new FleetConfiguration(SliceCount: 3, Sketch: new SketchSettings(16, 0), Basis: new BasisPolicy(4, 0.9, 8, 0, TimeSpan.Zero, 5, 50, 1));

        FleetDescription before;
        using (var silo = await StartSiloAsync(settings))
        {
            var grain = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IFleetGrain>("redis");
            await grain.ConfigureAsync(configuration);
            foreach (var model in fleet.Models(0, 4))
            {
                Assert.Equal(ModelStatus.Absorbed, (await grain.SubmitAsync(model)).Status);
            }

            before = await grain.GetDescriptionAsync();
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }

        using (var silo = await StartSiloAsync(settings))
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var grain = grains.GetGrain<IFleetGrain>("redis");
            var after = await grain.GetDescriptionAsync();
            Assert.Equal(new ModelCounts(0, 4, 0), after.Counts);
            Assert.Equal(before.Layers, after.Layers);
            Assert.Equal(3, after.SliceCount);
            Assert.True((await grain.SubmitAsync(fleet.Model(2))).AlreadyKnown);

            var layer = after.Layers[0].Layer;
            var slices = await grains.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("redis", layer, SketchMode.Rows)).GetSlicesAsync();
            Assert.Equal(4, slices.Sum(s => s.ModelCount));
            var version = await grains.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("redis", layer, SketchMode.Rows)).ComputeNowAsync();
            Assert.Equal(4, version!.ModelCount);
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Archived_bases_and_the_compacted_record_log_survive_silo_restarts_on_redis()
    {
        var (redis, settings) = await StartRedisAsync("redis-retention");
        using var _ = redis;
        settings["Uws:Cluster:BasisVersionsKept"] = "2";
        settings["Uws:Cluster:RejectionRecordsKept"] = "2";
        var fleet = GeneratedFleet.Generate(fixture.Root, "redis-retention", FleetPresets.Create("tiny", 4) with { Seed = 52 });
        var junk = Path.Combine(fixture.Root, "redis-retention", "junk.safetensors");
        await File.WriteAllBytesAsync(junk, "not a model"u8.ToArray(), TestContext.Current.CancellationToken);
        var configuration = new FleetConfiguration(SliceCount: 2, Sketch: new SketchSettings(16, 0), Basis: new BasisPolicy(4, 0.9, 8, 0, TimeSpan.Zero, 5, 50, 1));
        var layerKey = UwsKeys.Coordinator("retention", fleet.Spec.Layers[0].LayerId, SketchMode.Rows);

        LayerBasis third;
        using (var silo = await StartSiloAsync(settings))
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var registry = grains.GetGrain<IFleetGrain>("retention");
            await registry.ConfigureAsync(configuration);
            foreach (var model in fleet.Models(0, 4))
            {
                Assert.Equal(ModelStatus.Absorbed, (await registry.SubmitAsync(model)).Status);
                await grains.GetGrain<ILayerCoordinatorGrain>(layerKey).ComputeNowAsync();
            }

            for (var i = 0; i < 300; i++)
            {
                Assert.Equal(ModelStatus.Rejected, (await registry.SubmitAsync(new ModelReference($"junk-{i:D3}", junk))).Status);
            }

            third = (await grains.GetGrain<IBasisArchiveGrain>(layerKey).GetAsync(3))!;
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }

        for (var restart = 0; restart < 2; restart++)
        {
            using var silo = await StartSiloAsync(settings);
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var registry = grains.GetGrain<IFleetGrain>("retention");
            var rejected = 300 + restart;
            Assert.Equal(new ModelCounts(0, 4, rejected, RejectedDropped: rejected - 2), (await registry.GetDescriptionAsync()).Counts);
            Assert.Equal([$"junk-{rejected - 2:D3}", $"junk-{rejected - 1:D3}"], (await registry.GetModelsAsync(ModelStatus.Rejected)).Select(m => m.ModelId));
            Assert.Equal(4, (await registry.GetModelsAsync(ModelStatus.Absorbed)).Count);

            var archive = grains.GetGrain<IBasisArchiveGrain>(layerKey);
            Assert.Equal([3, 4], await archive.GetVersionsAsync());
            Assert.Null(await archive.GetAsync(2));
            var kept = (await archive.GetAsync(3))!;
            Assert.Equal((3, 3), (kept.Info.Version, kept.Info.ModelCount));
            Assert.Equal(third.Vectors, kept.Vectors);
            Assert.Equal(third.SingularValues, kept.SingularValues);

            // An append after the restart goes to the compacted generation and is replayed by the next start.
            Assert.Equal(ModelStatus.Rejected, (await registry.SubmitAsync(new ModelReference($"junk-{rejected:D3}", junk))).Status);
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A private redis-server (the test is skipped without one) and the silo settings that use it.</summary>
    private static async Task<(RedisServer Redis, Dictionary<string, string?> Settings)> StartRedisAsync(string clusterId)
    {
        var redisServer = RedisServer.Find();
        if (redisServer is null)
        {
            Assert.Skip("redis-server is not on PATH (apt-get install redis-server)");
        }

        var redis = await RedisServer.StartAsync(redisServer);
        return (redis, new Dictionary<string, string?>
        {
            ["Uws:Silo:RedisConnectionString"] = redis.ConnectionString,
            ["Uws:Silo:ClusterId"] = clusterId,
            ["Uws:Silo:SiloPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Uws:Silo:GatewayPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    private static async Task<IHost> StartSiloAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddUwsSilo();
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }
}
