using System.Runtime.InteropServices;
using OrleansUws.Numerics.Cuda;
using Xunit;

namespace OrleansUws.Numerics.Tests.Cuda;

public sealed class HalfWideningTests
{
    [Fact]
    public void BFloat16BitsWidenToTheFloatWithThoseTopBits()
    {
        ushort[] bits = [0x3F80, 0xC040, 0x7F80, 0xFF80, 0x0000, 0x8000, 0x4049];
        var widened = new float[bits.Length];

        HalfWidening.WidenBFloat16(bits, widened);

        Assert.Equal([1f, -3f, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 3.140625f], widened);
        Assert.True(float.IsNegative(widened[5]));
    }

    [Fact]
    public void EveryBFloat16PatternKeepsItsBitsAndNaNStaysNaN()
    {
        var bits = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var widened = new float[bits.Length];

        HalfWidening.WidenBFloat16(bits, widened);

        for (var i = 0; i < bits.Length; i++)
        {
            Assert.Equal(i << 16, BitConverter.SingleToInt32Bits(widened[i]));
        }

        Assert.True(float.IsNaN(widened[0x7FC0]));
    }

    [Fact]
    public void HalfWidensExactlyIncludingSubnormalsAndInfinity()
    {
        ushort[] bits = [0x3C00, 0x0001, 0x7BFF, 0x7C00, 0xC000];
        var widened = new float[bits.Length];

        HalfWidening.Widen(MemoryMarshal.Cast<ushort, Half>(bits), widened);

        Assert.Equal([1f, 5.9604645e-8f, 65504f, float.PositiveInfinity, -2f], widened);
    }

    [Fact]
    public void ShortDestinationIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => HalfWidening.WidenBFloat16(new ushort[4], new float[3]));

        Assert.Equal("destination", error.ParamName);
    }
}
