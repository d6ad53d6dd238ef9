using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Metrics;

public sealed class SubspaceMetricsTests
{
    private const int D = 6;

    [Fact]
    public void PrincipalAnglesRecoverPlantedRotations()
    {
        double a = 0.1, b = 0.7;
        float[] u = [1, 0, 0, 0, 0, 0, /**/ 0, 1, 0, 0, 0, 0];
        float[] v =
        [
            (float)Math.Cos(a), 0, (float)Math.Sin(a), 0, 0, 0,
            0, (float)Math.Cos(b), 0, (float)Math.Sin(b), 0, 0,
        ];
        var angles = SubspaceMetrics.PrincipalAngles(u, 2, v, 2, D);
        Assert.Equal(a, angles[0], 1e-6);
        Assert.Equal(b, angles[1], 1e-6);
        Assert.Equal(Math.Sin(b), SubspaceMetrics.SinThetaMax(u, 2, v, 2, D), 1e-6);
        Assert.Equal(Math.Sqrt((Math.Sin(a) * Math.Sin(a)) + (Math.Sin(b) * Math.Sin(b))), SubspaceMetrics.SinThetaFrobenius(u, 2, v, 2, D), 1e-6);
        Assert.Equal(0, SubspaceMetrics.SinThetaMax(u, 2, u, 2, D), 1e-7);
    }

    [Fact]
    public void UnequalRanksMeasureContainmentOfTheSmallerSubspace()
    {
        float[] small = [0, 1, 0, 0, 0, 0];
        float[] large = [1, 0, 0, 0, 0, 0, /**/ 0, 1, 0, 0, 0, 0, /**/ 0, 0, 1, 0, 0, 0];
        Assert.Single(SubspaceMetrics.PrincipalAngles(large, 3, small, 1, D));
        Assert.Equal(0, SubspaceMetrics.SinThetaMax(small, 1, large, 3, D), 1e-7);
        float[] outside = [0, 0, 0, 0, 0, 1];
        Assert.Equal(1, SubspaceMetrics.SinThetaMax(outside, 1, large, 3, D), 1e-7);
    }

    [Fact]
    public void SinThetaFromTheBasesProductsEqualsTheOneFromTheBasesInEitherOrder()
    {
        const int d = 50;
        var u = TestData.OrthonormalRows(3, 3, d).Select(x => (float)x).ToArray();
        var v = TestData.OrthonormalRows(4, 5, d).Select(x => (float)x).ToArray();
        var uu = SubspaceMetrics.Overlaps(u, 3, u, 3, d);
        var uv = SubspaceMetrics.Overlaps(u, 3, v, 5, d);
        var vv = SubspaceMetrics.Overlaps(v, 5, v, 5, d);
        var vu = SubspaceMetrics.Overlaps(v, 5, u, 3, d);
        double expected = SubspaceMetrics.SinThetaMax(u, 3, v, 5, d);
        Assert.InRange(expected, 0.1, 0.99999);
        Assert.Equal(expected, SubspaceMetrics.SinThetaMaxFromProducts(uu, uv, vv, 3, 5), 12);
        Assert.Equal(expected, SubspaceMetrics.SinThetaMaxFromProducts(vv, vu, uu, 5, 3), 12);
        Assert.Throws<ArgumentException>("uv", () => SubspaceMetrics.SinThetaMaxFromProducts(uu, uv.AsSpan(1), vv, 3, 5));
    }

    [Fact]
    public void OverlapsSumExactProductsInFloat64OverOddShapes()
    {
        // 5×6 overlaps over 4,101 columns: whole 4×4 tiles, edge rows and columns, and a tail past the last 8 columns.
        const int ku = 5, kv = 6, d = 4101;
        var rng = new Random(71);
        var u = Enumerable.Range(0, ku * d).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var v = Enumerable.Range(0, kv * d).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var overlaps = SubspaceMetrics.Overlaps(u, ku, v, kv, d);
        Assert.Equal(ku * kv, overlaps.Length);
        for (int i = 0; i < ku; i++)
        {
            for (int j = 0; j < kv; j++)
            {
                double expected = 0, scale = 0;
                for (int c = 0; c < d; c++)
                {
                    double product = (double)u[(i * d) + c] * v[(j * d) + c];
                    expected += product;
                    scale += Math.Abs(product);
                }

                Assert.Equal(expected, overlaps[(i * kv) + j], 1e-14 * scale);
            }
        }
    }

    [Theory]
    [InlineData(1e-3)]
    [InlineData(1e-5)]
    [InlineData(0.0)]
    public void SmallAnglesBetweenFloatBasesAreExactToFloatRounding(double angle)
    {
        // An 8×4096 basis orthonormal in float64 and stored in float32, and the same basis with its first row turned by
        // the planted angle towards a direction outside it: float32 rounding alone must not show up as an angle.
        const int k = 8, d = 4096;
        var rng = new Random(72);
        var rows = Orthonormal(rng, k + 1, d);
        var u = rows.Take(k * d).Select(x => (float)x).ToArray();
        var v = (float[])u.Clone();
        for (int c = 0; c < d; c++)
        {
            v[c] = (float)((Math.Cos(angle) * rows[c]) + (Math.Sin(angle) * rows[(k * d) + c]));
        }

        Assert.Equal(Math.Sin(angle), SubspaceMetrics.SinThetaMax(u, k, v, k, d), 3e-7);
        Assert.Equal(Math.Sin(angle), SubspaceMetrics.SinThetaMax(v, k, u, k, d), 3e-7);
        Assert.Equal(0, SubspaceMetrics.SinThetaMax(u, k, u, k, d), 3e-7);
    }

    [Fact]
    public void MetricsRejectBadShapesNamingTheBasis()
    {
        var ex = Assert.Throws<ArgumentException>(() => SubspaceMetrics.SinThetaMax(new float[11], 2, new float[12], 2, D));
        Assert.Equal("u", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => SubspaceMetrics.SinThetaMax(new float[12], 2, new float[42], 7, D));
    }

    [Fact]
    public void CapturedEnergyIsOptimalForExactEigenvectorsAndLowerOtherwise()
    {
        const int n = 300, d = 20, k = 3;
        var rows = TestData.Planted(seed: 70, n, d, rank: 5, noise: 0.2);
        var gram = Reference.Gram(rows, n, d);
        var op = new DenseSymmetricOperator(new ManagedBlasBackend(), gram, d);
        var (values, _) = Reference.Eigen(gram, d);
        var best = Reference.TopEigenvectors(gram, d, k);
        Assert.Equal(1.0, SubspaceMetrics.CapturedEnergyRatio(op, best, k, values), 1e-6);
        var other = Reference.TopEigenvectors(gram, d, k + 2).Skip(2 * d).ToArray();
        Assert.True(SubspaceMetrics.CapturedEnergyRatio(op, other, k, values) < 0.9);
        Assert.Equal(values[^1] + values[^2] + values[^3], SubspaceMetrics.CapturedEnergy(op, best, k), 1e-6 * values[^1]);
    }

    [Fact]
    public void MeanDirectionShareIsTheFractionOfEnergyAlongTheMean()
    {
        // Rows (3, 0) and (3, 1): energy 9 + 10 = 19; along the mean (3, 0.5)/‖·‖: (9 + (3·3 + 0.5)²/…) computed exactly below.
        double[] gram = [18, 3, 3, 1];
        var op = new DenseSymmetricOperator(new ManagedBlasBackend(), gram, 2);
        double[] mean = [3, 0.5];
        double norm2 = 9.25;
        double expected = ((18 * 9) + (2 * 3 * 3 * 0.5) + (1 * 0.25)) / norm2 / 19;
        Assert.Equal(expected, SubspaceMetrics.MeanDirectionShare(op, mean), 1e-12);
        Assert.Equal(0, SubspaceMetrics.MeanDirectionShare(op, [0, 0]));
    }

    /// <summary>n orthonormal rows of length d (Gram–Schmidt twice in float64).</summary>
    private static double[] Orthonormal(Random rng, int n, int d)
    {
        var rows = Enumerable.Range(0, n * d).Select(_ => rng.NextDouble() - 0.5).ToArray();
        for (int i = 0; i < n; i++)
        {
            var row = rows.AsSpan(i * d, d);
            for (int pass = 0; pass < 2; pass++)
            {
                for (int j = 0; j < i; j++)
                {
                    var other = rows.AsSpan(j * d, d);
                    double dot = System.Numerics.Tensors.TensorPrimitives.Dot<double>(row, other);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<double>(other, -dot, row, row);
                }
            }

            System.Numerics.Tensors.TensorPrimitives.Divide<double>(row, System.Numerics.Tensors.TensorPrimitives.Norm<double>(row), row);
        }

        return rows;
    }
}
