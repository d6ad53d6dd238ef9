using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Options;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests;

public sealed class ModelReaderCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("uws-reader-cache-").FullName;
    private readonly GeneratedFleet _fleet;

    public ModelReaderCacheTests()
    {
        _fleet = GeneratedFleet.Generate(_root, "fleet", FleetPresets.Create("tiny", 2) with { Seed = 61 });
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static ModelReaderCache Cache(int capacity) =>
        new(Microsoft.Extensions.Options.Options.Create(new UwsClusterOptions { OpenModelFiles = capacity }));

    [Fact]
    public void One_file_is_opened_once_for_all_leases()
    {
        using var cache = Cache(4);
        using var first = cache.Acquire(_fleet.ModelPaths[0]);
        using var second = cache.Acquire(_fleet.ModelPaths[0]);
        Assert.Same(first.Reader, second.Reader);
        Assert.Equal(1, cache.OpenCount);
    }

    [Fact]
    public void Files_beyond_capacity_close_when_their_last_lease_ends_and_a_double_dispose_counts_once()
    {
        using var cache = Cache(1);
        var a1 = cache.Acquire(_fleet.ModelPaths[0]);
        var a2 = cache.Acquire(_fleet.ModelPaths[0]);
        a1.Dispose();
        a1.Dispose();
        var b = cache.Acquire(_fleet.ModelPaths[1]);
        Assert.Equal(2, cache.OpenCount); // a2 still holds the first file open
        a2.Dispose();
        Assert.Equal(1, cache.OpenCount);
        b.Dispose();
        using var again = cache.Acquire(_fleet.ModelPaths[1]);
        Assert.Same(b.Reader, again.Reader);
    }

    [Fact]
    public void A_changed_file_is_reopened()
    {
        using var cache = Cache(4);
        var path = _fleet.ModelPaths[0];
        IModelReader first;
        using (var lease = cache.Acquire(path))
        {
            first = lease.Reader;
        }

        var tensors = Directory.GetFiles(path, "*.safetensors").Single();
        File.SetLastWriteTimeUtc(tensors, File.GetLastWriteTimeUtc(tensors).AddMinutes(1));
        using var reopened = cache.Acquire(path);
        Assert.NotSame(first, reopened.Reader);
        Assert.Equal(1, cache.OpenCount);
    }

    [Fact]
    public void A_missing_file_fails_naming_it_and_leaves_nothing_open()
    {
        using var cache = Cache(4);
        var missing = Path.Combine(_root, "missing.safetensors");
        var ex = Assert.Throws<ModelFormatException>(() => cache.Acquire(missing));
        Assert.Contains("missing.safetensors", ex.Message);
        Assert.Equal(0, cache.OpenCount);
    }
}
