using Xunit;

namespace OrleansUws.ModelFormats.Tests;

public sealed class TensorConvertTests
{
    // Independent reference: value of a binary16 / bfloat16 pattern computed from its fields in double.
    private static double Decode(int bits, int exponentBits, int mantissaBits)
    {
        int sign = (bits >> (exponentBits + mantissaBits)) & 1;
        int exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
        int mantissa = bits & ((1 << mantissaBits) - 1);
        int bias = (1 << (exponentBits - 1)) - 1;
        double magnitude = exponent == (1 << exponentBits) - 1
            ? (mantissa == 0 ? double.PositiveInfinity : double.NaN)
            : exponent == 0
                ? mantissa * Math.Pow(2, 1 - bias - mantissaBits)
                : (1 + mantissa / (double)(1 << mantissaBits)) * Math.Pow(2, exponent - bias);
        return sign == 1 ? -magnitude : magnitude;
    }

    private static (ushort[] Patterns, float[] Widened) AllPatterns(Func<ushort[], float[], int> widen, out int firstBad)
    {
        ushort[] patterns = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var widened = new float[patterns.Length];
        firstBad = widen(patterns, widened);
        return (patterns, widened);
    }

    [Fact]
    public void BFloat16WideningIsExactForAll65536Patterns()
    {
        (ushort[] patterns, float[] widened) = AllPatterns((p, w) => TensorConvert.WidenBFloat16(p, w), out int firstBad);
        Assert.Equal(0x7F80, firstBad); // +Inf is the first non-finite pattern
        for (int i = 0; i < patterns.Length; i++)
        {
            double expected = Decode(i, 8, 7);
            if (double.IsNaN(expected))
            {
                Assert.True(float.IsNaN(widened[i]), $"pattern 0x{i:X4}");
                Assert.Equal((uint)i << 16, BitConverter.SingleToUInt32Bits(widened[i])); // payload kept
            }
            else
            {
                Assert.True(expected == widened[i], $"pattern 0x{i:X4}: {widened[i]} != {expected}");
                Assert.Equal(expected < 0 || (expected == 0 && i >= 0x8000), float.IsNegative(widened[i]));
            }
        }
    }

    [Fact]
    public void ScalarPathAgreesBitForBitWithTheVectorPath()
    {
        (ushort[] patterns, float[] bf16) = AllPatterns((p, w) => TensorConvert.WidenBFloat16(p, w), out _);
        (_, float[] f16) = AllPatterns((p, w) => TensorConvert.WidenHalf(System.Runtime.InteropServices.MemoryMarshal.Cast<ushort, Half>(p), w), out _);
        var one = new float[1];
        for (int i = 0; i < patterns.Length; i++)
        {
            TensorConvert.WidenBFloat16(patterns.AsSpan(i, 1), one);
            Assert.Equal(BitConverter.SingleToUInt32Bits(bf16[i]), BitConverter.SingleToUInt32Bits(one[0]));
            TensorConvert.WidenHalf([BitConverter.UInt16BitsToHalf(patterns[i])], one);
            if (!float.IsNaN(one[0]))
            {
                Assert.Equal(BitConverter.SingleToUInt32Bits(f16[i]), BitConverter.SingleToUInt32Bits(one[0]));
            }
        }
    }

    [Fact]
    public void HalfWideningIsExactForAll65536Patterns()
    {
        (ushort[] patterns, float[] widened) = AllPatterns(
            (p, w) => TensorConvert.WidenHalf(System.Runtime.InteropServices.MemoryMarshal.Cast<ushort, Half>(p), w), out int firstBad);
        Assert.Equal(0x7C00, firstBad);
        for (int i = 0; i < patterns.Length; i++)
        {
            double expected = Decode(i, 5, 10);
            if (double.IsNaN(expected))
            {
                Assert.True(float.IsNaN(widened[i]), $"pattern 0x{i:X4}");
            }
            else
            {
                Assert.True(expected == widened[i], $"pattern 0x{i:X4}: {widened[i]} != {expected}");
                Assert.Equal(i >= 0x8000, float.IsNegative(widened[i]));
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(1000)]
    public void WideningReportsTheFirstNonFiniteIndexInVectorOrTail(int badIndex)
    {
        var source = new ushort[1003];
        Array.Fill(source, TensorConvert.ToBFloat16(1.5f));
        source[badIndex] = 0x7FC0; // NaN
        source[1002] = 0xFF80;     // -Inf later on
        var destination = new float[source.Length];
        Assert.Equal(badIndex, TensorConvert.WidenBFloat16(source, destination));
        Assert.Equal(1.5f, destination[1001]);
        Assert.Equal(float.NegativeInfinity, destination[1002]);

        var half = Enumerable.Repeat((Half)2.25f, 1003).ToArray();
        half[badIndex] = Half.PositiveInfinity;
        Assert.Equal(badIndex, TensorConvert.WidenHalf(half, destination));
        Assert.Equal(2.25f, destination[1002]);

        var single = Enumerable.Repeat(0.5f, 1003).ToArray();
        single[badIndex] = float.NaN;
        Assert.Equal(badIndex, TensorConvert.CopySingle(single, destination));

        var wide = Enumerable.Repeat(0.25, 1003).ToArray();
        wide[badIndex] = 1e300; // finite in float64, +Inf in float32
        Assert.Equal(badIndex, TensorConvert.NarrowDouble(wide, destination));
    }

    [Fact]
    public void FiniteInputReturnsMinusOne()
    {
        float[] values = Enumerable.Range(0, 777).Select(i => (i - 300) * 0.37f).ToArray();
        var bf16 = new ushort[values.Length];
        TensorConvert.NarrowToBFloat16(values, bf16);
        Assert.Equal(-1, TensorConvert.WidenBFloat16(bf16, new float[values.Length]));
        Assert.Equal(-1, TensorConvert.CopySingle(values, new float[values.Length]));
    }

    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(0f, 0x0000)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(3.4028235e38f, 0x7F80)]          // max float rounds up to +Inf
    public void NarrowToBFloat16RoundsToNearestEven(float value, int expected) =>
        Assert.Equal((ushort)expected, TensorConvert.ToBFloat16(value));

    [Fact]
    public void NarrowToBFloat16TiesGoToEven()
    {
        // 1 + 2^-8 is exactly halfway between bf16 1.0 (even) and 1 + 2^-7 (odd): goes to 1.0.
        Assert.Equal((ushort)0x3F80, TensorConvert.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3F808000)));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): goes up.
        Assert.Equal((ushort)0x3F82, TensorConvert.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3F818000)));
        // just above halfway goes up.
        Assert.Equal((ushort)0x3F81, TensorConvert.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3F808001)));
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)TensorConvert.ToBFloat16(float.NaN) << 16)));
    }

    [Fact]
    public void EveryBFloat16RoundTripsThroughNarrowing()
    {
        for (int i = 0; i < 65536; i++)
        {
            float value = BitConverter.UInt32BitsToSingle((uint)i << 16);
            if (!float.IsNaN(value))
            {
                Assert.Equal((ushort)i, TensorConvert.ToBFloat16(value));
            }
        }
    }

    [Fact]
    public void ShortDestinationIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => TensorConvert.WidenBFloat16(new ushort[10], new float[9]));
        Assert.Equal("destination", error.ParamName);
        Assert.Throws<ArgumentException>(() => TensorConvert.WidenHalf(new Half[10], new float[9]));
        Assert.Throws<ArgumentException>(() => TensorConvert.CopySingle(new float[10], new float[9]));
        Assert.Throws<ArgumentException>(() => TensorConvert.NarrowDouble(new double[10], new float[9]));
        Assert.Throws<ArgumentException>(() => TensorConvert.NarrowToBFloat16(new float[10], new ushort[9]));
        Assert.Throws<ArgumentException>(() => TensorConvert.NarrowToHalf(new float[10], new Half[9]));
    }

    [Fact]
    public void OverlappingBuffersAreRejected()
    {
        var buffer = new float[64];
        Span<ushort> asHalfWords = System.Runtime.InteropServices.MemoryMarshal.Cast<float, ushort>(buffer.AsSpan(0, 16));
        var error = Assert.Throws<ArgumentException>(() => TensorConvert.WidenBFloat16(
            System.Runtime.InteropServices.MemoryMarshal.Cast<float, ushort>(buffer.AsSpan(0, 16)), buffer));
        Assert.Contains("overlap", error.Message);
        Assert.Equal(32, asHalfWords.Length);
    }
}
