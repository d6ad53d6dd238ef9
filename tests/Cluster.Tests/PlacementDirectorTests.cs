using System.Net;
using Orleans.Runtime;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Placement;
using OrleansUws.Silo.Hosting;
using OrleansUws.Silo.Options;
using Xunit;

namespace OrleansUws.Cluster.Tests;

public sealed class PlacementDirectorTests
{
    private static readonly SiloAddress[] Silos =
    [
        SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11113), 1),
        SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1),
        SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 1),
    ];

    [Fact]
    public void Without_gpus_all_silos_are_eligible_in_address_order()
    {
        var eligible = GpuSpreadPlacementDirector.SelectEligible(Silos, _ => false);
        Assert.Equal([Silos[1], Silos[2], Silos[0]], eligible);
    }

    [Fact]
    public void Gpu_silos_are_the_only_eligible_ones_when_there_are_any()
    {
        var eligible = GpuSpreadPlacementDirector.SelectEligible(Silos, s => s.Endpoint.Port != 11112);
        Assert.Equal([Silos[1], Silos[0]], eligible);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void The_slices_of_one_layer_cover_every_eligible_silo(int siloCount)
    {
        foreach (var layer in new[] { "l0", "l1", "model.layers.7.self_attn.v_proj" })
        {
            var indices = Enumerable.Range(0, siloCount)
                .Select(s => GpuSpreadPlacementDirector.IndexFor(UwsKeys.Slice("fleet", layer, SketchMode.Rows, s), siloCount))
                .ToHashSet();
            Assert.Equal(siloCount, indices.Count);
        }
    }

    [Fact]
    public void Gpu_metadata_round_trips_and_configuration_overrides_the_probe()
    {
        var metadata = GpuSiloMetadata.Create(true, 141_000_000_000);
        Assert.True(GpuSiloMetadata.HasGpu(metadata));
        Assert.Equal(141_000_000_000, GpuSiloMetadata.Memory(metadata));
        Assert.False(GpuSiloMetadata.HasGpu(new Dictionary<string, string>()));

        var probe = () => (GpuAdvertisement?)new GpuAdvertisement(true, 80);
        Assert.Equal(new GpuAdvertisement(true, 80), GpuAdvertisement.Resolve(new UwsGpuOptions(), probe));
        Assert.Equal(new GpuAdvertisement(false, 0), GpuAdvertisement.Resolve(new UwsGpuOptions { Enabled = false }, probe));
        Assert.Equal(new GpuAdvertisement(true, 5), GpuAdvertisement.Resolve(new UwsGpuOptions { Enabled = true, MemoryBytes = 5 }, probe));
        Assert.Equal(GpuAdvertisement.None, GpuAdvertisement.Resolve(new UwsGpuOptions(), () => throw new DllNotFoundException("libcudart")));
        Assert.Equal(GpuAdvertisement.None, GpuAdvertisement.Resolve(new UwsGpuOptions(), null));
    }
}
