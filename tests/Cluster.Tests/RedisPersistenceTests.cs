using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Cluster.Tests.Processes;
using Orleans.Storage;
using OrleansUws.Grains;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.Numerics.Metrics;
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

    [Fact]
    public async Task A_slice_id_set_in_sealed_parts_survives_a_restart_and_a_part_left_by_a_cut_off_checkpoint_is_replaced()
    {
        var (redis, settings) = await StartRedisAsync("redis-slice-ids");
        using var _ = redis;
        const int models = (2 * SliceIdLog.SegmentIds) + 5;
        var fleet = GeneratedFleet.Generate(fixture.Root, "redis-slice-ids", FleetPresets.Create("tiny", models, layerCount: 1) with { Seed = 53 });
        var sliceKey = UwsKeys.Slice("slice-ids", fleet.Spec.Layers[0].LayerId, SketchMode.Rows, 0);
        var ids = fleet.Models(0, models).Select(m => m.ModelId).Order(StringComparer.Ordinal).ToArray();

        using (var silo = await StartSiloAsync(settings))
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var registry = grains.GetGrain<IFleetGrain>("slice-ids");
            await registry.ConfigureAsync(new FleetConfiguration(SliceCount: 1, Sketch: new SketchSettings(16, 0), Basis: new BasisPolicy(4, 0.9, 8, 0, TimeSpan.Zero, 5, 50, 1)));
            foreach (var model in fleet.Models(0, models))
            {
                Assert.Equal(ModelStatus.Absorbed, (await registry.SubmitAsync(model)).Status);
            }

            // A checkpoint cut off after it wrote the next sealed part: an entry at index 2 that no state counts.
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(UwsStorage.Name);
            var orphan = new GrainState<SealedSegment<string>>(new SealedSegment<string> { Items = ["never-counted"] });
            await storage.WriteStateAsync("slice-ids-2", GrainId.Create("uws-slice", sliceKey), orphan);
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }

        using (var silo = await StartSiloAsync(settings))
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var slice = grains.GetGrain<ILayerSliceGrain>(sliceKey);

            // Checkpoints every 32 models on Redis: two parts of 64 sealed, the last 5 ids in the state.
            var stored = await StoredSliceStateAsync(silo, slice);
            Assert.Equal((2, 5), (stored.SealedIdSegments, stored.OpenIds.Count));
            Assert.Equal(ids, await slice.GetModelIdsAsync());

            // 59 more ids: the next seal writes part 2 over the orphan, and a restart reads every id.
            var more = GeneratedFleet.Generate(fixture.Root, "redis-slice-ids-more", FleetPresets.Create("tiny", 59, layerCount: 1) with { Seed = 54 });
            var configuration = (await grains.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("slice-ids", fleet.Spec.Layers[0].LayerId, SketchMode.Rows)).GetStatusAsync()).Configuration!;
            var extra = more.Models(0, 59).Select(m => m with { ModelId = "more-" + m.ModelId }).ToArray();
            foreach (var model in extra)
            {
                Assert.False((await slice.AbsorbAsync(model, configuration, cut: 0)).AlreadyAbsorbed);
            }

            Assert.Equal(ids.Length + extra.Length, await slice.FlushAsync());
            stored = await StoredSliceStateAsync(silo, slice);
            Assert.Equal((3, 0), (stored.SealedIdSegments, stored.OpenIds.Count));
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }

        using (var silo = await StartSiloAsync(settings))
        {
            var slice = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<ILayerSliceGrain>(sliceKey);
            var held = await slice.GetModelIdsAsync();
            Assert.Equal(ids.Length + 59, held.Count);
            Assert.DoesNotContain("never-counted", held);
            Assert.Contains(ids[0], held);
            Assert.Equal(held.Count, (await slice.GetSnapshotAsync()).ModelCount);
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task A_model_deleted_from_a_sealed_part_of_a_slice_stays_deleted_after_a_restart()
    {
        var (redis, settings) = await StartRedisAsync("redis-slice-delete");
        using var _ = redis;
        const int models = SliceIdLog.SegmentIds + 6;
        var fleet = GeneratedFleet.Generate(fixture.Root, "redis-slice-delete", FleetPresets.Create("tiny", models, layerCount: 1) with { Seed = 55 });
        var layer = fleet.Spec.Layers[0].LayerId;
        var configuration = new FleetConfiguration(
            Modes: [SketchMode.Rows], SliceCount: 1, Sketch: new SketchSettings(16, 1024), Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3));
        var deleted = fleet.Model(3).ModelId;
        var sliceKey = UwsKeys.Slice("slice-delete", layer, SketchMode.Rows, 0);
        var coordinatorKey = UwsKeys.Coordinator("slice-delete", layer, SketchMode.Rows);

        using (var silo = await StartSiloAsync(settings))
        {
            var registry = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IFleetGrain>("slice-delete");
            await registry.ConfigureAsync(configuration);
            foreach (var model in fleet.Models(0, models))
            {
                Assert.Equal(ModelStatus.Absorbed, (await registry.SubmitAsync(model)).Status);
            }

            var deletion = await registry.DeleteAsync(deleted);
            Assert.True(deletion.Deleted, deletion.Reason);
            Assert.Equal(fleet.Spec.Layers.Select(l => $"{l.LayerId} (rows)"), deletion.LayersSubtracted);
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }

        // The id was in the first sealed part (ids 0–63 by submission): the restarted slice reads it as removed.
        var control = fixture.Client.GetGrain<IFleetGrain>("slice-delete-control");
        await control.ConfigureAsync(configuration);
        await Task.WhenAll(fleet.Models(0, models).Where(m => m.ModelId != deleted).Select(control.SubmitAsync));
        var expectedCoordinator = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("slice-delete-control", layer, SketchMode.Rows));
        await expectedCoordinator.ComputeNowAsync();
        var expected = (await expectedCoordinator.GetBasisAsync())!;
        using (var silo = await StartSiloAsync(settings))
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var slice = grains.GetGrain<ILayerSliceGrain>(sliceKey);
            var stored = await StoredSliceStateAsync(silo, slice);
            Assert.Equal((1, 6), (stored.SealedIdSegments, stored.OpenIds.Count));
            Assert.Equal([deleted], stored.RemovedIds);

            var held = await slice.GetModelIdsAsync();
            Assert.Equal(models - 1, held.Count);
            Assert.DoesNotContain(deleted, held);
            Assert.Equal(models - 1, (await slice.GetSnapshotAsync()).ModelCount);

            var coordinator = grains.GetGrain<ILayerCoordinatorGrain>(coordinatorKey);
            var version = (await coordinator.ComputeNowAsync())!;
            Assert.Equal(models - 1, version.ModelCount);
            var basis = (await coordinator.GetBasisAsync())!;
            var sinTheta = SubspaceMetrics.SinThetaMax(basis.Vectors, 3, expected.Vectors, 3, basis.Dimension);
            Assert.True(sinTheta <= 1e-6, $"sin θ = {sinTheta:E2}");
            await silo.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The slice's state as the silo's Redis grain storage holds it.</summary>
    private static async Task<LayerSliceState> StoredSliceStateAsync(IHost silo, ILayerSliceGrain slice)
    {
        var stored = new GrainState<LayerSliceState>(new LayerSliceState());
        await silo.Services.GetRequiredKeyedService<IGrainStorage>(UwsStorage.Name).ReadStateAsync("slice", slice.GetGrainId(), stored);
        return stored.State!;
    }

    /// <summary>A private redis-server (the test is skipped without one) and the silo settings that use it.</summary>
    private static async Task<(RedisServer Redis, Dictionary<string, string?> Settings)> StartRedisAsync(string clusterId)
    {
        var redis = await RedisServer.StartOrSkipAsync();
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
