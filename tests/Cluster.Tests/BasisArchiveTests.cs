using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using OrleansUws.Grains;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// A layer's basis archive on the test cluster's storage (which checks entry versions as Redis does): it keeps exactly
/// the last 16 versions across reactivations, writes over an entry that no index names, and leaves no evicted entry in
/// storage, whether it wrote the evicted entry itself or an earlier activation did.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BasisArchiveTests(ClusterFixture fixture)
{
    private const int Kept = 16;

    [Fact]
    public async Task The_archive_keeps_the_last_versions_across_activations_and_clears_every_evicted_entry()
    {
        var archive = fixture.Client.GetGrain<IBasisArchiveGrain>("archive/q/rows");
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(UwsStorage.Name);

        // An entry left by a call that failed before the index named it: version 1 is written over it.
        var orphan = new GrainState<ArchivedBasisState>(new ArchivedBasisState { Basis = Basis(1, 99f) });
        await storage.WriteStateAsync("basis-v1", archive.GetGrainId(), orphan);
        await archive.ArchiveAsync(Basis(1, 1f));
        Assert.Equal(1f, (await archive.GetAsync(1))!.Vectors[0]);

        // A version archived again in the same activation replaces its entry.
        await archive.ArchiveAsync(Basis(1, 2f));
        Assert.Equal(2f, (await archive.GetAsync(1))!.Vectors[0]);

        for (var version = 2; version <= Kept + 1; version++)
        {
            await archive.ArchiveAsync(Basis(version, version));
        }

        Assert.Equal(Enumerable.Range(2, Kept), await archive.GetVersionsAsync());
        Assert.False(await StoredAsync(storage, archive, 1));

        // A new activation evicts and rewrites entries an earlier one wrote.
        await archive.AsReference<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        await archive.ArchiveAsync(Basis(Kept + 2, 50f));
        await archive.ArchiveAsync(Basis(Kept + 1, 51f));
        Assert.Equal(Enumerable.Range(3, Kept), await archive.GetVersionsAsync());
        Assert.False(await StoredAsync(storage, archive, 2));
        Assert.Equal(51f, (await archive.GetAsync(Kept + 1))!.Vectors[0]);
        Assert.Equal(3f, (await archive.GetAsync(3))!.Vectors[0]);
        Assert.Null(await archive.GetAsync(2));
        for (var version = 3; version <= Kept + 2; version++)
        {
            Assert.True(await StoredAsync(storage, archive, version), $"version {version} stored");
        }
    }

    private static async Task<bool> StoredAsync(IGrainStorage storage, IBasisArchiveGrain archive, int version)
    {
        var entry = new GrainState<ArchivedBasisState>(new ArchivedBasisState());
        await storage.ReadStateAsync($"basis-v{version}", archive.GetGrainId(), entry);
        return entry.RecordExists;
    }

    /// <summary>A rank-1 basis of d = 2 whose first coordinate is <paramref name="marker"/>.</summary>
    internal static LayerBasis Basis(int version, float marker) => new(
        new BasisVersionInfo("archive", "q", SketchMode.Rows, version, version, version, 1, false, 1, 0, null, false, TimeSpan.Zero, DateTimeOffset.UnixEpoch, BasisTrigger.OnDemand),
        2, [marker, 0f], [1.0], null);
}
