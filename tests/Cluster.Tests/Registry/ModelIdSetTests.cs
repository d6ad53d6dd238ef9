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
    public void A_slice_state_round_trips_its_id_parts_and_reads_the_whole_sets_older_states_stored()
    {
        var state = new LayerSliceState { RowCount = 3, OpenIds = ["b", "a", "c"], SealedIdSegments = 2, RemovedIds = ["x"] };
        var copy = Serializer.Deserialize<LayerSliceState>(Serializer.SerializeToArray(state))!;
        Assert.Equal(["b", "a", "c"], copy.OpenIds);
        Assert.Equal((2, 3), (copy.SealedIdSegments, copy.RowCount));
        Assert.Equal(["x"], copy.RemovedIds);
        Assert.Null(copy.StoredAsIdSet);

        // Older states held every id in the state: read as open ids, which the next checkpoint seals.
        var idSet = new ModelIdSet();
        idSet.Add("q");
        idSet.Add("p");
        var asIdSet = Serializer.Deserialize<LayerSliceState>(Serializer.SerializeToArray(new IdSetSliceState { ModelIds = idSet, RowCount = 2 }))!;
        Assert.Equal(["p", "q"], asIdSet.OpenIds);
        Assert.Equal((0, 2), (asIdSet.SealedIdSegments, asIdSet.RowCount));
        var asHashSet = Serializer.Deserialize<LayerSliceState>(Serializer.SerializeToArray(new HashSetSliceState { ModelIds = ["y"], RowCount = 1 }))!;
        Assert.Equal(["y"], asHashSet.OpenIds);
        Assert.Equal((0, 1), (asHashSet.SealedIdSegments, asHashSet.RowCount));
        Assert.Null(asHashSet.StoredAsHashSet);
    }
}

/// <summary>The ids and row count of a slice state as written when the ids were a hash set (the same field ids).</summary>
[GenerateSerializer]
public sealed class HashSetSliceState
{
    [Id(2)] public HashSet<string> ModelIds { get; set; } = [];

    [Id(3)] public long RowCount { get; set; }
}

/// <summary>The ids and row count of a slice state as written when the state held the whole <see cref="ModelIdSet"/> (the same field ids).</summary>
[GenerateSerializer]
public sealed class IdSetSliceState
{
    [Id(6)] public ModelIdSet ModelIds { get; set; } = new();

    [Id(3)] public long RowCount { get; set; }
}
