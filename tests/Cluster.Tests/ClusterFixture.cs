using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansUws.Grains;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using OrleansUws.Silo.Hosting;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// One 2-silo in-process cluster shared by the cluster tests, hosting the grains exactly as the silo does
/// (<see cref="UwsSiloHostingExtensions.AddUwsGrains"/>), with a fake clock for the periodic policy.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>The grains' clock in every silo of this cluster.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>Scratch folder for generated fleets, deleted at the end.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("uws-cluster-tests-").FullName;

    /// <summary>What <paramref name="coordinator"/> last wrote to storage (its "layer" state), read from the silos' grain storage.</summary>
    public async Task<LayerCoordinatorState> StoredStateAsync(ILayerCoordinatorGrain coordinator)
    {
        var storage = Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(UwsStorage.Name);
        var stored = new GrainState<LayerCoordinatorState>(new LayerCoordinatorState());
        await storage.ReadStateAsync("layer", coordinator.GetGrainId(), stored);
        return stored.State!;
    }

    public async ValueTask InitializeAsync()
    {
        Cluster = await StartClusterAsync(Time);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    /// <summary>
    /// Starts a 2-silo cluster. Without <paramref name="gpuSilo"/> no silo advertises a GPU (no probe, nothing
    /// configured); with it, the first silo started advertises one and its name is returned through the callback.
    /// </summary>
    public static async Task<InProcessTestCluster> StartClusterAsync(TimeProvider time, Action<string>? gpuSilo = null)
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        var configured = 0;
        builder.ConfigureSiloHost((silo, host) =>
        {
            // These tests submit one to a few models per fleet: the first model sets an undeclared architecture (the
            // quorum itself is tested with fleets that configure their own).
            host.Configuration["Uws:Cluster:ArchitectureQuorum"] = "1";
            if (gpuSilo is not null)
            {
                var first = Interlocked.Increment(ref configured) == 1;
                host.Configuration["Uws:Silo:Gpu:Enabled"] = first ? "true" : "false";
                host.Configuration["Uws:Silo:Gpu:MemoryBytes"] = first ? "150000000000" : "0";
                if (first)
                {
                    gpuSilo(silo.SiloName);
                }
            }
        });
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddUwsGrains();
            silo.Services.AddKeyedSingleton(UwsStorage.TimeProviderKey, time);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
