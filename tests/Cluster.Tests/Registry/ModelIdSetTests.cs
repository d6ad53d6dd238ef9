using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansUws.Grains.State;
using Xunit;

namespace OrleansUws.Cluster.Tests.Registry;

/// <summary>A slice's id set: set semantics in ordinal order across merges, removals and storage, old states included.</summary>
public sealed class ModelIdSetTests
{
    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(LayerSliceState).Assembly).AddAssembly(typeof(ModelIdSetTests).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void Adds_lookups_and_removals_agree_with_a_hash_set_across_merges()
    {
        var random = new Random(14);
        var set = new ModelIdSet();
        var reference = new HashSet<string>(StringComparer.Ordinal);
        for (var step = 0; step < 5_000; step++)
        {
            var id = $"m-{random.Next(2_000)}";
            if (random.Next(10) == 0)
            {
                Assert.Equal(reference.Remove(id), set.Remove(id));
            }
            else
            {
                Assert.Equal(reference.Add(id), set.Add(id));
            }

            Assert.Equal(reference.Count, set.Count);
            Assert.True(set.Contains(id) == reference.Contains(id), id);
        }

        Assert.Equal(reference.Order(StringComparer.Ordinal), set.Order(StringComparer.Ordinal));
        Assert.Equal(reference.Order(StringComparer.Ordinal), set.Ids);
        set.Clear();
        Assert.Empty(set);
        Assert.False(set.Contains("m-1"));
    }

    [Fact]
    public void A_slice_state_round_trips_its_ids_and_reads_those_an_older_state_stored_as_a_hash_set()
    {
        var state = new LayerSliceState { RowCount = 3 };
        foreach (var id in new[] { "b", "a", "c" })
        {
            state.ModelIds.Add(id);
        }

        var copy = Serializer.Deserialize<LayerSliceState>(Serializer.SerializeToArray(state))!;
        Assert.Equal(["a", "b", "c"], copy.ModelIds.Ids);
        Assert.Equal(3, copy.RowCount);

        var old = Serializer.Deserialize<LayerSliceState>(Serializer.SerializeToArray(new HashSetSliceState { ModelIds = ["y", "x"], RowCount = 2 }))!;
        Assert.Equal(["x", "y"], old.ModelIds.Ids);
        Assert.Equal(2, old.RowCount);
        Assert.Null(old.StoredAsHashSet);
    }
}

/// <summary>The ids and row count of a slice state as written when the ids were a hash set (the same field ids).</summary>
[GenerateSerializer]
public sealed class HashSetSliceState
{
    [Id(2)] public HashSet<string> ModelIds { get; set; } = [];

    [Id(3)] public long RowCount { get; set; }
}
