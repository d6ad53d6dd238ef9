using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Jobs;
using OrleansUws.Grains;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Silo.Hosting;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>
/// What the embedded <c>uws</c> process chooses for its silo, the cluster's only one: in-process grain storage and one
/// slice per layer, each unless configured otherwise, and for <c>uws run</c> only the current basis version of each
/// layer; a silo host on its own keeps Orleans' memory storage.
/// </summary>
public sealed class EmbeddedHostingTests
{
    [Theory]
    [InlineData(null, null, typeof(InProcessGrainStorage), 1)]
    [InlineData("false", "3", typeof(MemoryGrainStorage), 3)]
    public void The_embedded_silo_keeps_its_state_in_process_with_one_slice_per_layer_unless_configured(
        string? inProcess, string? slices, Type expectedStorage, int expectedSlices)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Uws:Silo:InProcessStorage"] = inProcess,
            ["Uws:Cluster:SliceCount"] = slices,
        });
        builder.AddUwsCluster(new ClusterConnectionOptions());
        using var host = builder.Build();

        Assert.IsType(expectedStorage, host.Services.GetRequiredKeyedService<IGrainStorage>(UwsStorage.Name));
        Assert.Equal(expectedSlices, host.Services.GetRequiredService<IOptions<UwsClusterOptions>>().Value.SliceCount);
        Assert.Equal(new UwsClusterOptions().BasisVersionsKept, host.Services.GetRequiredService<IOptions<UwsClusterOptions>>().Value.BasisVersionsKept);
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData("4", 4)]
    public void A_runs_silo_keeps_only_the_current_basis_version_unless_configured(string? kept, int expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Uws:Cluster:BasisVersionsKept"] = kept });
        builder.AddUwsCluster(new ClusterConnectionOptions(), embeddedDefaults: RunJob.EmbeddedSiloDefaults);
        using var host = builder.Build();

        Assert.Equal(expected, host.Services.GetRequiredService<IOptions<UwsClusterOptions>>().Value.BasisVersionsKept);
    }

    [Fact]
    public async Task A_runs_archive_holds_only_the_version_just_published()
    {
        await using var session = await UwsSession.StartAsync(
            new ClusterConnectionOptions(), embeddedDefaults: RunJob.EmbeddedSiloDefaults, cancellationToken: TestContext.Current.CancellationToken);
        var archive = session.Client.GetGrain<IBasisArchiveGrain>("run/q/rows");
        for (var version = 1; version <= 3; version++)
        {
            await archive.ArchiveAsync(BasisArchiveTests.Basis(version, version));
        }

        Assert.Equal([3], await archive.GetVersionsAsync());
        Assert.Equal(3f, (await archive.GetAsync(3))!.Vectors[0]);
        Assert.Null(await archive.GetAsync(2));
    }

    [Fact]
    public void A_silo_host_without_redis_keeps_orleans_memory_storage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddUwsSilo();
        using var host = builder.Build();

        Assert.IsType<MemoryGrainStorage>(host.Services.GetRequiredKeyedService<IGrainStorage>(UwsStorage.Name));
        Assert.Equal(2, host.Services.GetRequiredService<IOptions<UwsClusterOptions>>().Value.SliceCount);
    }
}
