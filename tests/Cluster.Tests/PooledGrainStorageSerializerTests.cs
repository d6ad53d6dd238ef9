using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Session;
using Orleans.Storage;
using OrleansUws.Grains.State;
using OrleansUws.Silo.Hosting;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// The silo's grain-storage serializer writes exactly the bytes of Orleans' own binary one (so states stored before
/// read back, and after), for a slice checkpoint of megabytes that spans many pooled segments and for small states.
/// </summary>
public sealed class PooledGrainStorageSerializerTests
{
    [Fact]
    public void A_multi_megabyte_checkpoint_and_a_small_state_are_stored_as_orleans_stores_them_and_read_back()
    {
        var services = GrainStateSerialization.Services;
        var serializer = services.GetRequiredService<Serializer>();
        var pooled = new PooledGrainStorageSerializer(serializer, services.GetRequiredService<SerializerSessionPool>());
        var orleans = new OrleansGrainStorageSerializer(serializer);
        var random = new Random(17);
        var sketch = new byte[(3 << 20) + 12_345];
        random.NextBytes(sketch);
        var slice = new LayerSliceState { Sketch = sketch, RowCount = 4_096, IndependentRows = 256, OpenIds = ["model-00001", "model-00002"] };
        var coordinator = new LayerCoordinatorState { AbsorbedModels = 7 };

        foreach (var (written, expected) in new[] { (pooled.Serialize(slice), orleans.Serialize(slice)), (pooled.Serialize(coordinator), orleans.Serialize(coordinator)) })
        {
            Assert.Equal(expected.ToArray(), written.ToArray());
        }

        var read = pooled.Deserialize<LayerSliceState>(pooled.Serialize(slice))!;
        Assert.Equal(sketch, read.Sketch);
        Assert.Equal((4_096L, 256L), (read.RowCount, read.IndependentRows));
        Assert.Equal(["model-00001", "model-00002"], read.OpenIds);
        Assert.Equal(7, pooled.Deserialize<LayerCoordinatorState>(orleans.Serialize(coordinator))!.AbsorbedModels);
    }
}
