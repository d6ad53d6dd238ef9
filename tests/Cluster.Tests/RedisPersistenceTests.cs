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
        var redisServer = RedisServer.Find();
        if (redisServer is null)
        {
            Assert.Skip("redis-server is not on PATH (apt-get install redis-server)");
        }

        using var redis = await RedisServer.StartAsync(redisServer);
        var settings = new Dictionary<string, string?>
        {
            ["Uws:Silo:RedisConnectionString"] = redis.ConnectionString,
            ["Uws:Silo:ClusterId"] = "redis-test",
            ["Uws:Silo:SiloPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Uws:Silo:GatewayPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
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
