using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// A basis crosses grains and storage as raw float32 bytes (<see cref="LayerBasisSurrogate"/>): it must come back bit for
/// bit, with or without a mean, and a surrogate whose byte count is no whole number of floats is refused naming it.
/// </summary>
public sealed class LayerBasisSerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(LayerBasis).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_basis_round_trips_bit_for_bit(bool withMean)
    {
        var random = new Random(17);
        const int k = 3, d = 257;
        var vectors = Enumerable.Range(0, k * d).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        vectors[5] = float.Epsilon; // subnormal and signed zero survive a byte copy, not a text or lossy encoding
        vectors[6] = -0f;
        var mean = withMean ? Enumerable.Range(0, d).Select(i => i * 1e-3f).ToArray() : null;
        var info = new BasisVersionInfo("f", "l0", SketchMode.Rows, 7, 40, 640, k, false, 0.93, 0.1, 2e-3, withMean, TimeSpan.FromMilliseconds(3), DateTimeOffset.UnixEpoch, BasisTrigger.Deletion);
        var basis = new LayerBasis(info, d, vectors, [9.0, 4.0, 1.5], mean);

        var copy = Serializer.Deserialize<LayerBasis>(Serializer.SerializeToArray(basis));

        Assert.NotNull(copy);
        Assert.Equal(info, copy.Info);
        Assert.Equal(d, copy.Dimension);
        Assert.Equal(basis.SingularValues, copy.SingularValues);
        Assert.Equal(vectors.Select(BitConverter.SingleToInt32Bits), copy.Vectors.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(mean, copy.Mean);
    }

    [Fact]
    public void A_surrogate_with_a_partial_float_is_refused()
    {
        var surrogate = new LayerBasisSurrogate { Vectors = new byte[10], SingularValues = [] };
        var error = Assert.Throws<InvalidDataException>(() => new LayerBasisConverter().ConvertFromSurrogate(surrogate));
        Assert.Equal("A serialized basis holds 10 bytes of float32 values, not a multiple of 4.", error.Message);
    }
}
