using System.Buffers.Binary;
using System.IO.Hashing;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

public abstract partial class BackendSuite
{
    [Theory]
    [InlineData(SketchKind.FrequentDirections, MeanMode.Track)]
    [InlineData(SketchKind.FrequentDirections, MeanMode.None)]
    [InlineData(SketchKind.ExactGram, MeanMode.Centre)]
    public void SerialisationRoundTripsBitExactly(SketchKind kind, MeanMode mode)
    {
        const int d = 24;
        var factory = new CovarianceSketchFactory(Backend);
        using var sketch = factory.Create(new SketchOptions(kind, d, 6, mode));
        sketch.AppendRows(TestData.Planted(seed: 60, 50, d, rank: 3, noise: 0.1), 50, units: 5);
        var blob = sketch.Serialize();
        using var copy = factory.Deserialize(blob);

        Assert.Equal(blob, copy.Serialize());
        Assert.Equal(sketch.RowCount, copy.RowCount);
        Assert.Equal(5, copy.UnitCount);
        Assert.Equal(sketch.Certificate, copy.Certificate);
        Assert.Equal(sketch.TotalEnergy, copy.TotalEnergy);
        var solver = new SubspaceBasisSolver(Backend);
        var options = new BasisOptions { Rank = 3 };
        Assert.Equal(solver.Compute(sketch, options).Vectors, solver.Compute(copy, options).Vectors);

        // The copy keeps working as a sketch: the same append gives the same bytes.
        var more = TestData.Gaussian(61, 20 * d);
        sketch.AppendRows(more, 20);
        copy.AppendRows(more, 20);
        Assert.Equal(sketch.Serialize(), copy.Serialize());
    }

    [Fact]
    public void TruncatedOrCorruptBlobsAreRejectedWithTheFieldNamed()
    {
        using var sketch = new FrequentDirectionsSketch(Backend, 16, 4, MeanMode.Track);
        sketch.AppendRows(TestData.Gaussian(62, 16 * 11), 11);
        var blob = sketch.Serialize();

        foreach (int length in new[] { 0, 10, SketchSerializer.HeaderLength, blob.Length - 1 })
        {
            var ex = Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(blob.AsSpan(0, length), Backend));
            Assert.Contains("truncated", ex.Message);
        }

        Assert.Contains("trailing", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize([.. blob, 0], Backend)).Message);

        var flipped = (byte[])blob.Clone();
        flipped[SketchSerializer.HeaderLength + 17] ^= 0x40;
        Assert.Contains("checksum", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(flipped, Backend)).Message);

        var magic = (byte[])blob.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(magic, Backend)).Message);

        var version = (byte[])blob.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(version.AsSpan(4), 9);
        Assert.Contains("version 9", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(version, Backend)).Message);

        // A consistent checksum over an inconsistent header is still caught by the field checks.
        var rows = (byte[])blob.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(rows.AsSpan(16), 9);
        Rehash(rows);
        Assert.Contains("ℓ = 4 and 9 buffered rows", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(rows, Backend)).Message);
        var kind = (byte[])blob.Clone();
        kind[6] = 7;
        Rehash(kind);
        Assert.Contains("unknown kind 7", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(kind, Backend)).Message);
    }

    private static void Rehash(byte[] blob)
        => BinaryPrimitives.WriteUInt64LittleEndian(blob.AsSpan(blob.Length - 8), XxHash64.HashToUInt64(blob.AsSpan(0, blob.Length - 8)));
}
