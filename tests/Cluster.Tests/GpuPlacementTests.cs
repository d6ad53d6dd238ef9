using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime.MembershipService.SiloMetadata;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Placement;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>Mixed silos: one advertises a GPU, so every slice grain must land on it. Uses its own 2-silo cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GpuPlacementTests(ClusterFixture fixture)
{
    [Fact]
    public async Task With_one_gpu_silo_every_slice_is_placed_on_it()
    {
        string? gpuSiloName = null;
        await using var cluster = await ClusterFixture.StartClusterAsync(new FakeTimeProvider(), name => gpuSiloName = name);
        var silos = cluster.Silos.Select(s => s.SiloAddress).ToArray();
        await TestWait.UntilAsync(
            () => silos.All(at => silos.All(of =>
                cluster.GetSiloServiceProvider(at).GetRequiredService<ISiloMetadataCache>().GetSiloMetadata(of).Metadata.ContainsKey(GpuSiloMetadata.HasGpuKey))),
            "every silo knows every silo's GPU metadata");
        var gpu = cluster.Silos.Single(s => s.Name == gpuSiloName).SiloAddress;
        Assert.All(silos, at => Assert.True(GpuSiloMetadata.HasGpu(
            cluster.GetSiloServiceProvider(at).GetRequiredService<ISiloMetadataCache>().GetSiloMetadata(gpu).Metadata)));

        var fleet = GeneratedFleet.Generate(fixture.Root, "gpu", FleetPresets.Create("tiny", 8) with { Seed = 41 });
        var grain = cluster.Client.GetGrain<IFleetGrain>("gpu");
        await grain.ConfigureAsync(new FleetConfiguration(SliceCount: 4));
        await Task.WhenAll(fleet.Models(0, fleet.Count).Select(grain.SubmitAsync));

        foreach (var layer in fleet.Spec.Layers)
        {
            var slices = await cluster.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("gpu", layer.LayerId, SketchMode.Rows)).GetSlicesAsync();
            Assert.Equal(fleet.Count, slices.Sum(s => s.ModelCount));
            Assert.All(slices, s => Assert.Equal(gpu.ToString(), s.Silo));
        }
    }
}
